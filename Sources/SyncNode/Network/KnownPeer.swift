import Foundation
import PluginHost

/// What this node knows about another node: where it can be reached and who said so.
public struct KnownPeer: Sendable {
    public var id: NodeID
    public var addresses: [String]
    /// The discovery methods (or "ticket") that reported it.
    public var sources: Set<String>
    public var lastDiscovered: Date
    public var lastError: String?
}
