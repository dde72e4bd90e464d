import CNgtcp2
#if canImport(Glibc)
import Glibc
#endif

/// The I/O thread's fixed buffers: a batch of receive slots for recvmmsg, a send area that holds
/// one GSO batch, and the vectors handed to ngtcp2. Allocated once, used only under the lock.
final class DatagramBuffers {
    /// Receive slots per recvmmsg: 16 slots of up to 64 KiB take 1 MiB a call, far more than one
    /// pass of the I/O loop consumes, and every slot's pages stay resident once GRO has filled it.
    static let receiveSlots = 16
    /// Bytes per GSO send, headers excluded: the kernel takes up to 64 KiB in one go. This is also
    /// the largest datagram sent.
    static let largestBatch = 65_000
    /// A receive slot holds one message: a datagram of any size, or with UDP GRO a burst of them
    /// (up to 64 KiB), so the transport parameter max_udp_payload_size keeps its default (no limit).
    let slotSize = 65_536
    let receive: UnsafeMutablePointer<UInt8>
    let lengths: UnsafeMutablePointer<Int>
    let segments: UnsafeMutablePointer<Int>
    let addresses: UnsafeMutablePointer<sockaddr_storage>
    let addressLengths: UnsafeMutablePointer<socklen_t>
    let send: UnsafeMutablePointer<UInt8>
    let sendCapacity: Int
    let vectors: UnsafeMutablePointer<ngtcp2_vec>
    static let vectorCount = 16
    /// Scratch for single control packets (close, version negotiation, stateless reset).
    let control: UnsafeMutablePointer<UInt8>
    static let controlSize = 2048

    init() {
        receive = .allocate(capacity: Self.receiveSlots * slotSize)
        lengths = .allocate(capacity: Self.receiveSlots)
        segments = .allocate(capacity: Self.receiveSlots)
        addresses = .allocate(capacity: Self.receiveSlots)
        addressLengths = .allocate(capacity: Self.receiveSlots)
        sendCapacity = Self.largestBatch
        send = .allocate(capacity: sendCapacity)
        vectors = .allocate(capacity: Self.vectorCount)
        control = .allocate(capacity: Self.controlSize)
    }

    deinit {
        receive.deallocate()
        lengths.deallocate()
        segments.deallocate()
        addresses.deallocate()
        addressLengths.deallocate()
        send.deallocate()
        vectors.deallocate()
        control.deallocate()
    }
}
