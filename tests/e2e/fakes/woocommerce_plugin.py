"""The Assay plugin's own REST route on the fake site (POST /wp-json/wc-assay/v1/connection), behaving as the PHP
plugin does: a plugin waiting on its own Connect takes the secret whose challenge is its kept verifier's, the same
secret again alike, and refuses anything else with 409; with no plugin installed WordPress answers 404.
test_plugin.py replaces `handler` to hand the request to the plugin's real PHP instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PLUGIN_PREFIX = "/wp-json/wc-assay/v1/"
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class FakeAssayPlugin:
    installed: bool = True
    waiting_challenge: str | None = None  # the challenge of the verifier kept at Connect; None: not connecting
    held: dict[str, Any] | None = None  # {"store_id", "secret"} once taken
    received: list[dict[str, Any]] = field(default_factory=list)
    handler: Callable[[Any], tuple[int, Any]] | None = None

    def dispatch(self, method: str, path: str, body: Any) -> Answer:
        if not self.installed or method != "POST" or path != "connection":
            return 404, {"code": "rest_no_route", "message": "No route was found matching the URL."}, {}
        sent = body if isinstance(body, dict) else {}
        self.received.append(sent)
        if self.handler is not None:
            status, payload = self.handler(sent)
            return status, payload, {}
        taken = {"store_id": sent.get("store_id"), "secret": sent.get("secret")}
        if self.held == taken:
            return 200, {"connected": True}, {}
        if self.waiting_challenge is None or sent.get("challenge") != self.waiting_challenge:
            return 409, {"code": "assay_not_waiting", "message": "This site's Assay plugin did not start this connect.",
                         "data": {"status": 409}}, {}
        self.held, self.waiting_challenge = taken, None
        return 200, {"connected": True}, {}
