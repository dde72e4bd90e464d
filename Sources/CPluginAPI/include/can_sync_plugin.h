/*
 * can_sync_plugin.h — the CAN Sync plugin ABI.
 *
 * A plugin is a shared library that exports one symbol, CSYNC_PLUGIN_ENTRY_SYMBOL, a function
 * returning a pointer to a static csync_plugin_descriptor. The host loads it with dlopen
 * (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and never unloads it.
 *
 * Rules that hold for every function in this file:
 *  - Every struct starts with a size or version field so it can grow without breaking old plugins.
 *  - Strings are NUL-terminated UTF-8. A `const` pointer handed to a callee is BORROWED: valid only
 *    for the duration of that call; copy what you keep. Nothing crosses the boundary that the
 *    other side must free, unless the function says so.
 *  - Functions that can fail return csync_status (0 = CSYNC_OK, negative = error) and, when given a
 *    non-NULL `csync_error *`, write a human-readable message into it (caller-owned storage).
 *  - Node ids are 32-byte Ed25519 public keys.
 *  - Addresses are text, "IPv4:port" or "[IPv6]:port".
 *  - Plugin functions may be called from any host thread and must be thread-safe. Host callbacks may
 *    be called from any plugin thread; the host never blocks in them, and a plugin must not hold a
 *    lock that its own vtable functions take while it calls into the host (the host may call back).
 */
#ifndef CAN_SYNC_PLUGIN_H
#define CAN_SYNC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped on any incompatible change; the host refuses a plugin whose descriptor differs. */
#define CSYNC_PLUGIN_ABI_VERSION 1
/** The one symbol every plugin exports: `const csync_plugin_descriptor *can_sync_plugin_entry(void)`. */
#define CSYNC_PLUGIN_ENTRY_SYMBOL "can_sync_plugin_entry"

typedef enum csync_status {
    CSYNC_OK = 0,
    CSYNC_ERR_INVALID = -1,      /* bad argument or bad input (e.g. an unknown filter field) */
    CSYNC_ERR_NOT_FOUND = -2,    /* unknown connection, stream, peer */
    CSYNC_ERR_WOULD_BLOCK = -3,  /* try again after the matching "ready" callback */
    CSYNC_ERR_CLOSED = -4,       /* the connection or stream is gone */
    CSYNC_ERR_IO = -5,           /* network or file failure */
    CSYNC_ERR_UNSUPPORTED = -6,
    CSYNC_ERR_INTERNAL = -7
} csync_status;

typedef enum csync_plugin_kind {
    CSYNC_KIND_TRANSPORT = 1,
    CSYNC_KIND_DISCOVERY = 2,
    CSYNC_KIND_FILTER = 3
} csync_plugin_kind;

typedef enum csync_log_level {
    CSYNC_LOG_DEBUG = 0,
    CSYNC_LOG_INFO = 1,
    CSYNC_LOG_WARNING = 2,
    CSYNC_LOG_ERROR = 3
} csync_log_level;

/** Caller-owned error text; the callee writes a NUL-terminated message (truncated to fit). */
typedef struct csync_error {
    char message[512];
} csync_error;

/* ------------------------------------------------------------------------------------------ */
/* Host services: one table, passed to every plugin's initialize().                            */
/* ------------------------------------------------------------------------------------------ */

/** One library this node is a member of, as seen by discovery plugins. */
typedef struct csync_library_event {
    uint32_t struct_size;
    const char *library_id;        /* UUID text */
    int32_t joined;                /* 1: this node now syncs the library; 0: it left */
    const uint8_t *topic_key;      /* 32 bytes derived from the library secret: only members know it */
    const uint8_t *bootstrap_ids;  /* n_bootstrap * 32 bytes: peers named by the join ticket */
    size_t n_bootstrap;
} csync_library_event;

/** Called for every library event; the event and everything it points to are borrowed. */
typedef void (*csync_library_event_fn)(void *user, const csync_library_event *event);

