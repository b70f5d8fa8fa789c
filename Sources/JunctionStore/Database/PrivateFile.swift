import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files only their owner may read (keys), created so they never exist with wider permissions.
public enum PrivateFile {
    public enum CreateResult: Sendable, Equatable {
        case created
        case exists
        case failed(String)
    }

    /// O_CREAT|O_EXCL with mode 0600, so the file is never readable by others, not even briefly;
    /// `.exists` when another process created it first.
    public static func createExclusively(path: String, contents: String) -> CreateResult {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            return errno == EEXIST ? .exists : .failed(String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { return .failed(String(cString: strerror(errno))) }
        _ = fsync(fd)
        return .created
    }
}
