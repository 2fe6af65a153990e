import Foundation

/// Read-only memory mapping of a checkpoint file, shared by the safetensors and PyTorch readers: the
/// kernel pages tensors in on demand instead of copying gigabytes into the heap.
enum MappedFile {
    /// Maps `path`; a missing or unreadable file, or one shorter than `minimumLength` bytes (described
    /// by `tooShort(length)`), is a `ModelError` naming it. The caller unmaps with `unmap`.
    static func map(path: String, minimumLength: Int, tooShort: (Int) -> String) throws -> (base: UnsafeRawPointer, length: Int) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw ModelError.fileMissing(path: path) }
            throw ModelError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let length = Int(status.st_size)
        guard length >= minimumLength else { throw ModelError.malformedCheckpoint(path: path, reason: tooShort(length)) }
        guard let pointer = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
            throw ModelError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        return (UnsafeRawPointer(pointer), length)
    }

    static func unmap(_ base: UnsafeRawPointer, length: Int) {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }
}
