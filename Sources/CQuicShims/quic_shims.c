#define _GNU_SOURCE
#include "quic_shims.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

int quic_shim_ppoll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns) {
    if (timeout_ns < 0) return ppoll(fds, nfds, NULL, NULL);
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return ppoll(fds, nfds, &ts, NULL);
}

#include <sys/prctl.h>

void quic_shim_set_timer_slack(unsigned long nanoseconds) {
    prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

uint64_t quic_shim_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_port(const char *text, uint16_t *out) {
    if (*text == 0) return -1;
    char *end = NULL;
    errno = 0;
    long port = strtol(text, &end, 10);
    if (errno != 0 || *end != 0 || port < 0 || port > 65535) return -1;
    *out = (uint16_t)port;
    return 0;
}

int quic_shim_parse_address(const char *text, struct sockaddr_storage *out, socklen_t *out_len) {
    char host[INET6_ADDRSTRLEN + 1];
    uint16_t port;
    memset(out, 0, sizeof(*out));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host)) return -1;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = 0;
        if (parse_port(close + 2, &port) != 0) return -1;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        *out_len = sizeof(*a);
        return 0;
    }
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof(host)) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    if (parse_port(colon + 1, &port) != 0) return -1;
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    *out_len = sizeof(*a);
    return 0;
}

void quic_shim_format_address(const struct sockaddr *addr, char *buf, size_t cap) {
    char host[INET6_ADDRSTRLEN];
    if (cap == 0) return;
    buf[0] = 0;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(buf, cap, "%s:%u", host, ntohs(a->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof(host));
            snprintf(buf, cap, "%s:%u", host, ntohs(a->sin6_port));
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            snprintf(buf, cap, "[%s]:%u", host, ntohs(a->sin6_port));
        }
    }
}

int quic_shim_map_v4_to_v6(const struct sockaddr_storage *in, struct sockaddr_storage *out, socklen_t *out_len) {
    if (in->ss_family != AF_INET) return -1;
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)in;
    struct sockaddr_in6 v6;
    memset(&v6, 0, sizeof(v6));
    v6.sin6_family = AF_INET6;
    v6.sin6_port = v4->sin_port;
    v6.sin6_addr.s6_addr[10] = 0xff;
    v6.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&v6.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
    memset(out, 0, sizeof(*out));
    memcpy(out, &v6, sizeof(v6));
    *out_len = sizeof(v6);
    return 0;
}

int quic_shim_udp_bind(const struct sockaddr *addr, socklen_t len, int buffer_bytes) {
    int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (addr->sa_family == AF_INET6) {
        int off = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    }
    /* SO_*BUFFORCE needs CAP_NET_ADMIN; fall back to the capped variant. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof(buffer_bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer_bytes, sizeof(buffer_bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
    /* Coalesced receive: a GSO burst from the peer arrives as one buffer instead of many datagrams. */
    int on = 1;
    setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
    if (bind(fd, addr, len) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

#define MAX_BATCH 64

int quic_shim_recv_batch(int fd, uint8_t *buf, size_t slot, size_t count, size_t *lens, size_t *segs,
                         struct sockaddr_storage *addrs, socklen_t *addr_lens) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iovs[MAX_BATCH];
    char controls[MAX_BATCH][CMSG_SPACE(sizeof(int))];
    if (count > MAX_BATCH) count = MAX_BATCH;
    memset(msgs, 0, sizeof(msgs[0]) * count);
    for (size_t i = 0; i < count; i++) {
        iovs[i].iov_base = buf + i * slot;
        iovs[i].iov_len = slot;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
        msgs[i].msg_hdr.msg_control = controls[i];
        msgs[i].msg_hdr.msg_controllen = sizeof(controls[i]);
    }
    int n = recvmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT, NULL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        return -errno;
    }
    for (int i = 0; i < n; i++) {
        /* A truncated datagram is useless to QUIC: report it as empty so it is dropped. */
        lens[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : msgs[i].msg_len;
        segs[i] = lens[i];
        addr_lens[i] = msgs[i].msg_hdr.msg_namelen;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
            if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
                int size;
                memcpy(&size, CMSG_DATA(cm), sizeof(size));
                if (size > 0) segs[i] = (size_t)size;
            }
        }
    }
    return n;
}

static int gso_broken = 0;

static ssize_t send_mmsg(int fd, const uint8_t *data, size_t len, size_t segment,
                         const struct sockaddr *addr, socklen_t addr_len) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iovs[MAX_BATCH];
    size_t n = 0, offset = 0;
    while (offset < len && n < MAX_BATCH) {
        size_t size = len - offset < segment ? len - offset : segment;
        iovs[n].iov_base = (void *)(data + offset);
        iovs[n].iov_len = size;
        memset(&msgs[n], 0, sizeof(msgs[n]));
        msgs[n].msg_hdr.msg_iov = &iovs[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        msgs[n].msg_hdr.msg_name = (void *)addr;
        msgs[n].msg_hdr.msg_namelen = addr_len;
        offset += size;
        n++;
    }
    int sent = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        return -errno;
    }
    size_t bytes = 0;
    for (int i = 0; i < sent; i++) bytes += iovs[i].iov_len;
    return (ssize_t)bytes;
}

ssize_t quic_shim_send_batch(int fd, const uint8_t *data, size_t len, size_t segment,
                             const struct sockaddr *addr, socklen_t addr_len) {
    if (len <= segment || gso_broken) return send_mmsg(fd, data, len, segment, addr, addr_len);
    char control[CMSG_SPACE(sizeof(uint16_t))];
    memset(control, 0, sizeof(control));
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = (void *)addr;
    msg.msg_namelen = addr_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t seg = (uint16_t)segment;
    memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
    ssize_t n = sendmsg(fd, &msg, 0);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
        gso_broken = 1;
        return send_mmsg(fd, data, len, segment, addr, addr_len);
    }
    return -errno;
}

int quic_shim_eventfd(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void quic_shim_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t ignored = write(fd, &one, sizeof(one));
    (void)ignored;
}

void quic_shim_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t ignored = read(fd, &value, sizeof(value));
    (void)ignored;
}

#include <stdarg.h>

static void ngtcp2_log_to_stderr(void *user_data, const char *format, ...) {
    (void)user_data;
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

void quic_shim_enable_ngtcp2_log(ngtcp2_settings *settings) {
    settings->log_printf = ngtcp2_log_to_stderr;
}
