import Foundation

extension NodeConfiguration {
    /// The configuration for `can-sync [CONFIG]`: the named file (which must exist), else
    /// ./config.yaml when present, else the defaults.
    public static func resolve(argument: String?) throws -> NodeConfiguration {
        if let argument { return try load(file: argument) }
        let cwd = FileManager.default.currentDirectoryPath
        let local = URL(fileURLWithPath: cwd).appendingPathComponent("config.yaml").path
        if FileManager.default.fileExists(atPath: local) { return try load(file: local) }
        return defaults(in: URL(fileURLWithPath: cwd))
    }
}
