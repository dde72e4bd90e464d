"""The results table: both systems' figures, the ratio, and each target with a verdict."""

from common import percentile

MB = 1e6
BOTH_WAYS_TARGET_MBPS = 4 * 63
LATENCY_P50_TARGET_MS = 300
RSS_TARGET_MIB = 64


def _rate(result, per_file=False):
    if not result:
        return None
    return result["files"] / result["seconds"] if per_file else result["bytes"] / MB / result["seconds"]


def _latency(result):
    if not result or not result.get("samples"):
        return None
    samples = [s * 1000 for s in result["samples"]]
    return percentile(samples, 0.5), percentile(samples, 0.95)


def _fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio(ours, theirs):
    return None if ours is None or theirs is None or theirs == 0 else ours / theirs


def _ahead(ratio):
    return None if ratio is None else ratio > 1


def _at_most(value, limit):
    return None if value is None else value <= limit


def _verdict(*checks):
    if any(check is None for check in checks):
        return "not measured"
    return "MET" if all(checks) else "MISSED"


def _mib(kib):
    return None if kib is None else kib / 1024


def render(can, syncthing, can_failure, syncthing_failure):
    """Returns the table as text. can/syncthing: result dicts (possibly partial); failures: StepFailed or None."""
    can, syncthing = can or {}, syncthing or {}
    rows = []

    def add(label, ours, theirs, ratio, target, verdict, digits=1):
        rows.append((label, ours if isinstance(ours, str) else _fmt(ours, digits),
                     theirs if isinstance(theirs, str) else _fmt(theirs, digits),
                     "—" if ratio is None else f"{ratio:.2f}x", target, verdict))

    big_c, big_s = _rate(can.get("big")), _rate(syncthing.get("big"))
    r = _ratio(big_c, big_s)
    add("1 GiB A→B (MB/s)", big_c, big_s, r, "ahead of Syncthing", _verdict(_ahead(r)))

    both_c, both_s = _rate(can.get("both")), _rate(syncthing.get("both"))
    r = _ratio(both_c, both_s)
    add("102×1 MiB both ways (MB/s)", both_c, both_s, r, f">= {BOTH_WAYS_TARGET_MBPS} MB/s, ahead",
        _verdict(None if both_c is None else both_c >= BOTH_WAYS_TARGET_MBPS, _ahead(r)))

    files_c, files_s = _rate(can.get("small"), True), _rate(syncthing.get("small"), True)
    r = _ratio(files_c, files_s)
    add("1000×4 KiB A→B (files/s)", files_c, files_s, r, "ahead of Syncthing", _verdict(_ahead(r)), 0)
    mbps_c, mbps_s = _rate(can.get("small")), _rate(syncthing.get("small"))
    add("1000×4 KiB A→B (MB/s)", mbps_c, mbps_s, _ratio(mbps_c, mbps_s), "", "", 2)

    lat_c, lat_s = _latency(can.get("latency")), _latency(syncthing.get("latency_scan"))
    lat_w = _latency(syncthing.get("latency_watch"))

    def pair(latency):
        return "—" if latency is None else f"{latency[0]:.0f} / {latency[1]:.0f}"

    r = _ratio(lat_s[0], lat_c[0]) if lat_c and lat_s else None
    add("small asset latency p50/p95 (ms)", pair(lat_c), pair(lat_s) + " (scan)", r,
        f"p50 <= {LATENCY_P50_TARGET_MS} ms, ahead",
        _verdict(_at_most(lat_c and lat_c[0], LATENCY_P50_TARGET_MS), _ahead(r)))
    r = _ratio(lat_w[0], lat_c[0]) if lat_c and lat_w else None
    add("  Syncthing with watcher alone", "", pair(lat_w) + " (watch)", r, "", "")

    rss = can.get("rss_after_big") or {}
    peak = [_mib(rss.get(n)) for n in ("A", "B")]
    st_rss = syncthing.get("rss_after_big") or {}
    st_peak = [_mib(st_rss.get(n)) for n in ("A", "B")]
    add("peak RSS after 1 GiB (MiB)", f"A {_fmt(peak[0])} B {_fmt(peak[1])}",
        f"A {_fmt(st_peak[0])} B {_fmt(st_peak[1])}", None, f"node <= {RSS_TARGET_MIB} MiB",
        _verdict(*[_at_most(p, RSS_TARGET_MIB) for p in peak]))
    rss_end, st_end = can.get("rss_end") or {}, syncthing.get("rss_end") or {}
    add("peak RSS whole run (MiB)", f"A {_fmt(_mib(rss_end.get('A')))} B {_fmt(_mib(rss_end.get('B')))}",
        f"A {_fmt(_mib(st_end.get('A')))} B {_fmt(_mib(st_end.get('B')))}", None, "", "")
    for key, label in (("big", "1 GiB"), ("both", "102×1 MiB"), ("small", "1000×4 KiB")):
        cpu_c = can.get(key, {}).get("cpu_s")
        cpu_s = syncthing.get(key, {}).get("cpu_s")
        add(f"CPU seconds, both sides, {label}", cpu_c, cpu_s, _ratio(cpu_s, cpu_c), "", "", 2)

    header = ("workload", "CAN Sync", "Syncthing", "ratio", "target", "verdict")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append("ratio > 1 means CAN Sync is ahead (throughput: CAN Sync ÷ Syncthing; latency and CPU: "
                 "Syncthing ÷ CAN Sync). Syncthing latency (scan): POST /rest/db/scan?sub=FILE right after the copy; "
                 "(watch): its file watcher alone.")
    for failure in (can_failure, syncthing_failure):
        if failure:
            lines.append(f"FAILED: {failure}")
    return "\n".join(lines)


def samples_line(name, result):
    if not result or not result.get("samples"):
        return f"{name}: no samples"
    return f"{name} (ms): " + " ".join(f"{s * 1000:.0f}" for s in result["samples"])
