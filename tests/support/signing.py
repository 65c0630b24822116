"""Real signatures for test deliveries, made the way Shopify and WooCommerce make them."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body: Shopify's X-Shopify-Hmac-Sha256, WooCommerce's signature."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
