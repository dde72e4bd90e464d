import CANModel
import Foundation
import TestSupport
import XCTest

/// `Expect: 100-continue` over a raw socket: the store must invite the body instead of leaving the client to
/// time out.
final class CANStoreExpectContinueTests: CANStoreTestCase {
    func testExpectContinueGetsAnInterimResponseBeforeTheBody() throws {
        let boundary = "continue"
        let body = multipart(boundary: boundary, parts: [
            ("Content-Disposition: form-data; name=\"file\"; filename=\"c.txt\"", Data("after 100".utf8)),
        ])
        let socket = try LoopbackSocket(port: store.port, timeoutSeconds: 5)
        try socket.send(Data("""
            POST /api/v1/can/0/ingest HTTP/1.1\r
            Host: 127.0.0.1\r
            Content-Type: multipart/form-data; boundary=\(boundary)\r
            Content-Length: \(body.count)\r
            Expect: 100-continue\r
            \r

            """.utf8))
        let interim = try socket.receive { $0.contains("\r\n\r\n") }
        XCTAssertTrue(interim.hasPrefix("HTTP/1.1 100"), "expected 100 Continue before sending the body, got: \(interim)")
        try socket.send(body)
        let final = try socket.receive { $0.contains("\"hash\"") && $0.hasSuffix("}") }
        XCTAssertTrue(final.contains("HTTP/1.1 200"), final)
        XCTAssertTrue(final.contains(SHA256Hasher.hex(of: Array("after 100".utf8))), final)
    }
}

/// A blocking TCP connection to 127.0.0.1 with a receive timeout, for speaking raw HTTP.
private final class LoopbackSocket {
    private let descriptor: Int32

    init(port: Int, timeoutSeconds: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw SocketError("connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    func send(_ data: Data) throws {
        let sent = data.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == data.count else { throw SocketError("short send on test socket") }
    }

    /// Reads until what has arrived satisfies `done`; throws on timeout or close.
    func receive(until done: (String) -> Bool) throws -> String {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !done(String(decoding: received, as: UTF8.self)) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else {
                throw SocketError("socket closed or timed out; received so far: \(String(decoding: received, as: UTF8.self))")
            }
            received.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
    }
}

private struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
