import AsyncHTTPClient
import CANClient
import CANModel
import Foundation
import NIOCore
import TestSupport
import XCTest

/// Restarts, crashes, body limits and an unreachable service, with real processes.
final class CANStoreDurabilityTests: CANStoreTestCase {
    func testRestartKeepsAssetsAndTheChangeCounter() async throws {
        let bytes = awkwardBytes(count: 300_000)
        let asset = try await ingest(bytes, options: IngestOptions(tags: ["kept"]))
        try await store.restart()
        let observed1 = try await client.meta(asset.hash).tags
        XCTAssertEqual(observed1, ["kept"])
        let observed2 = try await downloadAll(asset.hash).1
        XCTAssertEqual(observed2, bytes)
        let next = try await ingest([42])
        XCTAssertGreaterThan(next.seq ?? 0, asset.seq ?? 0, "seq keeps increasing across restarts")
    }

    func testSecondStoreOnTheSameDataDirectoryRefusesToStart() async throws {
        let second = try ChildProcess(
            BuildProducts.executable("can-service"),
            ["--port", String(LoopbackPorts.freeTCPPort()), "--data-dir", store.dataDirectory.path],
            logURL: directory.file("second.log"))
        defer { second.stop() }
        let exited = await eventually(timeout: 20) { !second.isRunning }
        XCTAssertTrue(exited, "a second store on the same directory must not run; log:\n\(second.output)")
        XCTAssertNotEqual(second.process.terminationStatus, 0)
        XCTAssertTrue(second.output.contains("in use by another store process"), second.output)
        let health = try await client.health()
        XCTAssertTrue(health.ok, "the first store keeps serving")
    }

    func testCrashMidUploadLeavesNoPartialAsset() async throws {
        let boundary = "crash-boundary"
        let (stream, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        var request = HTTPClientRequest(url: store.baseURL + "/ingest")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .stream(stream, length: .known(64 << 20))
        let upload = Task { try await CANClient.sharedHTTPClient.execute(request, timeout: .seconds(60)) }
        defer { upload.cancel() }

        feed.yield(ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big\"\r\n\r\n"))
        let chunk = ByteBuffer(bytes: awkwardBytes(count: 1 << 20))
        for _ in 0..<12 { feed.yield(chunk) }
        let growing = await eventually(timeout: 20) {
            self.uploadFiles().contains { name in
                let size = (try? FileManager.default.attributesOfItem(
                    atPath: self.uploadDirectory.appendingPathComponent(name).path)[.size] as? Int) ?? 0
                return size > 0
            }
        }
        XCTAssertTrue(growing, "the store should be writing the upload to its tmp directory; log:\n\(store.output)")

        store.kill9()
        feed.finish()
        XCTAssertEqual(uploadFiles().count, 1, "the crash leaves the partial upload on disk")
        try await store.start()
        XCTAssertEqual(uploadFiles(), [], "start-up removes abandoned uploads")
        let page = try await client.list(ListQuery(includeDeleted: true))
        XCTAssertEqual(page.total, 0)
        let observed3 = try await client.health().assets
        XCTAssertEqual(observed3, 0)
    }

    func testAbandonedUploadIsCleanedUpAtOnce() async throws {
        let boundary = "gone"
        let (stream, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        var request = HTTPClientRequest(url: store.baseURL + "/ingest")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .stream(stream, length: .known(64 << 20))
        let upload = Task { try await CANClient.sharedHTTPClient.execute(request, timeout: .seconds(60)) }
        feed.yield(ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"))
        let chunk = ByteBuffer(bytes: awkwardBytes(count: 1 << 20))
        for _ in 0..<10 { feed.yield(chunk) }
        let started = await eventually(timeout: 20) { !self.uploadFiles().isEmpty }
        XCTAssertTrue(started, "the upload should have reached the store")

        upload.cancel()
        feed.finish()
        _ = try? await upload.value
        let cleaned = await eventually(timeout: 20) { self.uploadFiles().isEmpty }
        XCTAssertTrue(cleaned, "an upload whose client went away must not leave its file: \(uploadFiles())")
        let health = try await client.health()
        XCTAssertEqual(health.assets, 0)
    }

    func testConcurrentIngestsOfTheSameContentStoreItOnce() async throws {
        let path = try makeFile("same.bin", awkwardBytes(count: 6 << 20))
        let client = self.client!
        async let first = client.ingest(fileAt: path, options: IngestOptions(tags: ["one"]))
        async let second = client.ingest(fileAt: path, options: IngestOptions(tags: ["two"]))
        let results = try await [first, second]
        XCTAssertEqual(results[0].hash, results[1].hash)
        XCTAssertEqual(results.filter { $0.duplicate == false }.count, 1, "exactly one ingest creates the asset")
        let stored = try await client.meta(results[0].hash)
        XCTAssertEqual(Set(stored.tags), ["one", "two"])
        let page = try await client.list()
        XCTAssertEqual(page.total, 1)
        XCTAssertEqual(uploadFiles(), [])
    }

    func testClientRetriesUntilTheServiceIsUp() async throws {
        store.stop()
        let patient = CANClient(baseURL: store.baseURL, retryPolicy: CANRetryPolicy(
            maxAttempts: 40, initialDelay: .milliseconds(50), maxDelay: .milliseconds(500)))
        let file = try makeFile("later.bin", [5, 6, 7])
        let store = self.store!
        let starter = Task {
            try await Task.sleep(for: .milliseconds(700))
            try await store.start()
        }
        let asset = try await patient.ingest(fileAt: file)
        try await starter.value
        XCTAssertEqual(asset.hash, SHA256Hasher.hex(of: [5, 6, 7]))
        let observed4 = try await patient.health().assets
        XCTAssertEqual(observed4, 1)

        store.stop()
        let impatient = CANClient(baseURL: store.baseURL, retryPolicy: CANRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10)))
        do {
            _ = try await impatient.health()
            XCTFail("health must fail while the store is down")
        } catch let error as CANClientError {
            XCTAssertNil(error.status)
            XCTAssertTrue(error.url.contains(String(store.port)), error.description)
        }
    }
}
