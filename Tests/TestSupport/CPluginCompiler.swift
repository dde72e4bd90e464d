import Foundation

/// Builds a plain-C plugin with the system C compiler, as a third-party author would.
public enum CPluginCompiler {
    /// The directory holding can_sync_plugin.h.
    public static let includeDirectory = BuildProducts.packageRoot.appendingPathComponent("Sources/CPluginAPI/include").path

    /// Compiles `sourcePath` into `outputPath` (a .so); throws with the compiler's output on failure.
    public static func compile(source sourcePath: String, output outputPath: String, flags: [String] = []) throws {
        try CCompiler.run(["-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Werror", "-I", includeDirectory]
                          + flags + ["-o", outputPath, sourcePath])
    }

    /// Writes `code` to a .c file in `directory` and compiles it to lib<name>.so; returns the .so path.
    public static func compile(code: String, name: String, in directory: TemporaryDirectory) throws -> String {
        let source = directory.file("\(name).c").path
        try code.write(toFile: source, atomically: true, encoding: .utf8)
        let output = directory.file("lib\(name).so").path
        try compile(source: source, output: output)
        return output
    }
}
