"""Where the tests' shops live: a request for https://<shop>.myshopify.com goes to the origin routed for that shop
(its fake), in this process and in the workers the tests start (they read `environment()`, see routed/)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ENVIRONMENT = "ASSAY_TEST_SHOP_ROUTES"
ROUTES: dict[str, str] = {}  # shop domain -> origin
_send = httpx.HTTPTransport.handle_request


def _routed(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
    """Only scheme, host and port change; the Host header still names the shop, as behind a proxy."""
    origin = ROUTES.get(request.url.host)
    if origin is not None:
        target = httpx.URL(origin)
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
    return _send(self, request)


def install() -> None:
    """Route every httpx client of this process (once; the root conftest and routed/sitecustomize.py call it)."""
    httpx.HTTPTransport.handle_request = _routed  # type: ignore[method-assign]
    ROUTES.update(json.loads(os.environ.get(ENVIRONMENT) or "{}"))


def route(shop_domain: str, origin: str) -> None:
    ROUTES[shop_domain.lower()] = origin.rstrip("/")


def unroute(shop_domain: str, origin: str) -> None:
    """Forget the shop's route if it still goes to `origin`."""
    if ROUTES.get(shop_domain.lower()) == origin.rstrip("/"):
        del ROUTES[shop_domain.lower()]


@contextmanager
def routed(shop_domain: str, origin: str) -> Iterator[None]:
    """The shop at `origin` for a while (a token endpoint in front of its fake, say), then as it was."""
    before = ROUTES.get(shop_domain.lower())
    route(shop_domain, origin)
    try:
        yield
    finally:
        if before is None:
            ROUTES.pop(shop_domain.lower(), None)
        else:
            ROUTES[shop_domain.lower()] = before


def environment(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What a process the tests start (with `base` as its environment) needs to route its shops the same way."""
    paths = [str(Path(__file__).parent / "routed"), str(Path(__file__).parents[1])]
    if base.get("PYTHONPATH"):
        paths.append(base["PYTHONPATH"])
    return {ENVIRONMENT: json.dumps(ROUTES), "PYTHONPATH": os.pathsep.join(paths)}
