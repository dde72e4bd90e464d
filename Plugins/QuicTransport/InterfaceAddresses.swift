#if canImport(Glibc)
import Glibc
#endif

/// The machine's interface addresses, for a socket bound to the wildcard address.
enum InterfaceAddresses {
    /// Every address of `family` (IPv6 sockets also list IPv4, being dual-stack) with `port`,
    /// loopback last.
    static func list(family: Int32, port: UInt16) -> [String] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var found: [String] = []
        var loopback: [String] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let entryFamily = Int32(address.pointee.sa_family)
            guard entryFamily == family || (family == AF_INET6 && entryFamily == AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let text: String
            if entryFamily == AF_INET {
                var raw = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                inet_ntop(AF_INET, &raw, &host, socklen_t(host.count))
                text = "\(String(cBuffer: host)):\(port)"
            } else {
                var raw = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                if raw.__in6_u.__u6_addr8.0 == 0xfe && raw.__in6_u.__u6_addr8.1 & 0xc0 == 0x80 { continue }
                inet_ntop(AF_INET6, &raw, &host, socklen_t(host.count))
                text = "[\(String(cBuffer: host))]:\(port)"
            }
            if entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) != 0 { loopback.append(text) } else { found.append(text) }
        }
        return found + loopback
    }
}
