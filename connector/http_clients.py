"""HTTP clients made once per process and reused by every job: one kept-alive client per platform origin and one
SSLContext for all, so a job neither loads the CA bundle nor opens a connection anew."""

from __future__ import annotations

import os
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import httpx

MAX_CLIENTS = 256  # origins kept at once; the least recently used beyond it is closed

_lock = threading.Lock()
_clients: OrderedDict[Hashable, httpx.Client] = OrderedDict()
_ssl_context: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """The process's one verifying SSLContext (certifi's bundle, or SSL_CERT_FILE), built on first use."""
    global _ssl_context
    with _lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def shared_client(key: Hashable, make: Callable[[ssl.SSLContext], httpx.Client]) -> httpx.Client:
    """The client for `key` (an origin and what else shapes the client, such as its timeout), made once by
    `make` with the shared SSLContext. httpx's Client is safe to share between threads."""
    context = ssl_context()
    with _lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = _clients[key] = make(context)
        evicted = _clients.popitem(last=False)[1] if len(_clients) > MAX_CLIENTS else None
    if evicted is not None:
        evicted.close()
    return client


def _forget_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a lock held by another thread at the fork would never be released here
    _clients.clear()


os.register_at_fork(after_in_child=_forget_in_child)
