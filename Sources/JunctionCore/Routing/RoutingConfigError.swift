/// Why a routing configuration could not be built. The store should reject such writes up front
/// (compile globs with ``Glob`` when a rule is saved); this is the last line of defence.
public enum RoutingConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidToolPattern(ruleId: String, GlobError)
    case invalidPathGlob(ruleId: String, GlobError)
    case invalidWorkspaceRoot(workspace: String, PathError)
    case unknownWorkspace(ruleId: String, workspaceId: String)
    case duplicateRuleId(String)
    case duplicateWorkspaceName(String)
    case duplicateNamespace(String)

    public var description: String {
        switch self {
        case .invalidToolPattern(let ruleId, let error):
            "route '\(ruleId)': invalid tool pattern: \(error)"
        case .invalidPathGlob(let ruleId, let error):
            "route '\(ruleId)': invalid path glob: \(error)"
        case .invalidWorkspaceRoot(let workspace, let error):
            "workspace '\(workspace)': invalid root: \(error)"
        case .unknownWorkspace(let ruleId, let workspaceId):
            "route '\(ruleId)': unknown workspace '\(workspaceId)'"
        case .duplicateRuleId(let id):
            "route '\(id)': duplicate rule id"
        case .duplicateWorkspaceName(let name):
            "workspace '\(name)': duplicate workspace name"
        case .duplicateNamespace(let namespace):
            "namespace '\(namespace)': owned by more than one downstream"
        }
    }
}
