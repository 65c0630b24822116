"""Issue 21's slow clients: the webhooks' latency and the intake's throughput with many slow and idle connections
open, beside the same with none ("alone"), in the same run and on the same web.

usage: .venv/bin/python bench/slow_clients.py [--trickling 100] [--idle 100] [--rate 50] [--seconds 10]
Needs the machine's PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379; db 14, a queue of its
own). The web runs under the Procfile's gunicorn command (or ASSAY_BENCH_WEB, to compare worker models); the slow
clients are tests/support/slow_clients.py's (a byte every 1.5 s, half trickling a head, half a body after a whole
head; the idle ones send nothing; each opened again at once when the server lets it go). Signed orders/create of
4-6 KB from bench/loadgen.py: an open loop at --rate (latency from when each was due), then a closed loop.
Writes its section to bench/results/slow_clients.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT), str(ROOT / "tests")]
from report import write_section  # noqa: E402
from support.slow_clients import SlowClients  # noqa: E402
from throughput import (  # noqa: E402
    REDIS,
    SECRET,
    SHOP,
    Server,
    drop_database,
    loadgen,
    make_database,
    web_command,
)

COMMAND = "make bench (.venv/bin/python bench/slow_clients.py)"
SETTLE_SECONDS = 3.0  # every slow client has sent its first bytes before the webhooks come


def install(env: dict[str, str]) -> None:
    """The load generator's shop as an Assay store (the intake calls no platform, so no fake is needed)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "ASSAY_ENCRYPTION_KEYS", "SHOPIFY_API_SECRET",
                                           "SECRET_KEY")})
    from storage.db import storage_of
    from storage.repositories import add_shopify_store
    from webhooks.app import create_app

    app = create_app({"DATABASE_URL": env["DATABASE_URL"], "TESTING": True})
    storage = storage_of(app)
    with storage.transaction() as session:
        add_shopify_store(session, storage.cipher, domain=SHOP, access_token="bench-token")
    storage.dispose()


def measure(server: Server, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    opened = loadgen("open", server.url, str(args.seconds), str(args.rate), env=env)
    closed = loadgen("closed", server.url, "5", "16", env=env)
    return {"open": opened, "closed": closed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trickling", type=int, default=100)
    parser.add_argument("--idle", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    database = f"assay_bench_slow_{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": make_database(database), "REDIS_URL": REDIS,
           "RQ_QUEUE": f"bench-slow-{uuid.uuid4().hex[:8]}", "SHOPIFY_API_SECRET": SECRET, "SHOP": SHOP,
           "ASSAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ASSAY_LOG_LEVEL": "WARNING",
           "SECRET_KEY": secrets.token_urlsafe(48),  # production settings: the web refuses to start without one
           "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}"}
    import subprocess

    server: Server | None = None
    try:
        subprocess.run([str(Path(sys.executable).parent / "assay"), "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        install(env)
        server = Server("webhooks.app:create_app()", env, ROOT)
        loadgen("closed", server.url, "2", "16", env=env)  # warm: each worker's first requests pay its start-up
        alone = measure(server, args, env)
        clients = SlowClients(server.port, trickling=args.trickling, idle=args.idle).start()
        try:
            time.sleep(SETTLE_SECONDS)
            held = clients.open_count()
            beside = measure(server, args, env)
            reopened = clients.reopened
        finally:
            clients.stop()
    finally:
        if server is not None and server.process.poll() is None:
            server.stop()
        drop_database(database)
    write_section("slow_clients", render(args, alone, beside, held, reopened))
    print((BENCH / "results" / "slow_clients.md").read_text())
    return 0


def latency(run: dict[str, Any]) -> str:
    owed = run.get("unanswered", 0)
    answered = ", ".join(f"{count} × {status}" for status, count in sorted(run["statuses"].items()))
    return (f"p50 {run['p50_ms']:,.1f} ms, p99 {run['p99_ms']:,.1f} ms, max {run['max_ms']:,.1f} ms; {answered}"
            + (f"; **{owed} unanswered**" if owed else ""))


def render(args: argparse.Namespace, alone: dict[str, Any], beside: dict[str, Any], held: int, reopened: int) -> str:
    web = " ".join(web_command()[1:]).replace("127.0.0.1:{port}", "…")
    ratio = beside["closed"]["per_second"] / max(alone["closed"]["per_second"], 1e-9)
    met_latency = beside["open"]["p99_ms"] <= 1000 and not beside["open"].get("unanswered") \
        and set(beside["open"]["statuses"]) == {"200"}
    return "\n".join([
        "## Slow clients beside the webhooks (issue 21)",
        "",
        f"`{COMMAND}` — web: `gunicorn {web}` (the Procfile's). Slow clients: {args.trickling} connections trickling "
        f"a request a byte every 1.5 s (half a head, half a body after a whole head) and {args.idle} idle ones, "
        "each opened again as soon as the server lets it go; signed orders/create of 4-6 KB.",
        "",
        "| measure | with slow clients | alone (none open) | goal | met |",
        "|---|---|---|---|---|",
        f"| webhooks, open loop at {args.rate:.0f}/s for {args.seconds:.0f} s (from when each was due) | "
        f"{latency(beside['open'])} | {latency(alone['open'])} | every one 200, p99 ≤ 1 s | "
        f"{'yes' if met_latency else '**no**'} |",
        f"| intake, closed loop (16 connections, 5 s) | {beside['closed']['per_second']:,.0f} req/s, "
        f"p99 {beside['closed']['p99_ms']:,.1f} ms | {alone['closed']['per_second']:,.0f} req/s, "
        f"p99 {alone['closed']['p99_ms']:,.1f} ms | ratio ≥ 0.8 | "
        f"{ratio:.2f} — {'yes' if ratio >= 0.8 else '**no**'} |",
        "",
        f"- Slow connections open when the webhooks began: {held} of {args.trickling + args.idle}; the server let "
        f"{reopened} go while the run lasted (a request not whole within its read deadline is answered 408 and "
        "closed; the client came straight back, so the pressure never eased).",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
