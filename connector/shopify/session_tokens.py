"""Is this admin request from Shopify's admin, signed in to which shop? The session token (ID token), checked
by `shopify_app.verify_app_home_req`: HS256 with the current or the previous secret, `aud` the app's client id,
`exp`/`nbf` with 10 seconds' leeway. Assay adds what it needs besides: `exp` must be present, `dest` must be a
shop's *.myshopify.com domain and the shop whose admin issued it (`iss`), and a page's `shop` parameter, where
given, must name it. That shop becomes the only store the request may touch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shopify_app.types import IdTokenDetails
from shopify_app.verify.app_home_req import verify_app_home_req

from connector.shopify.app_config import ShopifyApp

# App Bridge's bounce page, which fetches a fresh session token and reloads the document with it.
PATCH_ID_TOKEN_PATH = "/shopify/patch-id-token"
_SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")


@dataclass(frozen=True)
class SessionCheck:
    """`ok`: the shop (domain), the staff member (`user_id`, the token's `sub`) and the token to exchange.
    Not `ok`: `reason` (shopify_app's code, such as `expired_id_token`, `invalid_aud`) and the answer to give:
    a 401 for a fetch, the bounce to the patch page (302) for a document."""

    ok: bool
    reason: str
    status: int
    headers: dict[str, str]
    shop_domain: str | None = None
    user_id: str | None = None
    id_token: IdTokenDetails | None = field(default=None, repr=False)


def verify_session(app: ShopifyApp, *, url: str, headers: Mapping[str, str]) -> SessionCheck:
    wanted = {name: value for name, value in headers.items() if name.lower() == "authorization"}
    result = verify_app_home_req({"method": "GET", "headers": wanted, "url": url, "body": ""},
                                 app.sdk_config(), PATCH_ID_TOKEN_PATH)
    response_headers = dict(result.response.headers)
    if not result.ok or result.id_token is None:
        return SessionCheck(False, result.log.code, result.response.status, response_headers)
    claims: dict[str, Any] = dict(result.id_token.claims)
    shop = _shop_of(claims.get("dest"))
    if "exp" not in claims:
        return _refused("missing_exp", bool(wanted))
    if shop is None:
        return _refused("invalid_dest", bool(wanted))
    if _shop_of(claims.get("iss", "").removesuffix("/admin") if isinstance(claims.get("iss"), str) else None) != shop:
        return _refused("iss_not_dest", bool(wanted))  # issued by one shop's admin for another shop
    named = parse_qs(urlsplit(url).query).get("shop", [None])[0]
    if named is not None and named.lower() != shop:
        return _refused("other_shop", bool(wanted))  # a token of one shop on a page of another
    return SessionCheck(True, "verified", 200, response_headers, shop,
                        str(claims["sub"]) if claims.get("sub") is not None else None, result.id_token)


def _shop_of(dest: object) -> str | None:
    if not isinstance(dest, str):
        return None
    host = (urlsplit(dest).hostname if "://" in dest else dest) or ""
    return host.lower() if _SHOP.fullmatch(host.lower()) else None


def _refused(reason: str, fetch: bool) -> SessionCheck:
    return SessionCheck(False, reason, 401, {"X-Shopify-Retry-Invalid-Session-Request": "1"} if fetch else {})
