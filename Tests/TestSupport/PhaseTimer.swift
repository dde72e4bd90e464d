import Foundation

/// Seconds each phase of a multi-step test took, printed so runs on slow machines can be compared.
public struct PhaseTimer: CustomStringConvertible {
    private var last = Date()
    private var phases: [(name: String, seconds: Double)] = []

    public init() {}

    /// Ends the current phase under `name` and starts the next.
    public mutating func mark(_ name: String) {
        let now = Date()
        phases.append((name, now.timeIntervalSince(last)))
        last = now
    }

    public var description: String {
        phases.map { "\($0.name) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", ")
    }
}
