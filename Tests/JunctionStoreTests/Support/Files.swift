import Foundation

/// File helpers shared by the store tests.
enum Files {
    static func bytes(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func write(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Permission bits (`0o600`, …) of a file.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Whether `needle` occurs anywhere in the database file or its WAL/shared-memory companions.
    static func databaseFilesContain(_ needle: String, databasePath: String) throws -> Bool {
        let pattern = Data(needle.utf8)
        for path in [databasePath, databasePath + "-wal", databasePath + "-shm"]
        where FileManager.default.fileExists(atPath: path) {
            if try bytes(path).range(of: pattern) != nil { return true }
        }
        return false
    }
}
