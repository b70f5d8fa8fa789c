import JunctionCore
import Synchronization

/// The tools a client working at one target sees: every catalogued tool routed (denied ones
/// left out of the listing), renamed as the session shows them, with their description overrides.
/// Immutable; shared by every session at that target while nothing it was made from changes.
final class RoutedToolList: Sendable {
    typealias Tool = VisibleToolCache.Tool

    /// The tools routing lets the client see, in listing order.
    let tools: [Tool]
    /// Every catalogued tool by its visible name, denied ones too (a call to one is refused with
    /// the denial's reason, not as unknown).
    let entries: [String: GatewaySession.VisibleTool]
    /// The visible tools' names, in listing order.
    let names: [String]
    /// The listing's pages, made on first use, with and without the built-in tools.
    private let pages = Mutex<[Bool: ToolPages]>([:])

    init(tools: [Tool], entries: [String: GatewaySession.VisibleTool]) {
        self.tools = tools
        self.entries = entries
        self.names = tools.map(\.name)
    }

    /// The listing's pages, the built-in tools after its own when `builtIns` makes them (they
    /// follow the description overrides the listing was made with, so they are made once too).
    func pages(builtIns: (() -> [RawJSON])?) -> ToolPages {
        let withBuiltIns = builtIns != nil
        if let made = pages.withLock({ $0[withBuiltIns] }) { return made }
        let made = ToolPages(tools.map(\.tool) + (builtIns?() ?? []))
        pages.withLock { $0[withBuiltIns] = made }
        return made
    }
}

/// Routed tool listings, per (target, server the session is limited to), valid while the
/// configuration generation, every server's prepared catalog and the description overrides are
/// those it was made from. A warm `tools/list` then routes nothing and builds no page.
final class RoutedToolListCache: Sendable {
    struct Key: Hashable, Sendable {
        var target: ClientTarget
        var onlyDownstream: String?
    }

    /// What a listing was made from: equal stamps make equal listings.
    struct Stamp: Equatable, Sendable {
        var generation: UInt64
        /// Each listed server's id and the generation of its prepared tools, in listing order.
        var catalogs: [Catalog]
        var overrides: [String: String]

        struct Catalog: Equatable, Sendable {
            var downstreamId: String
            var preparation: Int
        }
    }

    /// Listings kept at most; past it the oldest target's goes (a daemon may see many folders).
    let capacity: Int
    private let entries = Mutex<(listings: [Key: (stamp: Stamp, list: RoutedToolList)], order: [Key])>(([:], []))

    init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// The listing made from `stamp` for `key`, when it is kept.
    func lookup(_ key: Key, stamp: Stamp) -> RoutedToolList? {
        entries.withLock { entries in
            guard let entry = entries.listings[key], entry.stamp == stamp else { return nil }
            return entry.list
        }
    }

    /// Keeps `list`, made from `stamp`, for `key` (replacing an older one).
    func store(_ list: RoutedToolList, for key: Key, stamp: Stamp) {
        entries.withLock { entries in
            if entries.listings.updateValue((stamp, list), forKey: key) == nil {
                entries.order.append(key)
                if entries.order.count > capacity {
                    entries.listings[entries.order.removeFirst()] = nil
                }
            }
        }
    }

    /// Forgets every listing (the configuration changed).
    func removeAll() {
        entries.withLock { $0 = ([:], []) }
    }

    /// How many listings are kept.
    var count: Int { entries.withLock { $0.listings.count } }
}
