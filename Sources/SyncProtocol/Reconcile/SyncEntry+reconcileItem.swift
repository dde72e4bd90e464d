extension SyncEntry {
    /// This entry as a reconciliation item: (asset hash, entry digest).
    public var reconcileItem: ReconcileItem { ReconcileItem(key: hash, value: digest) }
}
