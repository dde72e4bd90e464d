"""Folds several rounds of one system's results into one: the median round per throughput workload, every latency
sample pooled, the highest peak RSS. A workload that failed in any round stays failed."""

RSS_KEYS = ("rss_after_first", "rss_end")


def _median_round(results):
    ordered = sorted(results, key=lambda result: result["bytes"] / result["seconds"])
    return dict(ordered[(len(ordered) - 1) // 2], rounds=len(ordered))


def _highest_rss(readings):
    nodes = {name for reading in readings if reading for name in reading}
    return {name: max((r.get(name) for r in readings if r and r.get(name) is not None), default=None)
            for name in sorted(nodes)}


def combine(rounds):
    """One result dict from a list of per-round result dicts (rounds that never reached a workload lack its key)."""
    if len(rounds) == 1:
        return rounds[0]
    combined = {}
    keys = {key for result in rounds for key in result if key not in RSS_KEYS}
    for key in sorted(keys):
        values = [result.get(key) for result in rounds if result.get(key) is not None]
        failed = [value for value in values if "failed" in value]
        if failed:
            combined[key] = failed[0]
        elif "samples" in values[0]:
            combined[key] = {"samples": [sample for value in values for sample in value["samples"]]}
        else:
            combined[key] = _median_round(values)
    for key in RSS_KEYS:
        combined[key] = _highest_rss([result.get(key) for result in rounds])
    return combined
