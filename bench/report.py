"""Writes bench/RESULTS.md from the sections each benchmark left in bench/results/ (one file per benchmark).

usage: .venv/bin/python bench/report.py   (the last step of `make bench`)
Each benchmark writes its own section — its command, every figure beside its baseline and goal — with
`write_section`; this page puts them under one heading with the date, the machine and the command that made them.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
# The order a reader meets them in; a section not listed here comes after, by name.
ORDER = ["decide", "throughput", "slow_clients", "rate_limit", "hanging_tenant", "admin_queries", "page"]


def write_section(name: str, markdown: str) -> Path:
    """Called by a benchmark when it has measured: bench/results/<name>.md, replaced whole."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n")
    return path


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal"))
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown memory"
    return f"{os.cpu_count()} cores ({model}), {memory}, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def main() -> int:
    sections = sorted(RESULTS.glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER),
                                                            p.stem))
    if not sections:
        print("no benchmark has written a section yet (bench/results/ is empty)", file=sys.stderr)
        return 1
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = ["# Benchmarks", "", f"Made by `make bench` on {now}, on {machine()}.",
            "Each figure stands beside its baseline, measured in the same run; each section names its own command.",
            ""]
    body = [path.read_text().rstrip() + "\n" for path in sections]
    (BENCH / "RESULTS.md").write_text("\n".join(head) + "\n" + "\n".join(body))
    print(f"bench/RESULTS.md: {len(sections)} section(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
