import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore

struct OAuthProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth-provider",
        abstract: "Manage OAuth apps for servers that need a pre-registered client (client secrets sealed).",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Discover.self, Templates.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an OAuth provider: a template or --issuer (discovered), or the endpoints themselves.",
            usage: """
                junction oauth-provider add NAME --template github --client-id ID [--client-secret VAR]
                junction oauth-provider add NAME --issuer https://id.example.com --client-id ID [--client-secret VAR]
                """)

        @Argument(help: "Provider name.") var name: String
        @Option(help: "A built-in template (see 'junction oauth-provider templates').") var template: String?
        @Option(help: "The issuer: its endpoints are discovered when not given; sign-ins match providers by it.")
        var issuer: String?
        @Option(help: "Authorization endpoint.") var authURL: String?
        @Option(help: "Token endpoint.") var tokenURL: String?
        @Option(help: "Revocation endpoint (RFC 7009).") var revocationURL: String?
        @Option(help: "Device authorization endpoint (RFC 8628).") var deviceURL: String?
        @Option(help: "The app's client id.") var clientId: String
        @Option(
            help: ArgumentHelp(
                "The environment variable holding the client secret (KEY), or KEY=VALUE.", valueName: "KEY|KEY=VALUE"))
        var clientSecret: String?
        @Option(
            name: .customLong("oauth-scope"), help: ArgumentHelp("Default OAuth scope, repeatable.", valueName: "S"))
        var scopes: [String] = []
        @Option(help: "client_secret_post (default), client_secret_basic or none.") var tokenAuthMethod: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try CLIContext.open()
            var provider = OAuthProvider(name: name, authURL: "", tokenURL: "", clientId: clientId)
            if let template {
                guard let known = OAuthTemplate.named(template) else {
                    throw CLIError(
                        "unknown template '\(template)'; known: \(OAuthTemplate.all.map(\.id).joined(separator: ", "))")
                }
                provider = known.provider(named: name, clientId: clientId)
            }
            if let issuer {
                provider.issuer = issuer
                if authURL == nil || tokenURL == nil, template == nil {
                    let found = try await OAuthDiscovery(http: LiveOAuthHTTP()).authorizationServer(issuer: issuer)
                    provider.issuer = found.issuer
                    provider.authURL = found.authorizationEndpoint
                    provider.tokenURL = found.tokenEndpoint
                    provider.revocationURL = found.revocationEndpoint
                    provider.deviceAuthorizationURL = found.deviceAuthorizationEndpoint
                    // RFC 8414: a server that lists no methods takes client_secret_basic.
                    let methods = found.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
                    provider.tokenAuthMethod =
                        methods.contains("client_secret_basic") || !methods.contains("client_secret_post")
                        ? .clientSecretBasic : .clientSecretPost
                }
            }
            if let authURL { provider.authURL = authURL }
            if let tokenURL { provider.tokenURL = tokenURL }
            if let revocationURL { provider.revocationURL = revocationURL }
            if let deviceURL { provider.deviceAuthorizationURL = deviceURL }
            if !scopes.isEmpty { provider.scopes = scopes }
            if let tokenAuthMethod {
                provider.tokenAuthMethod = try Validate.oneOf(
                    tokenAuthMethod, as: OAuthProvider.TokenAuthMethod.self, field: "token-auth-method")
            }
            guard !provider.authURL.isEmpty, !provider.tokenURL.isEmpty else {
                throw CLIError("give --template, --issuer, or both --auth-url and --token-url")
            }
            let secret = try clientSecret.map { try Self.secret($0) }
            let created = try OAuthProviderRepository(context.database, box: try SecretBox.load(home: context.home))
                .create(provider, clientSecret: secret)
            if output.json { return try Output.json(created) }
            print("Added OAuth provider '\(created.name)' (\(created.authURL)).")
        }

        /// A bare KEY is read from the environment so the secret stays out of shell history.
        static func secret(_ item: String) throws -> String {
            if item.contains("=") { return try Validate.keyValue(item, field: "client-secret").1 }
            guard let value = ProcessInfo.processInfo.environment[item] else {
                throw CLIError(
                    "environment variable \(item) is not set (give --client-secret \(item)=VALUE, or export it)")
            }
            return value
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List OAuth providers (never secrets).")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let providers = try OAuthProviderRepository(try CLIContext.open().database, box: nil).list()
            if output.json { return try Output.json(providers) }
            if providers.isEmpty {
                print("No OAuth providers. Add one: junction oauth-provider add NAME --template github --client-id ID")
                return
            }
            Output.table(
                ["NAME", "REGISTRATION", "ISSUER", "CLIENT ID", "SECRET", "SCOPES"],
                providers.map {
                    [
                        $0.name, $0.registration.rawValue, $0.issuer ?? "-", $0.clientId,
                        $0.hasClientSecret ? "set" : "-",
                        $0.scopes.isEmpty ? "-" : $0.scopes.joined(separator: " "),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one OAuth provider (never its secret).")
        @Argument(help: "Provider name or id.") var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let provider = try OAuthProviderRepository(try CLIContext.open().database, box: nil).get(name)
            if output.json { return try Output.json(provider) }
            let rows: [(String, String?)] = [
                ("name", provider.name), ("id", provider.id), ("registration", provider.registration.rawValue),
                ("issuer", provider.issuer), ("auth url", provider.authURL), ("token url", provider.tokenURL),
                ("revocation url", provider.revocationURL), ("device url", provider.deviceAuthorizationURL),
                ("client id", provider.clientId), ("client secret", provider.hasClientSecret ? "(set)" : nil),
                ("token auth", provider.tokenAuthMethod.rawValue),
                ("scopes", provider.scopes.isEmpty ? nil : provider.scopes.joined(separator: " ")),
            ]
            for (label, value) in rows {
                print((label + ":").padding(toLength: 16, withPad: " ", startingAt: 0) + (value ?? "-"))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove an OAuth provider no auth scope uses.")
        @Argument(help: "Provider name or id.") var name: String

        func run() throws {
            let removed = try OAuthProviderRepository(try CLIContext.open().database, box: nil).delete(name)
            print("Removed OAuth provider '\(removed.name)'.")
        }
    }

    struct Discover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what OAuth/OpenID discovery finds at an issuer URL.")
        @Argument(help: "The issuer or provider URL.") var url: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            do { try OAuthProviderRepository.validateURL(url, field: "url") } catch { throw CLIError(error.message) }
            let found = try await OAuthDiscovery(http: LiveOAuthHTTP()).authorizationServer(issuer: url)
            if output.json { return try Output.json(found) }
            let rows: [(String, String?)] = [
                ("issuer", found.issuer), ("auth url", found.authorizationEndpoint), ("token url", found.tokenEndpoint),
                ("registration", found.registrationEndpoint), ("revocation url", found.revocationEndpoint),
                ("device url", found.deviceAuthorizationEndpoint), ("userinfo url", found.userinfoEndpoint),
                ("scopes", found.scopesSupported?.joined(separator: " ")),
            ]
            for (label, value) in rows {
                print((label + ":").padding(toLength: 16, withPad: " ", startingAt: 0) + (value ?? "-"))
            }
        }
    }

    struct Templates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the built-in provider templates and where to register an app with each.")
        @OptionGroup var output: OutputOptions

        func run() throws {
            if output.json { return try Output.json(OAuthTemplate.all) }
            Output.table(
                ["TEMPLATE", "NAME", "SCOPES", "DEVICE FLOW", "REGISTER THE APP AT"],
                OAuthTemplate.all.map {
                    [
                        $0.id, $0.name, $0.scopes.isEmpty ? "-" : $0.scopes.joined(separator: " "),
                        $0.deviceAuthorizationURL == nil ? "no" : "yes", $0.docsURL,
                    ]
                })
        }
    }
}
