import Foundation

/// Which configuration file of a client to edit.
public struct InstallTarget: Sendable, Hashable {
    public enum Scope: String, Sendable, Codable {
        case user
        case project
    }

    public let client: Client
    /// The path as the client names it (symlinks are followed when writing).
    public let path: String
    public let scope: Scope

    /// The user file, or the project file under `project` (relative paths are taken from the
    /// current folder).
    public init(client: Client, project: String? = nil, environment: ClientEnvironment = .current())
        throws(InstallError)
    {
        self.client = client
        guard let project else {
            path = client.userConfigPath(environment)
            scope = .user
            return
        }
        let folder =
            project.hasPrefix("/")
            ? project : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(project)
        guard let projectPath = client.projectConfigPath(URL(fileURLWithPath: folder).standardized.path, environment)
        else {
            throw .noProjectScope(client: client.id.rawValue)
        }
        path = projectPath
        scope = .project
    }
}

/// What an install or uninstall did.
public struct InstallOutcome: Sendable, Encodable {
    public enum Action: String, Sendable, Encodable {
        /// The entry was added (`created` says whether the file was new).
        case installed
        /// An existing entry was brought up to date.
        case updated
        /// The entry was already there as wanted; nothing was written.
        case unchanged
        case removed
        /// Uninstall found no entry; nothing was written.
        case absent
    }

    public var client: String
    public var configPath: String
    public var action: Action
    public var created: Bool
    public var backupPath: String?
    /// With `--preview`: the unified diff ("" when nothing would change).
    public var diff: String?

    public var changed: Bool { action != .unchanged && action != .absent }

    enum CodingKeys: String, CodingKey {
        case client, action, created, diff, changed
        case configPath = "config_path"
        case backupPath = "backup_path"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(client, forKey: .client)
        try container.encode(configPath, forKey: .configPath)
        try container.encode(action, forKey: .action)
        try container.encode(changed, forKey: .changed)
        try container.encode(created, forKey: .created)
        try container.encode(backupPath, forKey: .backupPath)
        try container.encodeIfPresent(diff, forKey: .diff)
    }
}

/// Installs Junction into clients and takes it out again.
public enum Installer {
    /// Adds (or updates) Junction's entry. With `preview`, computes the diff and writes nothing.
    public static func install(
        _ entry: JunctionEntry, into target: InstallTarget, preview: Bool = false
    ) throws(InstallError) -> InstallOutcome {
        try modify(target, preview: preview, unchanged: .unchanged) {
            (editor: inout ConfigEditor) throws(InstallError) in
            let present = try editor.hasJunction()
            try editor.install(entry)
            return present ? .updated : .installed
        }
    }

    /// Removes Junction's entry (only it). With `preview`, computes the diff and writes nothing.
    public static func uninstall(from target: InstallTarget, preview: Bool = false) throws(InstallError)
        -> InstallOutcome
    {
        try modify(target, preview: preview, unchanged: .absent) { (editor: inout ConfigEditor) throws(InstallError) in
            try editor.remove()
            return .removed
        }
    }

    /// Reads the file, applies `change` (which says what it did when it changes the bytes), and
    /// unless previewing writes the result under the folder lock: backup of the old bytes first,
    /// then an atomic replace. Nothing is written when the bytes come out the same, or when the
    /// file does not parse.
    static func modify(
        _ target: InstallTarget, preview: Bool, unchanged: InstallOutcome.Action,
        _ change: (inout ConfigEditor) throws(InstallError) -> InstallOutcome.Action
    ) throws(InstallError) -> InstallOutcome {
        let path = ConfigFile.resolved(target.path)
        func run(write: Bool) throws(InstallError) -> InstallOutcome {
            let original = try ConfigFile.read(path)
            var editor = ConfigEditor(client: target.client, path: target.path, bytes: original ?? [])
            try editor.validate()
            let action = try change(&editor)
            let changed = original.map { editor.bytes != $0 } ?? !editor.bytes.isEmpty
            var outcome = InstallOutcome(
                client: target.client.id.rawValue, configPath: target.path, action: changed ? action : unchanged,
                created: changed && original == nil, backupPath: nil)
            if preview {
                outcome.diff = UnifiedDiff.make(
                    old: original ?? [], new: editor.bytes,
                    oldLabel: original == nil ? "/dev/null" : "a/" + target.path.trimmingPrefix("/"),
                    newLabel: "b/" + target.path.trimmingPrefix("/"))
                return outcome
            }
            guard changed && write else { return outcome }
            if let original { outcome.backupPath = try ConfigFile.backup(original, of: path) }
            try ConfigFile.write(editor.bytes, to: path)
            return outcome
        }
        if preview { return try run(write: false) }
        // Nothing to lock (or create) when the folder is missing and the change would write nothing.
        if !FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent) {
            let outcome = try run(write: false)
            if outcome.action == unchanged { return outcome }
        }
        return try ConfigFile.withLock(path) { () throws(InstallError) in try run(write: true) }
    }

    static func read(_ target: InstallTarget) throws(InstallError) -> [UInt8]? {
        try ConfigFile.read(ConfigFile.resolved(target.path))
    }

    /// Where a client stands on this machine.
    public struct Status: Sendable, Encodable {
        public var id: String
        public var name: String
        public var detected: Bool
        public var configPath: String
        public var configExists: Bool
        public var installed: Bool
        /// Installed with exactly the entry Junction would write now.
        public var upToDate: Bool
        /// Why the file could not be read, if it could not.
        public var error: String?
        public var format: String
        public var serversKey: String
        public var entry: JSONCValueBox
        public var entryText: String

        enum CodingKeys: String, CodingKey {
            case id, name, detected, installed, error, format, entry
            case configPath = "config_path"
            case configExists = "config_exists"
            case upToDate = "up_to_date"
            case serversKey = "servers_key"
            case entryText = "entry_text"
        }
    }

    public static func status(
        of client: Client, entry: JunctionEntry, project: String? = nil, environment: ClientEnvironment = .current()
    ) -> Status {
        var status = Status(
            id: client.id.rawValue, name: client.name, detected: false, configPath: "", configExists: false,
            installed: false, upToDate: false, error: nil, format: client.format.rawValue,
            serversKey: client.serversKey.joined(separator: "."),
            entry: JSONCValueBox((try? entry.json(for: client)) ?? entry.json(for: client.style)),
            entryText: entry.text(for: client))
        do {
            let target = try InstallTarget(client: client, project: project, environment: environment)
            status.configPath = target.path
            var isDirectory: ObjCBool = false
            let directory =
                project == nil
                ? client.configDirectory(environment) : (target.path as NSString).deletingLastPathComponent
            status.detected =
                FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
            guard let bytes = try read(target) else { return status }
            status.configExists = true
            // A configuration file says the client is here even when its usual folder is not.
            status.detected = true
            var editor = ConfigEditor(client: client, path: target.path, bytes: bytes)
            status.installed = try editor.hasJunction()
            if status.installed { status.upToDate = try !editor.install(entry) }
        } catch {
            status.error = error.description
        }
        return status
    }
}

/// Encodes a `JSONCValue` as the JSON it stands for.
public struct JSONCValueBox: Sendable, Encodable {
    public let value: JSONCValue

    public init(_ value: JSONCValue) {
        self.value = value
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch value {
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .number(let text):
            var container = encoder.singleValueContainer()
            try container.encode(Double(text) ?? 0)
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(JSONCValueBox(item)) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for member in members {
                try container.encode(JSONCValueBox(member.value), forKey: Key(stringValue: member.key))
            }
        }
    }
}

extension String {
    fileprivate func trimmingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
