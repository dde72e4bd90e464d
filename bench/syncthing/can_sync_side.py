"""The CAN Sync half: two can-sync nodes with bundled stores on loopback, one library, timing through the stores."""

import hashlib
import http.client
import json
import os
import socket
import threading
import time
import uuid

from common import Step, StepFailed, cpu_seconds, free_port, http_json, log, proc_status_kib, run_plan
from dataset import DataFile, total_bytes

SYSTEM = "CAN Sync"
INGEST_CONNECTIONS = 4
LONG_POLL_MS = 5000
SMALL_BODY_BYTES = 64 * 1024


class CANNode:
    """One can-sync process with its bundled store, its config.yaml and its log."""

    def __init__(self, name, root, logs_dir, bin_dir, plugins_file, children, log_level):
        self.name, self.bin_dir, self.children, self.log_level = name, bin_dir, children, log_level
        self.dir = os.path.join(root, f"node-{name}")
        os.makedirs(self.dir, exist_ok=True)
        self.store_port, self.api_port = free_port(), free_port()
        self.store_url = f"http://127.0.0.1:{self.store_port}/api/v1/can/0"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.config_path = os.path.join(self.dir, "config.yaml")
        self.log_path = os.path.join(logs_dir, f"can-sync-{name}.log")
        self.process = None
        with open(self.config_path, "w") as f:
            f.write(f'can_service_url: "{self.store_url}"\n'
                    "bundled_can_service: true\n"
                    f'listen_addr: "127.0.0.1:{self.api_port}"\n'
                    f'data_dir: "{os.path.join(self.dir, "data")}"\n'
                    "poll_interval_secs: 1\n"
                    f'plugins_file: "{plugins_file}"\n')

    def start(self):
        self.process = self.children.start([os.path.join(self.bin_dir, "can-sync"), self.config_path,
                                            "--log-level", self.log_level], self.log_path, cwd=self.dir)

    def api(self, path, method="GET", body=None, timeout_s=30):
        """A node API call; returns the envelope's data or raises OSError with the node's error message."""
        envelope = http_json(self.api_url + path, method, body, timeout_s=timeout_s)
        if not isinstance(envelope, dict) or envelope.get("status") != "success":
            raise OSError(f"{method} {self.api_url}{path} on node {self.name}: {envelope}")
        return envelope.get("data")

    def store(self, path, timeout_s=30):
        envelope = http_json(self.store_url + path, timeout_s=timeout_s)
        return envelope["data"]

    def exited(self):
        return self.process.poll() is not None


