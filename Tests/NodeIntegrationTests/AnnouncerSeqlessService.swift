import CANModel
import Foundation
import TestSupport

/// A minimal CAN Service without change counters, as the contract allows: assets carry no `seq`,
/// `/list` and `/search` ignore `since_seq` and `wait_ms`, answer newest first at once and page
/// only by `limit`/`offset`. Written in Python so the test needs nothing beyond `python3`; it counts
/// the requests it serves (`GET /stats`) and takes new assets (`POST /admin/add`) while running.
final class AnnouncerSeqlessService: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    private let directory: TemporaryDirectory

    var baseURL: String { "http://127.0.0.1:\(port)/api/v1/can/0" }
    var output: String { process.output }

    /// Serves `count` assets; the ones whose index is a multiple of `tagEvery` are tagged `pick`.
    init(count: Int, tagEvery: Int) async throws {
        directory = try TemporaryDirectory("seqless-service")
        let script = directory.file("service.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let python = ProcessInfo.processInfo.environment["CAN_SYNC_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
        process = try ChildProcess("/usr/bin/env", [python ?? "python3", "-u", script.path, String(count), String(tagEvery)],
                                   logURL: directory.file("service.log"))
        guard let port = await process.readyPort(timeout: 20) else {
            process.stop()
            throw AnnouncerSeqlessServiceError(message: "the seq-less CAN Service did not start: \(process.output)")
        }
        self.port = port
    }

    /// The SHA-256 hex of the content of asset `index`.
    static func hash(_ index: Int) -> String {
        SHA256Hasher.hex(of: Array("asset \(index)".utf8))
    }

    /// How many requests each endpoint ("list", "search", "meta", "health") has served.
    func stats() async throws -> [String: Int] {
        let reply = try await TestHTTP.get("http://127.0.0.1:\(port)/stats")
        return reply.json as? [String: Int] ?? [:]
    }

    /// Adds asset `index` as the newest one, tagged `pick`.
    func add(_ index: Int) async throws {
        let reply = try await TestHTTP.request("POST", "http://127.0.0.1:\(port)/admin/add?index=\(index)")
        guard reply.status == 200 else { throw AnnouncerSeqlessServiceError(message: "add failed: \(reply.text)") }
    }

    func stop() { process.stop() }

    private static let script = #"""
import hashlib, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

COUNT, TAG_EVERY = int(sys.argv[1]), int(sys.argv[2])
BASE = "/api/v1/can/0"
lock = threading.Lock()
stats = {"list": 0, "search": 0, "meta": 0, "health": 0}

def make_asset(i, tags):
    content = ("asset %d" % i).encode()
    created = 1700000000000 + i * 1000
    return {"hash": hashlib.sha256(content).hexdigest(), "size": len(content), "mime_type": "text/plain",
            "application": "seqless", "tags": tags, "user": None, "filename": "asset-%d.txt" % i,
            "metadata": {}, "created_at": created, "updated_at": created}

assets = [make_asset(i, ["pick"] if i % TAG_EVERY == 0 else ["other"]) for i in range(COUNT)]
by_hash = {a["hash"]: a for a in assets}

def newest_first():
    return sorted(assets, key=lambda a: a["created_at"], reverse=True)

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def ok(self, data):
        self.reply(200, {"status": "success", "data": data})

    def page(self, query, matches):
        limit = min(int(query.get("limit", ["50"])[0]), 1000)
        offset = int(query.get("offset", ["0"])[0])
        with lock:
            selected = [a for a in newest_first() if matches(a)]
        self.ok({"assets": selected[offset:offset + limit], "total": len(selected)})

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        path = url.path
        if path == "/stats":
            with lock:
                return self.reply(200, dict(stats))
        if not path.startswith(BASE):
            return self.reply(404, {"status": "error", "error": "not found"})
        path = path[len(BASE):]
        if path == "/health":
            with lock:
                stats["health"] += 1
                n = len(assets)
            return self.ok({"ok": True, "version": "seqless-test", "assets": n})
        if path == "/list":
            with lock:
                stats["list"] += 1
            return self.page(query, lambda a: True)
        if path == "/search":
            with lock:
                stats["search"] += 1
            tags = set(query.get("tag", []))
            def matches(a):
                if "application" in query and a["application"] != query["application"][0]: return False
                if "user" in query and a["user"] != query["user"][0]: return False
                if "mime_prefix" in query and not a["mime_type"].startswith(query["mime_prefix"][0]): return False
                if "q" in query and query["q"][0] not in (a["filename"] or ""): return False
                if tags and not tags.intersection(a["tags"]): return False
                return True
            return self.page(query, matches)
        if path.startswith("/asset/") and path.endswith("/meta"):
            with lock:
                stats["meta"] += 1
                asset = by_hash.get(path[len("/asset/"):-len("/meta")])
            if asset is None:
                return self.reply(404, {"status": "error", "error": "unknown asset"})
            return self.ok(asset)
        self.reply(404, {"status": "error", "error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/admin/add":
            return self.reply(404, {"status": "error", "error": "not found"})
        i = int(parse_qs(url.query)["index"][0])
        asset = make_asset(i, ["pick"])
        asset["created_at"] = asset["updated_at"] = 1800000000000 + i
        with lock:
            assets.append(asset)
            by_hash[asset["hash"]] = asset
        self.ok(asset)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("READY %d" % server.server_address[1], flush=True)
server.serve_forever()
"""#
}

struct AnnouncerSeqlessServiceError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
