import CQuicShims
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address in the text form the ABI uses ("1.2.3.4:5", "[::1]:5").
struct SocketAddress: Equatable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    init() {}

    /// Parses ABI address text; nil for anything else.
    init?(text: String) {
        var parsed = sockaddr_storage()
        var parsedLength: socklen_t = 0
        guard quic_shim_parse_address(text, &parsed, &parsedLength) == 0 else { return nil }
        storage = parsed
        length = parsedLength
    }

    init(_ pointer: UnsafePointer<sockaddr>, length: socklen_t) {
        self.length = min(length, socklen_t(MemoryLayout<sockaddr_storage>.size))
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(self.length)))
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// The same address in the form a socket of `family` can send to (IPv4 → v4-mapped IPv6).
    func usable(by family: Int32) -> SocketAddress? {
        if self.family == family { return self }
        guard family == AF_INET6, self.family == AF_INET else { return nil }
        var mapped = SocketAddress()
        var source = storage
        guard quic_shim_map_v4_to_v6(&source, &mapped.storage, &mapped.length) == 0 else { return nil }
        return mapped
    }

    var text: String {
        var copy = storage
        var buffer = [CChar](repeating: 0, count: 80)
        withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                quic_shim_format_address(address, &buffer, buffer.count)
            }
        }
        return String(cBuffer: buffer)
    }

    var port: UInt16 {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            family == AF_INET
                ? UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port })
                : UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port })
        }
    }

    var isUnspecified: Bool {
        let text = self.text
        return text.hasPrefix("0.0.0.0:") || text.hasPrefix("[::]:")
    }

    /// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address: traffic that never leaves this host.
    var isLoopback: Bool {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            if family == AF_INET {
                let address = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                return address >> 24 == 127
            }
            guard family == AF_INET6 else { return false }
            let bytes = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
        }
    }

    static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        guard lhs.length == rhs.length else { return false }
        var a = lhs.storage
        var b = rhs.storage
        return memcmp(&a, &b, Int(lhs.length)) == 0
    }
}
