"""The admin's queries at Black Friday scale: every list the settings page reads, p50/p95 per query and store size,
with the 0010 migration's indexes and without them (the baseline), measured in the same run (goal: p95 ≤ 50 ms).

usage: .venv/bin/python bench/admin_queries.py [--stores 1000] [--cases 1000000] [--repeat 100] [--rounds 2]
Builds its own PostgreSQL database (`assay_bench_admin`, dropped and made again) with `storage.migrate.upgrade`
to the head, loads the stores and cases (bench/admin_data.py) with the secondary indexes dropped and builds those
of the migrations before 0010 again (the baseline's schema). Then, in rounds that alternate so a busy machine
weighs on both alike: every query through the repository function the admin API calls (a session per call, as
a request has) without 0010's indexes, then with them (created from the models, the migration's twins:
tests/integration/test_storage_migrations.py). The plans (EXPLAIN of the SQL each function sent) say which
index each query read. Written to bench/results/admin_queries.md; bench/report.py joins the sections into
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Index, UniqueConstraint, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from admin_data import Sizes, load, store_sizes  # noqa: E402
from report import write_section  # noqa: E402

from storage.columns import utc_now  # noqa: E402
from storage.db import Storage  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Base, Store  # noqa: E402
from storage.repositories import failed_counts, list_actions, privacy_exports  # noqa: E402
from storage.repositories.admin_places import failed_events  # noqa: E402
from storage.repositories.admin_queries import (  # noqa: E402
    CaseFilter,
    cases_page,
    decisions_of,
    failed_actions,
    review_queue,
    store_case,
    weekly_outcomes,
)

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "assay_bench_admin"
GOAL_MS = 50.0
# What the 0010 migration adds to `cases` (the models declare the same, so autogenerate stays clean).
NEW_INDEXES = ("ix_cases_store_id_id", "ix_cases_store_id_outcome_id", "ix_cases_store_id_decided_at_outcome",
               "ix_cases_review_queue")
LOADED = ("cases", "decisions", "actions", "events")


@dataclass(frozen=True)
class Place:
    """What a query needs to know of one store beyond its id: a cursor deep in its log, an order, a case."""

    store_id: int
    cursor: int
    order: str
    case_id: int


@dataclass(frozen=True)
class Query:
    name: str
    run: Callable[[Session, Place], object]


def _case_detail(session: Session, place: Place) -> object:
    case = store_case(session, place.store_id, place.case_id)
    return case, decisions_of(session, place.case_id), list_actions(session, place.case_id)


QUERIES = [
    Query("decision log, first page (25)", lambda s, p: cases_page(s, p.store_id, CaseFilter(), before_id=None,
                                                                   limit=25)),
    Query("decision log, a page deep in (cursor)", lambda s, p: cases_page(s, p.store_id, CaseFilter(),
                                                                           before_id=p.cursor, limit=25)),
    Query("decision log, outcome = review", lambda s, p: cases_page(s, p.store_id, CaseFilter(outcome="review"),
                                                                    before_id=None, limit=25)),
    Query("decision log, returns of the last 30 days", lambda s, p: cases_page(
        s, p.store_id, CaseFilter(kind="return", created_from=utc_now() - timedelta(days=30)), before_id=None,
        limit=25)),
    Query("decision log, an order number", lambda s, p: cases_page(s, p.store_id, CaseFilter(order=p.order),
                                                                   before_id=None, limit=25)),
    Query("weekly summary (12 weeks)", lambda s, p: weekly_outcomes(s, p.store_id)),
    Query("one case (decisions, write-backs)", _case_detail),
    Query("review queue", lambda s, p: review_queue(s, p.store_id)),
    Query("needs attention: failed write-backs", lambda s, p: failed_actions(s, p.store_id)),
    Query("needs attention: failed events", lambda s, p: failed_events(s, s.get_one(Store, p.store_id))),
    Query("needs attention: privacy exports", lambda s, p: privacy_exports(s, p.store_id)),
    Query("/health: failed counts (all stores)", lambda s, p: failed_counts(s)),
]


def rebuild_database(server: str, name: str) -> str:
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


def new_indexes() -> list[Index]:
    found = {str(index.name): index for index in Base.metadata.tables["cases"].indexes}
    return [found[name] for name in NEW_INDEXES]


def older_keys() -> list[Index | UniqueConstraint]:
    """The loaded tables' indexes and unique keys from migrations before 0010 (the baseline has them all)."""
    keys: list[Index | UniqueConstraint] = []
    for name in LOADED:
        table = Base.metadata.tables[name]
        keys += [index for index in table.indexes if index.name not in NEW_INDEXES]
        keys += [key for key in table.constraints if isinstance(key, UniqueConstraint)]
    return keys


