"""The Syncthing half: two instances on loopback, one fresh shared folder per workload, REST-driven timing."""

import copy
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

from common import Step, child_pids, cpu_seconds, free_port, http_json, log, proc_status_kib, run_plan
from dataset import total_bytes

SYSTEM = "Syncthing"
FOLDERS = ["big", "both", "small", "latency-scan", "latency-watch"]
WATCHER_DELAY_S = 1

# Everything that reaches past loopback is off, and off before the first start (see the side-by-side note).
OPTIONS = {
    "listenAddress": None,  # set per instance
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "urAccepted": "-1",
    "crashReportingEnabled": "false",
    "autoUpgradeIntervalH": "0",
    "startBrowser": "false",
    "stunKeepaliveStartS": "0",
    "stunServer": "",
    # Syncthing lowers its own CPU priority by default; CAN Sync runs at normal priority.
    "setLowPriority": "false",
}


class SyncthingInstance:
    """One Syncthing (monitor + worker process) with its own home, GUI/REST port and sync port."""

    def __init__(self, name, root, logs_dir, children):
        self.name, self.children = name, children
        self.home = os.path.join(root, f"home-{name}")
        self.folders_root = os.path.join(root, f"folders-{name}")
        self.staging = os.path.join(root, f"staging-{name}")
        self.log_path = os.path.join(logs_dir, f"syncthing-{name}.log")
        self.gui_port, self.listen_port = free_port(), free_port()
        self.api_key = f"bench-{name}-{os.urandom(8).hex()}"
        self.process = None
        self.device_id = None
        self.since = 0

    def generate(self, step):
        result = subprocess.run(["syncthing", "generate", f"--home={self.home}", "--no-default-folder",
                                 "--skip-port-probing"], capture_output=True, text=True, timeout=step.remaining())
        if result.returncode != 0:
            step.fail(f"syncthing generate for {self.name} exited {result.returncode}: {result.stderr.strip()}")
        self.device_id = ET.parse(self.config_path()).getroot().find("device").get("id")

    def config_path(self):
        return os.path.join(self.home, "config.xml")

    def configure(self, peer):
        tree = ET.parse(self.config_path())
        root = tree.getroot()
        own = root.find("device")
        own.set("name", self.name)
        peer_device = copy.deepcopy(own)
        peer_device.set("id", peer.device_id)
        peer_device.set("name", peer.name)
        peer_device.find("address").text = f"tcp://127.0.0.1:{peer.listen_port}"
        root.insert(list(root).index(own) + 1, peer_device)

        gui = root.find("gui")
        gui.find("address").text = f"127.0.0.1:{self.gui_port}"
        gui.find("apikey").text = self.api_key
        options = root.find("options")
        for key, value in OPTIONS.items():
            options.find(key).text = f"tcp://127.0.0.1:{self.listen_port}" if key == "listenAddress" else value

        template = root.find("defaults").find("folder")
        for index, folder_id in enumerate(FOLDERS):
            folder = copy.deepcopy(template)
            path = os.path.join(self.folders_root, folder_id)
            os.makedirs(os.path.join(path, ".stfolder"), exist_ok=True)
            folder.set("id", folder_id)
            folder.set("label", folder_id)
            folder.set("path", path)
            folder.set("type", "sendreceive")
            folder.set("fsWatcherEnabled", "true")
            folder.set("fsWatcherDelayS", str(WATCHER_DELAY_S))
            for device in folder.findall("device"):
                folder.remove(device)
            for device_id in (self.device_id, peer.device_id):
                ET.SubElement(folder, "device", {"id": device_id, "introducedBy": ""}).append(
                    ET.Element("encryptionPassword"))
            root.insert(index, folder)
        tree.write(self.config_path())
        os.makedirs(self.staging, exist_ok=True)

    def start(self):
        env = dict(os.environ, STNOUPGRADE="1", STNODEFAULTFOLDER="1", STNORESTART="1")
        self.process = self.children.start(
            ["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart", "--no-upgrade"],
            self.log_path, env=env)

    def worker_pid(self):
        """The process that does the syncing: the monitor's child (the monitor itself only supervises)."""
        workers = child_pids(self.process.pid)
        return workers[0] if workers else self.process.pid

    def rest(self, path, method="GET", params=None, timeout_s=10):
        query = "?" + urllib.parse.urlencode(params) if params else ""
        return http_json(f"http://127.0.0.1:{self.gui_port}/rest/{path}{query}", method,
                         headers={"X-API-Key": self.api_key}, timeout_s=timeout_s)

    def next_events(self, wait_s):
        """Long-polls ItemFinished events newer than the last seen; returns them (possibly none)."""
        events = self.rest("events", params={"events": "ItemFinished", "since": self.since,
                                             "timeout": max(0, int(wait_s))}, timeout_s=wait_s + 10) or []
        if events:
            self.since = max(event["id"] for event in events)
        return events

    def folder_path(self, folder_id):
        return os.path.join(self.folders_root, folder_id)

    def place(self, folder_id, data_file):
        """What a user does to add a file: copy it in (through a staging name, so no half file is scanned)."""
        staged = os.path.join(self.staging, data_file.name)
        shutil.copyfile(data_file.path, staged)
        os.rename(staged, os.path.join(self.folder_path(folder_id), data_file.name))

    def scan_in_background(self, folder_id, sub=None):
        """POST /rest/db/scan blocks until the scan ends, so it runs on its own thread."""
        params = {"folder": folder_id, **({"sub": sub} if sub else {})}
        outcome = {}

        def run():
            try:
                self.rest("db/scan", "POST", params=params, timeout_s=600)
            except OSError as error:
                outcome["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, outcome


class SyncthingSide:
    """Runs the four workloads through two Syncthing instances."""

    def __init__(self, dataset, root, logs_dir, children, latency_gap_s):
        self.dataset, self.latency_gap_s = dataset, latency_gap_s
        self.a = SyncthingInstance("A", root, logs_dir, children)
        self.b = SyncthingInstance("B", root, logs_dir, children)
        self.logs = [self.a.log_path, self.b.log_path]
        self.results = {}
        self.failures = []
        self.system = SYSTEM

    def step(self, name, timeout_s):
        return Step(SYSTEM, name, timeout_s, self.logs)

    def setup(self):
        step = self.step("generate keys and configs", 60)
        for instance in (self.a, self.b):
            instance.generate(step)
        self.a.configure(self.b)
        self.b.configure(self.a)
        for instance in (self.a, self.b):
            instance.start()
        step = self.step("start REST API", 60)
        for instance in (self.a, self.b):
            step.poll(lambda: self._answering(step, instance), 0.1)
        step = self.step("connect A and B", 120)
        step.poll(lambda: self.a.rest("system/connections")["connections"].get(self.b.device_id, {}).get("connected"),
                  0.2)
        step = self.step("shared folders idle on both sides", 120)
        for instance, peer in ((self.a, self.b), (self.b, self.a)):
            for folder_id in FOLDERS:
                step.poll(lambda: self._folder_ready(instance, peer, folder_id), 0.2, detail=f"folder {folder_id}")
        for instance in (self.a, self.b):
            instance.next_events(0)  # creates the ItemFinished subscription and moves past old events

    @staticmethod
    def _answering(step, instance):
        if instance.process.poll() is not None:
            step.fail(f"syncthing {instance.name} exited with status {instance.process.returncode}")
        return instance.rest("system/status").get("myID") == instance.device_id

    @staticmethod
    def _folder_ready(instance, peer, folder_id):
        status = instance.rest("db/status", params={"folder": folder_id})
        completion = instance.rest("db/completion", params={"folder": folder_id, "device": peer.device_id})
        return status.get("state") == "idle" and completion.get("remoteState", "valid") == "valid"

    def wait_files(self, step, instance, folder_id, files):
        """Returns when every file exists on `instance` with its full size; wakes on ItemFinished events."""
        folder = instance.folder_path(folder_id)
        pending = {f.name: f.size for f in files}
        while True:
            for name, size in list(pending.items()):
                try:
                    if os.stat(os.path.join(folder, name)).st_size == size:
                        del pending[name]
                except FileNotFoundError:
                    pass
            if not pending:
                return
            step.check(f"{len(pending)} of {len(files)} files still missing on {instance.name}")
            instance.next_events(min(1, step.remaining()))

    def pause(self):
        # Syncthing holds back 250 ms after each index update it sends: a quiet second keeps runs apart.
        time.sleep(1)

    def run_workloads(self):
        self.setup()
        return run_plan(self, [
            ("big", self.one_big), ("both", self.both_ways), ("small", self.many_small),
            ("latency_scan", lambda: self.latency("latency-scan", self.dataset.latency[0], scan=True)),
            ("latency_watch", lambda: self.latency("latency-watch", self.dataset.latency[1], scan=False))])

    def state_report(self):
        """Each instance's folder states, for a failure message."""
        parts = []
        for instance in (self.a, self.b):
            states = {f: instance.rest("db/status", params={"folder": f}).get("state") for f in FOLDERS}
            parts.append(f"{instance.name}: {states}")
        return "; ".join(parts)

    def peak_rss(self):
        return {i.name: proc_status_kib(i.worker_pid(), "VmHWM") for i in (self.a, self.b)}

    def cpu(self):
        return sum(cpu_seconds(i.worker_pid()) or 0 for i in (self.a, self.b))

    def _transfer(self, name, folder_id, sources, timeout_s):
        """Places every (instance, files) pair at once, scans, and waits until each peer has them all."""
        step = self.step(name, timeout_s)
        cpu_before = self.cpu()
        start = time.monotonic()

        scans, placed, errors = [], [], []

        def place_and_scan(instance, files):
            try:
                for data_file in files:
                    instance.place(folder_id, data_file)
            except OSError as error:
                errors.append(f"copying into {instance.name}'s folder {folder_id}: {error}")
                return
            placed.append(time.monotonic() - start)
            scans.append(instance.scan_in_background(folder_id))

        placers = [threading.Thread(target=place_and_scan, args=pair, daemon=True) for pair in sources]
        for thread in placers:
            thread.start()
        for instance, files in sources:
            peer = self.b if instance is self.a else self.a
            if errors:
                step.fail(errors[0])
            self.wait_files(step, peer, folder_id, files)
        elapsed = time.monotonic() - start
        for thread in placers:
            thread.join(max(0.1, step.remaining()))
        for thread, outcome in scans:
            thread.join(max(0.1, step.remaining()))
            if "error" in outcome:
                step.fail(f"rescan failed: {outcome['error']}")
        moved = sum(total_bytes(files) for _, files in sources)
        count = sum(len(files) for _, files in sources)
        return {"seconds": elapsed, "bytes": moved, "files": count, "cpu_s": self.cpu() - cpu_before,
                "added_seconds": max(placed)}

    def one_big(self):
        log("Syncthing: 1 GiB A -> B")
        return self._transfer("1 GiB A -> B", "big", [(self.a, [self.dataset.big])], 600)

    def both_ways(self):
        log("Syncthing: 102 x 1 MiB both ways")
        return self._transfer("102 x 1 MiB both ways", "both",
                              [(self.a, self.dataset.side_a), (self.b, self.dataset.side_b)], 300)

    def many_small(self):
        log("Syncthing: 1000 x 4 KiB A -> B")
        return self._transfer("1000 x 4 KiB A -> B", "small", [(self.a, self.dataset.small)], 180)

    def latency(self, folder_id, files, scan):
        how = "explicit scan" if scan else f"file watcher alone (fsWatcherDelayS={WATCHER_DELAY_S})"
        log(f"Syncthing: small-file latency, {how}")
        samples = []
        for data_file in files:
            time.sleep(self.latency_gap_s)
            step = self.step(f"latency ({how}) of {data_file.name}", 60)
            start = time.monotonic()
            self.a.place(folder_id, data_file)
            scan_thread = self.a.scan_in_background(folder_id, sub=data_file.name) if scan else None
            self.wait_files(step, self.b, folder_id, [data_file])
            samples.append(time.monotonic() - start)
            if scan_thread:
                scan_thread[0].join(max(0.1, step.remaining()))
        return {"samples": samples}