typedef struct csync_host_api {
    uint32_t struct_size;
    void *host_ctx;                     /* pass back as the first argument of every host function */

    const uint8_t *node_id;             /* 32 bytes, this node's Ed25519 public key */
    const uint8_t *node_secret_key;     /* 64 bytes (libsodium layout: seed || public key);
                                           non-NULL for transport plugins only */
    const char *sync_passphrase;        /* config.yaml's sync_passphrase, "" when unset */
    const char *data_dir;               /* a directory the plugin may keep state in */

    /** Writes one line to the node's log. */
    void (*log)(void *host_ctx, csync_log_level level, const char *message);

    /* --- for discovery plugins --- */

    /** Reports a peer and the addresses it can be reached at. `source` names the method (e.g. "pkarr"). */
    void (*peer_discovered)(void *host_ctx, const uint8_t *node_id, const char *const *addrs,
                            size_t n_addrs, const char *source);
    /** Copies this node's reachable addresses, newline-separated, into buf (NUL-terminated if cap > 0).
        Returns the length needed without the NUL; call again with a larger buffer if it did not fit. */
    size_t (*local_addresses)(void *host_ctx, char *buf, size_t cap);
    /** Registers fn for library membership events; current memberships are replayed at once. */
    void (*subscribe_libraries)(void *host_ctx, csync_library_event_fn fn, void *user);
    /** Sends one message (at most 64 KiB) to the same plugin on another node. Delivery is best effort
        over the transport; it arrives through the discovery vtable's on_message. */
    csync_status (*send_message)(void *host_ctx, const uint8_t *node_id, const uint8_t *data, size_t len);

    /* --- for transport plugins --- */

    /** A connection finished its handshake; peer_id is the key the peer proved. incoming: 1 if accepted. */
    void (*connection_opened)(void *host_ctx, uint64_t conn, const uint8_t *peer_id, int32_t incoming,
                              const char *remote_addr);
    /** A connection ended (closed by either side, idle timeout, or error). No more callbacks for it. */
    void (*connection_closed)(void *host_ctx, uint64_t conn, int32_t code, const char *reason);
    /** A dial started with dial() failed on every address. */
    void (*dial_failed)(void *host_ctx, const uint8_t *peer_id, const char *reason);
    /** The peer opened a stream tagged with `protocol`. */
    void (*stream_opened)(void *host_ctx, uint64_t conn, uint64_t stream, const char *protocol);
    /** Bytes arrived on a stream (borrowed). fin = 1: the peer finished sending. The plugin grants the
        peer more flow-control credit only as the host calls consume(); this is the receive backpressure. */
    void (*stream_data)(void *host_ctx, uint64_t stream, const uint8_t *data, size_t len, int32_t fin);
    /** A write() that returned less than asked may be retried now. */
    void (*stream_writable)(void *host_ctx, uint64_t stream);
    /** The peer reset the stream, or it died with its connection. No more callbacks for it. */
    void (*stream_reset)(void *host_ctx, uint64_t stream, uint64_t code);
} csync_host_api;

/* ------------------------------------------------------------------------------------------ */
/* Filter plugins: decide which assets belong to a library.                                     */
/* ------------------------------------------------------------------------------------------ */

/** An asset as filters see it. Everything is borrowed for the duration of the call. */
typedef struct csync_asset_view {
    uint32_t struct_size;
    const char *hash;              /* 64 lowercase hex */
    uint64_t size;
    const char *mime_type;         /* "" when unknown */
    const char *application;       /* NULL when absent */
    const char *user;              /* NULL when absent */
    const char *filename;          /* NULL when absent */
    const char *const *tags;
    size_t n_tags;
    const char *metadata_json;     /* a JSON object, "{}" when empty */
    int64_t created_at_ms;
    int64_t updated_at_ms;
} csync_asset_view;

typedef struct csync_filter_vtable {
    uint32_t struct_size;
    /** NULL-terminated list of the filter fields this plugin owns (e.g. "application", "tags").
        A library filter field that no loaded filter plugin owns is rejected as unknown. */
    const char *const *fields;
    /** Compiles the part of a library filter that this plugin owns: a JSON object holding only its
        fields. On success *out_filter is an opaque handle owned by the plugin until release().
        Bad values: CSYNC_ERR_INVALID with a message naming the field. */
    csync_status (*compile)(void *state, const char *filter_json, void **out_filter, csync_error *err);
    /** 1 if the asset matches, 0 if not. Never fails for a compiled filter. */
    int32_t (*matches)(void *state, const void *filter, const csync_asset_view *asset);
    /** Frees a handle from compile(). */
    void (*release)(void *state, void *filter);
} csync_filter_vtable;

