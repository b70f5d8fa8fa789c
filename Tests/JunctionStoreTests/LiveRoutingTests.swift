import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("Live routing over the stored configuration")
struct LiveRoutingTests {
    @Test("the loader compiles workspaces, rules, scopes and the default policy setting")
    func loaderCompilesStoredConfiguration() throws {
        let store = try TestStore()
        let app = try store.workspace("app", root: "/projects/app")
        let github = try store.server("github")
        let work = try store.scope("work", server: "github")
        try store.rule("github__*", workspace: app, scope: work, policy: .approve)
        try store.settings.set("default_policy", json: #""deny""#)

        let config = try RoutingConfigLoader(store.database, canonicalize: { $0 }).load()
        #expect(config.generation == (try store.database.generation()))
        #expect(config.globalDefaultPolicy == .deny)

        let resolver = RouteResolver(config: config)
        let inside = resolver.resolve(tool: "github__create_issue", clientRoot: "/projects/app/src")
        #expect(inside.decision == .approve)
        #expect(inside.downstream?.id == github.id)
        #expect(inside.authScope?.name == "work")
        #expect(inside.downstreamToolName == "create_issue")

        let outside = resolver.resolve(tool: "github__create_issue", clientRoot: "/elsewhere")
        #expect(outside.decision == .deny)
    }

    @Test("symlinked client roots land in the workspace their target belongs to")
    func symlinksAreResolved() throws {
        let store = try TestStore()
        let real = store.directory.file("real-project")
        let link = store.directory.file("link-project")
        try FileManager.default.createDirectory(atPath: real + "/src", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        try store.workspace("real", root: real, policy: .deny)
        try store.server("git")

        let resolver = RouteResolver(config: try RoutingConfigLoader(store.database).load())
        let decision = resolver.resolve(tool: "git__status", clientRoot: link + "/src")
        #expect(decision.workspace?.name == "real")
        #expect(decision.decision == .deny)
    }

    @Test("a path that does not exist yet canonicalises through its existing ancestor")
    func missingPathsCanonicalise() throws {
        let directory = try TemporaryDirectory()
        let real = directory.file("real")
        let link = directory.file("link")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let resolvedReal = PathCanonicalizer.resolvingSymlinks(real)
        #expect(PathCanonicalizer.resolvingSymlinks(link + "/not/yet/") == resolvedReal + "/not/yet")
        #expect(PathCanonicalizer.resolvingSymlinks("/") == "/")
    }

    @Test("route listings show rules in exactly the order the resolver considers them")
    func listingOrderIsResolverOrder() throws {
        let store = try TestStore()
        try store.server("github")
        let patterns = ["*", "github__*", "github__create_issue", "*__create_*", "github__cr?ate_*", "g*"]
        let paths = ["**", "src/**", "src", "*"]
        for index in 0..<24 {
            try store.routes.create(
                RouteRule(
                    pathGlob: paths[index % paths.count], toolPattern: patterns[(index * 7) % patterns.count],
                    policy: .allow, priority: index % 3))
        }
        let listed = try store.routes.list(.global).map(\.id)
        let traced = RouteResolver(config: try RoutingConfigLoader(store.database).load())
            .resolve(tool: "github__create_issue", clientRoot: "/src", trace: true)
            .trace?.map(\.ruleId)
        #expect(traced == listed)
    }

    @Test("refresh reloads only when the generation moved, and drops cached decisions")
    func refreshFollowsGeneration() throws {
        let store = try TestStore()
        try store.server("github")
        let live = try LiveRouting(store.database, canonicalize: { $0 })
        #expect(live.resolver.resolve(tool: "github__x", clientRoot: "/a").decision == .allow)
        #expect(try live.refresh() == false)

        try store.rule("github__*", policy: .deny)
        #expect(live.resolver.resolve(tool: "github__x", clientRoot: "/a").decision == .allow)  // cached, stale
        #expect(try live.refresh() == true)
        #expect(live.resolver.resolve(tool: "github__x", clientRoot: "/a").decision == .deny)
        #expect(live.resolver.stats.size == 1)
    }

    @Test("a write by another process is noticed by the watcher and changes decisions")
    func noticesAnotherProcess() async throws {
        let store = try TestStore()
        try store.server("github")
        let live = try LiveRouting(store.database, canonicalize: { $0 }, pollInterval: .milliseconds(50))
        #expect(live.resolver.resolve(tool: "github__push", clientRoot: "/a").decision == .allow)
        let before = live.resolver.generation

        let (reloads, continuation) = AsyncStream<UInt64>.makeStream()
        let watching = Task { await live.run(onReload: { continuation.yield($0) }) }
        defer { watching.cancel() }

        // Another process: the sqlite3 shell adds a global deny rule with plain SQL. (How fast it is
        // noticed is a benchmark matter; here the bound only keeps a broken watcher from hanging.)
        try runSQLite3(
            store.path,
            """
            INSERT INTO route_rules (id, tool_pattern, policy, created_at, updated_at)
            VALUES ('01ZZZZZZZZZZZZZZZZZZZZZZZZ', 'github__push', 'deny', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000');
            """)

        let generation = try await firstValue(of: reloads, within: .seconds(60))
        #expect(generation > before)
        #expect(live.resolver.resolve(tool: "github__push", clientRoot: "/a").decision == .deny)
    }

    private func runSQLite3(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", path, sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 failed")
    }
}

struct TimedOut: Error {}

/// The stream's first element, or `TimedOut` after `limit` (a bound, not a synchronisation).
func firstValue<T: Sendable>(of stream: AsyncStream<T>, within limit: Duration) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            for await value in stream { return value }
            return nil
        }
        group.addTask {
            // The bound only: cancelled as soon as the value arrives.
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}
