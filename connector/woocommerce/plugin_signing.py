"""The Assay for WooCommerce plugin's requests to Assay: signed with the store's plugin secret.

X-Assay-Signature is hex(HMAC-SHA256(secret, "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body))")), with the
store, the timestamp (Unix seconds) and a nonce of the plugin's choosing in their own headers. A timestamp more
than WINDOW away from Assay's clock is refused, and within it each nonce is accepted once (the route spends it),
so a captured request can neither be replayed nor kept for later. The plugin's PHP makes the same string.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from connector.guard import MAX_ID

STORE_HEADER = "X-Assay-Store"
TIMESTAMP_HEADER = "X-Assay-Timestamp"
NONCE_HEADER = "X-Assay-Nonce"
SIGNATURE_HEADER = "X-Assay-Signature"
WINDOW = timedelta(minutes=5)
_DIGITS = re.compile(r"[0-9]{1,19}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_HEX = re.compile(r"[0-9a-f]{64}")


class SignatureRefused(ValueError):
    """A plugin request Assay can't accept; `reason` picks the status (401, or 400 for a missing header)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class SignedHeaders:
    """A plugin request's signing headers, each in the shape it must have."""

    store_id: int
    timestamp: int
    nonce: str
    signature: str


def canonical(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign(secret: str, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def read_signed_headers(get: dict[str, str | None]) -> SignedHeaders:
    """The four headers, or SignatureRefused naming every one that is missing or malformed."""
    shapes = ((STORE_HEADER, _DIGITS, "the store id Assay gave at connect"),
              (TIMESTAMP_HEADER, _DIGITS, "Unix seconds"),
              (NONCE_HEADER, _NONCE, "16 to 64 letters, digits, '-' or '_'"),
              (SIGNATURE_HEADER, _HEX, "64 lower-case hex digits"))
    problems = [f"{name} must be {shape}" for name, pattern, shape in shapes
                if not pattern.fullmatch((get.get(name) or "").strip())]
    store = (get.get(STORE_HEADER) or "").strip()
    if _DIGITS.fullmatch(store) and not 1 <= int(store) <= MAX_ID:  # 19 digits can overflow the stores' bigint
        problems.append(f"{STORE_HEADER} must be from 1 to {MAX_ID}, got {store}")
    if problems:
        raise SignatureRefused("unsigned", "; ".join(problems))
    return SignedHeaders(int(str(get[STORE_HEADER]).strip()), int(str(get[TIMESTAMP_HEADER]).strip()),
                         str(get[NONCE_HEADER]).strip(), str(get[SIGNATURE_HEADER]).strip())


def check_signature(headers: SignedHeaders, secret: str, method: str, path: str, body: bytes, now: float) -> None:
    """SignatureRefused unless the request is fresh and signed with `secret` over exactly this method, path and body."""
    if abs(now - headers.timestamp) > WINDOW.total_seconds():
        raise SignatureRefused("stale_request", f"{TIMESTAMP_HEADER} must be within {int(WINDOW.total_seconds())} "
                                                "seconds of Assay's clock")
    expected = sign(secret, method, path, headers.timestamp, headers.nonce, body)
    if not hmac.compare_digest(expected, headers.signature):
        raise SignatureRefused("invalid_signature", f"{SIGNATURE_HEADER} does not match this request")
