"""Shared pieces of the CAN Sync vs Syncthing benchmark: steps with deadlines, child processes, HTTP, memory."""

import ctypes
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse


class StepFailed(Exception):
    """A benchmark step that did not finish: names the step, the reason and the logs to read."""

    def __init__(self, system, step, reason, logs=()):
        super().__init__(system, step, reason)
        self.system, self.step, self.reason, self.logs = system, step, reason, list(logs)

    def __str__(self):
        where = "; logs: " + ", ".join(self.logs) if self.logs else ""
        return f"{self.system}: step '{self.step}' failed: {self.reason}{where}"


class Step:
    """A named step with a deadline, so every wait in the benchmark is bounded and a timeout says what hung."""

    def __init__(self, system, name, timeout_s, logs=()):
        self.system, self.name, self.timeout_s, self.logs = system, name, timeout_s, logs
        self.deadline = time.monotonic() + timeout_s

    def remaining(self):
        return self.deadline - time.monotonic()

    def check(self, detail=""):
        if self.remaining() <= 0:
            self.fail(f"timed out after {self.timeout_s:.0f} s" + (f" ({detail})" if detail else ""))

    def fail(self, reason):
        raise StepFailed(self.system, self.name, reason, self.logs)

    def poll(self, probe, interval_s=0.05, detail=""):
        """Calls probe() until it returns something truthy; sleeps between calls. For setup waits, not for timing."""
        last_error = ""
        while True:
            try:
                value = probe()
            except (OSError, http.client.HTTPException, ValueError) as error:
                value, last_error = None, f"last error: {error}"
            if value:
                return value
            self.check(" ".join(part for part in (detail, last_error) if part))
            time.sleep(interval_s)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message):
    print(message, file=sys.stderr, flush=True)


def http_request(url, method="GET", body=None, headers=None, timeout_s=10):
    """One HTTP request on a fresh connection. Returns (status, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        data = None
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            all_headers.setdefault("Content-Type", "application/json")
        path = parts.path + ("?" + parts.query if parts.query else "")
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_json(url, method="GET", body=None, headers=None, timeout_s=10):
    """A request whose answer must be 2xx JSON; raises OSError naming the URL otherwise."""
    status, data = http_request(url, method, body, headers, timeout_s)
    if not 200 <= status < 300:
        raise OSError(f"{method} {url} answered {status}: {data[:300].decode(errors='replace')}")
    return json.loads(data) if data else None


_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # A child outlives a SIGKILLed driver otherwise; the PID namespace is the second line of defence.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    """The processes this benchmark started; stop_all() ends each one by its pid."""

    def __init__(self):
        self.processes = []

    def start(self, argv, log_path, cwd=None, env=None):
        log_file = open(log_path, "ab")
        process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=cwd, env=env, preexec_fn=_die_with_parent)
        log_file.close()
        self.processes.append(process)
        return process

    def stop(self, process, grace_s=10):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace_s)
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self):
        for process in list(reversed(self.processes)):
            try:
                self.stop(process)
            except (OSError, subprocess.TimeoutExpired):
                pass


def proc_status_kib(pid, field):
    """A memory field of /proc/PID/status in KiB (VmHWM: peak resident set), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def child_pids(pid):
    """Children of pid. /proc lists them per thread that forked them, so every thread is read."""
    children = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return sorted(set(children))


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def run_plan(side, plan):
    """Runs each (key, workload) of a side in turn, with a quiet second before each.

    A failed workload is recorded (with the side's state_report() for diagnosis) and the next one still runs, so one
    stuck workload does not hide the others' figures. Peak RSS is read after the first workload and at the end.
    """
    for index, (key, workload) in enumerate(plan):
        side.pause()
        try:
            side.results[key] = workload()
        except (StepFailed, OSError, http.client.HTTPException, ValueError, KeyError) as error:
            failure = error if isinstance(error, StepFailed) else StepFailed(
                side.system, key, f"{type(error).__name__}: {error}", side.logs)
            try:
                state = side.state_report()
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                state = f"state unavailable: {error}"
            failure.reason += f"; state: {state}"
            log(f"FAILED: {failure}")
            side.results[key] = {"failed": str(failure)}
            side.failures.append(failure)
        if index == 0:
            side.results["rss_after_first"] = side.peak_rss()
    side.results["rss_end"] = side.peak_rss()
    return side.results
