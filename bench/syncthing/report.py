"""The results table: both systems' figures, the ratio, and each target with a verdict."""

from common import percentile

MB = 1e6
BOTH_WAYS_TARGET_MBPS = 4 * 63
LATENCY_P50_TARGET_MS = 300
RSS_TARGET_MIB = 64


def _measured(result):
    return result if result and "failed" not in result else None


def _rate(result, per_file=False):
    result = _measured(result)
    if not result:
        return None
    return result["files"] / result["seconds"] if per_file else result["bytes"] / MB / result["seconds"]


def _latency(result):
    result = _measured(result)
    if not result or not result.get("samples"):
        return None
    samples = [s * 1000 for s in result["samples"]]
    return percentile(samples, 0.5), percentile(samples, 0.95)


def _cell(result, text):
    """What a table cell shows: the figure, FAILED for a workload that failed, a dash for one never run."""
    if result and "failed" in result:
        return "FAILED"
    return text


def _fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio(numerator, denominator):
    return None if numerator is None or not denominator else numerator / denominator


def _ahead(ratio):
    return None if ratio is None else ratio > 1


def _at_most(value, limit):
    return None if value is None else value <= limit


def _verdict(*checks):
    if any(check is None for check in checks):
        return "not measured"
    return "MET" if all(checks) else "MISSED"


def _rss(rss, name):
    kib = (rss or {}).get(name)
    return None if kib is None else kib / 1024


def _latency_text(latency):
    return "—" if latency is None else f"{latency[0]:.0f} / {latency[1]:.0f}"


def render(can, syncthing, failures, big_mib):
    """Returns the table as text. can/syncthing: result dicts, possibly partial; failures: StepFailed list."""
    can, syncthing = can or {}, syncthing or {}
    big = "1 GiB" if big_mib == 1024 else f"{big_mib} MiB"
    rows = []

    def add(label, key_c, ours, key_s, theirs, ratio, target="", verdict=""):
        rows.append((label, _cell(can.get(key_c), ours), _cell(syncthing.get(key_s), theirs),
                     "—" if ratio is None else f"{ratio:.2f}x", target, verdict))

    c, s = _rate(can.get("big")), _rate(syncthing.get("big"))
    r = _ratio(c, s)
    add(f"{big} A→B (MB/s)", "big", _fmt(c), "big", _fmt(s), r, "ahead of Syncthing", _verdict(_ahead(r)))

    c, s = _rate(can.get("both")), _rate(syncthing.get("both"))
    r = _ratio(c, s)
    add("102×1 MiB both ways (MB/s)", "both", _fmt(c), "both", _fmt(s), r,
        f">= {BOTH_WAYS_TARGET_MBPS} MB/s, ahead",
        _verdict(None if c is None else c >= BOTH_WAYS_TARGET_MBPS, _ahead(r)))

    c, s = _rate(can.get("small"), per_file=True), _rate(syncthing.get("small"), per_file=True)
    r = _ratio(c, s)
    add("1000×4 KiB A→B (files/s)", "small", _fmt(c, 0), "small", _fmt(s, 0), r, "ahead of Syncthing",
        _verdict(_ahead(r)))
    c, s = _rate(can.get("small")), _rate(syncthing.get("small"))
    add("1000×4 KiB A→B (MB/s)", "small", _fmt(c, 2), "small", _fmt(s, 2), _ratio(c, s))

    c, s = _latency(can.get("latency")), _latency(syncthing.get("latency_scan"))
    r = _ratio(s and s[0], c and c[0])
    add("small asset latency p50/p95 (ms)", "latency", _latency_text(c), "latency_scan",
        _latency_text(s) + " (scan)", r, f"p50 <= {LATENCY_P50_TARGET_MS} ms, ahead",
        _verdict(_at_most(c and c[0], LATENCY_P50_TARGET_MS), _ahead(r)))
    w = _latency(syncthing.get("latency_watch"))
    add("  vs Syncthing's watcher alone", "latency", _latency_text(c), "latency_watch",
        _latency_text(w) + " (watch)", _ratio(w and w[0], c and c[0]))

    first, st_first = can.get("rss_after_first"), syncthing.get("rss_after_first")
    add(f"peak RSS after {big} (MiB)", "", f"A {_fmt(_rss(first, 'A'))} B {_fmt(_rss(first, 'B'))}",
        "", f"A {_fmt(_rss(st_first, 'A'))} B {_fmt(_rss(st_first, 'B'))}", None, f"node <= {RSS_TARGET_MIB} MiB",
        _verdict(*[_at_most(_rss(first, n), RSS_TARGET_MIB) for n in ("A", "B")]) if big_mib == 1024
        else "target is for 1 GiB")
    end, st_end = can.get("rss_end"), syncthing.get("rss_end")
    add("peak RSS whole run (MiB)", "", f"A {_fmt(_rss(end, 'A'))} B {_fmt(_rss(end, 'B'))}",
        "", f"A {_fmt(_rss(st_end, 'A'))} B {_fmt(_rss(st_end, 'B'))}", None)
    for key, label in (("big", big), ("both", "102×1 MiB"), ("small", "1000×4 KiB")):
        c = (_measured(can.get(key)) or {}).get("cpu_s")
        s = (_measured(syncthing.get(key)) or {}).get("cpu_s")
        add(f"CPU seconds (both sides), {label}", key, _fmt(c, 2), key, _fmt(s, 2), _ratio(s, c))

    for key, label in (("big", big), ("both", "102×1 MiB"), ("small", "1000×4 KiB")):
        c, s = _measured(can.get(key)), _measured(syncthing.get(key))
        add(f"  {label}: files added / arrived (s)", key,
            f"{c['added_seconds']:.2f} / {c['seconds']:.2f}" if c else "—", key,
            f"{s['added_seconds']:.2f} / {s['seconds']:.2f}" if s else "—", None)

    header = ("workload", "CAN Sync", "Syncthing", "ratio", "target", "verdict")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += ["",
              "ratio > 1: CAN Sync ahead (throughput: CAN Sync ÷ Syncthing; latency, CPU: Syncthing ÷ CAN Sync).",
              "Syncthing latency (scan): file copied in, then POST /rest/db/scan?folder=…&sub=FILE;",
              "  (watch): its file watcher alone, fsWatcherDelayS=1.",
              "Files added: CAN Sync's ingest answered / Syncthing's copy done (a scan follows); arrived: all on "
              "the other side.",
              "Peak RSS: VmHWM of each CAN Sync node (bundled store included) and of each Syncthing worker process."]
    lines += [f"FAILED: {failure}" for failure in failures]
    return "\n".join(lines)


def samples_line(name, result):
    result = _measured(result)
    if not result or not result.get("samples"):
        return f"{name}: no samples"
    return f"{name} (ms): " + " ".join(f"{s * 1000:.0f}" for s in result["samples"])