/* ------------------------------------------------------------------------------------------ */
/* Discovery plugins: find peers and report them with host->peer_discovered.                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct csync_discovery_vtable {
    uint32_t struct_size;
    /** Starts discovering (threads, timers). Called once, after every plugin is initialized and the
        transport is bound, so host->local_addresses already answers. */
    csync_status (*start)(void *state, csync_error *err);
    /** A message sent by this plugin on node `from` (32 bytes) with host->send_message. Borrowed. */
    void (*on_message)(void *state, const uint8_t *from, const uint8_t *data, size_t len);
} csync_discovery_vtable;

/* ------------------------------------------------------------------------------------------ */
/* Transport plugins: authenticated, encrypted, multiplexed connections between node ids.      */
/* ------------------------------------------------------------------------------------------ */

/** Counters of one connection, filled by connection_info(). */
typedef struct csync_connection_info {
    uint32_t struct_size;
    uint8_t peer_id[32];
    char remote_addr[64];
    uint64_t rtt_us;               /* smoothed round-trip time */
    uint64_t bytes_sent;
    uint64_t bytes_received;
} csync_connection_info;

typedef struct csync_transport_vtable {
    uint32_t struct_size;
    /** Binds the listening socket(s) named by the plugin's settings and starts the I/O thread. */
    csync_status (*start)(void *state, csync_error *err);
    /** Like host->local_addresses, for the addresses this transport is bound to. */
    size_t (*local_addresses)(void *state, char *buf, size_t cap);
    /** Connects to peer_id, racing the candidate addresses; returns at once. The outcome arrives as
        host->connection_opened or host->dial_failed. If a connection to peer_id exists (either
        direction), it is reported again instead of opening a second one. */
    csync_status (*dial)(void *state, const uint8_t *peer_id, const char *const *addrs, size_t n_addrs,
                         csync_error *err);
    /** Opens a bidirectional stream tagged with `protocol` (at most 255 bytes); the peer sees the tag
        in its host->stream_opened. */
    csync_status (*open_stream)(void *state, uint64_t conn, const char *protocol, uint64_t *out_stream,
                                csync_error *err);
    /** Queues up to len bytes (copied) and, with fin = 1 and everything accepted, finishes the stream.
        Returns the number of bytes accepted (>= 0), or a negative csync_status. Fewer than len
        means the send window is full: retry after host->stream_writable. */
    int64_t (*write)(void *state, uint64_t stream, const uint8_t *data, size_t len, int32_t fin);
    /** The host has processed n bytes delivered by host->stream_data; the plugin may grant the peer
        that much more credit. */
    void (*consume)(void *state, uint64_t stream, size_t n);
    /** Abandons a stream in both directions with an application error code. */
    csync_status (*reset_stream)(void *state, uint64_t stream, uint64_t code);
    /** Closes a connection with an application error code and reason. host->connection_closed follows. */
    csync_status (*close_connection)(void *state, uint64_t conn, uint64_t code, const char *reason);
    /** Fills *out for a live connection. */
    csync_status (*connection_info)(void *state, uint64_t conn, csync_connection_info *out);
} csync_transport_vtable;

/* ------------------------------------------------------------------------------------------ */
/* The descriptor.                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct csync_plugin_descriptor {
    uint32_t abi_version;          /* CSYNC_PLUGIN_ABI_VERSION; checked before anything else is read */
    uint32_t struct_size;          /* sizeof(csync_plugin_descriptor) */
    csync_plugin_kind kind;
    const char *name;              /* short, unique among loaded plugins, e.g. "quic" */
    const char *version;           /* the plugin's own version, e.g. "1.0.0" */
    /** Creates the plugin's state. `host` stays valid for the life of the process. settings_json is
        the plugin's `settings` mapping from plugins.yaml as a JSON object ("{}" when absent). */
    csync_status (*initialize)(const csync_host_api *host, const char *settings_json, void **out_state,
                               csync_error *err);
    /** Stops threads and frees the state; the library itself stays loaded. */
    void (*shutdown)(void *state);
    /* Exactly one of these is non-NULL, matching `kind`. */
    const csync_transport_vtable *transport;
    const csync_discovery_vtable *discovery;
    const csync_filter_vtable *filter;
} csync_plugin_descriptor;

typedef const csync_plugin_descriptor *(*csync_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
