"""`assay worker` runs jobs in its own process (RQ's SimpleWorker, jobs/worker.py): a hung job must still end at
its timeout — RQ's SIGALRM death penalty interrupts even a blocking socket read — and the worker goes on with
the next job on fresh database connections."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus
from support.slow_jobs import count_to_database, read_from_a_silent_server

from jobs.worker import WarmWorker
from storage.db import storage_of
from webhooks.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A listening socket whose connections sit in the backlog: connect succeeds, nothing is ever sent."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def queue(redis_url: str) -> Iterator[Queue]:
    made = Queue(f"assay-test-timeout-{uuid.uuid4().hex[:12]}", connection=Redis.from_url(redis_url))
    yield made
    made.delete(delete_jobs=True)


def test_a_hung_job_is_ended_at_its_timeout_and_the_next_job_runs_on_a_fresh_pool(
        storage_url: str, encryption_keys: str, queue: Queue, silent_server: int) -> None:
    app = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys, "TESTING": True})
    storage = storage_of(app)
    hung = queue.enqueue(read_from_a_silent_server, silent_server, job_timeout=1)
    after = queue.enqueue(count_to_database)
    with app.app_context():
        pool_before = storage.engine.pool
        WarmWorker([queue], connection=queue.connection).work(burst=True)

        assert hung.get_status(refresh=True) == JobStatus.FAILED
        result = hung.latest_result()
        assert result is not None and "JobTimeoutException" in (result.exc_string or "")
        assert after.get_status(refresh=True) == JobStatus.FINISHED
        assert after.return_value() == 1
        assert storage.engine.pool is not pool_before  # disposed: nothing interrupted mid-query is reused
    storage.dispose()
