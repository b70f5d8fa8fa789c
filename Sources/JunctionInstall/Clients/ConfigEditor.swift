/// One client configuration file's bytes and the edits Junction makes to them, whatever the format.
struct ConfigEditor: Sendable {
    let client: Client
    /// For error messages.
    let path: String
    private(set) var bytes: [UInt8]

    init(client: Client, path: String, bytes: [UInt8]) {
        self.client = client
        self.path = path
        self.bytes = bytes
    }

    /// Checks that the file parses; the error carries its line and column.
    func validate() throws(InstallError) {
        do {
            switch client.format {
            case .toml: _ = try TOMLDocument(bytes)
            case .json, .jsonc: _ = try JSONCDocument(bytes)
            }
        } catch {
            throw error.located(in: bytes, path: path)
        }
    }

    /// Puts Junction's entry in (or brings its keys up to date). Returns whether anything changed.
    @discardableResult
    mutating func install(_ entry: JunctionEntry) throws(InstallError) -> Bool {
        let client = client
        if entry.url != nil, client.id == .claudeDesktop { throw JunctionEntry.noURLForm(client) }
        let value = try entry.json(for: client)
        // An entry of the other form (a command where a URL goes now, or back) is replaced whole:
        // a client must never find both.
        let newKeys = Set(client.format == .toml ? entry.toml.map(\.key) : value.members?.map(\.key) ?? [])
        if let current = try servers().first(where: { $0.key == JunctionEntry.key }),
            let currentKeys = current.memberKeys,
            !currentKeys.intersection(JunctionEntry.transportKeys).subtracting(newKeys).isEmpty
        {
            try remove()
        }
        return try edit { (bytes: inout [UInt8]) throws(SyntaxError) -> Bool in
            switch client.format {
            case .toml:
                var editor = TOMLEditor(bytes, root: client.serversKey)
                let changed = try editor.set(entry.toml, name: JunctionEntry.key)
                bytes = editor.bytes
                return changed
            case .json, .jsonc:
                var editor = JSONCEditor(bytes)
                let changed = try editor.set(value, at: client.serversKey, name: JunctionEntry.key)
                bytes = editor.bytes
                return changed
            }
        }
    }

    /// Removes the server named `name` (Junction's own entry by default). Returns whether it was there.
    @discardableResult
    mutating func remove(_ name: String = JunctionEntry.key) throws(InstallError) -> Bool {
        let client = client
        return try edit { (bytes: inout [UInt8]) throws(SyntaxError) -> Bool in
            switch client.format {
            case .toml:
                var editor = TOMLEditor(bytes, root: client.serversKey)
                let changed = try editor.remove(name: name)
                bytes = editor.bytes
                return changed
            case .json, .jsonc:
                var editor = JSONCEditor(bytes)
                let changed = try editor.remove(at: client.serversKey, name: name)
                bytes = editor.bytes
                return changed
            }
        }
    }

    /// The servers configured in the file, in file order (Junction's own entry included).
    func servers() throws(InstallError) -> [ClientServer] {
        do throws(SyntaxError) {
            switch client.format {
            case .toml:
                return try TOMLEditor(bytes, root: client.serversKey).servers().map {
                    ClientServer(key: $0.name, value: $0.value.json, style: client.style)
                }
            case .json, .jsonc:
                var node = try JSONCDocument(bytes).root
                for (depth, key) in client.serversKey.enumerated() {
                    node = node?.member(key)?.value
                    if let found = node, found.members == nil {
                        let name = client.serversKey[...depth].joined(separator: ".")
                        throw SyntaxError("\"\(name)\" is not an object", at: found.range.lowerBound)
                    }
                }
                guard let members = node?.members else { return [] }
                return members.map { ClientServer(key: $0.key, value: $0.value.value, style: client.style) }
            }
        } catch {
            throw error.located(in: bytes, path: path)
        }
    }

    /// Whether a server entry named `junction` is present.
    func hasJunction() throws(InstallError) -> Bool {
        try servers().contains { $0.key == JunctionEntry.key }
    }

    private mutating func edit(
        _ body: (inout [UInt8]) throws(SyntaxError) -> Bool
    ) throws(InstallError) -> Bool {
        var copy = bytes
        do {
            _ = try body(&copy)
        } catch {
            throw error.located(in: bytes, path: path)
        }
        guard copy != bytes else { return false }
        bytes = copy
        return true
    }
}
