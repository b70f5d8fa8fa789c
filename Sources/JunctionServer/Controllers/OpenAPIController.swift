import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.yaml` (also `/swagger/swagger.yaml`, where Swagger tooling looks): the
/// OpenAPI document of the admin API, `openapi/openapi.yaml` as embedded at build time by
/// `scripts/embed-openapi`. Public, like health: it describes the API, it holds no data.
struct OpenAPIController {
    func addRoutes(to group: RouterGroup<APIContext>, root: Router<APIContext>) {
        let handler: @Sendable (Request, APIContext) async throws -> Response = { _, _ in
            Self.document()
        }
        group.get("openapi.yaml", use: handler)
        root.get("swagger/swagger.yaml", use: handler)
    }

    static func document() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml; charset=utf-8"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: EmbeddedOpenAPI.yaml)))
    }
}
