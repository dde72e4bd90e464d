import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// Multi-node scenarios over real loopback QUIC between real nodes and their bundled stores.
final class SyncStressTests: XCTestCase {
    var files: TemporaryDirectory!
    /// Stores started for nodes that do not use their bundled one, and their directories.
    var stores: [(store: CANStoreProcess, directory: TemporaryDirectory)] = []

    override func setUpWithError() throws {
        files = try TemporaryDirectory("stress-files")
    }

    override func tearDown() {
        for (store, _) in stores { store.stop() }
        stores = []
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

    /// A node whose CAN Service is a `can-service` without partial uploads: its fetcher downloads
    /// larger assets through partial files of its own.
    func startNodeWithPlainStore(_ label: String) async throws -> NodeProcess {
        let storeDirectory = try TemporaryDirectory("\(label)-store")
        let store = try await CANStoreProcess(dataDirectory: storeDirectory.file("data"), extraArguments: ["--no-partial-uploads"])
        stores.append((store, storeDirectory))
        let node = try NodeProcess(label: label, configLines: ["poll_interval_secs: 1"], storeURL: store.baseURL)
        try await node.start()
        return node
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
        let asset = try await CANClient(baseURL: node.storeURL).ingest(fileAt: path, options: fields)
        // The origin's copy is the reference the other nodes are held to: it must be what was ingested.
        XCTAssertEqual(asset.metadata, fields.metadata ?? [:], "metadata as ingested")
        XCTAssertEqual([asset.application, asset.user, asset.filename], [fields.application, fields.user, fields.filename])
        if let createdAt = fields.createdAt { XCTAssertEqual(asset.createdAt, createdAt) }
        return asset
    }

    /// Rich fields for an asset ingested by a stress test, so every field has to survive the sync.
    static func fields(_ seed: UInt64, tags: [String] = ["stress"]) -> IngestOptions {
        IngestOptions(mimeType: "application/x-stress", application: "stress-app", tags: tags + ["seed-\(seed)"],
                      user: "user-\(seed % 3)", filename: "f\(seed).bin",
                      metadata: ["seed": .number(Double(seed)), "label": .string("asset \(seed) ✓"),
                                 "nested": .object(["list": .array([.number(1.5), .string("two"), .bool(true), .null]),
                                                    "empty": .object([:])])],
                      createdAt: 1_764_064_800_000 + Int64(seed))
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
        let ingested = try await withThrowingTaskGroup(of: Asset.self) { group in
            for (index, size) in sizes.enumerated() {
                for (side, node) in [(0, a), (1, b)] {
                    group.addTask {
                        let seed = UInt64(index * 2 + side + 1)
                        return try await Self.ingestRandom(size, seed: seed, into: node,
                                                           fields: Self.fields(seed, tags: ["stress", "side\(side)"]), files: files)
                    }
                }
            }
            return try await group.reduce(into: [Asset]()) { $0.append($1) }
        }
        XCTAssertEqual(Set(ingested.map(\.hash)).count, 102)
        let synced = try await eventually(timeout: 180, interval: 0.5) {
            for node in nodes {
                let status = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)").data as? [String: Any]
                guard status?["entry_count"] as? Int == 102, status?["missing_blobs"] as? Int == 0 else { return false }
            }
            return true
        }
        XCTAssertTrue(synced, logs(nodes))
        try await assertAssetsIdentical(ingested, on: nodes)
    }

    func testChainConvergesWithoutTheEndsConnecting() async throws {
        let nodes = try await startNodes(["a", "b", "c"])
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let library = try await SyncScenario.createLibrary(on: a, name: "chain")
        try await SyncScenario.share(library, from: a, to: b)
        try await SyncScenario.share(library, from: b, to: c)
        let fromA = try await ingestRandom(10_000, seed: 11, into: a, fields: Self.fields(11, tags: ["from-a"]))
        let fromC = try await ingestRandom(300_000, seed: 12, into: c, fields: Self.fields(12, tags: ["from-c"]))
        let converged = try await eventually(timeout: 30) {
            for node in nodes {
                for asset in [fromA, fromC] where try await SyncScenario.meta(asset.hash, on: node) == nil { return false }
            }
            return true
        }
        XCTAssertTrue(converged, logs(nodes))
        try await assertAssetsIdentical([fromA, fromC], on: nodes)
        let aStatus = try await TestHTTP.get("\(a.apiURL)/status").data as? [String: Any]
        let cStatus = try await TestHTTP.get("\(c.apiURL)/status").data as? [String: Any]
        let aPeers = try await TestHTTP.get("\(a.apiURL)/peers").data as? [[String: Any]] ?? []
        XCTAssertFalse(aPeers.contains { $0["node_id"] as? String == cStatus?["node_id"] as? String }, "a must never meet c")
        let cPeers = try await TestHTTP.get("\(c.apiURL)/peers").data as? [[String: Any]] ?? []
        XCTAssertFalse(cPeers.contains { $0["node_id"] as? String == aStatus?["node_id"] as? String }, "c must never meet a")
    }

