import CSodium

/// libsodium's one-time initialisation, run before the first call that needs it.
enum Sodium {
    /// sodium_init() is idempotent and thread-safe; a lazy global runs it exactly once.
    static let ready: Bool = sodium_init() >= 0

    static func ensureReady() {
        precondition(ready, "libsodium failed to initialise (sodium_init returned -1)")
    }
}
