import CSodium

/// BLAKE2b (libsodium `crypto_generichash`): the protocol's hash for digests, fingerprints,
/// checksums and, keyed, key derivation and message authentication.
public enum Blake2b {
    /// A 32-byte digest of `data`, optionally keyed (a PRF when the key is secret).
    public static func hash256(_ data: [UInt8], key: Bytes32? = nil) -> Bytes32 {
        Bytes32(hash(data, length: 32, key: key))!
    }

    /// A digest of `length` bytes (16...64).
    public static func hash(_ data: [UInt8], length: Int, key: Bytes32? = nil) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: length)
        let keyBytes = key?.bytes ?? []
        _ = data.withUnsafeBufferPointer { input in
            keyBytes.withUnsafeBufferPointer { keyBuffer in
                crypto_generichash(&out, length, input.baseAddress, UInt64(input.count),
                                   keyBuffer.baseAddress, keyBuffer.count)
            }
        }
        return out
    }

    /// Constant-time equality for secrets and MACs (libsodium `sodium_memcmp`).
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return sodium_memcmp(lhs, rhs, lhs.count) == 0
    }
}
