import Foundation

/// A fresh folder under the system temporary directory, removed with everything in it when the
/// last reference goes away (a suite instance holds one for the duration of each test).
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("junction-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: file(name))
    }
}
