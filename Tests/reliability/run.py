"""Runs the reliability suites against the test PostgreSQL and prints one
summary line per suite. `--soak` runs the long versions and writes their
figures into RELIABILITY.md. Run through scripts/with-test-postgres.sh
(`make test` runs the short suites, `make soak` the long ones)."""

import argparse
import importlib
import os
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness import ROOT, Cluster, SuiteFailure  # noqa: E402

SUITES = ["crash", "concurrency", "signals", "outage", "contention", "hostile-files", "hostile-requests"]
REPORT = ROOT / "RELIABILITY.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def describe(figures):
    return ", ".join(f"{key}={value}" for key, value in figures.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soak", action="store_true", help="the long versions; writes RELIABILITY.md")
    parser.add_argument("--only", action="append", choices=sorted(SUITES), help="run only this suite (repeatable)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("RELIABILITY_SEED", time.time_ns() % 100000)))
    options = parser.parse_args()
    cluster = Cluster()
    print(f"reliability suites ({'soak' if options.soak else 'short'}), seed {options.seed}", flush=True)
    results = []
    for name in options.only or SUITES:
        rng = random.Random(f"{options.seed}:{name}")
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            suite = importlib.import_module("suite_" + name.replace("-", "_"))
            figures = suite.run(cluster, options.soak, rng)
            outcome = "PASS"
        except SuiteFailure as failure:
            figures, outcome = {"failure": str(failure)}, "FAIL"
        except Exception:  # a broken harness is a failure too, never a pass
            figures, outcome = {"failure": traceback.format_exc()}, "FAIL"
        elapsed = time.monotonic() - started
        results.append((name, outcome, elapsed, figures))
        print(f"   {outcome} in {elapsed:.1f} s", flush=True)
    print("\nsummary:")
    for name, outcome, elapsed, figures in results:
        if outcome == "PASS":
            for part, values in figures.items():
                print(f"{name}: PASS {part}: {describe(values)}")
            print(f"{name}: PASS ({elapsed:.1f} s)")
        else:
            print(f"{name}: FAIL ({elapsed:.1f} s): {figures['failure']}")
    failed = [name for name, outcome, _, _ in results if outcome != "PASS"]
    if options.soak and not options.only:
        write_report(results, options.seed)
    print(f"\n{len(results) - len(failed)} of {len(results)} suites passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def write_report(results, seed):
    lines = [BEGIN, "", f"Latest `make soak`: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, seed {seed}, "
             f"{os.cpu_count()} cores, debug build.", "", "| suite | part | result | figures | time |", "| --- | --- | --- | --- | --- |"]
    for name, outcome, elapsed, figures in results:
        if outcome == "PASS":
            for index, (part, values) in enumerate(figures.items()):
                lines.append(f"| {name} | {part} | PASS | {describe(values)} | {f'{elapsed:.0f} s' if index == 0 else ''} |")
        else:
            lines.append(f"| {name} | | **FAIL** | {figures['failure'].splitlines()[0][:200]} | {elapsed:.0f} s |")
    lines += ["", END]
    text = REPORT.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    REPORT.write_text(text[:start] + "\n".join(lines) + text[end:])
    print(f"wrote the figures into {REPORT}")


if __name__ == "__main__":
    sys.exit(main())
