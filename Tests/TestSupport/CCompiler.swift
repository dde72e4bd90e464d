import Foundation

/// Runs the system C compiler for the tests' C sources (plain-C plugins, the raw QUIC client).
public enum CCompiler {
    /// Runs `cc arguments`, plus the compile and link flags pkg-config gives for `packages`;
    /// throws with the compiler's output on failure.
    public static func run(_ arguments: [String], pkgConfig packages: [String] = []) throws {
        let flags = packages.isEmpty ? [] : try output(of: ["pkg-config", "--cflags", "--libs"] + packages)
            .split(whereSeparator: \.isWhitespace).map(String.init)
        _ = try output(of: ["cc"] + arguments + flags)
    }

    private static func output(of command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompileError(message: "\(command.joined(separator: " ")) failed:\n\(output)")
        }
        return output
    }

    /// A compiler or pkg-config run failed; the message holds the command and its output.
    public struct CompileError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }
}
