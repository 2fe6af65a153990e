import Foundation

/// Holds `<catalog>.index-lock` with flock(2) for the length of an index run. Two runs on one catalog
/// would each decide from their own snapshot of what is stored and undo each other's rows, so the
/// second one is refused. The kernel drops the lock when the process ends, however it ends, so a
/// killed run never leaves a stale lock behind.
public final class IndexRunLock {
    public let path: String
    private let descriptor: Int32

    public init(catalogPath: String) throws {
        path = catalogPath + ".index-lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CatalogError.cannotOpen(path: catalogPath, reason: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another index run is writing to this catalog; wait for it to finish"
                : "cannot lock \(path): \(String(cString: strerror(errno)))"
            close(descriptor)
            throw CatalogError.cannotOpen(path: catalogPath, reason: reason)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
