import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Directories other local users must not control: Railyard's state folder
/// (the admin token) and the embedded cluster's data and socket folders.
/// A directory is created with mode 0700 for its owner; one that exists
/// already is accepted only when it is a real directory (not a link) of
/// that owner that no one else can write to (or, with `strict`, enter).
public enum PrivateDirectory {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Prepares `path` for the user `owner` (this process's user when nil).
    public static func prepare(_ path: String, owner: String? = nil, strict: Bool = true) throws(Problem) {
        var uid = geteuid(), gid = getegid()
        if let owner {
            guard let user = getpwnam(owner) else { throw Problem(description: "no user \(owner) to own \(path)") }
            uid = user.pointee.pw_uid
            gid = user.pointee.pw_gid
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent) {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw Problem(description: "cannot create \(parent): \(error.localizedDescription)")
            }
        }
        if mkdir(path, 0o700) == 0 {
            guard chown(path, uid, gid) == 0 else {
                throw Problem(description: "cannot give \(path) to \(owner ?? "this user"): \(String(cString: strerror(errno)))")
            }
            return
        }
        guard errno == EEXIST else {
            throw Problem(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw Problem(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        let remove = "another local user may have made it; remove it (or fix it) and run again"
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw Problem(description: "\(path) is not a directory (a link or a file): \(remove)")
        }
        guard info.st_uid == uid else {
            throw Problem(description: "\(path) belongs to uid \(info.st_uid), not \(owner ?? "this user") (uid \(uid)): \(remove)")
        }
        let open = info.st_mode & (strict ? 0o077 : 0o022)
        guard open == 0 else {
            throw Problem(description: "\(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 700 it, or remove it, and run again")
        }
    }
}
