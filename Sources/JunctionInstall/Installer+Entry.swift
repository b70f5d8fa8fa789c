import Foundation

extension Installer {
    /// Junction's entry as installed in `client`'s user configuration; nil when the file or the
    /// entry is absent (`junction doctor` checks it runs this binary).
    public static func installedEntry(
        of client: Client, environment: ClientEnvironment = .current()
    ) throws(InstallError) -> ClientServer? {
        let target = try InstallTarget(client: client, environment: environment)
        guard let bytes = try read(target) else { return nil }
        let editor = ConfigEditor(client: client, path: target.path, bytes: bytes)
        return try editor.servers().first { $0.key == JunctionEntry.key }
    }
}
