import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One synchronous HTTP exchange over URLSession whose body is streamed to a sink as it arrives, so
/// multi-gigabyte weights never sit in memory. Redirects are either returned to the caller (to read
/// the hub's metadata headers on its 302) or followed with the Authorization header kept only on the
/// endpoint's own host (signed CDN URLs reject a second credential).
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// Called once with the final response before any body bytes; throwing cancels the transfer.
    typealias ResponseHandler = (HTTPURLResponse) throws -> Void
    typealias BodySink = (Data) throws -> Void

    private let followRedirects: Bool
    private let authorizedHost: String?
    private let token: String?
    private let onResponse: ResponseHandler
    private let sink: BodySink
    private let finished = DispatchSemaphore(value: 0)
    // Touched only on the session's serial delegate queue, then read after `finished` is signalled.
    private var response: HTTPURLResponse?
    private var failure: Error?
    private var sinkFailure: Error?

    private init(followRedirects: Bool, authorizedHost: String?, token: String?,
                 onResponse: @escaping ResponseHandler, sink: @escaping BodySink) {
        self.followRedirects = followRedirects
        self.authorizedHost = authorizedHost
        self.token = token
        self.onResponse = onResponse
        self.sink = sink
    }

    /// Runs `request` to completion. Errors thrown by `onResponse` or `sink` are rethrown as they are.
    static func perform(_ request: URLRequest, followRedirects: Bool, authorizedHost: String?, token: String?,
                        timeout: TimeInterval,
                        onResponse: @escaping ResponseHandler = { _ in },
                        sink: @escaping BodySink = { _ in }) throws -> HTTPURLResponse {
        let transfer = HTTPTransfer(followRedirects: followRedirects, authorizedHost: authorizedHost, token: token,
                                    onResponse: onResponse, sink: sink)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        var request = request
        request.timeoutInterval = timeout
        transfer.authorize(&request)
        let task = session.dataTask(with: request)
        task.resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        let urlText = request.url?.absoluteString ?? "?"
        if let error = transfer.sinkFailure { throw error }
        if let error = transfer.failure {
            throw ModelStoreError.network(url: urlText, reason: (error as NSError).localizedDescription)
        }
        guard let response = transfer.response ?? (task.response as? HTTPURLResponse) else {
            throw ModelStoreError.invalidResponse(url: urlText, reason: "no HTTP response")
        }
        return response
    }

    private func authorize(_ request: inout URLRequest) {
        guard let token, let host = request.url?.host, host == authorizedHost else {
            request.setValue(nil, forHTTPHeaderField: "Authorization")
            return
        }
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        guard followRedirects, let target = request.url else {
            completionHandler(nil)
            return
        }
        var next = task.originalRequest ?? request
        next.url = target
        next.httpMethod = task.originalRequest?.httpMethod ?? request.httpMethod
        authorize(&next)
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            sinkFailure = ModelStoreError.invalidResponse(url: response.url?.absoluteString ?? "?", reason: "not an HTTP response")
            completionHandler(.cancel)
            return
        }
        self.response = http
        do {
            try onResponse(http)
            completionHandler(.allow)
        } catch {
            sinkFailure = error
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard sinkFailure == nil else { return }
        do { try sink(data) } catch {
            sinkFailure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if response == nil { response = task.response as? HTTPURLResponse }
        // Cancellation we asked for is reported through sinkFailure, not as a network error.
        if let error, sinkFailure == nil { failure = error }
        finished.signal()
    }
}

extension HTTPURLResponse {
    /// Case-insensitive header lookup that does not depend on the platform's normalisation.
    func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        for (key, value) in allHeaderFields {
            if let key = key as? String, key.lowercased() == lowered { return value as? String ?? "\(value)" }
        }
        return nil
    }
}
