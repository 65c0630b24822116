"""A hanging tenant: another store's write-back latency beside a store whose platform hangs or answers 5xx, against
the same store alone, measured in the same run (issue 21, hole 3).

usage: .venv/bin/python bench/hanging_tenant.py [--returns 30]
Runs tests/e2e/test_hanging_tenant.py with more returns: 2 real `assay worker` processes and the clock on the local
PostgreSQL and a Redis of its own; a calm Shopify shop asks a return every 0.3 s, alone, then while another store's
platform fails — a Shopify shop hanging every call, a WooCommerce site hanging every call, or one answering 503 —
and keeps sending webhooks (and form requests) 5 a second. Latency: the webhook's arrival to the write-back done.
Written to bench/results/hanging_tenant.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench")]
from report import write_section  # noqa: E402

TEST = "tests/e2e/test_hanging_tenant.py"
FAILING = {"shopify-hangs": "a Shopify shop that hangs every call",
           "woocommerce-hangs": "a WooCommerce site that hangs every call",
           "woocommerce-5xx": "a WooCommerce site that answers 503 to every call"}


def percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--returns", type=int, default=30, help="the calm shop's returns in each phase")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures_path = Path(scratch) / "figures.jsonl"
        environment = {**os.environ, "ASSAY_TENANT_RETURNS": str(options.returns),
                       "ASSAY_TENANT_FIGURES": str(figures_path)}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=ROOT,
                             env=environment, check=False, capture_output=True, text=True)
        runs = [json.loads(line) for line in figures_path.read_text().splitlines()] if figures_path.exists() else []
    if not runs:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        return 1
    rows = []
    for figures in runs:
        alone, beside = figures["alone"], figures["beside"]
        alone_p95, beside_p95 = percentile(alone, 0.95), percentile(beside, 0.95)
        goal = 2 * alone_p95 + 1.0
        met = "yes" if beside_p95 <= goal else "**no**"
        rows.append(f"| beside {FAILING[figures['failing']]} | {statistics.median(beside):.2f} s / {beside_p95:.2f} s "
                    f"({len(beside)} returns) | alone: {statistics.median(alone):.2f} s / {alone_p95:.2f} s "
                    f"({len(alone)}) | p95 ≤ 2× alone + 1 s = {goal:.2f} s | {met} |")
    section = f"""## A hanging tenant: another store's write-backs beside a failing platform (issue 21)

`.venv/bin/python bench/hanging_tenant.py --returns {options.returns}` (runs `{TEST}`): 2 `assay worker` processes and
`assay clock` (the Procfile's), the platforms' read timeout 3 s; a calm Shopify shop asks a return every 0.3 s, alone,
then beside another store whose platform fails and which keeps sending webhooks (and form requests) 5 a second. Latency
is the return's webhook arriving to its write-back done; the failing store's first calls (one timeout) are let pass
before the second phase.

| calm shop's write-back p50 / p95 | Assay | baseline | goal | met |
|---|---|---|---|---|
""" + "\n".join(rows)
    print(section)
    print(write_section("hanging_tenant", section))
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
