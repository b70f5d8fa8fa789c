import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

/// `junction key`: named client keys for MCP over HTTP (`/mcp`, `/rpc`).
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage client keys: one per person or agent reaching Junction over HTTP (/mcp).",
        discussion: """
            A key is shown once, when it is made; only its SHA-256 is stored. A key bound to a
            workspace routes every session from that workspace. The key's name is the client in the
            audit. The daemon's API key keeps working for /mcp too.
            """,
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key and print it (once).")

        @Argument(help: "Key name ([A-Za-z0-9._-], up to 64): who or what uses it.") var name: String
        @Option(help: "Bind the key to this workspace (name or id).") var workspace: String?
        @OptionGroup var output: OutputOptions

        struct Made: Encodable {
            var key: ClientKey
            var secret: String

            enum CodingKeys: String, CodingKey {
                case id, name, prefix, key
                case workspaceId = "workspace_id"
                case createdAt = "created_at"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(key.id, forKey: .id)
                try container.encode(key.name, forKey: .name)
                try container.encode(key.prefix, forKey: .prefix)
                try container.encode(secret, forKey: .key)
                try container.encode(key.workspaceId, forKey: .workspaceId)
                try container.encode(key.createdAt, forKey: .createdAt)
            }
        }

        func run() throws {
            let context = try CLIContext.open()
            let made = try ClientKeyRepository(context.database).create(name: name, workspace: workspace)
            if output.json { return try Output.json(Made(key: made.key, secret: made.secret)) }
            let bound = workspace.map { " (workspace \($0))" } ?? ""
            print("Made key '\(made.key.name)'\(bound). It is shown only now; keep it:")
            print(made.secret)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List client keys (never the keys themselves).")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let keys = try ClientKeyRepository(context.database).list()
            if output.json { return try Output.json(keys.map(Listed.init)) }
            if keys.isEmpty {
                print("No client keys. Make one: junction key add NAME [--workspace W]")
                return
            }
            let names = Dictionary(uniqueKeysWithValues: try context.workspaces.list().map { ($0.id, $0.name) })
            let format = ISO8601DateFormatter()
            Output.table(
                ["NAME", "PREFIX", "WORKSPACE", "CREATED"],
                keys.map { key in
                    [
                        key.name, key.prefix + "…", key.workspaceId.flatMap { names[$0] } ?? "-",
                        format.string(from: key.createdAt),
                    ]
                })
        }

        /// A key as listed: no hash.
        struct Listed: Encodable {
            var id: String
            var name: String
            var prefix: String
            var workspaceId: String?
            var createdAt: Date

            enum CodingKeys: String, CodingKey {
                case id, name, prefix
                case workspaceId = "workspace_id"
                case createdAt = "created_at"
            }

            init(_ key: ClientKey) {
                (id, name, prefix, workspaceId, createdAt) = (
                    key.id, key.name, key.prefix, key.workspaceId, key.createdAt
                )
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: the next request presenting it is refused.", aliases: ["rm"])
        @Argument(help: "Key name or id.") var name: String

        func run() throws {
            let context = try CLIContext.open()
            let key = try ClientKeyRepository(context.database).revoke(name)
            print("Revoked key '\(key.name)'.")
        }
    }
}