def load_fast(storage: Storage, sizes: Sizes) -> dict[str, int]:
    """A bulk load: every index but the primary keys dropped, foreign keys not checked row by row (the data is
    made consistent), then the indexes before 0010 built again in one pass each — the baseline's schema."""
    with storage.engine.begin() as connection:
        for index in new_indexes():
            index.drop(connection)
        for key in older_keys():
            connection.execute(DropIndex(key) if isinstance(key, Index) else DropConstraint(key))
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        counts = load(connection, sizes)
    with storage.engine.begin() as connection:
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for key in older_keys():
            connection.execute(CreateIndex(key) if isinstance(key, Index) else AddConstraint(key))
    return counts


def places(storage: Storage, store_ids: list[int]) -> list[Place]:
    """Per store: the case 1,000 newest-first in (or its middle one), one of its order numbers and cases."""
    chosen = []
    with storage.engine.connect() as connection:
        for store_id in store_ids:
            count = int(connection.scalar(text("SELECT count(*) FROM cases WHERE store_id = :s"), {"s": store_id}))
            row = connection.execute(text("SELECT id, order_id FROM cases WHERE store_id = :s ORDER BY id DESC "
                                          "OFFSET :deep LIMIT 1"), {"s": store_id, "deep": min(1000, count // 2)}).one()
            chosen.append(Place(store_id, int(row.id), str(row.order_id), int(row.id)))
    return chosen


def measure(storage: Storage, query: Query, group: list[Place], repeat: int, budget: float,
            rng: random.Random) -> list[float]:
    """Milliseconds per call, a session each (as a request opens one), on stores drawn from the group."""
    for place in group[:3]:  # warm: the pool's connections and the pages a first call reads
        with storage.sessions() as session:
            query.run(session, place)
    timings: list[float] = []
    started = time.perf_counter()
    while len(timings) < repeat and (len(timings) < 20 or time.perf_counter() - started < budget):
        place = rng.choice(group)
        begin = time.perf_counter()
        with storage.sessions() as session:
            query.run(session, place)
        timings.append((time.perf_counter() - begin) * 1000)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


SCAN = re.compile(r"(Index Only Scan(?: Backward)?|Index Scan(?: Backward)?|Bitmap Index Scan) (?:using|on) (\w+)"
                  r"|(Seq Scan) on (\w+)")


def plan_of(storage: Storage, query: Query, place: Place) -> str:
    """How PostgreSQL runs the SQL the function sends: each scan and what it reads, for the report."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        with storage.sessions() as session:
            query.run(session, place)
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    scans: list[str] = []
    with storage.engine.connect() as connection:
        for statement, parameters in sent:
            for line in connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars():
                for found in SCAN.finditer(line):
                    kind, name = (found.group(1), found.group(2)) if found.group(1) else (found.group(3),
                                                                                           found.group(4))
                    scans.append(f"{kind} {name}")
    return ", ".join(dict.fromkeys(scans)) or "—"


Timings = dict[tuple[str, str], list[float]]


def run(storage: Storage, groups: dict[str, list[Place]], repeat: int, budget: float, seed: int,
        timings: Timings) -> dict[tuple[str, str], str]:
    """One round: each query on each store group, its samples added to `timings`; the plans it ran on."""
    rng = random.Random(seed)
    plans = {}
    for query in QUERIES:
        for label, group in groups.items():
            if query.name.startswith("/health") and label != next(iter(groups)):
                continue  # not a store's query: once is enough
            samples = measure(storage, query, group, repeat, budget, rng)
            timings.setdefault((query.name, label), []).extend(samples)
            plans[query.name, label] = plan_of(storage, query, group[0])
            print(f"  {query.name} [{label}]: p95 {p95(samples):.1f} ms", flush=True)
    return plans


def vacuum(storage: Storage) -> None:
    with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def title(name: str, group: str) -> str:
    return name if name.startswith("/health") else f"{name} — {group}"  # /health reads every store at once


def section(command: str, sizes: Sizes, counts: dict[str, int], load_seconds: float, groups: dict[str, list[Place]],
            labels: dict[str, str], baseline: dict[tuple[str, str], list[float]],
            indexed: dict[tuple[str, str], list[float]], plans_before: dict[tuple[str, str], str],
            plans_after: dict[tuple[str, str], str]) -> str:
    lines = ["## The admin's queries at 1,000 stores and 1,000,000 cases", "",
             f"`{command}` (also run by `make bench`): its own PostgreSQL database migrated to the head, "
             f"{counts['stores']:,} stores, {counts['cases']:,} cases, {counts['decisions']:,} decisions, "
             f"{counts['actions']:,} write-backs, {counts['events']:,} inbox events, loaded in "
             f"{load_seconds:.0f} s. Skewed like a real platform: {len(sizes.big)} stores with "
             f"{sizes.cases[0]:,} cases each, {len(sizes.medium)} with {sizes.cases[len(sizes.big)]:,}, and "
             f"{len(sizes.small)} small ones with {min(sizes.cases):,}–{max(sizes.cases[-len(sizes.small):]):,}. "
             "Each query is the repository function the admin API calls (a session per call, as a request "
             "has), on stores drawn at random from the group; the baseline is the same code on the same data "
             "with the indexes of migration `0010_admin_indexes` dropped, measured in the same run, the two "
             "alternating in rounds so the machine's other load weighs on both. "
             f"Goal: p95 ≤ {GOAL_MS:.0f} ms.", "",
             "| query | p95 with indexes | p95 without (baseline) | goal | met |", "|---|---|---|---|---|"]
    for (name, label), after in indexed.items():
        before = baseline[name, label]
        met = "yes" if p95(after) <= GOAL_MS else "**no**"
        lines.append(f"| {title(name, labels[label])} | {p95(after):.1f} ms | {p95(before):.1f} ms | "
                     f"≤ {GOAL_MS:.0f} ms | {met} |")
    lines += ["", "Medians, samples and the plans (EXPLAIN of the SQL each function sent, its scans in order):", "",
              "| query | p50 with | p50 without | samples with / without | scans with the indexes | "
              "scans without |", "|---|---|---|---|---|---|"]
    for (name, label), after in indexed.items():
        before = baseline[name, label]
        lines.append(f"| {title(name, labels[label])} | {statistics.median(after):.1f} ms | "
                     f"{statistics.median(before):.1f} ms | {len(after)} / {len(before)} | "
                     f"{plans_after[name, label]} | {plans_before[name, label]} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=100, help="calls per query and store group")
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per query and group, past 20 calls")
    parser.add_argument("--rounds", type=int, default=2, help="baseline then indexed, this many times")
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()
    url = rebuild_database(args.server, args.database)
    upgrade(url)
    storage = Storage(url, encryption_keys="")
    indexes = new_indexes()
    sizes = store_sizes(args.stores, args.cases)
    started = time.perf_counter()
    counts = load_fast(storage, sizes)
    vacuum(storage)
    load_seconds = time.perf_counter() - started
    print(f"loaded {counts} in {load_seconds:.0f} s", flush=True)
    rng = random.Random(14)
    others = sizes.medium + sizes.small
    groups = {"big": places(storage, sizes.big),
              "other": places(storage, rng.sample(others, min(200, len(others))))}
    labels = {"big": f"big store ({sizes.cases[0]:,} cases)",
              "other": f"other stores ({min(sizes.cases):,}–{sizes.cases[len(sizes.big)]:,} cases)"}
    baseline: Timings = {}
    indexed: Timings = {}
    per_round = max(20, args.repeat // args.rounds)
    for number in range(1, args.rounds + 1):
        print(f"round {number}, without the 0010 indexes (baseline):", flush=True)
        plans_before = run(storage, groups, per_round, args.budget / args.rounds, number, baseline)
        with storage.engine.begin() as connection:
            connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for index in indexes:
                index.create(connection)
            connection.execute(text("ANALYZE cases"))
        print(f"round {number}, with the 0010 indexes:", flush=True)
        plans_after = run(storage, groups, per_round, args.budget / args.rounds, number, indexed)
        if number < args.rounds:
            with storage.engine.begin() as connection:
                for index in indexes:
                    index.drop(connection)
    storage.dispose()
    command = ".venv/bin/python bench/admin_queries.py" + (
        "" if (args.stores, args.cases) == (1000, 1_000_000) else f" --stores {args.stores} --cases {args.cases}")
    if (args.repeat, args.rounds) != (100, 2):
        command += f" --repeat {args.repeat} --rounds {args.rounds}"
    text_ = section(command, sizes, counts, load_seconds, groups, labels, baseline, indexed, plans_before,
                    plans_after)
    if (args.stores, args.cases) != (1000, 1_000_000):
        text_ = text_.replace("at 1,000 stores and 1,000,000 cases",
                              f"at {args.stores:,} stores and {args.cases:,} cases (a quick run)", 1)
    write_section("admin_queries", text_)
    print(text_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
