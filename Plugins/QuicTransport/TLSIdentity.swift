import CNgtcp2
import PluginAPI

/// This node's Ed25519 key as GnuTLS credentials for TLS 1.3 raw public keys (RFC 7250):
/// both sides present a bare key, no certificate, and each checks the other's key by its node id.
final class TLSIdentity: @unchecked Sendable {
    /// The ALPN name of the project's transport protocol and its version.
    static let alpn = "can-sync/1"

    /// QUIC forbids TLS 1.3 middlebox-compatibility mode; certificates are raw keys only.
    static let priority = "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
        + "+AES-256-GCM:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
        + "-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK"
    /// The test-only client priority: a server may also show an X.509 certificate.
    static let insecureClientPriority = priority + ":+CTYPE-SRV-X509"

    /// DER header of an Ed25519 SubjectPublicKeyInfo; the 32 key bytes follow it.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    let credentials: gnutls_certificate_credentials_t
    let nodeID: [UInt8]
    private let alpnBytes: UnsafeMutablePointer<UInt8>

    init(nodeID: [UInt8], secretKey: [UInt8]) throws {
        guard nodeID.count == 32, secretKey.count == 64 else {
            throw PluginFailure(CSYNC_ERR_INVALID, "the host must pass a 32-byte node id and a 64-byte Ed25519 secret key")
        }
        guard Array(secretKey[32...]) == nodeID else {
            throw PluginFailure(CSYNC_ERR_INVALID, "node_secret_key does not belong to node_id (libsodium layout: seed || public key)")
        }
        self.nodeID = nodeID
        var credentials: gnutls_certificate_credentials_t?
        try Self.check(gnutls_certificate_allocate_credentials(&credentials), "gnutls_certificate_allocate_credentials")
        self.credentials = credentials!

        var privateKey: gnutls_privkey_t?
        var publicKey: gnutls_pubkey_t?
        try Self.check(gnutls_privkey_init(&privateKey), "gnutls_privkey_init")
        // The pcert made from the public key takes ownership of it: it must not be freed here.
        try Self.check(gnutls_pubkey_init(&publicKey), "gnutls_pubkey_init")
        var publicBytes = nodeID
        var seedBytes = Array(secretKey[0..<32])
        defer { for index in seedBytes.indices { seedBytes[index] = 0 } }
        try publicBytes.withUnsafeMutableBufferPointer { x in
            try seedBytes.withUnsafeMutableBufferPointer { k in
                var xDatum = gnutls_datum_t(data: x.baseAddress, size: 32)
                var kDatum = gnutls_datum_t(data: k.baseAddress, size: 32)
                try Self.check(gnutls_privkey_import_ecc_raw(privateKey, GNUTLS_ECC_CURVE_ED25519, &xDatum, nil, &kDatum),
                               "gnutls_privkey_import_ecc_raw")
                try Self.check(gnutls_pubkey_import_ecc_raw(publicKey, GNUTLS_ECC_CURVE_ED25519, &xDatum, nil),
                               "gnutls_pubkey_import_ecc_raw")
            }
        }
        // GnuTLS keeps referring to the pcert, so it lives as long as the credentials.
        let pcert = UnsafeMutablePointer<gnutls_pcert_st>.allocate(capacity: 1)
        pcert.initialize(to: gnutls_pcert_st())
        try Self.check(gnutls_pcert_import_rawpk(pcert, publicKey, 0), "gnutls_pcert_import_rawpk")
        try Self.check(gnutls_certificate_set_key(self.credentials, nil, 0, pcert, 1, privateKey), "gnutls_certificate_set_key")

        let alpn = Array(Self.alpn.utf8)
        alpnBytes = .allocate(capacity: alpn.count)
        alpnBytes.initialize(from: alpn, count: alpn.count)
    }

    /// Runs once every session using the credentials is gone (the endpoint frees its connections first).
    deinit {
        gnutls_certificate_free_credentials(credentials)
        alpnBytes.deallocate()
    }

    /// Creates a GnuTLS session for one QUIC connection, wired to ngtcp2 through `connRef`.
    func makeSession(client: Bool, insecureX509: Bool,
                     connRef: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>) throws -> gnutls_session_t {
        var session: gnutls_session_t?
        let role = UInt32(client ? GNUTLS_CLIENT : GNUTLS_SERVER)
        try Self.check(gnutls_init(&session, role | GNUTLS_ENABLE_RAWPK.rawValue | GNUTLS_NO_END_OF_EARLY_DATA.rawValue),
                       "gnutls_init")
        guard let session else { throw PluginFailure(CSYNC_ERR_INTERNAL, "gnutls_init returned no session") }
        do {
            if client {
                guard ngtcp2_crypto_gnutls_configure_client_session(session) == 0 else {
                    throw PluginFailure(CSYNC_ERR_INTERNAL, "ngtcp2_crypto_gnutls_configure_client_session failed")
                }
            } else {
                guard ngtcp2_crypto_gnutls_configure_server_session(session) == 0 else {
                    throw PluginFailure(CSYNC_ERR_INTERNAL, "ngtcp2_crypto_gnutls_configure_server_session failed")
                }
                gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE)
            }
            let priority = client && insecureX509 ? Self.insecureClientPriority : Self.priority
            try Self.check(gnutls_priority_set_direct(session, priority, nil), "gnutls_priority_set_direct")
            try Self.check(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(credentials)),
                           "gnutls_credentials_set")
            var alpn = gnutls_datum_t(data: alpnBytes, size: UInt32(Self.alpn.utf8.count))
            try Self.check(gnutls_alpn_set_protocols(session, &alpn, 1, UInt32(GNUTLS_ALPN_MANDATORY.rawValue)),
                           "gnutls_alpn_set_protocols")
            gnutls_session_set_ptr(session, connRef)
            gnutls_session_set_verify_function(session, { session in
                guard let session, let ref = gnutls_session_get_ptr(session) else { return -1 }
                let connRef = ref.assumingMemoryBound(to: ngtcp2_crypto_conn_ref.self)
                guard let user = connRef.pointee.user_data else { return -1 }
                return QuicConnection.from(user).verifyPeer(session)
            })
            return session
        } catch {
            gnutls_deinit(session)
            throw error
        }
    }

    /// The peer's Ed25519 key from a raw-public-key handshake, or nil if it showed something else.
    static func peerRawKey(_ session: gnutls_session_t) -> [UInt8]? {
        guard gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS).rawValue == GNUTLS_CRT_RAWPK.rawValue else {
            return nil
        }
        var count: UInt32 = 0
        guard let list = gnutls_certificate_get_peers(session, &count), count >= 1 else { return nil }
        let der = Array(UnsafeBufferPointer(start: list[0].data, count: Int(list[0].size)))
        guard der.count == 44, Array(der[0..<12]) == ed25519SPKIPrefix else { return nil }
        return Array(der[12...])
    }

    static func peerShowsX509(_ session: gnutls_session_t) -> Bool {
        gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS).rawValue == GNUTLS_CRT_X509.rawValue
    }

    private static func check(_ status: Int32, _ call: String) throws {
        guard status >= 0 else {
            throw PluginFailure(CSYNC_ERR_INTERNAL, "\(call) failed: \(String(cString: gnutls_strerror(status)))")
        }
    }
}
