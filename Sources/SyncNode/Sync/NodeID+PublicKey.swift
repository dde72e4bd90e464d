import PluginHost
import SyncProtocol

extension NodeID {
    /// The same key as SyncProtocol spells it.
    var publicKey: PublicKey { PublicKey(bytes)! }

    init(_ key: PublicKey) {
        self.init(bytes: key.bytes32.bytes)
    }
}
