import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// Multi-node scenarios over real loopback QUIC between real nodes and their bundled stores.
final class SyncStressTests: XCTestCase {
    var files: TemporaryDirectory!

    override func setUpWithError() throws {
        files = try TemporaryDirectory("stress-files")
    }

    func startNodes(_ labels: [String]) async throws -> [NodeProcess] {
        var nodes: [NodeProcess] = []
        for label in labels {
            let node = try NodeProcess(label: label, configLines: ["poll_interval_secs: 1"], bundledStore: true)
            try await node.start()
            nodes.append(node)
        }
        return nodes
    }

    /// Writes `size` pseudo-random bytes to a file and ingests it (streamed) into `node`.
    func ingestRandom(_ size: Int, seed: UInt64, into node: NodeProcess, fields: IngestOptions) async throws -> Asset {
        try await Self.ingestRandom(size, seed: seed, into: node, fields: fields, files: files)
    }

    static func ingestRandom(_ size: Int, seed: UInt64, into node: NodeProcess, fields: IngestOptions,
                             files: TemporaryDirectory) async throws -> Asset {
        let path = files.file("blob-\(seed)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var generator = SplitMix(seed: seed)
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, 1 << 20)
            var chunk = [UInt8](repeating: 0, count: count)
            for index in stride(from: 0, to: count, by: 8) {
                withUnsafeBytes(of: generator.next()) { word in
                    for offset in 0..<min(8, count - index) { chunk[index + offset] = word[offset] }
                }
            }
            try handle.write(contentsOf: chunk)
            remaining -= count
        }
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await CANClient(baseURL: node.storeURL).ingest(fileAt: path, options: fields)
    }

    func assertSameAsset(_ hash: String, on nodes: [NodeProcess], file: StaticString = #filePath, line: UInt = #line) async throws {
        var metas: [[String: Any]?] = []
        for node in nodes { metas.append(try await SyncScenario.meta(hash, on: node)) }
        let reference = try XCTUnwrap(metas.first ?? nil, "missing \(hash)", file: file, line: line)
        for meta in metas {
            let meta = try XCTUnwrap(meta, "a node lacks \(hash)", file: file, line: line)
            for field in ["hash", "size", "mime_type", "application", "user", "filename", "created_at"] {
                XCTAssertEqual("\(meta[field] ?? "nil")", "\(reference[field] ?? "nil")", "\(hash) \(field)", file: file, line: line)
            }
            // Tags are a set (filters match any of them); stores may list them in any order.
            XCTAssertEqual((meta["tags"] as? [String])?.sorted(), (reference["tags"] as? [String])?.sorted(), "\(hash) tags", file: file, line: line)
        }
    }

    func logs(_ nodes: [NodeProcess]) -> String {
        nodes.map { "--- \($0.directory.path)\n\($0.process?.output.suffix(4000) ?? "")" }.joined(separator: "\n")
    }

    // MARK: Scenarios

    func test102AssetsBothWaysAtOnce() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let library = try await SyncScenario.createLibrary(on: a, name: "everything")
        try await SyncScenario.share(library, from: a, to: b)
        // Mixed sizes up to 64 MiB, 51 ingested on each side at the same time.
        let sizes = [64 << 20, 16 << 20, 4 << 20, 1 << 20] + Array(repeating: 300_000, count: 10) + Array(repeating: 4096, count: 37)
        XCTAssertEqual(sizes.count, 51)
        let files = files!
        let ingested = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, size) in sizes.enumerated() {
                for (side, node) in [(0, a), (1, b)] {
                    group.addTask {
                        let seed = UInt64(index * 2 + side + 1)
                        let asset = try await Self.ingestRandom(size, seed: seed, into: node, fields: IngestOptions(
                            mimeType: "application/octet-stream", tags: ["stress", "side\(side)"], filename: "f\(seed).bin"),
                            files: files)
                        return (size, asset.hash)
                    }
                }
            }
            return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
        }
        let hashes = ingested.map(\.1)
        XCTAssertEqual(Set(hashes).count, 102)
        let synced = try await eventually(timeout: 180, interval: 0.5) {
            for node in nodes {
                let status = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)").data as? [String: Any]
                guard status?["entry_count"] as? Int == 102, status?["missing_blobs"] as? Int == 0 else { return false }
            }
            return true
        }
        XCTAssertTrue(synced, logs(nodes))
        for hash in hashes { try await assertSameAsset(hash, on: nodes) }
        let largest = ingested.max { $0.0 < $1.0 }!.1
        let copy = try await SyncScenario.bytes(largest, on: b)
        XCTAssertEqual(copy.map { SHA256Hasher.hex(of: $0) }, largest)
    }

    func testChainConvergesWithoutTheEndsConnecting() async throws {
        let nodes = try await startNodes(["a", "b", "c"])
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let library = try await SyncScenario.createLibrary(on: a, name: "chain")
        try await SyncScenario.share(library, from: a, to: b)
        try await SyncScenario.share(library, from: b, to: c)
        let fromA = try await SyncScenario.ingest(Data("from a".utf8), into: a)["hash"] as! String
        let fromC = try await SyncScenario.ingest(Data("from c".utf8), into: c)["hash"] as! String
        let converged = try await eventually(timeout: 30) {
            for node in nodes {
                for hash in [fromA, fromC] where try await SyncScenario.meta(hash, on: node) == nil { return false }
            }
            return true
        }
        XCTAssertTrue(converged, logs(nodes))
        let aStatus = try await TestHTTP.get("\(a.apiURL)/status").data as? [String: Any]
        let cStatus = try await TestHTTP.get("\(c.apiURL)/status").data as? [String: Any]
        let aPeers = try await TestHTTP.get("\(a.apiURL)/peers").data as? [[String: Any]] ?? []
        XCTAssertFalse(aPeers.contains { $0["node_id"] as? String == cStatus?["node_id"] as? String }, "a must never meet c")
        let cPeers = try await TestHTTP.get("\(c.apiURL)/peers").data as? [[String: Any]] ?? []
        XCTAssertFalse(cPeers.contains { $0["node_id"] as? String == aStatus?["node_id"] as? String }, "c must never meet a")
    }

    func testRestartMidDownloadResumesFromThePartialFile() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let size = 192 << 20
        let asset = try await ingestRandom(size, seed: 99, into: a, fields: IngestOptions(mimeType: "application/octet-stream"))
        let library = try await SyncScenario.createLibrary(on: a, name: "big")
        try await SyncScenario.share(library, from: a, to: b)
        let partial = b.directory.file("data/partial/\(asset.hash).part").path
        let started = try await eventually(timeout: 30, interval: 0.01) {
            ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) > 8 << 20
        }
        XCTAssertTrue(started, logs(nodes))
        b.process?.kill9()
        let kept = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int)
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThan(kept, size, "the download finished before the kill; use a larger asset")
        try await b.start()
        let done = try await eventually(timeout: 120, interval: 0.2) { try await SyncScenario.meta(asset.hash, on: b) != nil }
        XCTAssertTrue(done, logs(nodes))
        let status = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any]
        let received = try XCTUnwrap(status?["blob_bytes_received"] as? Int)
        XCTAssertEqual(received, size - kept, "after the restart only the missing tail is downloaded")
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "the partial file is removed after ingest")
    }

    func testDeletedLibraryStopsSyncingOnlyThere() async throws {
        let nodes = try await startNodes(["a", "b", "c"])
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let library = try await SyncScenario.createLibrary(on: a, name: "shared")
        try await SyncScenario.share(library, from: a, to: b)
        try await SyncScenario.share(library, from: a, to: c)
        let first = try await SyncScenario.ingest(Data("first".utf8), into: a)["hash"] as! String
        let everywhere = try await eventually(timeout: 20) {
            for node in [b, c] where try await SyncScenario.meta(first, on: node) == nil { return false }
            return true
        }
        XCTAssertTrue(everywhere, logs(nodes))

        let removed = try await TestHTTP.request("DELETE", "\(b.apiURL)/libraries/\(library)")
        XCTAssertEqual(removed.status, 200)
        let second = try await SyncScenario.ingest(Data("second".utf8), into: a)["hash"] as! String
        let reachedC = try await eventually(timeout: 20) { try await SyncScenario.meta(second, on: c) != nil }
        XCTAssertTrue(reachedC, "the library still syncs between a and c\n\(logs(nodes))")
        let reachedB = try await SyncScenario.meta(second, on: b)
        XCTAssertNil(reachedB, "b removed the library and must not receive its new assets")
        let onB = try await SyncScenario.meta(first, on: b)
        XCTAssertNotNil(onB, "removing a library keeps the assets already synced")
        let stillOnA = try await TestHTTP.get("\(a.apiURL)/libraries/\(library)")
        XCTAssertEqual(stillOnA.status, 200)
    }

    func testMetadataChangeAndDeletionPropagate() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let library = try await SyncScenario.createLibrary(on: a, name: "docs")
        try await SyncScenario.share(library, from: a, to: b)
        let hash = try await SyncScenario.ingest(Data("doc".utf8), into: a, fields: ["tags": "draft"])["hash"] as! String
        let arrived = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) != nil }
        XCTAssertTrue(arrived, logs(nodes))

        let patch = try await TestHTTP.request("PATCH", "\(a.storeURL)/asset/\(hash)/meta",
                                               json: ["tags": ["final"], "filename": "doc.txt", "metadata": ["v": 2]])
        XCTAssertEqual(patch.status, 200, patch.text)
        let updated = try await eventually(timeout: 20) {
            let meta = try await SyncScenario.meta(hash, on: b)
            return meta?["tags"] as? [String] == ["final"] && meta?["filename"] as? String == "doc.txt"
                && (meta?["metadata"] as? [String: Any])?["v"] as? Int == 2
        }
        let seen = try await SyncScenario.meta(hash, on: b)
        XCTAssertTrue(updated, "b has \(seen ?? [:])\n\(logs(nodes))")

        let deletion = try await TestHTTP.request("DELETE", "\(a.storeURL)/asset/\(hash)")
        XCTAssertEqual(deletion.status, 200)
        let deleted = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) == nil }
        XCTAssertTrue(deleted, logs(nodes))
    }

    func testCorruptBytesAreNeverIngested() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let contents = Data((0..<200_000).map { UInt8($0 % 251) })
        let hash = try await SyncScenario.ingest(contents, into: a)["hash"] as! String
        // Tamper with a's stored copy: a will now serve bytes that do not match the hash.
        let stored = try XCTUnwrap(FileManager.default.enumerator(atPath: a.directory.file("data/can_service").path)?
            .compactMap { $0 as? String }.first { $0.hasSuffix(hash) || $0.contains(hash) })
        let storedPath = a.directory.file("data/can_service/\(stored)").path
        var tampered = try Data(contentsOf: URL(fileURLWithPath: storedPath))
        tampered[1000] ^= 0xff
        try tampered.write(to: URL(fileURLWithPath: storedPath))

        let library = try await SyncScenario.createLibrary(on: a, name: "corrupt")
        try await SyncScenario.share(library, from: a, to: b)
        let entryArrived = try await eventually(timeout: 20) {
            let details = try await TestHTTP.get("\(b.apiURL)/libraries/\(library)").data as? [String: Any]
            return details?["entry_count"] as? Int == 1
        }
        XCTAssertTrue(entryArrived, logs(nodes))
        let discarded = try await eventually(timeout: 20) { b.process?.output.contains("discarded bytes of \(hash)") == true }
        XCTAssertTrue(discarded, logs(nodes))
        let ingested = try await SyncScenario.meta(hash, on: b)
        XCTAssertNil(ingested, "corrupt bytes must never be ingested")
        let details = try await TestHTTP.get("\(b.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(details?["missing_blobs"] as? Int, 1)
    }
}

/// A tiny deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
