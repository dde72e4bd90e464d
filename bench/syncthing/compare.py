"""Moves the same files through CAN Sync and through Syncthing, back to back, and prints one table.

Run by bench/sync-vs-syncthing.sh inside a network namespace that has only loopback; see that script for usage.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import sys
import time

from can_sync_side import CANSyncSide
from common import Children, StepFailed, log
from dataset import Dataset
from report import render, samples_line
from rounds import combine
from syncthing_side import SyncthingSide


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", help="directory with the release can-sync and plugin .so files")
    parser.add_argument("--work", required=True, help="scratch directory for data and both systems' files")
    parser.add_argument("--logs", required=True, help="directory for logs and results.json (kept)")
    parser.add_argument("--only", choices=["both", "can-sync", "syncthing"], default="both")
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the single large file")
    parser.add_argument("--latency-reps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="run both systems this many times, order alternating")
    parser.add_argument("--latency-gap", type=float, default=0.5, help="seconds of quiet before each latency sample")
    parser.add_argument("--log-level", default="info", help="can-sync --log-level (its default: info)")
    args = parser.parse_args()
    if args.rounds < 1 or args.latency_reps < 1 or args.big_mib < 1:
        parser.error("--rounds, --latency-reps and --big-mib take a positive number")
    return args


def run_side(make_side):
    """Runs one system's workloads; returns (results, failures). A failed setup ends the side; a failed workload
    does not stop the next one."""
    children = Children()
    side = None
    try:
        side = make_side(children)
        side.run_workloads()
        return side.results, side.failures
    except (StepFailed, OSError, http.client.HTTPException, ValueError, KeyError) as error:
        failure = error if isinstance(error, StepFailed) else StepFailed(
            side.system if side else "?", "setup", f"{type(error).__name__}: {error}", side.logs if side else [])
        log(f"FAILED: {failure}")
        return (side.results if side else {}), (side.failures if side else []) + [failure]
    finally:
        children.stop_all()


def main():
    args = parse_arguments()
    # As PID 1 of its namespace this process gets no default signal handling: ask for it explicitly.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda signum, _: sys.exit(128 + signum))

    data_dir = os.path.join(args.work, "data")
    log(f"generating data in {data_dir} ...")
    dataset = Dataset(data_dir, big_mib=args.big_mib, latency_count=args.latency_reps)

    can_rounds, syncthing_rounds, failures = [], [], []
    for round_index in range(args.rounds):
        logs = os.path.join(args.logs, f"round-{round_index + 1}") if args.rounds > 1 else args.logs
        os.makedirs(logs, exist_ok=True)
        # Alternate which system goes first, so a drift in the machine's load does not favour one of them.
        order = ["can-sync", "syncthing"] if round_index % 2 == 0 else ["syncthing", "can-sync"]
        for system in order:
            if args.only not in ("both", system):
                continue
            if args.rounds > 1:
                log(f"round {round_index + 1} of {args.rounds}: {system}")
            root = os.path.join(args.work, system)
            if system == "can-sync":
                results, side_failures = run_side(lambda children: CANSyncSide(
                    dataset, root, logs, args.bin_dir, children, args.latency_gap, args.log_level))
                can_rounds.append(results)
            else:
                results, side_failures = run_side(lambda children: SyncthingSide(
                    dataset, root, logs, children, args.latency_gap))
                syncthing_rounds.append(results)
            failures += side_failures
            shutil.rmtree(root, ignore_errors=True)
            time.sleep(1)

    can = combine(can_rounds) if can_rounds else {}
    syncthing = combine(syncthing_rounds) if syncthing_rounds else {}
    with open(os.path.join(args.logs, "results.json"), "w") as f:
        json.dump({"can_sync": can, "syncthing": syncthing, "can_sync_rounds": can_rounds,
                   "syncthing_rounds": syncthing_rounds, "failures": [str(failure) for failure in failures],
                   "data_dir": data_dir, "big_mib": args.big_mib}, f, indent=2)

    print()
    if args.rounds > 1:
        print(f"{args.rounds} rounds, system order alternating: throughput is the median round's (the slower "
              "middle one for an even count), latency pools "
              "every round's samples, peak RSS is the highest.")
    print(render(can, syncthing, failures, args.big_mib))
    print()
    print(samples_line("CAN Sync latency samples", can.get("latency")))
    print(samples_line("Syncthing latency samples (scan)", syncthing.get("latency_scan")))
    print(samples_line("Syncthing latency samples (watch)", syncthing.get("latency_watch")))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
