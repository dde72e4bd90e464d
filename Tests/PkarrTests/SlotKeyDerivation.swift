import CSodium
import Pkarr

/// The slot keys as the plugin's documentation defines them, derived here independently so tests
/// pin the KDF: Argon2id v1.3, salt "can-sync-pkarr/1", opslimit 3, memlimit 64 MiB, 32-byte master;
/// seed(i) = BLAKE2b-256 keyed with the master over "can-sync pkarr slot <i>".
enum SlotKeyDerivation {
    static func keys(passphrase: String, count: Int) -> [Ed25519KeyPair] {
        precondition(sodium_init() >= 0)
        let password = Array(passphrase.utf8)
        var master = [UInt8](repeating: 0, count: 32)
        let status = crypto_pwhash(&master, 32, password.map { CChar(bitPattern: $0) }, UInt64(password.count),
                                   Array("can-sync-pkarr/1".utf8), 3, 64 * 1024 * 1024, crypto_pwhash_ALG_ARGON2ID13)
        precondition(status == 0, "crypto_pwhash failed")
        return (0..<count).map { index in
            let label = Array("can-sync pkarr slot \(index)".utf8)
            var seed = [UInt8](repeating: 0, count: 32)
            crypto_generichash(&seed, 32, label, UInt64(label.count), master, 32)
            return Ed25519KeyPair(seed: seed)
        }
    }
}
