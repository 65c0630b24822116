"""Real HS256 session tokens, made the way Shopify's admin makes them for an embedded app (App Bridge)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

CLIENT_ID = "assay-test-client-id"
# Shopify client secrets are 32+ bytes; PyJWT warns (and the suite fails on warnings) below that for HS256.
APP_SECRET = "shpss_embedded_app_test_secret_0123456789abcdef"


def session_token(secret: str, shop: str, *, aud: str = CLIENT_ID, user: int = 42, expires_in: float = 60,
                  not_before_in: float = 0, **claims: Any) -> str:
    now = time.time()
    payload = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": aud, "sub": str(user),
               "exp": int(now + expires_in), "nbf": int(now + not_before_in), "iat": int(now),
               "jti": uuid.uuid4().hex, "sid": uuid.uuid4().hex, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def bearer(secret: str, shop: str, **options: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {session_token(secret, shop, **options)}"}
