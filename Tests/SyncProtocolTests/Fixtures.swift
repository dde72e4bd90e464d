import Foundation
@testable import SyncProtocol

/// Deterministic inputs shared by the test vectors.
enum Fixtures {
    /// Bytes `start, start+1, …` (mod 256), 32 of them.
    static func counting(from start: UInt8) -> Bytes32 {
        Bytes32((0..<32).map { start &+ UInt8($0) })!
    }

    static func repeated(_ byte: UInt8) -> Bytes32 {
        Bytes32([UInt8](repeating: byte, count: 32))!
    }

    static let libraryID = UUID(uuidString: "6BA7B810-9DAD-11D1-80B4-00C04FD430C8")!
    static let otherLibraryID = UUID(uuidString: "6BA7B811-9DAD-11D1-80B4-00C04FD430C8")!
    static let secret = LibrarySecret(counting(from: 0))
    static let keys = LibraryKeys(secret: secret)
    static let nodeA = SigningKey(seed: repeated(0xA1))
    static let nodeB = SigningKey(seed: repeated(0xB2))

    static func manifest(hash: Bytes32 = repeated(0x5A), deleted: Bool = false) -> AssetManifest {
        try! AssetManifest(
            hash: hash, size: 1234, mimeType: "image/png", application: "paste", tags: ["photos", "backup", "photos"],
            user: "alice", filename: "cat.png", metadata: #"{ "w": 640, "h": 480, "camera": {"make": "X"} }"#,
            createdAt: 1_700_000_000_000, updatedAt: 1_700_000_001_000, deleted: deleted)
    }
}

/// SplitMix64: a tiny seeded generator so random tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes32() -> Bytes32 {
        Bytes32(w0: next(), w1: next(), w2: next(), w3: next())
    }
}
