import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionServer
import JunctionStore

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Sign URL servers in with OAuth (the MCP authorization spec), see where they stand, sign out.",
        subcommands: [Login.self, Status.self, Logout.self, Refresh.self]
    )

    /// Writes a line to stdout at once (stdout may be a pipe a script reads while we wait).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes a line to stderr.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The OAuth service of this process (no daemon involved), over the home's database.
    static func localService(_ context: CLIContext) throws -> OAuthService {
        OAuthService(database: context.database, box: try SecretBox.load(home: context.home), events: EventBus())
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a URL server in: opens the provider in your browser and stores the tokens sealed.",
            discussion: """
                The redirect lands on the running daemon (GET /api/v1/oauth/callback), or, without one,
                on a one-shot listener on 127.0.0.1. With --device the authorization server's device
                flow is used instead (for hosts without a browser): enter the code shown on any device.
                """)

        @Argument(help: "The server (name or id).") var server: String
        @Option(help: "The auth scope to sign in (default SERVER-oauth, created on first sign-in).")
        var scope: String?
        @Option(
            name: .customLong("oauth-scope"),
            help: ArgumentHelp(
                "An OAuth scope to ask for, repeatable (default: what the server asks for).", valueName: "S"))
        var oauthScopes: [String] = []
        @Option(help: "A configured OAuth provider to use (see junction oauth-provider list).") var provider: String?
        @Flag(help: "Print the authorization URL instead of opening a browser.") var noBrowser = false
        @Flag(help: "Use the device authorization grant (RFC 8628): for hosts without a browser.") var device = false
        @Option(help: "Seconds to wait for the sign-in to finish.") var timeout = 300

        func options(_ context: CLIContext) -> OAuthSignIn.Options {
            OAuthSignIn.Options(
                scopeName: scope, scopes: oauthScopes.isEmpty ? nil : oauthScopes, providerName: provider,
                clientMetadataURL: (try? context.settings.value(.oauthClientMetadataURL)) ?? nil)
        }

        func run() async throws {
            guard (1...86_400).contains(timeout) else { throw CLIError("--timeout must be from 1 to 86400 seconds") }
            let context = try CLIContext.open()
            let signedIn: OAuthSignIn.SignedIn
            if device {
                signedIn = try await signInWithDevice(context)
            } else if let viaDaemon = try await signInThroughDaemon(context) {
                return AuthCommand.say(viaDaemon)
            } else {
                let service = try AuthCommand.localService(context)
                let browser = !noBrowser
                signedIn = try await OAuthCallbackListener.signIn(
                    service: service, server: server, options: options(context), timeout: .seconds(timeout),
                    show: { pending in Login.show(pending.authorizationURL, browser: browser) })
            }
            AuthCommand.say(
                Login.summary(signedIn.server.name, scope: signedIn.scope.name, expiresAt: signedIn.token.expiresAt))
        }

        static func summary(_ server: String, scope: String, expiresAt: Date?) -> String {
            "Signed in to \(server) (scope \(scope)"
                + (expiresAt.map { ", token valid until \(Output.timestamp($0))" } ?? "") + ")."
        }

        /// Opens the URL in the browser, or prints it (always when no browser can be started).
        static func show(_ url: String, browser: Bool) {
            if browser, openBrowser(url) {
                AuthCommand.note("Opened your browser to sign in. If it did not open, visit:")
            } else {
                AuthCommand.note("Open this URL in a browser to sign in:")
            }
            AuthCommand.say(url)
        }

        static func openBrowser(_ url: String) -> Bool {
            #if os(macOS)
            let opener = "/usr/bin/open"
            #else
            let opener = "xdg-open"
            #endif
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [opener, url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { return false }
            return true
        }

        /// Starts the sign-in on the running daemon and waits until its callback landed; nil when
        /// no daemon runs.
        func signInThroughDaemon(_ context: CLIContext) async throws -> String? {
            let client = LocalAPIClient(home: context.home)
            struct Setup: Encodable {
                var scope: String?
                var scopes: [String]?
                var provider: String?
            }
            struct Started: Decodable {
                var authorization_url: String
                var state: String
            }
            struct Status: Decodable {
                var status: String
                var sign_in: String?
                var state: String?
                var error: String?
                var scopes: [Scope]
                struct Scope: Decodable {
                    var auth_scope_name: String
                    var state: String
                    var expires_at: String?
                }
            }
            let path = "/api/v1/downstreams/\(Self.pathSegment(server))"
            let options = options(context)
            let answer: Data
            do {
                answer = try await client.data(
                    "POST", path + "/oauth-setup",
                    body: Setup(scope: options.scopeName, scopes: options.scopes, provider: options.providerName))
            } catch is DaemonError {
                return nil
            }
            let started = try JSONDecoder().decode(Started.self, from: answer)
            Self.show(started.authorization_url, browser: !noBrowser)
            let deadline = ContinuousClock.now + .seconds(timeout)
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
                let status = try JSONDecoder().decode(
                    Status.self, from: try await client.data("GET", path + "/oauth-status"))
                if status.sign_in == "pending", status.state == started.state { continue }
                if status.sign_in == "connected" {
                    let scopeName = options.scopeName ?? AuthScopeRepository.defaultOAuthScopeName(server: server)
                    let entry = status.scopes.first { $0.auth_scope_name == scopeName } ?? status.scopes.first
                    let expiry = entry?.expires_at.flatMap { ISO8601DateFormatter().date(from: $0) }
                    return Self.summary(server, scope: entry?.auth_scope_name ?? scopeName, expiresAt: expiry)
                }
                throw CLIError("signing in to \(server) failed: \(status.error ?? status.status)")
            }
            throw OAuthError.timedOut(seconds: timeout)
        }

        func signInWithDevice(_ context: CLIContext) async throws -> OAuthSignIn.SignedIn {
            let service = try AuthCommand.localService(context)
            let (grant, flow) = try await service.beginDevice(server: server, options: options(context))
            AuthCommand.note("To sign in to \(flow.server.name), open this URL on any device:")
            AuthCommand.say(grant.verificationURIComplete ?? grant.verificationURI)
            AuthCommand.note("and enter the code:")
            AuthCommand.say(grant.userCode)
            AuthCommand.note("Waiting for you to approve (polling every \(Int(grant.interval ?? 5)) s)…")
            return try await service.finishDevice(grant, flow: flow)
        }

        static func pathSegment(_ text: String) -> String {
            text.addingPercentEncoding(
                withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
                ?? text
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show the sign-in of URL servers: valid, refreshable or expired, until when, scopes (never tokens).")
        @Argument(help: "One server (default: every URL server).") var server: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try CLIContext.open()
            let service = try AuthCommand.localService(context)
            let servers =
                try server.map { [try context.downstreams.get($0)] }
                ?? context.downstreams.list().filter { $0.transport == .http }
            var statuses: [OAuthServerStatus] = []
            for downstream in servers { statuses.append(try await service.status(server: downstream.id)) }
            if output.json {
                return try Output.json(server == nil ? AnyEncodable(statuses) : AnyEncodable(statuses[0]))
            }
            if statuses.isEmpty {
                print("No URL servers. Add one: junction server add NAME --url https://…")
                return
            }
            var rows: [[String]] = []
            for status in statuses {
                if status.scopes.isEmpty { rows.append([status.serverName, "-", status.status, "-", "-", "-"]) }
                for scope in status.scopes {
                    rows.append([
                        status.serverName, scope.authScopeName, scope.state,
                        scope.expiresAt.map(Output.timestamp) ?? "-",
                        scope.scopes.isEmpty ? "-" : scope.scopes.joined(separator: " "),
                        scope.refreshable ? "yes" : "no",
                    ])
                }
            }
            Output.table(["SERVER", "SCOPE", "STATE", "EXPIRES", "OAUTH SCOPES", "REFRESHABLE"], rows)
            for status in statuses where status.error != nil {
                print("\(status.serverName): \(status.error ?? "")")
            }
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a server out: revoke its tokens where the provider allows it, and delete them.")
        @Argument(help: "The server (name or id).") var server: String
        @Option(help: "Only this auth scope (default: all the server's OAuth scopes).") var scope: String?

        func run() async throws {
            let context = try CLIContext.open()
            let signedOut: [String]
            if let viaDaemon = try await signOutThroughDaemon(context) {
                signedOut = viaDaemon
            } else {
                let service = try AuthCommand.localService(context)
                signedOut = try await service.signOut(server: server, scopeName: scope).map(\.name)
            }
            if signedOut.isEmpty {
                print("\(server) was not signed in.")
            } else {
                print("Signed out of \(server) (\(signedOut.joined(separator: ", "))).")
            }
        }

        /// Signs out through the running daemon, so it forgets the tokens it holds in memory and
        /// stops the server; nil when no daemon runs.
        func signOutThroughDaemon(_ context: CLIContext) async throws -> [String]? {
            let downstream = try context.downstreams.get(server)
            let scopes = try context.scopes(sealing: false).oauthScopes(downstreamId: downstream.id)
                .filter { scope == nil || $0.name == scope || $0.id == scope }
            struct Revoked: Decodable {
                var revoked: Bool
                var auth_scope_name: String
            }
            let client = LocalAPIClient(home: context.home)
            var signedOut: [String] = []
            for entry in scopes {
                let answer: Data
                do {
                    answer = try await client.data(
                        "POST", "/api/v1/auth-scopes/\(Login.pathSegment(entry.id))/oauth/revoke")
                } catch is DaemonError {
                    return nil
                }
                let revoked = try JSONDecoder().decode(Revoked.self, from: answer)
                if revoked.revoked { signedOut.append(revoked.auth_scope_name) }
            }
            return signedOut
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refresh a server's access tokens now (the daemon does this by itself before they expire).")
        @Argument(help: "The server (name or id).") var server: String

        func run() async throws {
            let context = try CLIContext.open()
            let service = try AuthCommand.localService(context)
            let status = try await service.status(server: server)
            let stored = status.scopes.filter { $0.state != "signed_out" }
            guard !stored.isEmpty else {
                throw CLIError("\(status.serverName) is not signed in: run 'junction auth login \(status.serverName)'")
            }
            for scope in stored {
                switch await service.manager.refresh(scopeId: scope.authScopeId, force: true) {
                case .refreshed(let tokens):
                    print(
                        "Refreshed \(scope.authScopeName)"
                            + (tokens.expiresAt.map { ": valid until \(Output.timestamp($0))" } ?? "") + ".")
                case .failed(let reason):
                    throw CLIError(reason)
                }
            }
        }
    }
}

/// Encodes whichever value it wraps (one status or a list of them).
struct AnyEncodable: Encodable {
    let value: any Encodable

    init(_ value: any Encodable) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
