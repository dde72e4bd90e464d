/// A dial in progress: the handshakes racing to one peer's candidate addresses.
final class DialAttempt {
    let peer: [UInt8]
    /// Handles of the client connections still handshaking.
    var attempts: Set<UInt64> = []
    var failures: [String] = []

    init(peer: [UInt8]) {
        self.peer = peer
    }
}
