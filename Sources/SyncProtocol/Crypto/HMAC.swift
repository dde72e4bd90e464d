import CSodium

/// HMAC-SHA-256 (libsodium `crypto_auth_hmacsha256`) with a 32-byte key.
public enum HMAC {
    public static func sha256(key: Bytes32, message: [UInt8]) -> Bytes32 {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_auth_hmacsha256(&out, message, UInt64(message.count), key.bytes)
        return Bytes32(out)!
    }

    /// Constant-time check of `tag` against the HMAC of `message` (`crypto_auth_hmacsha256_verify`).
    public static func verifySHA256(_ tag: Bytes32, key: Bytes32, message: [UInt8]) -> Bool {
        Sodium.ensureReady()
        return crypto_auth_hmacsha256_verify(tag.bytes, message, UInt64(message.count), key.bytes) == 0
    }
}
