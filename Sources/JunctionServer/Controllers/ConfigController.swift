import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import JunctionStore
import NIOCore

/// Configuration as a document, at MCPProxy's paths and in its `{"success": true, "data": …}`
/// envelope:
/// - `GET /config[?format=json|yaml]`: the document (YAML as text with `format=yaml`).
/// - `POST /config/validate`: a document (JSON, or YAML as `application/yaml`) checked exactly as
///   applying checks it, and the changes it would make; nothing is written.
/// - `POST /config/apply[?dry_run=true]`: applies it all or nothing; a refused document is a 400
///   and nothing changes.
struct ConfigController {
    let environment: ServerEnvironment

    var repository: ConfigRepository { ConfigRepository(environment.database) }

    struct Envelope<Payload: Encodable & Sendable>: ResponseEncodable, Sendable {
        var success = true
        var data: Payload
    }

    struct Exported: Encodable, Sendable {
        var format: String
        var config: ConfigDocument
    }

    struct Validation: Encodable, Sendable {
        var valid: Bool
        var errors: [Problem]
        var changes: [ConfigRepository.Change]
        /// The changes one a line (`+ server x`, `~ route r: policy "allow" → "deny"`, `- workspace w`).
        var diff: String
    }

    struct Problem: Encodable, Sendable {
        var field: String
        var message: String
    }

    struct Applied: Encodable, Sendable {
        var applied: Bool
        var dryRun: Bool
        var changes: [ConfigRepository.Change]
        var diff: String

        enum CodingKeys: String, CodingKey {
            case applied, changes, diff
            case dryRun = "dry_run"
        }
    }

    func addRoutes(to api: RouterGroup<APIContext>) {
        api.get("config", use: export)
        api.post("config/validate", use: validate)
        api.post("config/apply", use: apply)
    }

    @Sendable func export(_ request: Request, context: APIContext) async throws -> Response {
        let raw = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = ConfigFormat(rawValue: raw) else {
            throw APIError.badRequest("format must be json or yaml, not '\(raw)'", field: "format")
        }
        let document = try repository.export()
        if format == .yaml {
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: try format.render(document))))
        }
        return try APIResponse.json(Envelope(data: Exported(format: "json", config: document)))
    }

    @Sendable func validate(_ request: Request, context: APIContext) async throws -> Envelope<Validation> {
        let document: ConfigDocument
        do {
            document = try await Self.document(request, context: context)
        } catch let error as StoreError {
            return Envelope(data: Self.invalid(error))
        }
        do {
            let changes = try repository.plan(document)
            return Envelope(data: Validation(valid: true, errors: [], changes: changes, diff: Self.diff(changes)))
        } catch {
            return Envelope(data: Self.invalid(error))
        }
    }

    @Sendable func apply(_ request: Request, context: APIContext) async throws -> Envelope<Applied> {
        let dryRun = try request.queryBool("dry_run")
        let document = try await Self.document(request, context: context)
        let changes = try repository.apply(document, dryRun: dryRun)
        if !dryRun, !changes.isEmpty { _ = try? environment.engine.reloadConfiguration() }
        return Envelope(data: Applied(applied: !dryRun, dryRun: dryRun, changes: changes, diff: Self.diff(changes)))
    }

    static func diff(_ changes: [ConfigRepository.Change]) -> String {
        changes.map { $0.description + "\n" }.joined()
    }

    static func invalid(_ error: StoreError) -> Validation {
        let problem =
            if case .invalid(let validation) = error {
                Problem(field: validation.field, message: validation.message)
            } else {
                Problem(field: "document", message: error.description)
            }
        return Validation(valid: false, errors: [problem], changes: [], diff: "")
    }

    /// The request's body as a document: JSON, or YAML when declared `application/yaml`,
    /// `application/x-yaml` or `text/yaml` (or not declared at all).
    static func document(_ request: Request, context: APIContext) async throws -> ConfigDocument {
        if let contentType = request.headers[.contentType] {
            let media = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let accepted = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"]
            guard Request.isJSON(contentType) || accepted.contains(media.lowercased()) else {
                throw APIError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    "send the document as application/json or application/yaml (got \(contentType))")
            }
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else {
            throw APIError.badRequest("a configuration document is required (GET /api/v1/config gives the current one)")
        }
        return try ConfigFormat.parse(Data(buffer.readableBytesView))
    }
}
