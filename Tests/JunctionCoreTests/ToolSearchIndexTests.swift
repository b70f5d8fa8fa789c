import JunctionCore
import Testing

@Suite("ToolSearchIndex")
struct ToolSearchIndexTests {
    typealias Document = ToolSearchIndex.Document
    typealias Parameter = ToolSearchIndex.Document.Parameter

    /// A realistic catalog: five servers whose tools overlap in vocabulary (issues on GitHub and
    /// Jira, files on GitHub and the file system, messages on Slack and mail).
    static let catalog: [Document] = [
        tool(
            "github", "create_issue", "Create a new issue in a GitHub repository", ["owner", "repo", "title", "body"]),
        tool(
            "github", "list_issues", "List issues in a GitHub repository, filtered by state and labels",
            ["owner", "repo", "state", "labels"]),
        tool(
            "github", "update_issue", "Update an existing issue: title, body, state or assignees",
            ["owner", "repo", "issue_number", "state"]),
        tool("github", "add_issue_comment", "Add a comment to an issue", ["owner", "repo", "issue_number", "body"]),
        tool(
            "github", "create_pull_request", "Create a new pull request from a branch",
            ["owner", "repo", "head", "base"]),
        tool("github", "list_pull_requests", "List pull requests in a repository", ["owner", "repo", "state"]),
        tool("github", "merge_pull_request", "Merge a pull request", ["owner", "repo", "pull_number", "merge_method"]),
        tool(
            "github", "get_file_contents", "Get the contents of a file or directory from a GitHub repository",
            ["owner", "repo", "path", "ref"]),
        tool(
            "github", "create_or_update_file", "Create or update a single file in a GitHub repository",
            ["owner", "repo", "path", "content", "message", "branch"]),
        tool("github", "search_repositories", "Search for GitHub repositories", ["query", "page"]),
        tool("github", "search_code", "Search for code across GitHub repositories", ["q"]),
        tool(
            "github", "create_branch", "Create a new branch in a repository",
            ["owner", "repo", "branch", "from_branch"]),
        tool("github", "list_commits", "Get list of commits of a branch", ["owner", "repo", "sha"]),
        tool("github", "fork_repository", "Fork a GitHub repository to your account", ["owner", "repo"]),
        tool("fs", "read_file", "Read the complete contents of a file from the file system", ["path"]),
        tool(
            "fs", "write_file", "Create a new file or completely overwrite an existing file with new content",
            ["path", "content"]),
        tool("fs", "edit_file", "Make line-based edits to a text file", ["path", "edits", "dryRun"]),
        tool("fs", "list_directory", "Get a detailed listing of all files and directories in a path", ["path"]),
        tool("fs", "move_file", "Move or rename files and directories", ["source", "destination"]),
        tool(
            "fs", "search_files", "Recursively search for files and directories matching a pattern",
            ["path", "pattern"]),
        tool("fs", "get_file_info", "Retrieve metadata about a file: size, creation time, permissions", ["path"]),
        tool("slack", "slack_post_message", "Post a new message to a Slack channel", ["channel_id", "text"]),
        tool(
            "slack", "slack_reply_to_thread", "Reply to a specific message thread in Slack",
            ["channel_id", "thread_ts", "text"]),
        tool("slack", "slack_list_channels", "List public channels in the workspace", ["limit", "cursor"]),
        tool(
            "slack", "slack_add_reaction", "Add a reaction emoji to a message", ["channel_id", "timestamp", "reaction"]),
        tool(
            "slack", "slack_get_users", "Get a list of all users in the workspace with their basic profile",
            ["limit"]),
        tool("postgres", "query", "Run a read-only SQL query against the database", ["sql"]),
        tool("postgres", "list_tables", "List the tables of a schema", ["schema"]),
        tool("postgres", "describe_table", "Describe a table's columns and their types", ["table"]),
        tool("jira", "jira_create_ticket", "Create a Jira ticket (an issue) in a project", ["project", "summary"]),
        tool("jira", "jira_transition_ticket", "Move a Jira ticket to another status", ["ticket", "status"]),
        tool("browser", "browser_navigate", "Navigate the browser to a URL", ["url"]),
        tool("browser", "browser_take_screenshot", "Take a screenshot of the current page", ["fullPage"]),
        tool("browser", "browser_click", "Click an element on the page", ["selector"]),
        tool("mail", "sendEmail", "Send an email message to one or more recipients", ["to", "subject", "body"]),
        tool("time", "get_current_time", "Get the current time in a given timezone", ["timezone"]),
        tool(
            "time", "convert_time", "Convert a time between timezones", ["source_timezone", "time", "target_timezone"]),
    ]

