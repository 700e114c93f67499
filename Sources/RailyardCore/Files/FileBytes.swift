#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes read with one open, fstat and read (two when it grew): cheaper than
/// Foundation's URL and Data layers when a folder holds thousands of files.
enum FileBytes {
    case file([UInt8])
    /// A directory, FIFO, socket or device: not a migration file.
    case notAFile

    /// nil when the path cannot be opened or read.
    static func read(_ path: String) -> FileBytes? {
        read(path, in: AT_FDCWD)
    }

    /// `name` in the open directory `directory` (one path component to resolve, not the whole path).
    static func read(_ name: String, in directory: Int32) -> FileBytes? {
        // Non-blocking, so that opening a FIFO does not wait for a writer.
        let descriptor = openat(directory, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        if (status.st_mode & S_IFMT) != S_IFREG { return .notAFile }
        // One byte more than the size, so that the end shows in the same read.
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let got = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { break }
            filled += got
            // A regular file's read stops short only at its end: no second read to see it.
            if filled < bytes.count { break }
        }
        bytes.removeSubrange(filled...)
        return .file(bytes)
    }
}

/// A directory's entries (without `.` and `..`), or why it cannot be listed.
enum DirectoryListing {
    static func names(_ path: String) -> Result<[String], DirectoryListingError> {
        guard let directory = opendir(path) else {
            let code = errno
            let reason = code == ENOENT || code == ENOTDIR ? "no such directory" : String(cString: strerror(code))
            return .failure(DirectoryListingError(reason: reason))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }
}

struct DirectoryListingError: Error {
    var reason: String
}

/// Lets a non-Sendable value cross into work that the caller synchronizes itself.
struct UncheckedSendable<Value>: @unchecked Sendable {  // the caller synchronizes every use of `value`
    var value: Value
    init(_ value: Value) { self.value = value }
}
