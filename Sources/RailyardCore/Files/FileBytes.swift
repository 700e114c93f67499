#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes read with one open, fstat (unless the directory listing
/// said it is a regular file) and read: cheaper than
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
    /// `regular`: the directory listing said it is a regular file (not a
    /// link), so it needs no fstat: it is read until a read stops short.
    static func read(_ name: String, in directory: Int32, regular: Bool = false) -> FileBytes? {
        // Non-blocking, so that opening a FIFO does not wait for a writer.
        let descriptor = openat(directory, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (regular ? O_NOFOLLOW : 0))
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var size = 16 * 1024 - 1
        if !regular {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { return nil }
            if (status.st_mode & S_IFMT) != S_IFREG { return .notAFile }
            size = max(Int(status.st_size), 0)
        }
        // One byte more than the size, so that the end shows in the same read.
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let got = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                if got < 0 && errno == EINTR { continue }
                if got < 0 { failed = true }
                if got <= 0 { return }
                count += got
                // A regular file's read stops short only at its end: no second read to see it.
                if count < buffer.count { return }
            }
        }
        if failed { return nil }
        guard bytes.count == size + 1 else { return .file(bytes) }
        // Filled: the file is larger than thought (or grew); read the rest.
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got < 0 { return nil }
            if got == 0 { break }
            bytes += chunk[..<got]
        }
        return .file(bytes)
    }
}

/// A directory's entries (without `.` and `..`), or why it cannot be listed.
enum DirectoryListing {
    static func names(_ path: String) -> Result<[String], DirectoryListingError> {
        entries(path).map { $0.map(\.name) }
    }

    /// Each entry's name, and whether the listing says it is a regular file
    /// (false also when it does not say: a link, or a file system without types).
    static func entries(_ path: String) -> Result<[(name: String, regular: Bool)], DirectoryListingError> {
        guard let directory = opendir(path) else {
            let code = errno
            let reason = code == ENOENT || code == ENOTDIR ? "no such directory" : String(cString: strerror(code))
            return .failure(DirectoryListingError(reason: reason))
        }
        defer { closedir(directory) }
        var entries: [(name: String, regular: Bool)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { entries.append((name, entry.pointee.d_type == UInt8(DT_REG))) }
        }
        return .success(entries)
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
