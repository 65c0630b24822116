"""Issue 14's throughput figures, each beside a baseline measured in the same run.

usage: .venv/bin/python bench/throughput.py [--seconds 5] [--rounds 3] [--returns 150] [--e2e-seconds 10]
       [--workers-only]
Needs the machine's PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379; db 14, a queue of
its own). Everything runs on this machine: the web under the Procfile's gunicorn command, `assay worker`
processes, the fake Shopify (bench/fake_shopify.py) and the load generator (bench/loadgen.py), each a process.

- intake, closed loop: Assay's POST /webhooks/shopify vs bare Flask + HMAC + json.loads (bench/bare_intake.py)
  under the same gunicorn command, runs interleaved, best round of each; signed orders/create of 4-6 KB.
- open loop at 1,000 req/s: the p99 of each, latency counted from when each request was due.
- one worker, returns end to end: returns/s and jobs/s of one `assay worker` (event, decision, two writes per
  return) vs no-op jobs on the same worker class (jobs/worker.py's WarmWorker).
- POST -> mutation at 100 webhooks/s with 2 workers: from when the webhook was due to when the fake received
  the return's last mutation (ReturnProcess).
- peak RSS (VmHWM) of a web worker and of `assay worker` vs a bare gunicorn worker.
Writes its section to bench/results/throughput.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT), str(ROOT / "tests")]
from report import write_section  # noqa: E402
from support import shop_routes  # noqa: E402

BIN = Path(sys.executable).parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
REDIS = "redis://127.0.0.1:6379/14"
SECRET = "bench-secret"
SHOP = "bench-shop.myshopify.com"
COMMAND = "make bench (.venv/bin/python bench/throughput.py)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_command() -> list[str]:
    """The Procfile's web line (or ASSAY_BENCH_WEB, to compare worker models), on a port of the bench's own."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(os.environ.get("ASSAY_BENCH_WEB") or line.split(":", 1)[1])
    bind = words.index("--bind")
    words[bind + 1] = "127.0.0.1:{port}"
    return [str(BIN / "gunicorn") if w.endswith("gunicorn") else w for w in words]


@dataclass(frozen=True)
class Process:
    """One live process as /proc/<pid>/stat tells it."""

    pid: int
    name: str
    parent: int
    session: int
    cpu: float  # seconds, user and system


def process(pid: int) -> Process:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return Process(pid, stat[stat.index("(") + 1:stat.rindex(")")], int(fields[1]), int(fields[3]),
                   (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))


def processes() -> Iterator[Process]:
    """Every process alive now (one that ends while it is read is left out)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield process(int(entry))
            except OSError:
                continue


def cpu_seconds(pid: int) -> float:
    return process(pid).cpu


def session_cpu(sid: int) -> float:
    """CPU seconds so far of every live process in session `sid` (a process started with start_new_session: a
    gunicorn and its workers, `assay worker` and RQ's scheduler beside it)."""
    return sum(found.cpu for found in processes() if found.session == sid)


def machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy (every process and the kernel; idle and I/O wait not)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """CPU seconds by part of the system between two moments: named sessions, PostgreSQL, Redis, the machine."""

    def __init__(self, sessions: dict[str, list[int]]) -> None:
        self.sessions = sessions

    def snapshot(self) -> dict[str, float]:
        return {**{name: sum(session_cpu(sid) for sid in sids) for name, sids in self.sessions.items()},
                **services_cpu(), "machine": machine_cpu()}

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: after[name] - before[name] for name in before}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    return [found.pid for found in processes() if found.parent == pid]


class Server:
    """A gunicorn serving `app` with the Procfile's web command, in a session of its own."""

    def __init__(self, app: str, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        command = [w.replace("{port}", str(self.port)) for w in web_command()]
        command[-1] = app
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)  # every gunicorn worker booted

    def peak_worker_rss_mb(self) -> float:
        return max(peak_rss_mb(pid) for pid in children(self.process.pid))

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def loadgen(*args: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(BENCH / "loadgen.py"), *args], env=env, check=True,
                         capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def services_cpu() -> dict[str, float]:
    """CPU seconds so far of the machine's PostgreSQL and Redis server processes (each backend included)."""
    spent = {"postgres": 0.0, "redis": 0.0}
    for found in processes():
        kind = next((kind for kind in spent if found.name.startswith(kind)), None)
        if kind:
            spent[kind] += found.cpu
    return spent


