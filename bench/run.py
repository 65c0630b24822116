"""Assay's benchmarks, on one core: the engine alone, parse+validate alone, and `assay decide` end to end.

usage: .venv/bin/python bench/run.py [--cases 10000] [--repeat 5]
Targets (issue 2): decide >= 20,000/s; `assay decide` >= 5,000/s; end to end >= 0.7x parse+validate.
Writes its section to bench/results/decide.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import make_cases  # noqa: E402
from report import write_section  # noqa: E402

from policies.batch import parse_cases  # noqa: E402
from policies.engine import decide  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, run: object) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, inherited by the CLI runs

    data = orjson.dumps(make_cases(args.cases))
    # The same garbage-collector setting as `assay decide` (cli/main.py), so both sides compare alike.
    gc.disable()
    loaded, _ = parse_cases(data)
    for item in loaded[:200]:
        decide(item.case, item.policy)  # warm the holiday calendars, as a long-running worker would be
    decide_s = best_of(args.repeat, lambda: [decide(i.case, i.policy) for i in loaded])
    parse_s = best_of(args.repeat, lambda: parse_cases(data))
    gc.enable()

    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as handle:
        handle.write(data)
    command = [str(ROOT / ".venv" / "bin" / "assay"), "decide", handle.name]
    end_to_end_s = best_of(args.repeat, lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL))
    os.unlink(handle.name)

    n = args.cases
    report = {
        "cases": n,
        "decide_per_s": round(n / decide_s),
        "decide_us_each": round(decide_s / n * 1e6, 1),
        "parse_validate_per_s": round(n / parse_s),
        "assay_decide_per_s": round(n / end_to_end_s),
        "end_to_end_vs_parse_validate": round(parse_s / end_to_end_s, 2),
    }
    print(json.dumps(report, indent=2))
    command = f".venv/bin/python bench/run.py --cases {n} --repeat {args.repeat}"
    rows = [("decide (the pure engine)", f"{report['decide_per_s']:,}/s", "—", "≥ 20,000/s",
             report["decide_per_s"] >= 20_000),
            ("`assay decide` end to end", f"{report['assay_decide_per_s']:,}/s",
             f"parse + validate alone: {report['parse_validate_per_s']:,}/s", "≥ 5,000/s and ≥ 0.7× parse+validate",
             report["assay_decide_per_s"] >= 5_000 and report["end_to_end_vs_parse_validate"] >= 0.7)]
    lines = ["## Deciding: the engine and `assay decide`", "",
             f"`{command}`, on one core; best of {args.repeat}. End to end is "
             f"{report['end_to_end_vs_parse_validate']}× parse+validate.", "",
             "| measure | Assay | baseline | goal | met |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {value} | {base} | {goal} | {'yes' if ok else '**no**'} |"
              for name, value, base, goal, ok in rows]
    write_section("decide", "\n".join(lines))
    print("targets met" if all(row[-1] for row in rows) else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
