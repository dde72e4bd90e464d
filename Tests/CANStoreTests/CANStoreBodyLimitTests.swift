import AsyncHTTPClient
import CANClient
import Foundation
import NIOCore
import XCTest

/// A store started with a small `--max-body-bytes`.
final class CANStoreBodyLimitTests: CANStoreTestCase {
    override var storeArguments: [String] { ["--max-body-bytes", "4096"] }

    func testBodyOverTheLimitIs413AndStoresNothing() async throws {
        await assertStatus(413) { try await self.ingest(self.awkwardBytes(count: 64 << 10)) }
        let observed5 = try await client.health().assets
        XCTAssertEqual(observed5, 0)
        XCTAssertEqual(uploadFiles(), [])
        let small = try await ingest([1, 2, 3])
        XCTAssertEqual(small.size, 3)
    }

    func testStreamedBodyOverTheLimitIs413() async throws {
        let boundary = "limit"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n".utf8)
        body += Data(awkwardBytes(count: 20_000))
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        let (stream, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        feed.yield(ByteBuffer(bytes: body))
        feed.finish()
        var request = HTTPClientRequest(url: store.baseURL + "/ingest")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .stream(stream, length: .unknown)
        let response = try await CANClient.sharedHTTPClient.execute(request, timeout: .seconds(20))
        XCTAssertEqual(response.status.code, 413)
        let observed6 = try await client.health().assets
        XCTAssertEqual(observed6, 0)
    }
}
