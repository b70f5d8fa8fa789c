import Foundation
import JunctionCore

/// How a tool call would be routed, with the trace of every rule considered, from the
/// configuration as stored now. The CLI's `dry-run` and `POST /api/v1/dry-run` answer with this.
public enum DryRun {
    /// `workspace` (id or name) routes as a pinned client; otherwise `clientRoot`, an absolute
    /// folder, is normalized (symlinks resolved) and routed as the client's root.
    public static func decide(
        _ database: AppDatabase, tool: String, workspace: String?, clientRoot: String?
    ) throws(StoreError) -> Decision {
        let resolver = RouteResolver(config: try RoutingConfigLoader(database).load())
        if let workspace {
            let named = try WorkspaceRepository(database).get(workspace)
            guard let decision = resolver.resolve(tool: tool, workspaceName: named.name, trace: true) else {
                throw StoreError.notFound(kind: "workspace", key: workspace)
            }
            return decision
        }
        guard let clientRoot, clientRoot.hasPrefix("/") else {
            throw .invalid(ValidationError(field: "cwd", message: "cwd must be an absolute path"))
        }
        do {
            return resolver.resolve(tool: tool, clientRoot: try PathNormalizer.normalize(clientRoot), trace: true)
        } catch {
            throw .invalid(ValidationError(field: "cwd", message: "invalid cwd '\(clientRoot)': \(error)"))
        }
    }
}
