import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /api/v1/settings` and `PUT /api/v1/settings`: the effective settings (defaults <
/// database < `JUNCTION_*` environment), each with its source, default and description. A PUT
/// validates every key before storing any; an environment override still wins on read, and the
/// response says so.
struct SettingsController {
    let environment: ServerEnvironment

    struct SettingsResponse: Encodable {
        /// Effective values, by key.
        var settings: [String: JSONValue]
        var details: [Detail]
        /// Junction's built-in tools (slim mode) with their descriptions before
        /// `tool_description_overrides`.
        var defaultToolDescriptions: [String: String]

        enum CodingKeys: String, CodingKey {
            case settings, details
            case defaultToolDescriptions = "default_tool_descriptions"
        }
    }

    struct Detail: Encodable {
        var key: String
        var value: JSONValue
        var defaultValue: JSONValue
        var source: SettingsRepository.Value.Source
        var environmentVariable: String
        var description: String

        enum CodingKeys: String, CodingKey {
            case key, value, source, description
            case defaultValue = "default"
            case environmentVariable = "environment_variable"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("settings") { _, _ -> Response in
            try APIResponse.json(try current())
        }
        group.put("settings") { request, context -> Response in
            let body = try await request.decodeJSON([String: JSONValue].self, context: context)
            guard !body.isEmpty else {
                throw APIError.badRequest("give at least one setting, e.g. {\"log_level\": \"debug\"}")
            }
            try SettingsRepository(environment.database).setAll(body)
            return try APIResponse.json(try current())
        }
    }

    private func current() throws -> SettingsResponse {
        let values = try SettingsRepository(environment.database).all()
        var settings: [String: JSONValue] = [:]
        var details: [Detail] = []
        for value in values {
            let decoded = Self.decode(value.json)
            settings[value.key] = decoded
            let definition = try SettingsRepository.definition(value.key)
            details.append(
                Detail(
                    key: value.key, value: decoded, defaultValue: Self.decode(definition.defaultJSON),
                    source: value.source, environmentVariable: SettingsRepository.environmentVariable(for: value.key),
                    description: definition.summary))
        }
        return SettingsResponse(
            settings: settings, details: details, defaultToolDescriptions: BuiltInTools.defaultDescriptions)
    }

    private static func decode(_ json: String) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))) ?? .null
    }
}
