import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web UI at `/`: static files embedded in the binary (see `scripts/embed-web`), or read from
/// `JUNCTION_WEB_DIR` when set (to edit the UI without rebuilding). The pages need no key to
/// load; every API call they make does. Strict headers: no framing, no referrer (the sign-in URL
/// carries the key), scripts and styles from this origin only.
struct WebController {
    struct File: Sendable {
        var contentType: String
        var bytes: ByteBuffer
    }

    let files: [String: File]
    let directory: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var files: [String: File] = [:]
        for file in EmbeddedWeb.files {
            guard let data = Data(base64Encoded: file.base64) else { continue }
            files[file.path] = File(contentType: file.contentType, bytes: ByteBuffer(bytes: data))
        }
        self.files = files
        self.directory = environment["JUNCTION_WEB_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func addRoutes(to router: Router<APIContext>) {
        router.get("/") { _, _ in try serve("index.html") }
        router.get("/**") { request, _ -> Response in
            let path = String(request.uri.path.dropFirst())
            guard !path.hasPrefix("api/"), path != "events", path != "metrics" else {
                throw APIError.notFound("no such endpoint")
            }
            return try serve(path)
        }
    }

    private func serve(_ path: String) throws -> Response {
        guard !path.split(separator: "/").contains(where: { $0 == ".." || $0.hasPrefix(".") }) else {
            throw APIError.notFound("no such file")
        }
        let file = try directory.map { try Self.read(path, in: $0) } ?? files[path]
        guard let file else { throw APIError.notFound("no such file: /\(path)") }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    private static func read(_ path: String, in directory: String) throws -> File? {
        let full = (directory as NSString).appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: full) else { return nil }
        let type =
            switch (path as NSString).pathExtension {
            case "html": "text/html; charset=utf-8"
            case "js": "text/javascript; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "svg": "image/svg+xml"
            default: "application/octet-stream"
            }
        return File(contentType: type, bytes: ByteBuffer(bytes: data))
    }
}
