"""The PostgreSQL-cut tests' proxy does what they rely on: it forwards, a cut ends live connections and refuses
new ones (accepted and closed, so a client fails instead of hanging), and a restore lets them through again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(storage_url: str) -> Iterator[TcpProxy]:
    with TcpProxy.in_front_of(storage_url) as proxy:
        yield proxy


@pytest.fixture
def engine(proxy: TcpProxy, storage_url: str) -> Iterator[Engine]:
    engine = create_engine(proxy.proxied(storage_url), pool_pre_ping=True)
    yield engine
    engine.dispose()


def test_a_cut_ends_live_connections_and_refuses_new_ones_until_restored(proxy: TcpProxy, engine: Engine) -> None:
    with engine.connect() as live:
        assert live.scalar(text("SELECT 1")) == 1
        proxy.cut()
        with pytest.raises(OperationalError):
            live.scalar(text("SELECT 1"))

    with pytest.raises(OperationalError), engine.connect():
        pass  # accepted and closed: refused, not left to hang

    proxy.restore()
    with engine.connect() as again:
        assert again.scalar(text("SELECT 1")) == 1
    assert proxy.connections == 2
