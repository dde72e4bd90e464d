#define _GNU_SOURCE
#include "quic_shims.h"
#include <time.h>

int quic_shim_ppoll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns) {
    if (timeout_ns < 0) return ppoll(fds, nfds, NULL, NULL);
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return ppoll(fds, nfds, &ts, NULL);
}
