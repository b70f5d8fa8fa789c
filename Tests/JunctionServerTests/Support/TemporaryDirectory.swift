import Foundation

/// A fresh folder under the system temporary directory, removed with everything in it when the
/// last reference goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("junction-server-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }
}
