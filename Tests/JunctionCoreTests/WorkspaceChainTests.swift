import JunctionCore
import Testing

@Suite("WorkspaceChain")
struct WorkspaceChainTests {
    static let workspaces = [
        Workspace(id: "w1", name: "src", rootPath: "/src"),
        Workspace(id: "w2", name: "app", rootPath: "/src/app/"),
        Workspace(id: "w3", name: "apple", rootPath: "/src/apple"),
        Workspace(id: "w4", name: "deep", rootPath: "/src/app/lib"),
        Workspace(id: "w5", name: "root", rootPath: "/"),
        Workspace(id: "w6", name: "unicode", rootPath: "/home/zoë/项目"),
    ]

    func config(_ workspaces: [Workspace] = workspaces, canonicalize: @escaping @Sendable (String) -> String = { $0 })
        throws -> RoutingConfig
    {
        try RoutingConfig(
            generation: 1, workspaces: workspaces, downstreams: [], rules: [], authScopes: [],
            globalDefaultPolicy: .allow, canonicalize: canonicalize)
    }

    func describe(_ chain: WorkspaceChain) -> [String] {
        chain.links.map { "\($0.scope.name):\($0.subpath)" }
    }

    @Test(
        "contains every ancestor workspace, deepest first, then global",
        arguments: [
            ("/src/app/lib/x", ["deep:x", "app:lib/x", "src:app/lib/x", "root:src/app/lib/x", "global:src/app/lib/x"]),
            ("/src/app", ["app:", "src:app", "root:src/app", "global:src/app"]),
            ("/src/app/", ["app:", "src:app", "root:src/app", "global:src/app"]),
            ("/src/apple/k", ["apple:k", "src:apple/k", "root:src/apple/k", "global:src/apple/k"]),
            ("/src/appl", ["src:appl", "root:src/appl", "global:src/appl"]),
            ("/other", ["root:other", "global:other"]),
            ("/", ["root:", "global:"]),
            ("/src/./app/../app//lib", ["deep:", "app:lib", "src:app/lib", "root:src/app/lib", "global:src/app/lib"]),
            ("/home/zoë/项目/文档", ["unicode:文档", "root:home/zoë/项目/文档", "global:home/zoë/项目/文档"]),
        ])
    func chainFromClientRoot(clientRoot: String, expected: [String]) throws {
        let chain = try WorkspaceChain(clientRoot: clientRoot, config: config())
        #expect(describe(chain) == expected)
    }

    @Test("no workspace gives a global-only chain")
    func emptyChain() throws {
        let chain = try WorkspaceChain(clientRoot: "/tmp/x", config: config([]))
        #expect(describe(chain) == ["global:tmp/x"])
        #expect(chain.innermostWorkspace == nil)
        #expect(chain.scopes == [ScopeRef.global(subpath: "tmp/x")])
    }

    @Test("symlinks are resolved on both workspace roots and client roots")
    func symlinks() throws {
        let links = ["/link/app": "/real/app", "/work": "/real", "/alias/deep": "/real/app/deep"]
        let canonicalize: @Sendable (String) -> String = { path in
            for (link, target) in links where PathNormalizer.isAncestorOrEqual(link, of: path) {
                return target + path.dropFirst(link.count)
            }
            return path
        }
        let workspaces = [
            Workspace(id: "a", name: "via-link", rootPath: "/work/app"),
            Workspace(id: "b", name: "real", rootPath: "/real"),
        ]
        let config = try config(workspaces, canonicalize: canonicalize)
        #expect(config.canonicalRoot(ofWorkspaceNamed: "via-link") == "/real/app")
        let chain = try WorkspaceChain(clientRoot: "/link/app/src", config: config)
        #expect(describe(chain) == ["via-link:src", "real:app/src", "global:real/app/src"])
        #expect(chain.clientRoot == "/real/app/src")
        let viaAlias = try WorkspaceChain(clientRoot: "/alias/deep/", config: config)
        #expect(describe(viaAlias) == ["via-link:deep", "real:app/deep", "global:real/app/deep"])
    }

    @Test("a canonicalizer answer that is not absolute is ignored")
    func badCanonicalizer() throws {
        let config = try config([Workspace(id: "a", name: "a", rootPath: "/a")], canonicalize: { _ in "relative" })
        #expect(describe(try WorkspaceChain(clientRoot: "/a/b", config: config)) == ["a:b", "global:a/b"])
    }

    @Test("workspaces sharing a root are ordered by id")
    func sharedRoot() throws {
        let config = try config([
            Workspace(id: "02", name: "second", rootPath: "/p"),
            Workspace(id: "01", name: "first", rootPath: "/p"),
        ])
        #expect(
            describe(try WorkspaceChain(clientRoot: "/p/x", config: config)) == ["first:x", "second:x", "global:p/x"])
    }

    @Test("a named workspace comes first, then the workspaces containing its root")
    func named() throws {
        let config = try config()
        let chain = try #require(WorkspaceChain(workspaceNamed: "app", config: config))
        #expect(describe(chain) == ["app:", "src:app", "root:src/app", "global:src/app"])
        #expect(chain.innermostWorkspace?.scope.name == "app")
        #expect(WorkspaceChain(workspaceNamed: "missing", config: config) == nil)
    }

    @Test("a named workspace sharing its root with another still comes first")
    func namedSharedRoot() throws {
        let config = try config([
            Workspace(id: "01", name: "first", rootPath: "/p"),
            Workspace(id: "02", name: "second", rootPath: "/p"),
        ])
        let chain = try #require(WorkspaceChain(workspaceNamed: "second", config: config))
        #expect(describe(chain) == ["second:", "first:", "global:p"])
    }

    @Test("relative client roots are rejected")
    func relativeClientRoot() throws {
        #expect(throws: PathError.self) { try WorkspaceChain(clientRoot: "src/app", config: config()) }
    }

    @Test("invalid workspace roots make the config fail with the workspace named")
    func invalidRoot() {
        #expect(
            throws: RoutingConfigError.invalidWorkspaceRoot(
                workspace: "bad", PathError(path: "rel", reason: "must be absolute (start with '/')"))
        ) {
            try config([Workspace(id: "x", name: "bad", rootPath: "rel")])
        }
    }
}
