/* A minimal QUIC client on the system's ngtcp2 + GnuTLS for the transport tests (see
 * Tests/QuicTransportTests/RawQuicClient.swift): it sends what the plugin itself never would. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PRIORITY "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:" \
    "+AES-256-GCM:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
    "-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK"
#define MAX_STREAMS 16

typedef struct {
    const char *step;
    int64_t id;
    uint8_t data[64];
    size_t len, sent;
    int fin_sent, closed;
    uint8_t received[64];
    size_t received_len;
} raw_stream;

static ngtcp2_conn *conn;
static ngtcp2_crypto_conn_ref conn_ref;
static int fd, handshake_done, streams_opened;
static raw_stream streams[MAX_STREAMS];
static size_t stream_count;

static ngtcp2_tstamp now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ngtcp2_tstamp)ts.tv_sec * NGTCP2_SECONDS + (ngtcp2_tstamp)ts.tv_nsec;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) { (void)ref; return conn; }

/* Prints why the connection ended, with the peer's CONNECTION_CLOSE error code when it sent one. */
static int ended(int rv) {
    printf("%s: %s", handshake_done ? "connection closed" : "handshake failed", ngtcp2_strerror(rv));
    if (rv == NGTCP2_ERR_DRAINING) {
        ngtcp2_connection_close_error error;
        ngtcp2_conn_get_connection_close_error(conn, &error);
        printf(" (%s error 0x%llx)", error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT ? "transport" : "application",
               (unsigned long long)error.error_code);
    }
    printf("\n");
    return 1;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx) {
    (void)ctx;
    gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int new_cid_cb(ngtcp2_conn *c, ngtcp2_cid *cid, uint8_t *token, size_t len, void *user) {
    (void)c; (void)user;
    cid->datalen = len;
    gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, len);
    gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN);
    return 0;
}

static int handshake_completed_cb(ngtcp2_conn *c, void *user) {
    (void)c; (void)user;
    handshake_done = 1;
    printf("handshake ok\n");
    return 0;
}

static raw_stream *find(int64_t id) {
    for (size_t i = 0; i < stream_count; i++) if (streams[i].id == id) return &streams[i];
    return NULL;
}

static int recv_stream_data_cb(ngtcp2_conn *c, uint32_t flags, int64_t id, uint64_t offset,
                               const uint8_t *data, size_t len, void *user, void *stream_user) {
    (void)flags; (void)offset; (void)user; (void)stream_user;
    raw_stream *s = find(id);
    if (s) {
        size_t room = sizeof s->received - s->received_len;
        size_t n = len < room ? len : room;
        memcpy(s->received + s->received_len, data, n);
        s->received_len += n;
    }
    ngtcp2_conn_extend_max_stream_offset(c, id, len);
    ngtcp2_conn_extend_max_offset(c, len);
    return 0;
}

static int stream_close_cb(ngtcp2_conn *c, uint32_t flags, int64_t id, uint64_t code, void *user,
                           void *stream_user) {
    (void)c; (void)user; (void)stream_user;
    raw_stream *s = find(id);
    if (!s) return 0;
    s->closed = 1;
    printf("stream %s", s->step);
    if (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) printf(" reset %llu", (unsigned long long)code);
    else printf(" finished");
    if (strcmp(s->step, "echo") == 0) printf(" received '%.*s'", (int)s->received_len, (const char *)s->received);
    printf("\n");
    return 0;
}

static void fill(raw_stream *s) {
    if (strcmp(s->step, "empty") == 0) {
        s->len = 0;
    } else if (strcmp(s->step, "partial") == 0) {
        const uint8_t partial[] = {5, 't', 'e'};
        memcpy(s->data, partial, sizeof partial);
        s->len = sizeof partial;
    } else if (strcmp(s->step, "echo") == 0) {
        const char *tag = "test/echo/1";
        s->data[0] = (uint8_t)strlen(tag);
        memcpy(s->data + 1, tag, strlen(tag));
        memcpy(s->data + 1 + strlen(tag), "ping", 4);
        s->len = 1 + strlen(tag) + 4;
    } else {
        fprintf(stderr, "unknown step %s\n", s->step);
        exit(3);
    }
}

