import JunctionCore

/// Junction's own tools, listed in token-saving mode (`slim_tools`) instead of every server's:
/// one to find tools, one to call the tool found. A call through `junction__call_tool` is routed,
/// approved, cached and audited exactly like a direct call of the tool it names.
public enum BuiltInTools {
    public static let searchTools = "junction__search_tools"
    public static let callTool = "junction__call_tool"
    public static let names = [searchTools, callTool]

    /// Results `junction__search_tools` gives when the call says no `limit`, and at most.
    static let defaultLimit = 10
    static let maxLimit = 50

    /// Their descriptions unless `tool_description_overrides` replaces them.
    public static let defaultDescriptions: [String: String] = [
        searchTools: """
        Search the tools available here (many MCP servers behind Junction) by what you want to do, \
        e.g. "create a github issue" or "read a file". Returns the best matches with their names, \
        descriptions and input schemas. Call one with junction__call_tool.
        """,
        callTool: """
        Call a tool found with junction__search_tools: give its name exactly as returned and its \
        arguments as its input schema describes. The tool's result is returned as is.
        """,
    ]

    /// The two tools as `tools/list` shows them, with `overrides` applied to their descriptions.
    static func listed(overrides: [String: String]) -> [RawJSON] {
        [
            tool(
                searchTools, title: "Search tools", readOnly: true,
                properties: [
                    (
                        "query",
                        schema(
                            "string", "What you want to do, in words, or a tool's name (e.g. \"create a github issue\")"
                        )
                    ),
                    (
                        "limit",
                        schema("integer", "How many tools to return, 1 to \(maxLimit) (default \(defaultLimit))")
                    ),
                ], required: ["query"], overrides: overrides),
            tool(
                callTool, title: "Call a tool", readOnly: false,
                properties: [
                    ("name", schema("string", "The tool's name exactly as junction__search_tools returned it")),
                    ("arguments", schema("object", "The tool's arguments, as its input schema describes them")),
                ], required: ["name"], overrides: overrides),
        ]
    }

    private static func schema(_ type: String, _ description: String) -> RawJSON {
        RawJSON(object: [("type", RawJSON(string: type)), ("description", RawJSON(string: description))])
    }

    private static func tool(
        _ name: String, title: String, readOnly: Bool, properties: [(key: String, value: RawJSON)], required: [String],
        overrides: [String: String]
    ) -> RawJSON {
        RawJSON(object: [
            ("name", RawJSON(string: name)),
            ("title", RawJSON(string: title)),
            ("description", RawJSON(string: overrides[name] ?? defaultDescriptions[name] ?? "")),
            (
                "inputSchema",
                RawJSON(object: [
                    ("type", RawJSON(string: "object")),
                    ("properties", RawJSON(object: properties)),
                    ("required", RawJSON(array: required.map { RawJSON(string: $0) })),
                ])
            ),
            (
                "annotations",
                RawJSON(object: [("title", RawJSON(string: title)), ("readOnlyHint", readOnly ? .true : .false)])
            ),
        ])
    }
}
