"""A local fake of a shop's token endpoint (POST /admin/oauth/access_token): token exchange and refresh.

As Shopify does: a token exchange checks the client credentials and the session token (HS256, aud = client id)
and issues an expiring offline token with a refresh token; a refresh rotates the refresh token, and the one it
replaced stays usable until the replacement is first used (so a lost answer can be recovered by retrying).
Each refresh token's uses are counted, so a test can prove one was spent once. `lose_next_answers` makes the
endpoint issue the new pair and then drop the answer past the client's timeout (a lost answer).

Requests for anything else go to the fake Admin API, so one origin serves both, as a shop's domain does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from werkzeug.wrappers import Request, Response

from .server import LocalServer
from .shopify import FakeShopify


@dataclass
class _Chain:
    """One store's current pair; `previous` is the refresh token still honoured until `current` is used."""

    current: str
    previous: str | None = None


@dataclass
class TokenEndpointState:
    chains: dict[str, _Chain] = field(default_factory=dict)  # by any live refresh token
    uses: Counter[str] = field(default_factory=Counter)
    exchanges: int = 0
    issued: list[str] = field(default_factory=list)  # access tokens, oldest first
    lose_answers: int = 0
    delay_seconds: float = 0.0


class FakeShopifyOrigin:
    def __init__(self, admin: FakeShopify, client_id: str, secret: str, *, expires_in: int = 3600,
                 refresh_expires_in: int = 90 * 24 * 3600) -> None:
        self.admin, self.client_id, self.secret = admin, client_id, secret
        self.expires_in, self.refresh_expires_in = expires_in, refresh_expires_in
        self.hang_seconds = 2.0
        self._lock = threading.Lock()
        self.state = TokenEndpointState()
        self._http = LocalServer(self._wsgi, "fake-shopify-origin")

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    def start(self) -> FakeShopifyOrigin:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def lose_next_answers(self, count: int = 1) -> None:
        self.state.lose_answers = count

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path != "/admin/oauth/access_token":
            return self.admin._wsgi(environ, start_response)
        response = self._token(request)
        return response(environ, start_response)

    def _answer(self, body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status, content_type="application/json")

    def _issue(self, previous: str | None) -> dict[str, Any]:
        access, refresh = f"shpat_{secrets.token_hex(8)}", f"shprt_{secrets.token_hex(8)}"
        self.admin.access_token = access  # the fake Admin API now accepts only the newest token
        self.state.issued.append(access)
        chain = _Chain(refresh, previous)
        self.state.chains[refresh] = chain
        if previous is not None:
            self.state.chains[previous] = chain
        return {"access_token": access, "scope": "read_orders,write_orders", "expires_in": self.expires_in,
                "refresh_token": refresh, "refresh_token_expires_in": self.refresh_expires_in}

    def _token(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if body.get("client_id") != self.client_id or body.get("client_secret") != self.secret:
            return self._answer({"error": "invalid_client"}, 401)
        with self._lock:
            time.sleep(self.state.delay_seconds)  # widens the window two concurrent refreshes would race in
            if body.get("grant_type") == "refresh_token":
                answer = self._refresh(str(body.get("refresh_token", "")))
            else:
                answer = self._exchange(body)
            lose = self.state.lose_answers > 0 and answer.status_code == 200
            if lose:
                self.state.lose_answers -= 1
        if lose:
            time.sleep(self.hang_seconds)  # processed, but the answer never arrives in time
        return answer

    def _exchange(self, body: dict[str, Any]) -> Response:
        try:
            jwt.decode(str(body.get("subject_token", "")), self.secret, algorithms=["HS256"], audience=self.client_id)
        except jwt.PyJWTError:
            return self._answer({"error": "invalid_subject_token"}, 400)
        if body.get("expiring") != 1:
            return self._answer({"error": "invalid_request", "error_description": "expiring tokens only"}, 400)
        self.state.exchanges += 1
        return self._answer(self._issue(None))

    def _refresh(self, token: str) -> Response:
        self.state.uses[token] += 1
        chain = self.state.chains.get(token)
        if chain is None:
            return self._answer({"error": "invalid_grant"}, 400)
        if token == chain.current:  # the replacement is used: the one before it is retired
            if chain.previous is not None:
                self.state.chains.pop(chain.previous, None)
            self.state.chains.pop(token, None)
            return self._answer(self._issue(token))
        # The previous token again (its answer was lost): a new replacement, the unused one is dropped.
        self.state.chains.pop(chain.current, None)
        self.state.chains.pop(token, None)
        return self._answer(self._issue(token))
