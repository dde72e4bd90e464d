import AsyncHTTPClient
import CANClient
import CANModel
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import XCTest

/// Starts a real `can-service` per test (free loopback port, temporary data directory) and a `CANClient`
/// for it, plus helpers for raw HTTP where a test needs input the client would never send.
class CANStoreTestCase: XCTestCase {
    var directory: TemporaryDirectory!
    var store: CANStoreProcess!
    var client: CANClient!

    /// Extra `can-service` arguments for this test case.
    var storeArguments: [String] { [] }

    override func setUp() async throws {
        directory = try TemporaryDirectory("can-store-test")
        store = try await CANStoreProcess(dataDirectory: directory.file("data"), extraArguments: storeArguments)
        client = CANClient(baseURL: store.baseURL, retryPolicy: .none, requestTimeout: .seconds(20))
    }

    override func tearDown() async throws {
        store?.stop()
        store = nil
        client = nil
        directory = nil
    }

    /// Writes `bytes` to a new file in the test directory.
    func makeFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.file(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Random bytes with multipart-looking sequences sprinkled in, so the parser's boundary matching is exercised.
    func awkwardBytes(count: Int) -> [UInt8] {
        let random = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? random.close() }
        var bytes = [UInt8](random.readData(ofLength: count))
        let decoy = Array("\r\n--can-sync-\r\n--\r\n".utf8)
        var index = 100
        while index + decoy.count < bytes.count {
            bytes.replaceSubrange(index..<(index + decoy.count), with: decoy)
            index += 65_537
        }
        return bytes
    }

    /// Ingests `bytes` as a file through the client.
    @discardableResult
    func ingest(_ bytes: [UInt8], name: String = "file.bin", options: IngestOptions = IngestOptions()) async throws -> Asset {
        try await client.ingest(fileAt: try makeFile(name, bytes), options: options)
    }

    /// The `tmp/` directory of index 0, where uploads in progress live.
    var uploadDirectory: URL { store.dataDirectory.appendingPathComponent("index-0/tmp") }

    func uploadFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: uploadDirectory.path)) ?? []
    }

    /// A raw HTTP exchange: status, headers and the whole (small) body.
    struct RawResponse {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var errorMessage: String? { json?["error"] as? String }
    }

    func raw(_ method: HTTPMethod, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> RawResponse {
        var request = HTTPClientRequest(url: store.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await CANClient.sharedHTTPClient.execute(request, timeout: .seconds(20))
        let collected = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return RawResponse(status: Int(response.status.code), headers: fields, body: Data(collected.readableBytesView))
    }

    /// A multipart/form-data body built by hand.
    func multipart(boundary: String, parts: [(headers: String, body: Data)], close: Bool = true) -> Data {
        var data = Data()
        for part in parts {
            data += Data("--\(boundary)\r\n\(part.headers)\r\n\r\n".utf8)
            data += part.body
            data += Data("\r\n".utf8)
        }
        if close { data += Data("--\(boundary)--\r\n".utf8) }
        return data
    }

    /// Asserts that `body` throws a `CANClientError` with `status`.
    func assertStatus<T>(_ status: Int, file: StaticString = #filePath, line: UInt = #line,
                         _ body: () async throws -> T) async {
        do {
            _ = try await body()
            XCTFail("expected HTTP \(status), call succeeded", file: file, line: line)
        } catch let error as CANClientError {
            XCTAssertEqual(error.status, status, "\(error)", file: file, line: line)
            XCTAssertFalse(error.message.isEmpty, file: file, line: line)
        } catch {
            XCTFail("expected CANClientError \(status), got \(error)", file: file, line: line)
        }
    }

    func downloadAll(_ hash: String, range: ByteRangeRequest? = nil) async throws -> (CANDownload, [UInt8]) {
        let download = try await client.download(hash, range: range)
        var bytes: [UInt8] = []
        for try await chunk in download.body { bytes += chunk.readableBytesView }
        return (download, bytes)
    }
}
