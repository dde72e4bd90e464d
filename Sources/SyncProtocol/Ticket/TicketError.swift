/// Why a string is not a usable library ticket; each case tells the user what to do.
public enum TicketError: Error, Equatable, Sendable, CustomStringConvertible {
    case notATicket
    case invalidCharacter(Character, position: Int)
    case checksumMismatch
    case unsupportedVersion(UInt8)
    case malformed(String)
    case invalidFilter(String)

    public var description: String {
        switch self {
        case .notATicket:
            return "not a CAN Sync ticket: a ticket starts with \"\(LibraryTicket.prefix)\"; copy the whole string the inviting node printed"
        case .invalidCharacter(let char, let position):
            return "ticket has an invalid character '\(char)' at position \(position): tickets use only lowercase a-z and 2-7; the ticket was mistyped"
        case .checksumMismatch:
            return "ticket checksum mismatch: the ticket was mistyped or truncated; copy it again from the inviting node"
        case .unsupportedVersion(let version):
            return "unsupported ticket version \(version): this node reads version \(LibraryTicket.version); update CAN Sync or ask for a new ticket"
        case .malformed(let reason):
            return "malformed ticket (\(reason)); ask the inviting node for a new ticket"
        case .invalidFilter(let reason):
            return "ticket filter is not a JSON object: \(reason)"
        }
    }
}