static void open_streams(void) {
    for (size_t i = 0; i < stream_count; i++) {
        if (ngtcp2_conn_open_bidi_stream(conn, &streams[i].id, NULL) != 0) {
            fprintf(stderr, "ngtcp2_conn_open_bidi_stream failed\n");
            exit(3);
        }
    }
    streams_opened = 1;
}

static raw_stream *next_to_send(void) {
    if (!streams_opened) return NULL;
    for (size_t i = 0; i < stream_count; i++) if (!streams[i].fin_sent) return &streams[i];
    return NULL;
}

/* Writes every packet ngtcp2 has; returns nonzero when the connection is over. */
static int flush(void) {
    for (;;) {
        ngtcp2_path_storage ps;
        ngtcp2_path_storage_zero(&ps);
        ngtcp2_pkt_info pi;
        uint8_t buf[1452];
        raw_stream *s = next_to_send();
        ngtcp2_vec vec;
        size_t count = 0;
        uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
        int64_t id = -1;
        if (s) {
            id = s->id;
            vec.base = s->data + s->sent;
            vec.len = s->len - s->sent;
            count = vec.len > 0;
            flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
        }
        ngtcp2_ssize written = -1;
        ngtcp2_ssize n = ngtcp2_conn_writev_stream(conn, &ps.path, &pi, buf, sizeof buf, &written, flags, id,
                                                   count ? &vec : NULL, count, now());
        if (s && written >= 0) {
            s->sent += (size_t)written;
            if (s->sent == s->len) s->fin_sent = 1;
        }
        if (n == NGTCP2_ERR_WRITE_MORE) continue;
        if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR) {
            s->fin_sent = 1;
            continue;
        }
        if (n < 0) {
            printf("write failed: %s\n", ngtcp2_strerror((int)n));
            return 1;
        }
        if (n == 0) return 0;
        if (send(fd, buf, (size_t)n, 0) < 0 && errno != ECONNREFUSED) perror("send");
    }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s HOST:PORT [nokey|p256key] STEP...\n", argv[0]); return 3; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char host[64];
    const char *colon = strrchr(argv[1], ':');
    if (!colon || (size_t)(colon - argv[1]) >= sizeof host) return 3;
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = 0;
    struct sockaddr_in remote = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &remote.sin_addr) != 1) return 3;
    int with_key = 1;
    gnutls_pk_algorithm_t algorithm = GNUTLS_PK_EDDSA_ED25519;
    unsigned int bits = 256;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "nokey") == 0) { with_key = 0; continue; }
        if (strcmp(argv[i], "p256key") == 0) {
            algorithm = GNUTLS_PK_ECDSA;
            bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
            continue;
        }
        if (stream_count == MAX_STREAMS) return 3;
        streams[stream_count].step = argv[i];
        fill(&streams[stream_count++]);
    }

    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0) { perror("socket"); return 3; }
    struct sockaddr_in local;
    socklen_t local_len = sizeof local;
    getsockname(fd, (struct sockaddr *)&local, &local_len);

    gnutls_certificate_credentials_t credentials;
    gnutls_certificate_allocate_credentials(&credentials);
    if (with_key) {
        gnutls_privkey_t private_key;
        gnutls_pubkey_t public_key;
        gnutls_pcert_st *pcert = calloc(1, sizeof *pcert);
        if (gnutls_privkey_init(&private_key) < 0 || gnutls_privkey_generate(private_key, algorithm, bits, 0) < 0
            || gnutls_pubkey_init(&public_key) < 0 || gnutls_pubkey_import_privkey(public_key, private_key, 0, 0) < 0
            || gnutls_pcert_import_rawpk(pcert, public_key, 0) < 0
            || gnutls_certificate_set_key(credentials, NULL, 0, pcert, 1, private_key) < 0) {
            fprintf(stderr, "key setup failed\n");
            return 3;
        }
    }
    gnutls_session_t session;
    gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_ENABLE_RAWPK | GNUTLS_NO_END_OF_EARLY_DATA);
    ngtcp2_crypto_gnutls_configure_client_session(session);
    gnutls_priority_set_direct(session, PRIORITY, NULL);
    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials);
    gnutls_datum_t alpn = {.data = (unsigned char *)"can-sync/1", .size = 10};
    gnutls_alpn_set_protocols(session, &alpn, 1, GNUTLS_ALPN_MANDATORY);
    conn_ref.get_conn = get_conn;
    gnutls_session_set_ptr(session, &conn_ref);

    ngtcp2_callbacks callbacks = {0};
    callbacks.client_initial = ngtcp2_crypto_client_initial_cb;
    callbacks.recv_retry = ngtcp2_crypto_recv_retry_cb;
    callbacks.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    callbacks.encrypt = ngtcp2_crypto_encrypt_cb;
    callbacks.decrypt = ngtcp2_crypto_decrypt_cb;
    callbacks.hp_mask = ngtcp2_crypto_hp_mask_cb;
    callbacks.update_key = ngtcp2_crypto_update_key_cb;
    callbacks.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    callbacks.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    callbacks.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    callbacks.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    callbacks.rand = rand_cb;
    callbacks.get_new_connection_id = new_cid_cb;
    callbacks.handshake_completed = handshake_completed_cb;
    callbacks.recv_stream_data = recv_stream_data_cb;
    callbacks.stream_close = stream_close_cb;

    ngtcp2_settings settings;
    ngtcp2_settings_default(&settings);
    settings.initial_ts = now();
    settings.handshake_timeout = 5 * NGTCP2_SECONDS;
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_stream_data_bidi_local = 1 << 20;
    params.initial_max_data = 1 << 20;
    params.max_idle_timeout = 10 * NGTCP2_SECONDS;
    ngtcp2_cid dcid = {.datalen = 18}, scid = {.datalen = 18};
    gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen);
    gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
    ngtcp2_path path = {
        .local = {.addr = (ngtcp2_sockaddr *)&local, .addrlen = local_len},
        .remote = {.addr = (ngtcp2_sockaddr *)&remote, .addrlen = sizeof remote},
    };
    if (ngtcp2_conn_client_new(&conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &callbacks, &settings, &params,
                               NULL, NULL) != 0) {
        fprintf(stderr, "ngtcp2_conn_client_new failed\n");
        return 3;
    }
    ngtcp2_conn_set_tls_native_handle(conn, session);

    ngtcp2_tstamp deadline = now() + 8 * NGTCP2_SECONDS;
    if (flush()) return 1;
    for (;;) {
        if (handshake_done && !streams_opened) { open_streams(); if (flush()) return 1; }
        if (streams_opened) {
            size_t closed = 0;
            for (size_t i = 0; i < stream_count; i++) closed += streams[i].closed;
            if (closed == stream_count) return 0;
        }
        ngtcp2_tstamp t = now();
        if (t >= deadline) { printf("timed out\n"); return 2; }
        ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn);
        ngtcp2_tstamp wake = expiry < deadline ? expiry : deadline;
        int timeout = wake > t ? (int)((wake - t) / NGTCP2_MILLISECONDS) + 1 : 0;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout) > 0) {
            uint8_t buf[65536];
            ssize_t n;
            while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
                ngtcp2_pkt_info pi = {0};
                int rv = ngtcp2_conn_read_pkt(conn, &path, &pi, buf, (size_t)n, now());
                if (rv != 0) return ended(rv);
            }
        }
        if (now() >= ngtcp2_conn_get_expiry(conn)) {
            int rv = ngtcp2_conn_handle_expiry(conn, now());
            if (rv != 0) return ended(rv);
        }
        if (flush()) return 1;
    }
}
