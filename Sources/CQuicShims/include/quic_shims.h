#ifndef CAN_SYNC_QUIC_SHIMS_H
#define CAN_SYNC_QUIC_SHIMS_H
#include <poll.h>
#include <stdint.h>

/** ppoll with a nanosecond timeout (timeout_ns < 0 waits forever): ngtcp2 timers need sub-ms resolution. */
int quic_shim_ppoll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns);

#endif