class Ingester:
    """Uploads files to a store as multipart/form-data over keep-alive connections, streaming each file."""

    def __init__(self, node):
        self.node = node
        self.local = threading.local()

    def _connection(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.node.store_port, timeout=600)
            conn.connect()
            # Like curl and every NIO client: small writes go out at once, not after the last one's ACK.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.local.conn = conn
        return conn

    def ingest(self, data_file):
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"mime_type\"\r\n\r\n"
                f"application/octet-stream\r\n--{boundary}\r\n"
                f"Content-Disposition: form-data; name=\"file\"; filename=\"{data_file.name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = self._connection()
        try:
            conn.putrequest("POST", "/api/v1/can/0/ingest")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(head) + data_file.size + len(tail)))
            if data_file.size <= SMALL_BODY_BYTES:
                # A small file goes out with the headers in one write: two more system calls and a
                # sendfile would cost the client more time than the store takes to ingest it.
                with open(data_file.path, "rb") as f:
                    conn.endheaders(head + f.read() + tail)
            else:
                conn.endheaders(head)
                with open(data_file.path, "rb") as f:
                    conn.sock.sendfile(f)
                conn.send(tail)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise
        if response.status != 200:
            raise OSError(f"ingest of {data_file.name} into {self.node.store_url} answered {response.status}: "
                          f"{body[:300].decode(errors='replace')}")
        asset_hash = json.loads(body)["data"]["hash"]
        if asset_hash != data_file.sha256:
            raise OSError(f"ingest of {data_file.name} into node {self.node.name} returned hash {asset_hash}, "
                          f"expected {data_file.sha256}")

    def close(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
            self.local.conn = None

    def ingest_all(self, files, connections=INGEST_CONNECTIONS):
        """Ingests files over `connections` parallel connections; returns the first error, or None."""
        queue = list(reversed(files))
        lock = threading.Lock()
        errors = []

        def worker():
            try:
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        data_file = queue.pop()
                    self.ingest(data_file)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                with lock:
                    errors.append(error)
            finally:
                self.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(connections, len(files)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors[0] if errors else None


class StoreFeed:
    """Follows a store's change feed (GET /list?since_seq=...&wait_ms=...) and remembers every hash it lists."""

    def __init__(self, node):
        self.node = node
        self.seen = set()
        self.since = node.store("/list?limit=1")["last_seq"]

    def wait_for(self, step, hashes):
        missing = set(hashes) - self.seen
        while missing:
            step.check(f"{len(missing)} of {len(hashes)} assets not yet listed by node {self.node.name}'s store")
            if self.node.exited():
                step.fail(f"node {self.node.name} exited with status {self.node.process.returncode}")
            wait_ms = int(max(0, min(LONG_POLL_MS, step.remaining() * 1000)))
            page = self.node.store(f"/list?since_seq={self.since}&limit=1000&wait_ms={wait_ms}",
                                   timeout_s=wait_ms / 1000 + 30)
            for asset in page["assets"]:
                self.seen.add(asset["hash"])
            self.since = max(self.since, page["last_seq"])
            missing -= self.seen


class CANSyncSide:
    """Runs the four workloads through two CAN Sync nodes that share one library."""

    def __init__(self, dataset, root, logs_dir, bin_dir, children, latency_gap_s, log_level):
        self.dataset, self.latency_gap_s = dataset, latency_gap_s
        os.makedirs(root, exist_ok=True)
        plugins_file = os.path.join(root, "plugins.yaml")
        with open(plugins_file, "w") as f:
            f.write("plugins:\n"
                    f'  - path: "{os.path.join(bin_dir, "libQuicTransport.so")}"\n'
                    "    required: true\n"
                    "    settings:\n"
                    '      bind: "127.0.0.1:0"\n'
                    f'  - path: "{os.path.join(bin_dir, "libFilters.so")}"\n'
                    "    required: true\n")
        self.a = CANNode("A", root, logs_dir, bin_dir, plugins_file, children, log_level)
        self.b = CANNode("B", root, logs_dir, bin_dir, plugins_file, children, log_level)
        self.logs = [self.a.log_path, self.b.log_path]
        self.results = {}
        self.failures = []
        self.system = SYSTEM

    def step(self, name, timeout_s):
        return Step(SYSTEM, name, timeout_s, self.logs)

    def setup(self):
        for node in (self.a, self.b):
            node.start()
        step = self.step("start nodes (GET /status, store /health)", 60)
        for node in (self.a, self.b):
            step.poll(lambda: not node.exited() and node.api("/status") and node.store("/health"), 0.1,
                      detail=f"node {node.name}")
        library = self._call("create library on A", lambda: self.a.api(
            "/libraries", "POST", {"name": "bench", "filter": {}}))
        self.library_id = library["id"]
        invite = self._call("invite on A", lambda: self.a.api(f"/libraries/{self.library_id}/invite", "POST"))
        self._call("join on B", lambda: self.b.api("/join", "POST", {"ticket": invite["ticket"]}, timeout_s=60))
        self.feeds = {node.name: StoreFeed(node) for node in (self.a, self.b)}
        # One small asset each way proves the nodes are connected both ways before anything is timed.
        self._warm_up(self.a, self.b)
        self._warm_up(self.b, self.a)

    def _call(self, name, request):
        """One setup request (not retried: a repeated POST could create a second library)."""
        try:
            return request()
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError) as error:
            raise StepFailed(SYSTEM, name, str(error), self.logs) from error

    def _warm_up(self, source, target):
        step = self.step(f"first asset {source.name} -> {target.name} after join", 120)
        payload = os.urandom(256)
        digest = hashlib.sha256(payload).hexdigest()
        path = os.path.join(source.dir, "warm-up.bin")
        with open(path, "wb") as f:
            f.write(payload)
        error = Ingester(source).ingest_all([DataFile(path, len(payload), digest)], 1)
        if error:
            step.fail(str(error))
        self.feeds[target.name].wait_for(step, [digest])

    def pause(self):
        time.sleep(1)

    def run_workloads(self):
        self.setup()
        return run_plan(self, [("big", self.one_big), ("both", self.both_ways), ("small", self.many_small),
                               ("latency", self.latency)])

    def state_report(self):
        """Each node's view of the library and its peers, for a failure message."""
        parts = []
        for node in (self.a, self.b):
            library = node.api(f"/libraries/{self.library_id}")
            counts = {key: library.get(key) for key in ("entry_count", "missing_blobs", "tombstone_count")}
            peers = [{key: peer.get(key) for key in ("node_id", "state", "bytes_in", "bytes_out")}
                     for peer in node.api("/peers")]
            parts.append(f"node {node.name}: library {json.dumps(counts)}, peers {json.dumps(peers)}")
        return "; ".join(parts)

    def peak_rss(self):
        return {node.name: proc_status_kib(node.process.pid, "VmHWM") for node in (self.a, self.b)}

    def cpu(self):
        return sum(cpu_seconds(node.process.pid) or 0 for node in (self.a, self.b))

    def _transfer(self, name, sources, timeout_s):
        """Ingests every (node, files) pair at once and waits until the other node lists them all."""
        step = self.step(name, timeout_s)
        cpu_before = self.cpu()
        start = time.monotonic()
        outcomes = {}

        def ingest(node, files):
            outcomes[node.name] = Ingester(node).ingest_all(files)

        threads = [threading.Thread(target=ingest, args=pair, daemon=True) for pair in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.1, step.remaining()))
            if thread.is_alive():
                step.fail("ingest did not finish")
        added = time.monotonic() - start
        for node_name, error in outcomes.items():
            if error:
                step.fail(f"ingest on node {node_name}: {error}")
        for node, files in sources:
            peer = self.b if node is self.a else self.a
            self.feeds[peer.name].wait_for(step, [f.sha256 for f in files])
        elapsed = time.monotonic() - start
        moved = sum(total_bytes(files) for _, files in sources)
        count = sum(len(files) for _, files in sources)
        return {"seconds": elapsed, "bytes": moved, "files": count, "cpu_s": self.cpu() - cpu_before,
                "added_seconds": added}

    def one_big(self):
        log("CAN Sync: 1 GiB A -> B")
        return self._transfer("1 GiB A -> B", [(self.a, [self.dataset.big])], 600)

    def both_ways(self):
        log("CAN Sync: 102 x 1 MiB both ways")
        return self._transfer("102 x 1 MiB both ways",
                              [(self.a, self.dataset.side_a), (self.b, self.dataset.side_b)], 300)

    def many_small(self):
        log("CAN Sync: 1000 x 4 KiB A -> B")
        return self._transfer("1000 x 4 KiB A -> B", [(self.a, self.dataset.small)], 180)

    def latency(self):
        log("CAN Sync: small-asset latency")
        ingester = Ingester(self.a)
        samples = []
        for data_file in self.dataset.latency[0]:
            time.sleep(self.latency_gap_s)
            step = self.step(f"latency of {data_file.name}", 60)
            start = time.monotonic()
            try:
                ingester.ingest(data_file)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                step.fail(f"ingest on node A: {error}")
            self.feeds["B"].wait_for(step, [data_file.sha256])
            samples.append(time.monotonic() - start)
        ingester.close()
        return {"samples": samples}