    func testRestartMidDownloadResumesFromTheStoresPartialUpload() async throws {
        let nodes = try await startNodes(["a", "b"])
        try await restartMidDownloadResumes(nodes) { hash in
            nodes[1].directory.file("data/can_service/index-0/partial/\(hash)").path
        }
    }

    func testRestartMidDownloadResumesFromThePartialFile() async throws {
        let nodes = [try await startNodes(["a"])[0], try await startNodeWithPlainStore("b")]
        try await restartMidDownloadResumes(nodes) { hash in
            nodes[1].directory.file("data/partial/\(hash).part").path
        }
    }

    /// b's CAN Service is replaced, while b runs, by one without partial uploads: large assets still
    /// arrive (through b's own partial file), since b asks the new service what it offers.
    func testLargeAssetsStillArriveAfterTheStoreLosesPartialUploads() async throws {
        let a = try await startNodes(["a"])[0]
        let storeDirectory = try TemporaryDirectory("b-store")
        let first = try await CANStoreProcess(dataDirectory: storeDirectory.file("data"))
        stores.append((first, storeDirectory))
        let b = try NodeProcess(label: "b", configLines: ["poll_interval_secs: 1"], storeURL: first.baseURL)
        try await b.start()
        let nodes = [a, b]
        let before = try await ingestRandom(3 << 20, seed: 7, into: a, fields: Self.fields(7))
        let library = try await SyncScenario.createLibrary(on: a, name: "swapped store")
        try await SyncScenario.share(library, from: a, to: b)
        let arrived = try await eventually(timeout: 30) { try await SyncScenario.meta(before.hash, on: b) != nil }
        XCTAssertTrue(arrived, logs(nodes))
        XCTAssertTrue(FileManager.default.fileExists(atPath: storeDirectory.file("data/index-0/partial").path),
                      "the first asset went through the store's partial upload")

        first.stop()
        let second = try await CANStoreProcess(dataDirectory: storeDirectory.file("data"), port: first.port,
                                               extraArguments: ["--no-partial-uploads"])
        stores.append((second, storeDirectory))
        let after = try await ingestRandom(3 << 20, seed: 8, into: a, fields: Self.fields(8))
        let arrivedAfter = try await eventually(timeout: 30) { try await SyncScenario.meta(after.hash, on: b) != nil }
        XCTAssertTrue(arrivedAfter, logs(nodes))
        try await assertAssetsIdentical([before, after], on: nodes)
    }

