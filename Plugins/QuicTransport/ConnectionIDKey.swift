import CNgtcp2

/// A QUIC connection id (at most 20 bytes) as a dictionary key that needs no allocation:
/// the receive path looks one up for every datagram.
struct ConnectionIDKey: Hashable {
    private var words: (UInt64, UInt64, UInt32) = (0, 0, 0)
    private var length: UInt8 = 0

    init(_ bytes: UnsafePointer<UInt8>, count: Int) {
        let count = min(count, 20)
        length = UInt8(count)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: count))
        }
    }

    init(_ cid: ngtcp2_cid) {
        var copy = cid
        let count = copy.datalen
        self = withUnsafeBytes(of: &copy.data) { raw in
            ConnectionIDKey(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
        }
    }

    static func == (lhs: ConnectionIDKey, rhs: ConnectionIDKey) -> Bool {
        lhs.length == rhs.length && lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
            && lhs.words.2 == rhs.words.2
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(length)
    }
}