def cpu_per_request(server: Server, args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    """A closed-loop run's CPU a request, in ms: the web workers', PostgreSQL's and Redis'."""
    web_pids = children(server.process.pid)
    web_before, services_before = sum(cpu_seconds(pid) for pid in web_pids), services_cpu()
    probe = loadgen("closed", server.url, str(args.seconds), str(args.connections), env=env)
    web = sum(cpu_seconds(pid) for pid in web_pids) - web_before
    services = {kind: spent - services_before[kind] for kind, spent in services_cpu().items()}
    requests = max(probe["requests"], 1)
    return {"cores": web / args.seconds, "web": web / requests * 1000,
            **{kind: spent / requests * 1000 for kind, spent in services.items()}}


def make_database(name: str) -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG + name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([str(BIN / "assay"), "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--returns", type=int, default=150)
    parser.add_argument("--e2e-seconds", type=float, default=10.0)
    parser.add_argument("--e2e-rate", type=float, default=100.0)
    parser.add_argument("--noops", type=int, default=300)
    parser.add_argument("--intake-only", action="store_true", help="the closed loop alone; prints, writes nothing")
    parser.add_argument("--workers-only", action="store_true",
                        help="the one-worker and POST -> mutation runs alone; prints their figures, writes nothing")
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))  # production settings: its processes need one
    database = f"assay_bench_{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": make_database(database), "REDIS_URL": REDIS,
           "RQ_QUEUE": f"bench-{uuid.uuid4().hex[:8]}", "SHOPIFY_API_SECRET": SECRET, "SHOP": SHOP,
           "ASSAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ASSAY_LOG_LEVEL": "WARNING",
           "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}"}
    e2e_count = int(args.e2e_seconds * args.e2e_rate)
    scratch = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    seed_file = scratch / "seed.json"
    fake = subprocess.Popen([sys.executable, str(BENCH / "fake_shopify.py"), str(seed_file),
                             str(args.returns + e2e_count)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL)
    servers: list[Server] = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([str(BIN / "assay"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        assert wait_for(seed_file.exists, 120), "the fake Shopify never started"
        seeded = json.loads(seed_file.read_text())
        install(env, seeded)
        shop_routes.route(seeded["shop"], seeded["origin"])  # the workers reach the fake, not the real shop
        env.update(shop_routes.environment(env))
        if args.intake_only:
            return intake_only(args, env, servers)
        figures = measure(args, env, seeded, seed_file, scratch, servers, workers, fake.pid)
    finally:
        stop_workers(workers)
        for server in servers:
            if server.process.poll() is None:
                server.stop()
        os.killpg(fake.pid, signal.SIGKILL)
        fake.wait()
        drop_database(database)
    if args.workers_only:
        print(json.dumps(worker_figures(figures), indent=2))
        return 0
    write_section("throughput", render(args, figures))
    print((BENCH / "results" / "throughput.md").read_text())
    return 0


def install(env: dict[str, str], seeded: dict[str, Any]) -> None:
    """The fake's shop as an Assay store on pristine-crystals (returns approved, then processed)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "ASSAY_ENCRYPTION_KEYS", "SHOPIFY_API_SECRET")})
    from policies.presets import preset_document
    from storage.db import storage_of
    from storage.repositories import add_shopify_store, set_policy
    from webhooks.app import create_app

    app = create_app({"DATABASE_URL": env["DATABASE_URL"], "TESTING": True})
    storage = storage_of(app)
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain=seeded["shop"], access_token=seeded["token"])
        set_policy(session, store.id, preset_document("pristine-crystals") or {})
    storage.dispose()


def worker_span(env: dict[str, str]) -> tuple[int, int, float]:
    """(returns fully written, jobs run, seconds from the first event handled to the last write done)."""
    import psycopg

    url = env["DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url) as connection:
        started: datetime | None = connection.execute(
            "SELECT min(processed_at) FROM events WHERE topic = 'returns/request'").fetchone()[0]  # type: ignore[index]
        done, actions, ended = connection.execute(
            "SELECT count(DISTINCT case_id), count(*), max(done_at) FROM actions WHERE state = 'done'").fetchone()  # type: ignore[misc]
        events = connection.execute("SELECT count(*) FROM events WHERE status = 'processed'").fetchone()[0]  # type: ignore[index]
        cases = connection.execute("SELECT count(*) FROM cases WHERE status <> 'open'").fetchone()[0]  # type: ignore[index]
    seconds = (ended - started).total_seconds() if started and ended else float("nan")
    return int(done), int(events) + int(cases) + int(actions), seconds


def jobs_done(env: dict[str, str]) -> int:
    """Jobs the workers have finished so far: events handled, cases decided, write-backs done."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM events WHERE status = 'processed') + "
            "(SELECT count(*) FROM cases WHERE status <> 'open') + "
            "(SELECT count(*) FROM actions WHERE state = 'done')").fetchone()
    return int(row[0]) if row else 0


def work_in_flight(env: dict[str, str]) -> dict[str, int]:
    """What is not done yet, by table and state (and a write-back's last error): said beside a run that missed some."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as connection:
        rows = connection.execute(
            "SELECT 'event ' || status, count(*) FROM events WHERE topic = 'returns/request' AND status <> 'processed' "
            "GROUP BY 1 UNION ALL "
            "SELECT 'case ' || status, count(*) FROM cases WHERE status = 'open' GROUP BY 1 UNION ALL "
            "SELECT 'write-back ' || state || coalesce(' (' || left(last_error, 80) || ')', ''), count(*) "
            "FROM actions WHERE state <> 'done' GROUP BY 1").fetchall()
    return {str(what): int(count) for what, count in rows}


def noop_jobs(env: dict[str, str], count: int) -> dict[str, float]:
    """No-op jobs on WarmWorker, burst: jobs a second from the first job's start to the last one's end (RQ's own
    times), and the worker's CPU ms a job over its burst."""
    script = f"""
import sys, time
from redis import Redis
from rq import Queue
from jobs.worker import WarmWorker
from noop_job import noop
queue = Queue("noop-{uuid.uuid4().hex[:8]}", connection=Redis.from_url({REDIS!r}))
jobs = [queue.enqueue(noop) for _ in range({count})]
worker = WarmWorker([queue], connection=queue.connection)
started = time.process_time()
worker.work(burst=True)
cpu = time.process_time() - started
for job in jobs:
    job.refresh()
span = (max(j.ended_at for j in jobs) - min(j.started_at for j in jobs)).total_seconds()
queue.delete(delete_jobs=True)
print({count} / span, cpu * 1000 / {count})
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=BENCH, check=True, capture_output=True,
                         text=True).stdout
    per_second, cpu_ms = map(float, out.strip().splitlines()[-1].split())
    return {"per_second": per_second, "cpu_ms": cpu_ms}


def intake_only(args: argparse.Namespace, env: dict[str, str], servers: list[Server]) -> int:
    """Closed-loop intake, Assay and bare interleaved, under this web command: to compare worker models."""
    assay, bare = Server("webhooks.app:create_app()", env, ROOT), Server("bare_intake:app", env, BENCH)
    servers += [assay, bare]
    best: dict[str, float] = {"assay": 0.0, "bare": 0.0}
    for _ in range(args.rounds):
        for name, server in (("assay", assay), ("bare", bare)):
            run = loadgen("closed", server.url, str(args.seconds), str(args.connections), env=env)
            best[name] = max(best[name], run["per_second"])
    print(json.dumps({"web": " ".join(web_command()), **best, "ratio": best["assay"] / best["bare"]}))
    return 0


def measure(args: argparse.Namespace, env: dict[str, str], seeded: dict[str, Any], seed_file: Path, scratch: Path,
            servers: list[Server], workers: list[subprocess.Popen[bytes]], fake_pid: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"rss": {}}
    if not args.workers_only:
        measure_intake(args, env, servers, figures)
    return measure_workers(args, env, seeded, seed_file, scratch, servers, workers, figures, fake_pid)


def measure_intake(args: argparse.Namespace, env: dict[str, str], servers: list[Server],
                   figures: dict[str, Any]) -> None:
    assay = Server("webhooks.app:create_app()", env, ROOT)
    bare = Server("bare_intake:app", env, BENCH)
    servers += [assay, bare]
    rounds: dict[str, list[dict[str, Any]]] = {"assay": [], "bare": []}
    for _ in range(args.rounds):  # interleaved, so a noisy moment falls on both
        for name, server in (("assay", assay), ("bare", bare)):
            rounds[name].append(loadgen("closed", server.url, str(args.seconds), str(args.connections), env=env))
    figures["closed"] = {name: max(runs, key=lambda r: r["per_second"]) for name, runs in rounds.items()}
    # What limits the intake: the CPU each process spent in one more closed-loop run of each, per request.
    figures["web_cpu"] = {name: cpu_per_request(server, args, env) for name, server in (("assay", assay),
                                                                                         ("bare", bare))}
    figures["open"] = {name: loadgen("open", server.url, str(args.seconds * 2), "1000", env=env)
                       for name, server in (("assay", assay), ("bare", bare))}
    figures["rss"] = {"web": assay.peak_worker_rss_mb(), "bare": bare.peak_worker_rss_mb()}
    bare.stop()
    assay.stop()


def measure_workers(args: argparse.Namespace, env: dict[str, str], seeded: dict[str, Any], seed_file: Path,
                    scratch: Path, servers: list[Server], workers: list[subprocess.Popen[bytes]],
                    figures: dict[str, Any], fake_pid: int) -> dict[str, Any]:
    # The intake runs left thousands of orders/create jobs queued: the workers get a queue of their own.
    env = {**env, "RQ_QUEUE": f"{env['RQ_QUEUE']}-returns"}
    assay = Server("webhooks.app:create_app()", env, ROOT)
    servers.append(assay)

    # One worker: the returns are recorded first, then a worker alone works them off.
    returns = {**seeded, "returns": seeded["returns"][:args.returns]}
    (scratch / "returns.json").write_text(json.dumps(returns))
    loadgen("returns", assay.url, str(scratch / "returns.json"), "200", str(scratch / "sent-1.json"), env=env)
    workers += start_workers(1, env)
    # Its CPU from its first job done (its start-up behind it) to its last, beside what the others spent meanwhile.
    watch = CpuWatch({"worker": [workers[0].pid], "fake": [fake_pid]})
    wait_for(lambda: jobs_done(env) > 0, 60)
    before, jobs_before = watch.snapshot(), jobs_done(env)
    wait_for(lambda: worker_span(env)[0] >= args.returns, 120)
    spent = CpuWatch.spent(before, watch.snapshot())
    written, jobs, seconds = worker_span(env)
    noop = noop_jobs(env, args.noops)
    figures["worker"] = {"returns": written, "jobs": jobs, "seconds": seconds, "noop_per_second": noop["per_second"],
                         "noop_cpu_ms": noop["cpu_ms"],
                         "cpu_ms": {name: cpu * 1000 / max(jobs - jobs_before, 1) for name, cpu in spent.items()}}
    figures["rss"]["worker"] = peak_rss_mb(workers[0].pid)

    # Two workers, webhooks at the rate: POST -> the fake receiving the return's last mutation.
    workers += start_workers(1, env)
    time.sleep(3)  # the second worker warm
    e2e = {**seeded, "returns": seeded["returns"][args.returns:]}
    (scratch / "e2e.json").write_text(json.dumps(e2e))
    watch = CpuWatch({"workers": [w.pid for w in workers], "web": [assay.process.pid], "fake": [fake_pid]})
    before = watch.snapshot()
    sent_file = scratch / "sent-2.json"
    began = time.monotonic()
    posted = loadgen("returns", assay.url, str(scratch / "e2e.json"), str(args.e2e_rate), str(sent_file), env=env)
    wanted = {p["admin_graphql_api_id"] for p in e2e["returns"]}
    mutations_file = seed_file.with_suffix(".mutations")

    def arrived() -> dict[str, float]:
        try:
            return {gid: at for gid, at in json.loads(mutations_file.read_text()) if gid in wanted}
        except (OSError, ValueError):
            return {}

    wait_for(lambda: len(arrived()) >= len(wanted), 60)
    spent = CpuWatch.spent(before, watch.snapshot())
    # Until the last write landed (the fake's clock is this one), not the end of a wait for writes that never came.
    elapsed = max(arrived().values(), default=time.monotonic()) - began
    unfinished = work_in_flight(env) if len(arrived()) < len(wanted) else {}
    sent = dict(zip([p["admin_graphql_api_id"] for p in e2e["returns"]], json.loads(sent_file.read_text()),
                    strict=True))
    landed = arrived()
    latencies = [landed[gid] - sent[gid] for gid in landed]
    figures["e2e"] = {"sent": len(wanted), "written": len(landed), "p50": pct(latencies, 0.5),
                      "p99": pct(latencies, 0.99), "post_p99_ms": posted["p99_ms"], "elapsed": elapsed,
                      "post_statuses": posted["statuses"],
                      "worker_cpu": spent["workers"] / elapsed,
                      "cpu_ms": {name: cpu * 1000 / max(len(landed), 1) for name, cpu in spent.items()},
                      "unfinished": unfinished}
    figures["rss"]["worker"] = max(figures["rss"]["worker"], *(peak_rss_mb(w.pid) for w in workers))
    return figures


def intake_limits(cpu: dict[str, dict[str, float]]) -> str:
    """Where an accepted delivery's CPU goes, and the rate the machine could reach if Assay's own Python cost
    nothing: the bare request, plus PostgreSQL and Redis recording it."""
    assay, bare = cpu["assay"], cpu["bare"]
    floor = bare["web"] + assay["postgres"] + assay["redis"]
    ceiling = (os.cpu_count() or 1) * 1000 / floor
    return (f"What limits the intake, measured (CPU a request, closed loop): Assay's web workers "
            f"{assay['web']:.2f} ms ({assay['cores']:.2f} cores), PostgreSQL {assay['postgres']:.2f} ms (recording "
            f"the delivery: one statement, committed), Redis {assay['redis']:.2f} ms; the bare baseline's web "
            f"{bare['web']:.2f} ms and nothing else. With Assay's own Python at zero, the bare request plus "
            f"PostgreSQL and Redis is {floor:.2f} ms a request: at most {ceiling:,.0f} req/s on "
            f"{os.cpu_count()} cores, before the load generator's share.")


def worker_limits(worker: dict[str, Any]) -> str:
    """Where one worker's job time goes, beside what RQ alone costs a job (the no-op), and what 0.7× would leave."""
    cpu, noop = worker["cpu_ms"], worker["noop_cpu_ms"]
    budget = 1000 / (0.7 * worker["noop_per_second"])
    return (f"What limits one worker, measured (CPU a job, from its first job done to its last): the worker "
            f"{cpu['worker']:.2f} ms, of which RQ's own bookkeeping is about the no-op job's {noop:.2f} ms; "
            f"beside it PostgreSQL {cpu['postgres']:.2f} ms, Redis {cpu['redis']:.2f} ms and the fake Shopify "
            f"{cpu['fake']:.2f} ms (a return is three jobs: its event, its decision, its write-back). At 0.7× "
            f"the no-op's rate a job has {budget:.2f} ms in all, RQ's share included: Assay's own work (its "
            f"database transaction, its Shopify calls, their pacing) would have to fit in about "
            f"{budget - noop:.2f} ms, against {cpu['worker'] - noop:.2f} ms now.")


def e2e_limits(args: argparse.Namespace, e2e: dict[str, Any]) -> str:
    """The machine's CPU a return while POST -> mutation ran, by part, and the rate those cores could hold."""
    cpu = e2e["cpu_ms"]
    parts = ("workers", "web", "postgres", "redis", "fake")
    rest = cpu["machine"] - sum(cpu[part] for part in parts)
    cores = os.cpu_count() or 1
    return (f"What limits POST → mutation, measured (CPU a return over the run): the whole machine "
            f"{cpu['machine']:.1f} ms — the two workers {cpu['workers']:.1f}, the web {cpu['web']:.1f}, PostgreSQL "
            f"{cpu['postgres']:.1f}, Redis {cpu['redis']:.1f}, the fake Shopify {cpu['fake']:.1f}, the rest (the "
            f"load generator, the kernel) {rest:.1f}. {cores} cores hold at most {cores * 1000 / cpu['machine']:.0f} "
            f"returns/s at that cost, against the {args.e2e_rate:.0f}/s sent: the backlog grows while they are sent, "
            f"and a return's latency is its wait in that backlog.")


def worker_figures(f: dict[str, Any]) -> dict[str, Any]:
    worker, e2e = f["worker"], f["e2e"]
    jobs_per_second = worker["jobs"] / worker["seconds"]
    return {"returns_per_second": worker["returns"] / worker["seconds"], "jobs_per_second": jobs_per_second,
            "noop_per_second": worker["noop_per_second"], "ratio": jobs_per_second / worker["noop_per_second"],
            "e2e_written": f"{e2e['written']} of {e2e['sent']}", "e2e_p50_ms": e2e["p50"] * 1000,
            "e2e_p99_ms": e2e["p99"] * 1000, "e2e_worker_cores": e2e["worker_cpu"],
            "worker_rss_mb": f["rss"]["worker"], "worker_cpu_ms_a_job": worker["cpu_ms"],
            "noop_cpu_ms": worker["noop_cpu_ms"], "e2e_cpu_ms_a_return": e2e["cpu_ms"],
            "e2e_unfinished": e2e["unfinished"]}


def render(args: argparse.Namespace, f: dict[str, Any]) -> str:
    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    closed, opened, worker, e2e, rss = f["closed"], f["open"], f["worker"], f["e2e"], f["rss"]
    ratio = closed["assay"]["per_second"] / closed["bare"]["per_second"]
    returns_per_second = worker["returns"] / worker["seconds"]
    jobs_per_second = worker["jobs"] / worker["seconds"]
    worker_ratio = jobs_per_second / worker["noop_per_second"]
    open_held = opened["assay"]["unanswered"] == 0 and opened["assay"]["p99_ms"] <= 50
    web_cpu = f["web_cpu"]
    web = " ".join(web_command()[1:-1]).replace("127.0.0.1:{port}", "…")
    rows = [
        "| measure | Assay | baseline | goal | met |",
        "|---|---|---|---|---|",
        f"| intake, closed loop ({args.connections} connections, best of {args.rounds} interleaved) | "
        f"{closed['assay']['per_second']:,.0f} req/s, p99 {closed['assay']['p99_ms']:.1f} ms | "
        f"bare Flask + HMAC + json.loads: {closed['bare']['per_second']:,.0f} req/s, p99 "
        f"{closed['bare']['p99_ms']:.1f} ms | ratio ≥ 0.5 | {ratio:.2f} — {met(ratio >= 0.5)} |",
        f"| open loop at 1,000 req/s ({args.seconds * 2:.0f} s) | {opened['assay']['requests']:,} answered, "
        f"{opened['assay']['unanswered']:,} still owed 10 s after the last send; p99 of the answered "
        f"{opened['assay']['p99_ms']:,.0f} ms | bare: {opened['bare']['unanswered']:,} owed, p99 "
        f"{opened['bare']['p99_ms']:.1f} ms | "
        f"held, p99 ≤ 50 ms | {met(open_held)} |",
        f"| one worker, returns end to end ({worker['returns']} returns, {worker['jobs']} jobs) | "
        f"{returns_per_second:.1f} returns/s = {jobs_per_second:.1f} jobs/s | no-op job on WarmWorker: "
        f"{worker['noop_per_second']:.1f} jobs/s | ratio ≥ 0.7 | {worker_ratio:.2f} — {met(worker_ratio >= 0.7)} |",
        f"| POST → mutation at {args.e2e_rate:.0f} webhooks/s, 2 workers ({e2e['written']} of {e2e['sent']} written "
        f"in {e2e['elapsed']:.0f} s) | p50 {e2e['p50'] * 1000:,.0f} ms, p99 {e2e['p99'] * 1000:,.0f} ms | — | "
        f"p50 ≤ 200 ms, p99 ≤ 1 s | "
        f"{met(e2e['written'] == e2e['sent'] and e2e['p50'] <= 0.2 and e2e['p99'] <= 1.0)} |",
        f"| peak RSS (VmHWM) | web worker {rss['web']:.0f} MB, `assay worker` {rss['worker']:.0f} MB | "
        f"bare gunicorn worker {rss['bare']:.0f} MB | web ≤ 120, worker ≤ 150 MB | "
        f"{met(rss['web'] <= 120 and rss['worker'] <= 150)} |",
    ]
    notes = [
        intake_limits(web_cpu),
        worker_limits(worker),
        e2e_limits(args, e2e),
        f"While the POST → mutation run lasted, the two workers used {e2e['worker_cpu']:.2f} cores between them "
        f"(of the machine's {os.cpu_count()}); the web, PostgreSQL, Redis, the fake Shopify (validating every "
        f"GraphQL document against the Admin schema) and the load generator share the rest. The POSTs' own p99 "
        f"in that run: {e2e['post_p99_ms']:.1f} ms; their answers: {e2e['post_statuses']}.",
        f"Open loop, every status: Assay {opened['assay']['statuses']}, bare {opened['bare']['statuses']}.",
    ]
    if e2e["unfinished"]:
        notes.append(f"POST → mutation: what was not done when the run stopped waiting: {e2e['unfinished']}.")
    return "\n".join([
        "## Throughput (issue 14)", "",
        f"`{COMMAND}` — web: `gunicorn {web}` (the Procfile's), for Assay and the bare baseline alike; "
        "signed orders/create bodies of 4-6 KB with unique webhook ids; PostgreSQL and Redis local; the fake "
        "Shopify has zero latency and no throttle.", "",
        *rows, "", *[f"- {note}" for note in notes],
    ])


if __name__ == "__main__":
    raise SystemExit(main())
