import Foundation
import GRDB
import JunctionCore

/// Tool pinning: each tool's definition is pinned when first approved, and a later discovery that
/// describes it differently quarantines that tool alone until it is approved again (``ToolPin``).
public struct ToolPinRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// One tool's definition as just discovered.
    public struct Observed: Sendable, Hashable {
        public var name: String
        /// Canonical JSON text.
        public var definition: String
        public var sha256: String

        /// Nil when the tool's schemas are not valid JSON (the catalog refuses those too).
        public init?(_ entry: CatalogRepository.Discovered) {
            guard
                let definition = ToolPin.definition(
                    name: entry.name, description: entry.description, inputSchema: entry.inputSchema,
                    outputSchema: entry.outputSchema)
            else { return nil }
            self.name = entry.name
            self.definition = definition
            self.sha256 = CatalogRepository.sha256(definition)
        }
    }

    /// Whether changed tools are quarantined (setting `tool_pinning`, default true).
    public func isEnabled() -> Bool {
        (try? SettingsRepository(database).value(.toolPinning)) ?? true
    }

    /// Compares what a server just listed with the pins, in one transaction:
    /// - a tool never pinned is pinned (first sight is approval) unless the server is quarantined;
    /// - a pinned tool described as approved leaves quarantine if it was in it (the change was undone);
    /// - a pinned tool described differently is quarantined with its new definition kept beside
    ///   the approved one, or, with pinning off, re-pinned silently.
    ///
    /// - Returns: the tools newly quarantined (not those already waiting with the same change).
    @discardableResult
    public func observe(
        downstreamId: String, tools: [CatalogRepository.Discovered], at now: Date = Date()
    ) throws(StoreError) -> [String] {
        let observed = tools.compactMap(Observed.init)
        // The usual case, every tool as pinned: a read, and no write transaction on each discovery.
        let current = try database.read { db in
            try ToolPin.filter(Column("downstream_id") == downstreamId).fetchAll(db)
        }
        let pinned = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if observed.allSatisfy({ pinned[$0.name]?.sha256 == $0.sha256 && pinned[$0.name]?.isChanged == false }) {
            return []
        }
        let enabled = isEnabled()
        return try database.write { db in
            guard let downstream = try Downstream.fetchOne(db, key: downstreamId) else {
                throw StoreError.notFound(kind: "server", key: downstreamId)
            }
            let pins = try Dictionary(
                ToolPin.filter(Column("downstream_id") == downstreamId).fetchAll(db).map { ($0.name, $0) },
                uniquingKeysWith: { first, _ in first })
            var quarantined: [String] = []
            for tool in observed {
                guard var pin = pins[tool.name] else {
                    if !downstream.quarantined {
                        try ToolPin(
                            downstreamId: downstreamId, name: tool.name, sha256: tool.sha256,
                            definition: tool.definition, pinnedAt: now
                        ).insert(db)
                    }
                    continue
                }
                if pin.sha256 == tool.sha256 {
                    guard pin.isChanged else { continue }
                    pin.changedSha256 = nil
                    pin.changedDefinition = nil
                    pin.changedAt = nil
                } else if !enabled {
                    pin = ToolPin(
                        downstreamId: downstreamId, name: tool.name, sha256: tool.sha256, definition: tool.definition,
                        pinnedAt: now)
                } else {
                    guard pin.changedSha256 != tool.sha256 else { continue }
                    pin.changedSha256 = tool.sha256
                    pin.changedDefinition = tool.definition
                    pin.changedAt = now
                    quarantined.append(tool.name)
                }
                try pin.update(db)
            }
            return quarantined.sorted()
        }
    }

    /// One server's pins by tool name; only the quarantined ones with `changedOnly`.
    public func list(downstreamId: String, changedOnly: Bool = false) throws(StoreError) -> [ToolPin] {
        try database.read { db in
            var request = ToolPin.filter(Column("downstream_id") == downstreamId)
            if changedOnly { request = request.filter(Column("changed_sha256") != nil) }
            return try request.order(Column("name")).fetchAll(db)
        }
    }

    /// Every quarantined tool of every server.
    public func changed() throws(StoreError) -> [ToolPin] {
        try database.read { db in
            try ToolPin.filter(Column("changed_sha256") != nil).order(Column("downstream_id"), Column("name"))
                .fetchAll(db)
        }
    }

    /// Approves tools of one server in one transaction: each named tool's changed definition
    /// becomes its pin. With no names, every changed tool is approved, and tools listed but never
    /// pinned (a server discovered while quarantined) are pinned as last discovered. Without
    /// `includingChanged`, only never-pinned tools are pinned: approving a quarantined server
    /// vouches for what it listed, not for a later change to one of its tools.
    ///
    /// - Returns: the tools whose pin changed, by name.
    /// - Throws: `notFound` for a name the server never listed; nothing is approved then.
    @discardableResult
    public func approve(
        downstreamId: String, tools names: [String] = [], includingChanged: Bool = true, at now: Date = Date()
    ) throws(StoreError) -> [String] {
        try database.write { db in
            guard try Downstream.exists(db, key: downstreamId) else {
                throw StoreError.notFound(kind: "server", key: downstreamId)
            }
            let pins = try Dictionary(
                ToolPin.filter(Column("downstream_id") == downstreamId).fetchAll(db).map { ($0.name, $0) },
                uniquingKeysWith: { first, _ in first })
            let catalog = try CatalogEntry.filter(
                Column("downstream_id") == downstreamId && Column("kind") == CatalogEntry.Kind.tool.rawValue
            ).fetchAll(db)
            let unpinned = catalog.filter { pins[$0.name] == nil }
            for name in names where pins[name] == nil && !unpinned.contains(where: { $0.name == name }) {
                throw StoreError.notFound(kind: "tool", key: name)
            }
            let wanted = Set(names)
            var approved: [String] = []
            for var pin in pins.values
            where includingChanged && pin.isChanged && (wanted.isEmpty || wanted.contains(pin.name)) {
                guard let sha256 = pin.changedSha256, let definition = pin.changedDefinition else { continue }
                pin = ToolPin(
                    downstreamId: downstreamId, name: pin.name, sha256: sha256, definition: definition, pinnedAt: now)
                try pin.update(db)
                approved.append(pin.name)
            }
            for entry in unpinned where wanted.isEmpty || wanted.contains(entry.name) {
                guard
                    let definition = ToolPin.definition(
                        name: entry.name, description: entry.description, inputSchema: entry.inputSchema,
                        outputSchema: entry.outputSchema)
                else { continue }
                try ToolPin(
                    downstreamId: downstreamId, name: entry.name, sha256: CatalogRepository.sha256(definition),
                    definition: definition, pinnedAt: now
                ).insert(db)
                approved.append(entry.name)
            }
            return approved.sorted()
        }
    }
}
