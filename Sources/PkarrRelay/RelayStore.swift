import Foundation
import Pkarr
import Synchronization

/// The relay's packets, one per key, kept in memory and optionally in a directory (one file per key,
/// named by its z32 form, holding the canonical signed packet). Applies pkarr's "more recent wins" rule.
public final class RelayStore: Sendable {
    /// What a PUT did to the stored packet.
    public enum PutOutcome: Equatable, Sendable {
        /// The packet is now the stored one (or already was, byte for byte).
        case stored
        /// A more recent packet is stored; the incoming one was refused. Carries the stored timestamp.
        case olderThanStored(UInt64)
    }

    private let packets: Mutex<[PkarrPublicKey: SignedPacket]>
    private let directory: URL?

    /// A store in memory only.
    public init() {
        directory = nil
        packets = Mutex([:])
    }

    /// A store that loads and saves its packets in `directory` (created if missing).
    /// Files that do not hold a valid packet for their name are skipped.
    public init(directory: URL) throws {
        self.directory = directory
        var loaded: [PkarrPublicKey: SignedPacket] = [:]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                guard let key = try? PkarrPublicKey(zBase32: name),
                      let bytes = try? Data(contentsOf: directory.appendingPathComponent(name)),
                      bytes.count > 32, Array(bytes.prefix(32)) == key.bytes,
                      let packet = try? SignedPacket(publicKey: key, relayPayload: Array(bytes.dropFirst(32))) else { continue }
                loaded[key] = packet
            }
        } catch {
            throw RelayStoreError(path: directory.path, reason: error.localizedDescription)
        }
        packets = Mutex(loaded)
    }

    /// Stores `packet` unless a more recent one is held; throws when the file cannot be written.
    public func put(_ packet: SignedPacket) throws -> PutOutcome {
        try packets.withLock { packets in
            if let current = packets[packet.publicKey] {
                if current == packet { return .stored }
                if !packet.isMoreRecent(than: current) { return .olderThanStored(current.timestamp) }
            }
            if let directory {
                let file = directory.appendingPathComponent(packet.publicKey.zBase32)
                do {
                    try Data(packet.bytes).write(to: file, options: .atomic)
                } catch {
                    throw RelayStoreError(path: file.path, reason: error.localizedDescription)
                }
            }
            packets[packet.publicKey] = packet
            return .stored
        }
    }

    public func get(_ key: PkarrPublicKey) -> SignedPacket? {
        packets.withLock { $0[key] }
    }
}

/// The relay's storage directory could not be read or written.
public struct RelayStoreError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "pkarr relay storage \(path): \(reason) (check the directory exists and is writable)" }
}
