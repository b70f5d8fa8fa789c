import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Read and change settings.",
        subcommands: [List.self, Get.self, Set.self, Reset.self]
    )

    struct Entry: Encodable {
        let key: String
        let value: String
        let isDefault: Bool
        let summary: String

        init(_ value: SettingsRepository.Value) {
            key = value.key
            self.value = value.json
            isDefault = value.isDefault
            summary = (try? SettingsRepository.definition(value.key).summary) ?? ""
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
            // The value is JSON already: embed it as JSON, not as a string.
            try container.encode(try JSONDecoder().decode(JSONValue.self, from: Data(value.utf8)), forKey: .value)
            try container.encode(isDefault, forKey: .isDefault)
            try container.encode(summary, forKey: .summary)
        }

        enum CodingKeys: String, CodingKey {
            case key, value, summary
            case isDefault = "is_default"
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every setting with its value.")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let values = try CLIContext.open().settings.all()
            if output.json { return try Output.json(values.map(Entry.init)) }
            Output.table(
                ["KEY", "VALUE", "SOURCE", "MEANING"],
                values.map {
                    [$0.key, $0.json, $0.isDefault ? "default" : "set", Entry($0).summary]
                })
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one setting's value (JSON).")
        @Argument var key: String

        func run() throws {
            print(try CLIContext.open().settings.get(key).json)
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a setting. VALUE is JSON; a bare word is taken as a string.")
        @Argument var key: String
        @Argument var value: String

        func run() throws {
            let isJSON = (try? JSONDecoder().decode(JSONValue.self, from: Data(value.utf8))) != nil
            let json = isJSON ? value : String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            let saved = try CLIContext.open().settings.set(key, json: json)
            print("\(saved.key) = \(saved.json)")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a setting to its default.")
        @Argument var key: String

        func run() throws {
            let saved = try CLIContext.open().settings.reset(key)
            print("\(saved.key) = \(saved.json) (default)")
        }
    }
}
