"""The fake site's wc-auth endpoint, as a merchant who approves (or declines) at once.

On approval WooCommerce makes a REST API key, POSTs it as JSON to callback_url, and only if that answers
200 sends the browser to return_url with success=1 and the user_id; otherwise it shows an error. Unlike
WooCommerce, the fake accepts an http:// callback_url: the app under test is served without TLS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from werkzeug.wrappers import Request, Response

AUTHORIZE_PATH = "/wc-auth/v1/authorize"
REQUIRED = ("app_name", "scope", "user_id", "return_url", "callback_url")


@dataclass
class WcAuth:
    """What the merchant does on the approval screen, and what the site sent to callbacks."""

    approve: bool = True
    callbacks: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # (body sent, status answered)

    def authorize(self, request: Request) -> tuple[Response, tuple[str, str] | None]:
        """The browser's answer, and the key pair the site now accepts if the install went through."""
        params = request.args
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing or params["scope"] not in ("read", "write", "read_write"):
            return Response(f"Missing or invalid parameter(s): {', '.join(missing) or 'scope'}", 400), None
        back = params["return_url"] + ("&" if "?" in params["return_url"] else "?")
        if not self.approve:
            return _redirect(back + urlencode({"success": 0, "user_id": params["user_id"]})), None
        keys = ("ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20))
        body = {"key_id": 1, "user_id": params["user_id"], "consumer_key": keys[0], "consumer_secret": keys[1],
                "key_permissions": params["scope"]}
        status = httpx.post(params["callback_url"], json=body, timeout=10).status_code
        self.callbacks.append((body, status))
        if status != 200:  # WooCommerce deletes the key it made and tells the merchant
            return Response("An error occurred in the request and at the time were unable to send the consumer "
                            "data", 401), None
        return _redirect(back + urlencode({"success": 1, "user_id": params["user_id"]})), keys


def _redirect(location: str) -> Response:
    return Response("", 302, headers={"Location": location})
