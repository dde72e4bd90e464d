import CSodium

/// libsodium's one-time setup, run before the first call into it.
enum Sodium {
    private static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialize (sodium_init returned -1)")
    }
}
