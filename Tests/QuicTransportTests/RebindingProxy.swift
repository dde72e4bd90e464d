import Foundation

/// A UDP relay on 127.0.0.1 whose upstream socket can be swapped for one on a new port, as a NAT
/// does when it rebinds. It notes the largest datagram it relayed.
final class RebindingProxy: @unchecked Sendable {
    private let lock = NSLock()
    private var largest = 0
    private let listener: Int32
    private var upstream: Int32
    private var retired: [Int32] = []
    private var clientAddress = sockaddr_in()
    private var hasClient = false
    private var running = true
    private let target: sockaddr_in
    private let stopped = DispatchSemaphore(value: 0)
    let address: String

    init(target text: String) throws {
        let parts = text.split(separator: ":")
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_addr.s_addr = inet_addr(String(parts[0]))
        target.sin_port = UInt16(parts[1])!.bigEndian
        self.target = target
        listener = Self.boundSocket()
        upstream = Self.boundSocket()
        address = "127.0.0.1:\(Self.port(of: listener))"
        let thread = Thread { [self] in
            relay()
            stopped.signal()
        }
        thread.start()
    }

    var largestDatagram: Int { lock.withLock { largest } }

    var upstreamAddress: String { lock.withLock { "127.0.0.1:\(Self.port(of: upstream))" } }

    /// Sends from a new port from now on; answers to the old one are still relayed.
    func rebind() {
        let fresh = Self.boundSocket()
        lock.withLock {
            retired.append(upstream)
            upstream = fresh
        }
    }

    func stop() {
        let wasRunning = lock.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        stopped.wait()
        lock.withLock {
            close(listener)
            close(upstream)
            retired.forEach { close($0) }
        }
    }

    private func relay() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while lock.withLock({ running }) {
            let (current, old) = lock.withLock { (upstream, retired) }
            var fds = ([listener, current] + old).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 50) > 0 else { continue }
            for entry in fds where entry.revents & Int16(POLLIN) != 0 {
                var from = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let count = withUnsafeMutablePointer(to: &from) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(entry.fd, &buffer, buffer.count, 0, $0, &length) }
                }
                guard count > 0 else { continue }
                lock.withLock { largest = max(largest, count) }
                if entry.fd == listener {
                    lock.withLock {
                        clientAddress = from
                        hasClient = true
                    }
                    send(buffer, count, from: current, to: target)
                } else if let client = lock.withLock({ hasClient ? clientAddress : nil }) {
                    send(buffer, count, from: listener, to: client)
                }
            }
        }
    }

    private func send(_ buffer: [UInt8], _ count: Int, from socket: Int32, to destination: sockaddr_in) {
        var destination = destination
        _ = withUnsafePointer(to: &destination) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(socket, buffer, count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    private static func boundSocket() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return fd
    }

    private static func port(of fd: Int32) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
