#ifndef CAN_SYNC_QUIC_SHIMS_H
#define CAN_SYNC_QUIC_SHIMS_H
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** ppoll with a nanosecond timeout (timeout_ns < 0 waits forever): ngtcp2 timers need sub-ms resolution. */
int quic_shim_ppoll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns);

/** Sets the calling thread's timer slack (default 50 us): pacing sleeps are often shorter than that. */
void quic_shim_set_timer_slack(unsigned long nanoseconds);

/** CLOCK_MONOTONIC in nanoseconds: the clock ngtcp2 timestamps use. */
uint64_t quic_shim_now_ns(void);

/** Parses "a.b.c.d:port" or "[v6]:port" into *out. Returns 0, or -1 for anything else. */
int quic_shim_parse_address(const char *text, struct sockaddr_storage *out, socklen_t *out_len);

/** Writes "a.b.c.d:port" or "[v6]:port" into buf (v4-mapped IPv6 is written as IPv4). */
void quic_shim_format_address(const struct sockaddr *addr, char *buf, size_t cap);

/** Maps an IPv4 address to its v4-mapped IPv6 form (for dual-stack sockets); returns 0 or -1. */
int quic_shim_map_v4_to_v6(const struct sockaddr_storage *in, struct sockaddr_storage *out, socklen_t *out_len);

/** A non-blocking UDP socket bound to addr with send/receive buffers of `buffer_bytes`.
    Returns the fd, or -errno. IPv6 sockets are dual-stack. */
int quic_shim_udp_bind(const struct sockaddr *addr, socklen_t len, int buffer_bytes);

/** Receives up to `count` messages with recvmmsg into slots of `slot` bytes starting at buf.
    With UDP GRO a message holds several datagrams of segs[i] bytes each (the last may be shorter);
    without, segs[i] == lens[i]. Returns the number of messages (0 when none wait) or -errno. */
int quic_shim_recv_batch(int fd, uint8_t *buf, size_t slot, size_t count, size_t *lens, size_t *segs,
                         struct sockaddr_storage *addrs, socklen_t *addr_lens);

/** Sends `len` bytes made of datagrams of `segment` bytes (the last may be shorter) to addr, with
    UDP GSO when the kernel supports it and one sendmmsg otherwise. Returns the bytes sent
    (whole datagrams, possibly fewer than len when the socket buffer is full) or -errno. */
ssize_t quic_shim_send_batch(int fd, const uint8_t *data, size_t len, size_t segment,
                             const struct sockaddr *addr, socklen_t addr_len);

/** A non-blocking eventfd used to wake the I/O thread, or -errno. */
int quic_shim_eventfd(void);
/** Adds 1 to an eventfd. */
void quic_shim_eventfd_signal(int fd);
/** Resets an eventfd to 0. */
void quic_shim_eventfd_drain(int fd);




#include <ngtcp2/ngtcp2.h>
/** Sends ngtcp2's own debug log to stderr (the log callback is variadic, which Swift cannot provide). */
void quic_shim_enable_ngtcp2_log(ngtcp2_settings *settings);
#endif
