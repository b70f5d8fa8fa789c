import Foundation

/// Reading and replacing a client's configuration file safely: an advisory lock around
/// read-modify-write, a timestamped backup of the old bytes, and an atomic replace (temporary file
/// in the same folder, fsync, rename) that keeps the file's permission bits and owner.
enum ConfigFile {
    /// The bytes of the file, or nil when it does not exist. Symlinks are followed.
    static func read(_ path: String) throws(InstallError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, message: "cannot read the file (check its permissions)")
        }
        return [UInt8](data)
    }

    /// The file a path finally names, so writing through a symlink replaces its target, not the link.
    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Runs `body` holding an exclusive `flock` on the file's folder, so Junction processes editing
    /// files in it take turns. The folder is created when missing.
    static func withLock<T>(_ path: String, _ body: () throws(InstallError) -> T) throws(InstallError) -> T {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: folder, message: "cannot create the folder: \(error.localizedDescription)")
        }
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: folder, message: "cannot open the folder: \(errorText())") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .io(path: folder, message: "cannot lock the folder: \(errorText())") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Copies `original` to `<path>.junction-backup-YYYYMMDDHHMMSS` (a numbered suffix when that
    /// exists) with the file's permission bits. Returns the backup's path.
    static func backup(_ original: [UInt8], of path: String, now: Date = Date()) throws(InstallError) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let base = path + ".junction-backup-" + formatter.string(from: now)
        let mode = permissions(of: path) ?? 0o600
        var candidate = base
        var attempt = 1
        while true {
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if descriptor >= 0 {
                defer { close(descriptor) }
                _ = fchmod(descriptor, mode)
                try writeAll(original, to: descriptor, path: candidate)
                return candidate
            }
            guard errno == EEXIST, attempt < 1000 else {
                throw .io(path: candidate, message: "cannot write the backup: \(errorText())")
            }
            attempt += 1
            candidate = base + "-\(attempt)"
        }
    }

    /// Replaces the file atomically with `bytes`. A new file gets the usual permissions (0666 less
    /// the umask); an existing one keeps its permission bits and, where allowed, its owner.
    static func write(_ bytes: [UInt8], to path: String) throws(InstallError) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var existing = stat()
        let exists = stat(path, &existing) == 0
        let temporary = (folder as NSString).appendingPathComponent(
            ".\(name).junction-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? 0o600 : 0o666)
        guard descriptor >= 0 else {
            throw .io(path: folder, message: "cannot create a temporary file: \(errorText())")
        }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            if exists {
                _ = fchown(descriptor, existing.st_uid, existing.st_gid)
                guard fchmod(descriptor, existing.st_mode & 0o7777) == 0 else {
                    throw InstallError.io(path: path, message: "cannot set permissions: \(errorText())")
                }
            }
            try writeAll(bytes, to: descriptor, path: temporary)
            guard fsync(descriptor) == 0 else {
                throw InstallError.io(path: path, message: "cannot flush to disk: \(errorText())")
            }
        }
        guard rename(temporary, path) == 0 else {
            throw .io(path: path, message: "cannot replace the file: \(errorText())")
        }
        committed = true
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    static func permissions(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(InstallError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, message: "cannot write: \(errorText())")
            }
            offset += written
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
