import JunctionCore

/// Known OAuth providers whose apps users register themselves: their endpoints, so that
/// `junction oauth-provider add NAME --template github --client-id …` needs nothing else.
public struct OAuthTemplate: Encodable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var issuer: String?
    public var authURL: String
    public var tokenURL: String
    public var revocationURL: String?
    public var deviceAuthorizationURL: String?
    public var scopes: [String]
    public var tokenAuthMethod: String
    /// Where to register the app.
    public var docsURL: String

    enum CodingKeys: String, CodingKey {
        case id, name, issuer, scopes
        case authURL = "auth_url"
        case tokenURL = "token_url"
        case revocationURL = "revocation_url"
        case deviceAuthorizationURL = "device_authorization_url"
        case tokenAuthMethod = "token_auth_method"
        case docsURL = "docs_url"
    }

    public static func named(_ id: String) -> OAuthTemplate? {
        all.first { $0.id == id.lowercased() }
    }

    /// A provider named `name` with this template's endpoints, scopes and token auth method.
    public func provider(named name: String, clientId: String) -> OAuthProvider {
        OAuthProvider(
            name: name, issuer: issuer, authURL: authURL, tokenURL: tokenURL, revocationURL: revocationURL,
            deviceAuthorizationURL: deviceAuthorizationURL, clientId: clientId, scopes: scopes,
            tokenAuthMethod: OAuthProvider.TokenAuthMethod(rawValue: tokenAuthMethod) ?? .clientSecretPost)
    }

    public static let all: [OAuthTemplate] = [
        OAuthTemplate(
            id: "github", name: "GitHub", issuer: nil, authURL: "https://github.com/login/oauth/authorize",
            tokenURL: "https://github.com/login/oauth/access_token", revocationURL: nil,
            deviceAuthorizationURL: "https://github.com/login/device/code", scopes: ["repo", "read:org"],
            tokenAuthMethod: "client_secret_post", docsURL: "https://github.com/settings/developers"),
        OAuthTemplate(
            id: "google", name: "Google", issuer: "https://accounts.google.com",
            authURL: "https://accounts.google.com/o/oauth2/v2/auth", tokenURL: "https://oauth2.googleapis.com/token",
            revocationURL: "https://oauth2.googleapis.com/revoke",
            deviceAuthorizationURL: "https://oauth2.googleapis.com/device/code",
            scopes: ["openid", "email", "profile"], tokenAuthMethod: "client_secret_post",
            docsURL: "https://console.cloud.google.com/apis/credentials"),
        OAuthTemplate(
            id: "microsoft", name: "Microsoft", issuer: "https://login.microsoftonline.com/common/v2.0",
            authURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            tokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token", revocationURL: nil,
            deviceAuthorizationURL: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
            scopes: ["openid", "profile", "offline_access"], tokenAuthMethod: "client_secret_post",
            docsURL: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps"),
        OAuthTemplate(
            id: "gitlab", name: "GitLab", issuer: "https://gitlab.com", authURL: "https://gitlab.com/oauth/authorize",
            tokenURL: "https://gitlab.com/oauth/token", revocationURL: "https://gitlab.com/oauth/revoke",
            deviceAuthorizationURL: "https://gitlab.com/oauth/authorize_device", scopes: ["api"],
            tokenAuthMethod: "client_secret_post", docsURL: "https://gitlab.com/-/user_settings/applications"),
        OAuthTemplate(
            id: "atlassian", name: "Atlassian", issuer: "https://auth.atlassian.com",
            authURL: "https://auth.atlassian.com/authorize", tokenURL: "https://auth.atlassian.com/oauth/token",
            revocationURL: nil, deviceAuthorizationURL: nil, scopes: ["read:jira-work", "offline_access"],
            tokenAuthMethod: "client_secret_post", docsURL: "https://developer.atlassian.com/console/myapps/"),
        OAuthTemplate(
            id: "linear", name: "Linear", issuer: nil, authURL: "https://linear.app/oauth/authorize",
            tokenURL: "https://api.linear.app/oauth/token", revocationURL: "https://api.linear.app/oauth/revoke",
            deviceAuthorizationURL: nil, scopes: ["read", "write"], tokenAuthMethod: "client_secret_post",
            docsURL: "https://linear.app/settings/api/applications/new"),
        OAuthTemplate(
            id: "slack", name: "Slack", issuer: "https://slack.com", authURL: "https://slack.com/oauth/v2/authorize",
            tokenURL: "https://slack.com/api/oauth.v2.access", revocationURL: nil, deviceAuthorizationURL: nil,
            scopes: ["channels:read", "chat:write"], tokenAuthMethod: "client_secret_post",
            docsURL: "https://api.slack.com/apps"),
        OAuthTemplate(
            id: "notion", name: "Notion", issuer: nil, authURL: "https://api.notion.com/v1/oauth/authorize",
            tokenURL: "https://api.notion.com/v1/oauth/token", revocationURL: nil, deviceAuthorizationURL: nil,
            scopes: [], tokenAuthMethod: "client_secret_basic", docsURL: "https://www.notion.so/my-integrations"),
        OAuthTemplate(
            id: "sentry", name: "Sentry", issuer: nil, authURL: "https://sentry.io/oauth/authorize/",
            tokenURL: "https://sentry.io/oauth/token/", revocationURL: nil, deviceAuthorizationURL: nil,
            scopes: ["org:read", "project:read", "event:read"], tokenAuthMethod: "client_secret_post",
            docsURL: "https://sentry.io/settings/account/api/applications/"),
    ]
}
