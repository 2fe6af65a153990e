import Foundation

/// One training example: an image file and its caption, with the line it came from (for warnings).
public struct ImageCaptionPair: Sendable, Equatable {
    public let image: URL
    public let caption: String
    public let line: Int

    public init(image: URL, caption: String, line: Int) {
        self.image = image
        self.caption = caption
        self.line = line
    }
}

/// Reads (image path, caption) pairs from TSV, CSV or JSONL. Relative image paths are resolved
/// against the pairs file's folder. A malformed row or a missing image is reported as a warning and
/// skipped; only a file with no usable pair at all is an error.
public enum PairsFile {
    static let imageKeys = ["image", "image_path", "path", "file", "filename", "img"]
    static let captionKeys = ["caption", "text", "title", "description"]

    public static func read(_ url: URL) throws -> (pairs: [ImageCaptionPair], warnings: [String]) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw TrainingError.unreadable(path: url.path, reason: "is a folder; give a pairs file (.tsv, .csv or .jsonl of image path and caption)")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainingError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrainingError.unreadable(path: url.path, reason: "not UTF-8 text")
        }
        let folder = url.deletingLastPathComponent()
        let format = url.pathExtension.lowercased()
        var pairs: [ImageCaptionPair] = [], warnings: [String] = []
        // A repeated pair would be its own negative inside a batch, and could land in both the training and held-out sets.
        var firstLines: [String: Int] = [:]
        let rows: [(line: Int, fields: Result<(String, String), TrainingError>)]
        switch format {
        case "jsonl", "json", "ndjson": rows = jsonRows(text, path: url.path)
        case "csv": rows = delimitedRows(text, separator: ",", path: url.path)
        default: rows = delimitedRows(text, separator: "\t", path: url.path)
        }
        for row in rows {
            switch row.fields {
            case .failure(let error): warnings.append("warning: \(error) (skipped)")
            case .success(let (path, caption)):
                let image = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
                guard FileManager.default.fileExists(atPath: image.path) else {
                    warnings.append("warning: \(url.path):\(row.line): image \(image.path) not found (skipped)")
                    continue
                }
                let pair = ImageCaptionPair(image: image.standardizedFileURL, caption: caption, line: row.line)
                let key = pair.image.path + "\u{0}" + caption
                if let first = firstLines[key] {
                    warnings.append("warning: \(url.path):\(row.line): same image and caption as line \(first) (skipped)")
                    continue
                }
                firstLines[key] = row.line
                pairs.append(pair)
            }
        }
        guard !pairs.isEmpty else {
            throw TrainingError.noUsablePairs(path: url.path, reason: warnings.first ?? "the file is empty")
        }
        return (pairs, warnings)
    }

    static func jsonRows(_ text: String, path: String) -> [(line: Int, fields: Result<(String, String), TrainingError>)] {
        var rows: [(line: Int, fields: Result<(String, String), TrainingError>)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                rows.append((index + 1, .failure(.malformedPairs(path: path, line: index + 1, reason: "not a JSON object"))))
                continue
            }
            let image = imageKeys.lazy.compactMap { object[$0] as? String }.first
            let caption = captionKeys.lazy.compactMap { object[$0] as? String }.first
            guard let image, !image.isEmpty, let caption, !caption.trimmingCharacters(in: .whitespaces).isEmpty else {
                rows.append((index + 1, .failure(.malformedPairs(
                    path: path, line: index + 1,
                    reason: "expected an image path (\(imageKeys.joined(separator: "/"))) and a caption (\(captionKeys.joined(separator: "/")))"))))
                continue
            }
            rows.append((index + 1, .success((image, caption))))
        }
        return rows
    }

    static func delimitedRows(_ text: String, separator: Character, path: String) -> [(line: Int, fields: Result<(String, String), TrainingError>)] {
        var rows: [(line: Int, fields: Result<(String, String), TrainingError>)] = []
        for (line, fields) in splitRecords(text, separator: separator) {
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            // A header row names its columns; skip it.
            if rows.isEmpty, let first = fields.first?.lowercased().trimmingCharacters(in: .whitespaces), imageKeys.contains(first) { continue }
            guard fields.count >= 2 else {
                rows.append((line, .failure(.malformedPairs(
                    path: path, line: line, reason: "expected 2 fields (image path, caption) separated by \(separator == "\t" ? "a tab" : "a comma"), found \(fields.count)"))))
                continue
            }
            let image = fields[0].trimmingCharacters(in: .whitespaces)
            let caption = fields[1...].joined(separator: String(separator)).trimmingCharacters(in: .whitespaces)
            guard !image.isEmpty, !caption.isEmpty else {
                rows.append((line, .failure(.malformedPairs(path: path, line: line, reason: "empty image path or caption"))))
                continue
            }
            rows.append((line, .success((image, caption))))
        }
        return rows
    }

    /// Splits records with CSV quoting ("…" fields may hold separators, newlines and "" for a quote).
    static func splitRecords(_ text: String, separator: Character) -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field = "", quoted = false, line = 1, recordLine = 1
        var characters = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let value = pending { pending = nil; return value }
            return characters.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { quoted = false; pending = following }
                    } else { quoted = false }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case separator: fields.append(field); field = ""
            case "\n", "\r\n", "\r":
                fields.append(field)
                records.append((recordLine, fields))
                fields = []; field = ""; line += 1; recordLine = line
            default: field.append(character)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        return records
    }
}
