import Foundation

/// A real server process started by a test: its output goes to a log file, and it is killed on release.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    public let logURL: URL

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                directory: URL? = nil, logURL: URL) throws {
        self.logURL = logURL
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }

    /// The process's output so far, for failure messages.
    public var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Stops the process (SIGTERM, then SIGKILL after two seconds) and waits for it.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    public func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: TimeInterval = 10, interval: TimeInterval = 0.05,
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
    }
    return try await condition()
}

extension ChildProcess {
    /// Waits until the process prints a `READY <port>` line (the test servers' start-up report) and returns
    /// the port; nil when it exits first or `timeout` passes.
    public func readyPort(timeout: TimeInterval) async -> Int? {
        let ready = await eventually(timeout: timeout) { output.contains("READY ") || !isRunning }
        guard ready, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }) else { return nil }
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
    }
}