    /// Kills b while it downloads a large asset from a, restarts it, and checks that only the bytes
    /// missing from the file at `partialPath` are downloaded again.
    func restartMidDownloadResumes(_ nodes: [NodeProcess], partialPath: (String) -> String,
                                   file: StaticString = #filePath, line: UInt = #line) async throws {
        let (a, b) = (nodes[0], nodes[1])
        let size = 192 << 20
        let asset = try await ingestRandom(size, seed: 99, into: a, fields: Self.fields(99))
        let library = try await SyncScenario.createLibrary(on: a, name: "big")
        try await SyncScenario.share(library, from: a, to: b)
        let partial = partialPath(asset.hash)
        let started = await eventually(timeout: 30, interval: 0.01) {
            ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) > 8 << 20
        }
        XCTAssertTrue(started, logs(nodes), file: file, line: line)
        b.process?.kill9()
        let kept = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int, file: file, line: line)
        XCTAssertGreaterThan(kept, 0, file: file, line: line)
        XCTAssertLessThan(kept, size, "the download finished before the kill; use a larger asset", file: file, line: line)
        try await b.start()
        let done = try await eventually(timeout: 120, interval: 0.2) { try await SyncScenario.meta(asset.hash, on: b) != nil }
        XCTAssertTrue(done, logs(nodes), file: file, line: line)
        let status = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any]
        let received = try XCTUnwrap(status?["blob_bytes_received"] as? Int, file: file, line: line)
        XCTAssertEqual(received, size - kept, "after the restart only the missing tail is downloaded", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "the partial upload is gone after the ingest",
                       file: file, line: line)
        try await assertAssetsIdentical([asset], on: nodes, file: file, line: line)
    }

    func testDeletedLibraryStopsSyncingOnlyThere() async throws {
        let nodes = try await startNodes(["a", "b", "c"])
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let library = try await SyncScenario.createLibrary(on: a, name: "shared")
        try await SyncScenario.share(library, from: a, to: b)
        try await SyncScenario.share(library, from: a, to: c)
        let first = try await ingestRandom(5000, seed: 21, into: a, fields: Self.fields(21))
        let everywhere = try await eventually(timeout: 20) {
            for node in [b, c] where try await SyncScenario.meta(first.hash, on: node) == nil { return false }
            return true
        }
        XCTAssertTrue(everywhere, logs(nodes))
        try await assertAssetsIdentical([first], on: nodes)

        let removed = try await TestHTTP.request("DELETE", "\(b.apiURL)/libraries/\(library)")
        XCTAssertEqual(removed.status, 200)
        let second = try await ingestRandom(6000, seed: 22, into: a, fields: Self.fields(22))
        let reachedC = try await eventually(timeout: 20) { try await SyncScenario.meta(second.hash, on: c) != nil }
        XCTAssertTrue(reachedC, "the library still syncs between a and c\n\(logs(nodes))")
        try await assertAssetsIdentical([second], on: [a, c])
        let reachedB = try await SyncScenario.meta(second.hash, on: b)
        XCTAssertNil(reachedB, "b removed the library and must not receive its new assets")
        // Removing a library keeps the assets already synced, unchanged.
        try await assertAssetsIdentical([first], on: nodes)
        let stillOnA = try await TestHTTP.get("\(a.apiURL)/libraries/\(library)")
        XCTAssertEqual(stillOnA.status, 200)
    }

    /// Starts a and b sharing a library of one 192 MiB asset on a, and waits until b's store holds more
    /// than 8 MiB of it in a partial upload (at `partial`).
    func largeDownloadUnderWay(seed: UInt64) async throws -> (nodes: [NodeProcess], asset: Asset, library: String, partial: String) {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let asset = try await ingestRandom(192 << 20, seed: seed, into: a, fields: Self.fields(seed))
        let library = try await SyncScenario.createLibrary(on: a, name: "big")
        try await SyncScenario.share(library, from: a, to: b)
        let partial = b.directory.file("data/can_service/index-0/partial/\(asset.hash)").path
        let started = await eventually(timeout: 30, interval: 0.01) {
            ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) > 8 << 20
        }
        XCTAssertTrue(started, logs(nodes))
        return (nodes, asset, library, partial)
    }

    func testLibraryRemovedMidDownloadStopsItAndKeepsNoPartial() async throws {
        let (nodes, asset, library, partial) = try await largeDownloadUnderWay(seed: 77)
        let b = nodes[1]
        let removed = try await TestHTTP.request("DELETE", "\(b.apiURL)/libraries/\(library)")
        XCTAssertEqual(removed.status, 200)
        let cleaned = await eventually(timeout: 20) { !FileManager.default.fileExists(atPath: partial) }
        XCTAssertTrue(cleaned, "the store's partial upload is removed with the library\n\(logs(nodes))")
        let receivedThen = try await Self.blobBytesReceived(b)
        // Long enough for the rest of the asset to arrive had the download gone on.
        try await Task.sleep(for: .seconds(3))
        let receivedNow = try await Self.blobBytesReceived(b)
        XCTAssertEqual(receivedNow, receivedThen, "no bytes of the removed library's asset arrive any more")
        let ingested = try await SyncScenario.meta(asset.hash, on: b)
        XCTAssertNil(ingested, "the download stopped with the library: nothing is ingested")
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "and nothing is kept")
    }

    /// b is killed mid-download and restarts with no peer to resume from; removing the library then
    /// still removes the partial upload b's store kept from before the restart.
    func testLibraryRemovedAfterARestartRemovesThePartialUploadKeptFromBefore() async throws {
        let (nodes, _, library, partial) = try await largeDownloadUnderWay(seed: 78)
        let (a, b) = (nodes[0], nodes[1])
        a.process?.kill9()
        b.process?.kill9()
        try await b.start()
        XCTAssertTrue(FileManager.default.fileExists(atPath: partial), "b's store keeps the partial upload over the restart")

        let removed = try await TestHTTP.request("DELETE", "\(b.apiURL)/libraries/\(library)")
        XCTAssertEqual(removed.status, 200)
        let cleaned = await eventually(timeout: 20) { !FileManager.default.fileExists(atPath: partial) }
        XCTAssertTrue(cleaned, "the partial upload from before the restart is removed with the library\n\(logs(nodes))")
    }

    static func blobBytesReceived(_ node: NodeProcess) async throws -> Int {
        let status = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        return try XCTUnwrap(status?["blob_bytes_received"] as? Int)
    }

    func testMetadataChangeAndDeletionPropagate() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let library = try await SyncScenario.createLibrary(on: a, name: "docs")
        try await SyncScenario.share(library, from: a, to: b)
        let original = try await ingestRandom(3000, seed: 31, into: a, fields: Self.fields(31, tags: ["draft"]))
        let hash = original.hash
        let arrived = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) != nil }
        XCTAssertTrue(arrived, logs(nodes))
        try await assertAssetsIdentical([original], on: nodes)

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
        try await assertAssetsIdentical([hash], on: nodes)

        let deletion = try await TestHTTP.request("DELETE", "\(a.storeURL)/asset/\(hash)")
        XCTAssertEqual(deletion.status, 200)
        let deleted = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) == nil }
        XCTAssertTrue(deleted, logs(nodes))
    }

    /// What `/status` and `/peers` show while a large asset syncs and after it has arrived.
    func testStatusShowsTheTransferInFlightAndPeersCountItsBytes() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let library = try await SyncScenario.createLibrary(on: a, name: "big")
        try await SyncScenario.share(library, from: a, to: b)
        let aStatusBefore = try await TestHTTP.get("\(a.apiURL)/status").data as? [String: Any]
        let bStatusBefore = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any]
        let aID = try XCTUnwrap(aStatusBefore?["node_id"] as? String)
        let bID = try XCTUnwrap(bStatusBefore?["node_id"] as? String)

        let size = 64 << 20
        let asset = try await ingestRandom(size, seed: 51, into: a, fields: Self.fields(51))
        var inFlight: [[String: Any]] = []
        let arrived = try await eventually(timeout: 60, interval: 0.005) {
            let status = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any]
            let transfers = status?["transfers"] as? [[String: Any]] ?? []
            inFlight += transfers.filter { $0["hash"] as? String == asset.hash }
            return try await SyncScenario.meta(asset.hash, on: b) != nil
        }
        XCTAssertTrue(arrived, logs(nodes))

        // While it ran: the right asset, library, source and size, with progress that only grows.
        XCTAssertFalse(inFlight.isEmpty, "no in-flight transfer was ever listed in b's /status")
        let done = inFlight.compactMap { $0["bytes_done"] as? Int }
        XCTAssertEqual(done, done.sorted(), "bytes_done went backwards")
        for transfer in inFlight {
            XCTAssertEqual(transfer["library"] as? String, library)
            XCTAssertEqual(transfer["peer"] as? String, aID)
            XCTAssertEqual(transfer["total_bytes"] as? Int, size)
            XCTAssertLessThanOrEqual(transfer["bytes_done"] as? Int ?? .max, size)
        }
        let moving = inFlight.filter { ($0["bytes_done"] as? Int ?? 0) > 0 && ($0["bytes_per_sec"] as? Double ?? 0) > 0 }
        XCTAssertFalse(moving.isEmpty, "no sample showed bytes done and a rate: \(inFlight)")
        XCTAssertTrue(moving.allSatisfy { ($0["eta_secs"] as? Double).map { $0 >= 0 } ?? false },
                      "a moving transfer without an ETA: \(moving)")

        // Afterwards (the fetcher finishes its books just after the store answers): nothing in flight,
        // the library complete on b, and both sides count the bytes.
        var bStatus: [String: Any] = [:]
        let settled = try await eventually(timeout: 10) {
            bStatus = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any] ?? [:]
            return (bStatus["transfers"] as? [Any])?.isEmpty == true
        }
        XCTAssertTrue(settled, "b still lists transfers: \(bStatus["transfers"] ?? "none")")
        let state = (bStatus["libraries"] as? [[String: Any]])?.first { $0["id"] as? String == library }
        XCTAssertEqual(state?["entries"] as? Int, 1)
        XCTAssertEqual(state?["missing_blobs"] as? Int, 0)
        XCTAssertEqual(state?["peers"] as? [String], [aID])
        XCTAssertEqual(bStatus["blob_bytes_received"] as? Int, size)
        let aStatusReply = try await TestHTTP.get("\(a.apiURL)/status")
        let aStatus = try XCTUnwrap(aStatusReply.data as? [String: Any])
        XCTAssertGreaterThanOrEqual(aStatus["blob_bytes_sent"] as? Int ?? 0, size)

        let bPeersReply = try await TestHTTP.get("\(b.apiURL)/peers")
        let peers = try XCTUnwrap(bPeersReply.data as? [[String: Any]])
        let seenFromB = try XCTUnwrap(peers.first { $0["node_id"] as? String == aID }, "\(peers)")
        XCTAssertEqual(seenFromB["state"] as? String, "connected")
        XCTAssertEqual(seenFromB["libraries"] as? [String], [library])
        XCTAssertGreaterThanOrEqual(seenFromB["bytes_in"] as? Int ?? 0, size, "transport bytes in on b")
        XCTAssertGreaterThan(seenFromB["bytes_out"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(seenFromB["rtt_ms"] as? Double ?? 0, 0)
        XCTAssertFalse((seenFromB["addresses"] as? [String] ?? []).isEmpty)
        let aPeersReply = try await TestHTTP.get("\(a.apiURL)/peers")
        let aPeers = try XCTUnwrap(aPeersReply.data as? [[String: Any]])
        let seenFromA = try XCTUnwrap(aPeers.first { $0["node_id"] as? String == bID }, "\(aPeers)")
        XCTAssertGreaterThanOrEqual(seenFromA["bytes_out"] as? Int ?? 0, size, "transport bytes out on a")
    }

    /// Retagging an asset out of a library's filter is not a deletion: the peer keeps its copy and takes the new tags.
    func testAssetLeavingTheFilterStaysOnPeersWithItsNewMetadata() async throws {
        let nodes = try await startNodes(["a", "b"])
        let (a, b) = (nodes[0], nodes[1])
        let library = try await SyncScenario.createLibrary(on: a, name: "keepers", filter: ["tags": ["keep"]])
        try await SyncScenario.share(library, from: a, to: b)
        let original = try await ingestRandom(3000, seed: 41, into: a, fields: Self.fields(41, tags: ["keep"]))
        let hash = original.hash
        let arrived = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) != nil }
        XCTAssertTrue(arrived, logs(nodes))

        let patch = try await TestHTTP.request("PATCH", "\(a.storeURL)/asset/\(hash)/meta", json: ["tags": ["archived"]])
        XCTAssertEqual(patch.status, 200, patch.text)
        let retagged = try await eventually(timeout: 20) {
            try await SyncScenario.meta(hash, on: b)?["tags"] as? [String] == ["archived"]
        }
        let seen = try await SyncScenario.meta(hash, on: b)
        XCTAssertTrue(retagged, "b has \(seen ?? [:])\n\(logs(nodes))")
        try await assertAssetsIdentical([hash], on: nodes)
        for (index, node) in nodes.enumerated() {
            let entries = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)/entries").data as? [[String: Any]]
            let entry = entries?.first { $0["hash"] as? String == hash }
            XCTAssertEqual(entry?["deleted"] as? Bool, true, "node \(index): \(entries ?? [])")
        }
    }

    /// b's store holds a bad start of the asset (from an earlier download, say) in a partial upload.
    func testBadKeptBytesAreDownloadedAgainWithoutBlamingTheHonestPeer() async throws {
        let nodes = try await startNodes(["a", "b"])
        try await badKeptBytesAreDownloadedAgain(nodes) { hash, bytes in
            let reply = try await TestHTTP.request("PUT", "\(nodes[1].storeURL)/partial/\(hash)?offset=0", body: bytes)
            XCTAssertEqual(reply.status, 200, reply.text)
        }
    }

    /// b's fetcher holds a bad start of the asset in its own partial file (its store has no partial uploads).
    func testBadKeptBytesInAPartialFileAreDownloadedAgainWithoutBlamingTheHonestPeer() async throws {
        let nodes = [try await startNodes(["a"])[0], try await startNodeWithPlainStore("b")]
        try await badKeptBytesAreDownloadedAgain(nodes) { hash, bytes in
            let directory = nodes[1].directory.file("data/partial")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try bytes.write(to: directory.appendingPathComponent("\(hash).part"))
        }
    }

    /// When bytes kept on b and bytes from an honest a together fail the check, b cannot tell which
    /// were bad: it downloads the asset whole from a at once, and a is not penalised for it.
    func badKeptBytesAreDownloadedAgain(_ nodes: [NodeProcess],
                                        keep: (String, Data) async throws -> Void) async throws {
        let (a, b) = (nodes[0], nodes[1])
        let asset = try await ingestRandom(3 << 20, seed: 77, into: a, fields: Self.fields(77))
        var kept = try await TestHTTP.request("GET", "\(a.storeURL)/asset/\(asset.hash)",
                                              headers: ["Range": "bytes=0-\((1 << 20) - 1)"]).body
        XCTAssertEqual(kept.count, 1 << 20)
        kept[4096] ^= 0xff
        try await keep(asset.hash, kept)

        let library = try await SyncScenario.createLibrary(on: a, name: "kept")
        try await SyncScenario.share(library, from: a, to: b)
        let arrived = try await eventually(timeout: 30) { try await SyncScenario.meta(asset.hash, on: b) != nil }
        XCTAssertTrue(arrived, logs(nodes))
        try await assertAssetsIdentical([asset], on: nodes)
        let output = b.process?.output ?? ""
        XCTAssertTrue(output.contains("the \(1 << 20) bytes kept from an earlier download"), logs(nodes))
        XCTAssertFalse(output.contains("discarded bytes of \(asset.hash) from node"), "the honest peer was blamed\n\(logs(nodes))")
    }

    /// A small asset checked in memory before its ingest, a medium one streamed into one ingest, a
    /// larger one through the store's partial upload.
    func testCorruptBytesAreNeverIngested() async throws {
        let nodes = try await startNodes(["a", "b"])
        try await corruptBytesAreNeverIngested(nodes)
        // Retries keep arriving (and failing); between them b's store holds no partial upload: each is
        // dropped once its bytes fail the check, not left for the next try to append to.
        let partialDirectory = nodes[1].directory.file("data/can_service/index-0/partial").path
        let dropped = try await eventually(timeout: 20, interval: 0.01) {
            try FileManager.default.contentsOfDirectory(atPath: partialDirectory).isEmpty
        }
        XCTAssertTrue(dropped, "b's store keeps a corrupt partial upload")
    }

    /// The largest asset through the fetcher's own partial file, for a store without partial uploads.
    func testCorruptBytesAreNeverIngestedThroughAPartialFile() async throws {
        let nodes = [try await startNodes(["a"])[0], try await startNodeWithPlainStore("b")]
        try await corruptBytesAreNeverIngested(nodes)
    }

    /// a serves tampered bytes of three assets (20 kB, 200 kB and 1.5 MB: one per way the fetcher
    /// ingests); b must discard them and ingest none.
    func corruptBytesAreNeverIngested(_ nodes: [NodeProcess]) async throws {
        let (a, b) = (nodes[0], nodes[1])
        var hashes: [String] = []
        for size in [20_000, 200_000, 1_500_000] {
            let contents = Data((0..<size).map { UInt8($0 % 251) })
            let hash = try await SyncScenario.ingest(contents, into: a)["hash"] as! String
            // Tamper with a's stored copy: a will now serve bytes that do not match the hash.
            let stored = try XCTUnwrap(FileManager.default.enumerator(atPath: a.directory.file("data/can_service").path)?
                .compactMap { $0 as? String }.first { $0.hasSuffix(hash) || $0.contains(hash) })
            let storedPath = a.directory.file("data/can_service/\(stored)").path
            var tampered = try Data(contentsOf: URL(fileURLWithPath: storedPath))
            tampered[size - 1000] ^= 0xff
            try tampered.write(to: URL(fileURLWithPath: storedPath))
            hashes.append(hash)
        }

        let library = try await SyncScenario.createLibrary(on: a, name: "corrupt")
        try await SyncScenario.share(library, from: a, to: b)
        let entryArrived = try await eventually(timeout: 20) {
            let details = try await TestHTTP.get("\(b.apiURL)/libraries/\(library)").data as? [String: Any]
            return details?["entry_count"] as? Int == 3
        }
        XCTAssertTrue(entryArrived, logs(nodes))
        for hash in hashes {
            let discarded = await eventually(timeout: 20) { b.process?.output.contains("discarded bytes of \(hash)") == true }
            XCTAssertTrue(discarded, logs(nodes))
            let ingested = try await SyncScenario.meta(hash, on: b)
            XCTAssertNil(ingested, "corrupt bytes must never be ingested")
        }
        let details = try await TestHTTP.get("\(b.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(details?["missing_blobs"] as? Int, 3)
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

extension XCTestCase {
    /// Asserts that every node's store holds every one of `expected` (assets as their origin
    /// reported them, e.g. what ingest returned) identically: hash, size, mime_type, application,
    /// tags (as a set), user, filename, metadata (JSON-equal) and created_at from
    /// `GET /asset/{hash}/meta`, and the bytes of `GET /asset/{hash}` from that node's store,
    /// streamed through SHA-256 (never held whole), hashing to the asset's hash and size.
    func assertAssetsIdentical(_ expected: [Asset], on nodes: [NodeProcess],
                               file: StaticString = #filePath, line: UInt = #line) async throws {
        for node in nodes {
            let client = CANClient(baseURL: node.storeURL)
            for asset in expected {
                let label = "\(asset.hash.prefix(12)) on \(node.directory.url.lastPathComponent)"
                let copy: Asset
                do {
                    copy = try await client.meta(asset.hash)
                } catch {
                    XCTFail("\(label): no metadata (\(error))", file: file, line: line)
                    continue
                }
                XCTAssertFalse(copy.isDeleted, "\(label) is deleted", file: file, line: line)
                XCTAssertEqual(copy.hash, asset.hash, "\(label) hash", file: file, line: line)
                XCTAssertEqual(copy.size, asset.size, "\(label) size", file: file, line: line)
                XCTAssertEqual(copy.mimeType, asset.mimeType, "\(label) mime_type", file: file, line: line)
                XCTAssertEqual(copy.application, asset.application, "\(label) application", file: file, line: line)
                // Tags are a set (filters match any of them); stores may list them in any order.
                XCTAssertEqual(Set(copy.tags), Set(asset.tags), "\(label) tags", file: file, line: line)
                XCTAssertEqual(copy.user, asset.user, "\(label) user", file: file, line: line)
                XCTAssertEqual(copy.filename, asset.filename, "\(label) filename", file: file, line: line)
                XCTAssertEqual(copy.metadata, asset.metadata, "\(label) metadata", file: file, line: line)
                XCTAssertEqual(copy.createdAt, asset.createdAt, "\(label) created_at", file: file, line: line)

                let hasher = SHA256Hasher()
                var size: Int64 = 0
                do {
                    let download = try await client.download(asset.hash)
                    for try await chunk in download.body {
                        chunk.withUnsafeReadableBytes { hasher.update($0) }
                        size += Int64(chunk.readableBytes)
                    }
                } catch {
                    XCTFail("\(label): GET /asset failed after \(size) bytes (\(error))", file: file, line: line)
                    continue
                }
                XCTAssertEqual(size, asset.size, "\(label): bytes served", file: file, line: line)
                XCTAssertEqual(hasher.finalizeHex(), asset.hash, "\(label): SHA-256 of the bytes served", file: file, line: line)
            }
        }
    }

    /// The same, with the first node's metadata of each of `hashes` as the reference.
    func assertAssetsIdentical(_ hashes: [String], on nodes: [NodeProcess],
                               file: StaticString = #filePath, line: UInt = #line) async throws {
        let client = CANClient(baseURL: try XCTUnwrap(nodes.first, file: file, line: line).storeURL)
        var reference: [Asset] = []
        for hash in hashes {
            do {
                reference.append(try await client.meta(hash))
            } catch {
                XCTFail("\(hash.prefix(12)) missing on the first node (\(error))", file: file, line: line)
            }
        }
        try await assertAssetsIdentical(reference, on: nodes, file: file, line: line)
    }
}
