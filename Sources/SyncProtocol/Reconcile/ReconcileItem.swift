/// One element of a reconciled set: an asset hash (the key the key space is sorted by) and the
/// digest of the library entry the node holds for it (the value). Two nodes agree on an asset
/// when they hold the same key with the same value.
public struct ReconcileItem: Hashable, Sendable {
    public var key: Bytes32
    public var value: Bytes32

    public init(key: Bytes32, value: Bytes32) {
        self.key = key
        self.value = value
    }
}
