"""Where a return's jobs spend their time: one warm worker in this process, on CPU time, per job.

usage: .venv/bin/python bench/profile_jobs.py [--returns 200] [--warm 20] [--profile FILE.prof] [--top 40]
Needs the machine's PostgreSQL and Redis (db 12, a queue of its own). Sets up a database (`assay db upgrade`),
the fake Shopify of bench/fake_shopify.py (its own process) and a store on pristine-crystals as
bench/throughput.py does, records each seeded returns/request in the inbox and queues its process_event, then
runs jobs/worker.py's WarmWorker in burst in this process. For each job function it prints the CPU ms a job
(this process's; the fake's CPU beside it), the SQL statements, the HTTP requests to the fake and the Redis
commands a job, and with --profile the cProfile of the measured jobs (the first --warm returns are not counted).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]
from throughput import BIN, SECRET, cpu_seconds, drop_database, install, make_database, wait_for  # noqa: E402

REDIS = "redis://127.0.0.1:6379/12"


class Tally:
    """What each job function cost: CPU seconds, jobs, and counted calls (sql, http, redis), by function."""

    def __init__(self) -> None:
        self.current = "outside"
        self.counting = False
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.jobs: Counter[str] = Counter()
        self.calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.statements: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def count(self, what: str) -> None:
        if self.counting:
            self.calls[self.current][what] += 1


TALLY = Tally()


def instrument(engine: Any) -> None:
    import httpx
    import redis
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _sql(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        TALLY.count("sql")
        if TALLY.counting:
            TALLY.statements[TALLY.current][" ".join(statement.split())[:110]] += 1

    send = httpx.Client.send

    def counted_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        TALLY.count("http")
        return send(self, request, *args, **kwargs)

    httpx.Client.send = counted_send  # type: ignore[method-assign]
    execute = redis.Redis.execute_command
    pipeline_execute = redis.client.Pipeline.execute

    def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        TALLY.count("redis")
        return execute(self, *args, **kwargs)

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        TALLY.count("redis")  # one round trip for the whole pipeline
        return pipeline_execute(self, *args, **kwargs)

    redis.Redis.execute_command = counted_execute  # type: ignore[method-assign]
    redis.client.Pipeline.execute = counted_pipeline  # type: ignore[method-assign]


def record_returns(app: Any, payloads: list[dict[str, Any]], shop: str) -> None:
    """Each return in the inbox, and its process_event queued, as the intake leaves them."""
    from jobs.events import process_event
    from jobs.queue import queue_of
    from storage.db import storage_of
    from storage.repositories import record_event

    ids = []
    with storage_of(app).transaction() as session:
        for payload in payloads:
            event, _ = record_event(session, platform="shopify", delivery_id=str(uuid.uuid4()),
                                    topic="returns/request", shop_domain=shop, payload=payload,
                                    headers={"X-Shopify-Triggered-At": "2026-03-10T10:00:00Z",
                                             "X-Shopify-Topic": "returns/request"})
            ids.append(event.id)
    for event_id in ids:
        queue_of(app).enqueue(process_event, event_id, job_id=f"event-{event_id}", fair_key=f"shopify:{shop}")


def run_worker(app: Any) -> None:
    from jobs.queue import queue_of, redis_connection
    from jobs.worker import WarmWorker

    class CountingWorker(WarmWorker):
        def execute_job(self, job: Any, queue: Any) -> None:
            TALLY.current = job.func_name.rsplit(".", 1)[-1]
            started = time.process_time()
            try:
                super().execute_job(job, queue)
            finally:
                if TALLY.counting:
                    TALLY.cpu[TALLY.current] += time.process_time() - started
                    TALLY.jobs[TALLY.current] += 1
                TALLY.current = "outside"

    queue = queue_of(app)
    connection = redis_connection(queue.redis_url, fail_fast=False)  # type: ignore[attr-defined]
    CountingWorker(queue.listening(connection), connection=connection).work(burst=True)  # type: ignore[attr-defined]


def sampling_profiler() -> Any:
    from pyinstrument import Profiler  # pip install pyinstrument into the venv; not a dependency of Assay

    return Profiler(interval=0.0005)  # wall time: the waits on PostgreSQL, Redis and the fake show as such


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--returns", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--statements", action="store_true", help="list each job's SQL statements")
    parser.add_argument("--pyinstrument", type=Path, help="a sampling profile (CPU time) as text to this file")
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))  # production settings: its processes need one
    database = f"assay_profile_{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": make_database(database), "REDIS_URL": REDIS,
           "RQ_QUEUE": f"profile-{uuid.uuid4().hex[:8]}", "SHOPIFY_API_SECRET": SECRET,
           "ASSAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ASSAY_LOG_LEVEL": "WARNING"}
    seed_file = Path(tempfile.mkdtemp(prefix="assay-profile-")) / "seed.json"
    fake = subprocess.Popen([sys.executable, str(BENCH / "fake_shopify.py"), str(seed_file),
                             str(args.warm + args.returns)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL)
    try:
        subprocess.run([str(BIN / "assay"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        assert wait_for(seed_file.exists, 120), "the fake Shopify never started"
        seeded = json.loads(seed_file.read_text())
        install(env, seeded)
        os.environ.update({k: env[k] for k in ("REDIS_URL", "RQ_QUEUE", "ASSAY_LOG_LEVEL")})
        from jobs.logs import configure_logging
        from storage.db import storage_of
        from webhooks.app import create_app

        app = create_app({"DATABASE_URL": env["DATABASE_URL"], "REDIS_URL": REDIS, "RQ_QUEUE": env["RQ_QUEUE"]})
        configure_logging()
        with app.app_context():
            instrument(storage_of(app).engine)
            from jobs.worker import warm_up

            warm_up(app)
            record_returns(app, seeded["returns"][:args.warm], seeded["shop"])
            run_worker(app)  # warm: imports, caches, connections
            record_returns(app, seeded["returns"][args.warm:], seeded["shop"])
            profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
            sampler = sampling_profiler() if args.pyinstrument else None
            fake_before, started, wall = cpu_seconds(fake.pid), time.process_time(), time.monotonic()
            TALLY.counting = True
            if profiler:
                profiler.enable()
            if sampler:
                sampler.start()
            run_worker(app)
            if sampler:
                sampler.stop()
                args.pyinstrument.write_text(sampler.output_text(unicode=False, show_all=False))
            if profiler:
                profiler.disable()
            TALLY.counting = False
            cpu, wall = time.process_time() - started, time.monotonic() - wall
            fake_cpu = cpu_seconds(fake.pid) - fake_before
    finally:
        os.killpg(fake.pid, signal.SIGKILL)
        fake.wait()
        drop_database(database)
    report(args, cpu, wall, fake_cpu)
    if profiler and args.profile:
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(args.top)
    return 0


def report(args: argparse.Namespace, cpu: float, wall: float, fake_cpu: float) -> None:
    jobs = sum(TALLY.jobs.values())
    print(f"{args.returns} returns, {jobs} jobs: this process {cpu * 1000 / max(jobs, 1):.2f} CPU ms a job "
          f"({cpu * 1000 / max(args.returns, 1):.1f} a return), wall {wall:.1f} s = {args.returns / wall:.1f} "
          f"returns/s; the fake Shopify {fake_cpu * 1000 / max(args.returns, 1):.1f} CPU ms a return")
    print(f"{'job':<22}{'jobs':>6}{'cpu ms/job':>12}{'sql/job':>9}{'http/job':>10}{'redis/job':>11}")
    for name, count in TALLY.jobs.most_common():
        calls = TALLY.calls[name]
        print(f"{name:<22}{count:>6}{TALLY.cpu[name] * 1000 / count:>12.2f}{calls['sql'] / count:>9.1f}"
              f"{calls['http'] / count:>10.1f}{calls['redis'] / count:>11.1f}")
    outside = TALLY.calls["outside"]
    print(f"between jobs (RQ's loop): sql {outside['sql']}, http {outside['http']}, redis {outside['redis']} "
          f"= {outside['redis'] / max(jobs, 1):.1f} redis a job")
    if args.statements:
        for name, count in TALLY.jobs.most_common():
            print(f"\n{name}:")
            for statement, times in TALLY.statements[name].most_common():
                print(f"  {times / count:5.1f}  {statement}")


if __name__ == "__main__":
    raise SystemExit(main())
