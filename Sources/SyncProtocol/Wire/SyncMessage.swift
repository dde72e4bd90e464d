import Foundation

/// The messages of a sync stream, in frames of `u32 BE payload length ‖ payload`, where
/// payload = `version u8 (= 1) ‖ type u8 ‖ body`:
///
///     1 hello       library id (16) ‖ nonce (32)
///     2 proof       HMAC (32), see `CapabilityChallenge`
///     3 reconcile   a `ReconcileMessage` (to the end of the payload)
///     4 entries     varint n ‖ n × (varint length ‖ `SyncEntry`): entries the peer needs
///     5 entryPush   one `SyncEntry`, written live after the initial sync
///     6 done        (empty): this side has sent everything it owes
///     7 error       code u8 ‖ varint length ‖ UTF-8 message
///
/// A session: the handshake (`SyncHandshake`: hellos, then proofs), then the initiator starts
/// reconciliation (`Reconciler`), then each side sends `entries` for its `sendKeys` and `done`;
/// live `entryPush` messages may follow on a stream kept open.
public enum SyncMessage: Equatable, Sendable {
    case hello(SyncHello)
    case proof(Bytes32)
    case reconcile(ReconcileMessage)
    case entries([SyncEntry])
    case entryPush(SyncEntry)
    case done
    case error(SyncFailure)

    public static let version: UInt8 = 1
    /// Largest payload either side sends or accepts (4 MiB); batch entries below it with
    /// `entryBatches`.
    public static let maxPayloadBytes = 4 * 1024 * 1024
    static let maxErrorMessageBytes = 4096

    /// The payload without the length prefix.
    public func encodedPayload() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.u8(Self.version)
        switch self {
        case .hello(let hello):
            writer.u8(1)
            writer.raw(hello.libraryID.bytes)
            writer.bytes32(hello.nonce)
        case .proof(let proof):
            writer.u8(2)
            writer.bytes32(proof)
        case .reconcile(let message):
            writer.u8(3)
            writer.raw(message.encoded())
        case .entries(let entries):
            writer.u8(4)
            writer.varint(entries.count)
            for entry in entries {
                writer.lengthPrefixed(entry.encoded())
            }
        case .entryPush(let entry):
            writer.u8(5)
            writer.raw(entry.encoded())
        case .done:
            writer.u8(6)
        case .error(let failure):
            writer.u8(7)
            writer.u8(failure.code.rawValue)
            writer.lengthPrefixed(Array(Array(failure.message.utf8).prefix(Self.maxErrorMessageBytes)))
        }
        return writer.bytes
    }

    /// The complete frame; throws `WireFormatError` if the payload exceeds `maxPayloadBytes`.
    public func encodedFrame(maxPayloadBytes: Int = SyncMessage.maxPayloadBytes) throws -> [UInt8] {
        let payload = encodedPayload()
        guard payload.count <= maxPayloadBytes else {
            throw WireFormatError("sync frame", offset: 0,
                                  "payload of \(payload.count) bytes exceeds the \(maxPayloadBytes)-byte limit; send fewer entries per message")
        }
        var writer = ByteWriter(capacity: payload.count + 4)
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
        return writer.bytes
    }

    /// Decodes a payload (without the length prefix); throws `WireFormatError`.
    public init(decodingPayload payload: [UInt8]) throws {
        var reader = ByteReader(payload, context: "sync message")
        let version = try reader.u8("version")
        guard version == Self.version else {
            throw WireFormatError(reader.context, offset: 0, "unsupported sync protocol version \(version) (this node speaks \(Self.version)); update CAN Sync")
        }
        let type = try reader.u8("message type")
        switch type {
        case 1:
            let id = try reader.raw(16, "library id")
            self = .hello(SyncHello(libraryID: UUID(bytes: id)!, nonce: try reader.bytes32("nonce")))
        case 2:
            self = .proof(try reader.bytes32("proof"))
        case 3:
            self = .reconcile(try ReconcileMessage(decoding: Array(payload[reader.offset...])))
            return
        case 4:
            let count = try reader.count("entry count", limit: reader.remaining)
            var entries: [SyncEntry] = []
            for index in 0..<count {
                let length = try reader.count("entry \(index) length", limit: reader.remaining)
                let start = reader.offset
                var entryReader = ByteReader(Array(try reader.raw(length, "entry \(index)")), context: "entry \(index) at byte \(start)")
                entries.append(try SyncEntry(reading: &entryReader))
                try entryReader.expectEnd()
            }
            self = .entries(entries)
        case 5:
            var entryReader = ByteReader(Array(payload[reader.offset...]), context: "pushed entry")
            self = .entryPush(try SyncEntry(reading: &entryReader))
            try entryReader.expectEnd()
            return
        case 6:
            self = .done
        case 7:
            let code = SyncFailure.Code(rawValue: try reader.u8("error code"))
            let text = String(decoding: try reader.lengthPrefixed("error message", limit: Self.maxErrorMessageBytes), as: UTF8.self)
            self = .error(SyncFailure(code, text))
        default:
            throw WireFormatError(reader.context, offset: 1, "unknown message type \(type)")
        }
        try reader.expectEnd()
    }

    /// `entries` messages carrying `entries` in order, each payload within `maxPayloadBytes`.
    public static func entryBatches(_ entries: [SyncEntry], maxPayloadBytes: Int = SyncMessage.maxPayloadBytes) -> [SyncMessage] {
        var batches: [SyncMessage] = []
        var current: [SyncEntry] = []
        var size = 2 + 10
        for entry in entries {
            let entrySize = entry.encoded().count + 10
            if !current.isEmpty && size + entrySize > maxPayloadBytes {
                batches.append(.entries(current))
                current = []
                size = 2 + 10
            }
            current.append(entry)
            size += entrySize
        }
        if !current.isEmpty { batches.append(.entries(current)) }
        return batches
    }
}
