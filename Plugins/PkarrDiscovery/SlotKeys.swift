import CSodium
import Pkarr
import PluginAPI

/// The rendezvous slot keys every holder of one passphrase derives alike.
///
/// master = Argon2id v1.3 (libsodium crypto_pwhash, ALG_ARGON2ID13) of the passphrase with the fixed
/// 16-byte salt "can-sync-pkarr/1", opslimit 3, memlimit 64 MiB, 32 output bytes. Slow on purpose:
/// slot packets are public, and the KDF makes guessing the passphrase from them expensive.
/// seed(i) = BLAKE2b-256 (crypto_generichash) keyed with master over the ASCII text "can-sync pkarr slot <i>".
/// Slot i's Ed25519 key pair is crypto_sign_seed_keypair(seed(i)). Changing any of this splits old and
/// new nodes apart, so these values are part of the wire format.
enum SlotKeys {
    static let salt = Array("can-sync-pkarr/1".utf8)
    static let opsLimit: UInt64 = 3
    static let memLimit = 64 * 1024 * 1024

    static func derive(passphrase: String, count: Int) throws -> [Ed25519KeyPair] {
        precondition(salt.count == Int(crypto_pwhash_SALTBYTES))
        let password = Array(passphrase.utf8CString)
        var master = [UInt8](repeating: 0, count: 32)
        let status = crypto_pwhash(&master, UInt64(master.count), password, UInt64(password.count - 1), salt,
                                   opsLimit, memLimit, crypto_pwhash_ALG_ARGON2ID13)
        guard status == 0 else {
            throw PluginFailure(CSYNC_ERR_INTERNAL, "crypto_pwhash could not derive the pkarr slot keys (out of memory? it needs \(memLimit >> 20) MiB)")
        }
        defer { sodium_memzero(&master, master.count) }
        return (0..<count).map { index in
            let label = Array("can-sync pkarr slot \(index)".utf8)
            var seed = [UInt8](repeating: 0, count: 32)
            crypto_generichash(&seed, seed.count, label, UInt64(label.count), master, master.count)
            return Ed25519KeyPair(seed: seed)
        }
    }
}