    static func tool(_ namespace: String, _ name: String, _ description: String, _ parameters: [String]) -> Document {
        Document(
            name: ToolNaming.visibleName(namespace: namespace, name: name), toolName: name, description: description,
            parameters: parameters.map { Parameter(name: $0) })
    }

    static let index = ToolSearchIndex(catalog)

    @Test(
        "realistic queries find the tool meant among the first three",
        arguments: [
            ("create an issue", "github__create_issue"),
            ("open a new github issue", "github__create_issue"),
            ("list open issues", "github__list_issues"),
            ("comment on an issue", "github__add_issue_comment"),
            ("merge PR", "github__merge_pull_request"),
            ("merge pull request", "github__merge_pull_request"),
            ("pull requests", "github__list_pull_requests"),
            ("read a file", "fs__read_file"),
            ("write file contents", "fs__write_file"),
            ("rename a file", "fs__move_file"),
            ("listDirectory", "fs__list_directory"),
            ("file size and permissions", "fs__get_file_info"),
            ("post+message+to+slack", "slack__slack_post_message"),
            ("reply%20in%20thread", "slack__slack_reply_to_thread"),
            ("run sql", "postgres__query"),
            ("database tables", "postgres__list_tables"),
            ("screenshot", "browser__browser_take_screenshot"),
            ("send email", "mail__sendEmail"),
            ("what time is it in tokyo timezone", "time__get_current_time"),
            ("jira ticket status", "jira__jira_transition_ticket"),
        ])
    func relevance(query: String, expected: String) {
        let top = Self.index.search(query, limit: 3).map(\.name)
        #expect(top.contains(expected), "\(query) → \(top)")
    }

    @Test("an exact client-visible name ranks that tool first, then its own name")
    func exactNames() {
        #expect(Self.index.search("github__list_commits", limit: 3).first?.name == "github__list_commits")
        #expect(Self.index.search("query", limit: 3).first?.name == "postgres__query")
        #expect(Self.index.search("  fs__read_file ", limit: 1).map(\.name) == ["fs__read_file"])
    }

    @Test("tokens split snake_case, camelCase, acronyms, double underscores, dots and dashes")
    func tokens() {
        #expect(
            ToolSearchIndex.words("getHTTPResponse_v2.parse-all__now")
                == ["get", "HTTP", "Response", "v2", "parse", "all", "now"])
        #expect(ToolSearchIndex.terms("Listing the Repositories") == ["list", "repository"])
        #expect(ToolSearchIndex.terms("created issues") == ToolSearchIndex.terms("create issue"))
        #expect(ToolSearchIndex.decodeQuery("merge+pull%20request ") == "merge pull request")
    }

    @Test("search honours the filter, the limit, and finds nothing for an empty or unknown query")
    func filterAndLimit() {
        let issues = Self.index.search("issue", limit: 10)
        #expect(issues.count > 3)
        #expect(Self.index.search("issue", limit: 2).count == 2)
        let jiraOnly = Self.index.search("issue", limit: 10) { Self.catalog[$0].name.hasPrefix("jira__") }
        #expect(jiraOnly.map(\.name) == ["jira__jira_create_ticket"])
        #expect(Self.index.search("", limit: 10).isEmpty)
        #expect(Self.index.search("+ %20", limit: 10).isEmpty)
        #expect(Self.index.search("zyzzyva", limit: 10).isEmpty)
        #expect(Self.index.search("issue", limit: 0).isEmpty)
    }

    @Test("a tool is built from its tools/list JSON: title, description and parameters")
    func fromToolJSON() throws {
        let tool = try RawJSON(
            validating: Array(
                #"{"name":"t","title":"Weather","description":"Forecast","inputSchema":{"type":"object","properties":{"city":{"type":"string","description":"City name"}}}}"#
                    .utf8))
        let document = Document(name: "w__t", toolName: "t", tool: tool)
        #expect(document.title == "Weather")
        #expect(document.parameters == [Parameter(name: "city", description: "City name")])
        #expect(ToolSearchIndex([document]).search("city", limit: 1).first?.name == "w__t")
    }
}
