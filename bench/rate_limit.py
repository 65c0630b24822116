"""Shopify's rate limit used well: a backlog of one store's write-backs against the fake's leaky bucket (2,000 points,
restored at 100 a second, per shop, in real time), and another store's steady trickle meanwhile.

usage: .venv/bin/python bench/rate_limit.py [--actions 1000] [--baseline-actions 200] [--workers 2]
Each action declines a requested return (a read of 2 points and returnDeclineRequest's 14, Shopify's costs
for Assay's documents). Real `assay worker` processes on a PostgreSQL database and a queue of the bench's own,
the fake Shopify served from this process. Three phases, each on fresh shops (fresh buckets):
  1. the calm store alone: one write a second, its latency unloaded;
  2. the baseline, pacing off (SHOPIFY_PACING=off, the client as it was: throttled calls wait in place and
     retry): --baseline-actions for the busy store, the trickle meanwhile;
  3. paced: --actions for the busy store, the trickle meanwhile.
The share is the points the busy store's bucket spent beyond its first 2,000, over the restore rate times the
time from queueing the backlog to its last write. Written to bench/results/rate_limit.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
from report import write_section  # noqa: E402

ASSAY = str(Path(sys.executable).parent / "assay")
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TRICKLE_SECONDS = 1.0
ALONE_WRITES = 15


@dataclass
class Phase:
    name: str
    backlog: int
    share: float = float("nan")
    points_per_second: float = float("nan")
    spent_per_second: float = float("nan")  # the first 2,000 included: what the workers managed, throttled or not
    seconds: float = float("nan")
    busy_failed: int = 0
    busy_done: int = 0
    throttled_answers: int = 0
    calm_p50: float = float("nan")
    calm_p95: float = float("nan")
    calm_writes: int = 0
    calm_failed: int = 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=1000, help="the busy store's backlog when paced")
    parser.add_argument("--baseline-actions", type=int, default=200, help="its backlog with pacing off")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from cryptography.fernet import Fernet
    from e2e.fakes.shopify import FakeShopify

    with own_database() as database_url:
        fake = FakeShopify("bench-busy.myshopify.com").start()  # Shopify's standard plan: 2,000 points, 100 a second
        queue = f"assay-bench-rate-{uuid.uuid4().hex[:10]}"
        base = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "RQ_QUEUE": queue,
                "ASSAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "SHOPIFY_API_SECRET": "bench",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "ASSAY_LOG_LEVEL": os.environ.get("ASSAY_LOG_LEVEL", "WARNING")}
        try:
            alone = run_phase(Phase("calm store alone", 0), fake, base, args.workers)
            baseline = run_phase(Phase("no pacing (baseline)", args.baseline_actions), fake,
                                 {**base, "SHOPIFY_PACING": "off"}, args.workers)
            paced = run_phase(Phase("paced", args.actions), fake, base, args.workers)
        finally:
            fake.stop()
            forget_queue(queue)
    command = "`.venv/bin/python bench/rate_limit.py" + "".join(
        f" --{name.replace('_', '-')} {value}" for name, value in vars(args).items()
        if value != parser.get_default(name)) + "`"
    print(json.dumps({phase.name: vars(phase) for phase in (alone, baseline, paced)}, indent=1, default=str))
    write_section("rate_limit", section(command, alone, baseline, paced, args))
    return 0


def run_phase(phase: Phase, fake: object, environment: dict[str, str], workers: int) -> Phase:
    from e2e.backlog import add_store, outcome, queue_actions, seed_declines
    from e2e.fakes.shopify import FakeShopify

    from storage.db import Storage

    assert isinstance(fake, FakeShopify)
    storage = Storage(environment["DATABASE_URL"], encryption_keys=environment["ASSAY_ENCRYPTION_KEYS"])
    tag = phase.name.split()[0].replace("(", "")
    # A queue of the phase's own: the last phase's workers were SIGKILLed, and their RQ scheduler's lock on a shared
    # queue would keep this phase's scheduled writes from being released for a minute (the lock's TTL).
    environment = {**environment, "RQ_QUEUE": f"{environment['RQ_QUEUE']}-{tag}"}
    busy_domain, calm_domain = f"busy-{tag}.myshopify.com", f"calm-{tag}.myshopify.com"
    busy, calm = add_store(storage, fake, busy_domain), add_store(storage, fake, calm_domain)
    backlog = seed_declines(storage, fake, busy, phase.backlog, f"{tag}-busy")
    processes = [start_worker(environment) for _ in range(workers)]
    calm_keys: list[str] = []
    try:
        time.sleep(3.0)  # the workers are up and listening before the clock starts
        started, started_at = time.monotonic(), datetime.now(UTC)
        queue_actions(environment["REDIS_URL"], environment["RQ_QUEUE"], backlog)
        number = 0
        while True:  # the trickle runs until the backlog is written (or, alone, for its fixed count)
            keys = seed_declines(storage, fake, calm, 1, f"{tag}-calm-{number}")
            queue_actions(environment["REDIS_URL"], environment["RQ_QUEUE"], keys)
            calm_keys += keys
            number += 1
            time.sleep(TRICKLE_SECONDS)
            busy_now = outcome(storage, backlog)
            if phase.backlog == 0 and number >= ALONE_WRITES:
                break
            if phase.backlog and busy_now.done + busy_now.failed >= phase.backlog:
                break
            if time.monotonic() - started > 900:
                print(f"{phase.name}: gave up waiting after 900 s", file=sys.stderr)
                break
        finished = time.monotonic()
        deadline = finished + 60
        while outcome(storage, calm_keys).done + outcome(storage, calm_keys).failed < len(calm_keys) \
                and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        for process in processes:
            stop_worker(process)
    busy_result, calm_result = outcome(storage, backlog), outcome(storage, calm_keys)
    storage.dispose()
    bucket = fake.bucket_of(busy_domain)
    if phase.backlog:
        last = max(busy_result.finished, default=None)
        phase.seconds = finished - started if last is None else (last - started_at).total_seconds()
        spent_beyond_burst = max(0.0, bucket.spent - bucket.maximum_available)
        phase.points_per_second = spent_beyond_burst / phase.seconds
        phase.spent_per_second = bucket.spent / phase.seconds
        phase.share = phase.points_per_second / bucket.restore_rate
    phase.busy_done, phase.busy_failed = busy_result.done, busy_result.failed
    phase.throttled_answers = sum(1 for r in fake.requests if r.host == busy_domain and r.status == 200
                                  and any((e.get("extensions") or {}).get("code") == "THROTTLED"
                                          for e in r.response.get("errors") or [] if isinstance(e, dict)))
    phase.calm_writes, phase.calm_failed = calm_result.done, calm_result.failed
    phase.calm_p50, phase.calm_p95 = calm_result.median, calm_result.percentile(0.95)
    print(f"{phase.name}: {vars(phase)}", file=sys.stderr)
    return phase


LOGS = Path(os.environ.get("BENCH_LOGS", "/tmp"))


def start_worker(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`assay worker`, its log lines in BENCH_LOGS (default /tmp) as assay-bench-rate-<pid>.log."""
    with open(LOGS / f"assay-bench-rate-{os.getpid()}-{uuid.uuid4().hex[:6]}.log", "wb") as log:
        return subprocess.Popen([ASSAY, "worker"], env={**os.environ, **environment}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's whole session (its work horse and scheduler too): the phase is measured."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def own_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from storage.migrate import upgrade

    name = f"assay_bench_rate_{os.getpid()}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES}/{name}"
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def forget_queue(queue: str) -> None:
    """Everything the bench left in the shared Redis: RQ's keys for its queue and the pacing ledgers."""
    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    for pattern in (f"{queue}*", f"rq:*{queue}*"):
        for key in redis.scan_iter(pattern):
            redis.delete(key)


def section(command: str, alone: Phase, baseline: Phase, paced: Phase, args: argparse.Namespace) -> str:
    def pct(value: float) -> str:
        return f"{value:.0%}"

    def secs(value: float) -> str:
        return f"{value:.2f} s"

    met_share = paced.share >= 0.9
    met_failed = paced.busy_failed == 0 and paced.busy_done == paced.backlog
    near = paced.calm_p95 <= max(2 * alone.calm_p95, alone.calm_p95 + 1.0)
    rows = [
        ("bucket kept busy: points/s used beyond the first 2,000 ÷ restore rate (100/s)",
         f"{pct(paced.share)} ({paced.points_per_second:.0f}/s over {paced.seconds:.0f} s)",
         f"no pacing: {pct(baseline.share)} ({baseline.points_per_second:.0f}/s over {baseline.seconds:.0f} s)",
         "≥ 90%", met_share),
        ("points/s the busy store's writes spent in all (below 100/s: the workers, not the bucket, set the pace)",
         f"{paced.spent_per_second:.0f}/s", f"no pacing: {baseline.spent_per_second:.0f}/s", "> 100/s", None),
        ("busy store's writes failed (of the backlog)", f"{paced.busy_failed} of {paced.backlog}",
         f"no pacing: {baseline.busy_failed} of {baseline.backlog}", "0", met_failed),
        ("THROTTLED answers to the busy store", str(paced.throttled_answers),
         f"no pacing: {baseline.throttled_answers}", "—", None),
        ("other store's write latency p50 / p95, during the backlog",
         f"{secs(paced.calm_p50)} / {secs(paced.calm_p95)} ({paced.calm_writes} writes)",
         f"alone: {secs(alone.calm_p50)} / {secs(alone.calm_p95)}; no pacing: {secs(baseline.calm_p50)} / "
         f"{secs(baseline.calm_p95)}", "p95 near alone (≤ 2× or +1 s)", near),
    ]
    table = "\n".join(f"| {m} | {a} | {b} | {g} | {'—' if ok is None else ('yes' if ok else '**no**')} |"
                      for m, a, b, g, ok in rows)
    return f"""## Shopify's rate limit: a backlog for one store, another store meanwhile

{command}: {args.workers} `assay worker` processes, a backlog of {paced.backlog} return declines for one store
(the baseline's {baseline.backlog}) against the fake's bucket of 2,000 points restored at 100/s per shop, a write a
second for another store meanwhile. The share counts the points spent beyond the bucket's first 2,000, from queueing
the backlog to its last write.

| measure | Assay | baseline | goal | met |
|---|---|---|---|---|
{table}
"""


if __name__ == "__main__":
    raise SystemExit(main())
