import Foundation
import Hummingbird
import JunctionGateway
import NIOCore

/// The page the browser shows when a sign-in's redirect lands (on the daemon or on the CLI's
/// loopback listener). Says what happened; never shows a code or token.
enum OAuthCallbackPage {
    static func response(success: Bool, message: String) -> Response {
        let title = success ? "Signed in" : "Sign-in failed"
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Junction: \(escape(title))</title>
            <link rel="icon" href="data:,">
            <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style>
            </head><body><h1>\(escape(title))</h1><p>\(escape(message))</p>
            <p>You can close this tab.</p></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: success ? .ok : .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Handles a callback request with `service`: the page to show and the sign-in, if it worked.
    static func handle(_ request: Request, service: OAuthService) async -> (
        Response, Result<OAuthSignIn.SignedIn, any Error>
    ) {
        let query = request.uri.queryParameters
        let value = { (name: String) in query[name[...]].map(String.init) }
        do {
            let signedIn = try await service.callback(
                state: value("state"), code: value("code"), error: value("error"),
                errorDescription: value("error_description"))
            let message = "Junction is signed in to \(signedIn.server.name) (scope \(signedIn.scope.name))."
            return (response(success: true, message: message), .success(signedIn))
        } catch {
            return (response(success: false, message: String(describing: error)), .failure(error))
        }
    }
}
