"""The site's own facts, which set the case calendar: its country (WooCommerce's store address) and time zone.

The time zone is WordPress's, from the public REST index: `timezone_string` ("Europe/Berlin") when the
merchant picked a city, else only `gmt_offset` (hours), which becomes a fixed Etc/GMT zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.woocommerce.errors import WooCommercePayloadError


def site_calendar(general_settings: Sequence[Mapping[str, Any]], index: Mapping[str, Any]) -> tuple[str, str]:
    """(country, IANA time zone) from GET settings/general and GET /wp-json/."""
    setting = next((s for s in general_settings if s.get("id") == "woocommerce_default_country"), None)
    value = str((setting or {}).get("value") or "")
    country = value.split(":", 1)[0].upper()  # "DE:BE" is Germany, Berlin
    if len(country) != 2 or not country.isalpha():
        raise WooCommercePayloadError("settings/general", [
            f"woocommerce_default_country: must name the store's country, such as \"DE\", got {value!r}"])
    return country, _time_zone(index)


def _time_zone(index: Mapping[str, Any]) -> str:
    name = str(index.get("timezone_string") or "")
    if name:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        offset = float(index.get("gmt_offset") or 0)
    except (TypeError, ValueError):
        offset = 0.0
    if offset == 0 or not offset.is_integer() or abs(offset) > 14:
        return "UTC"  # a half-hour offset has no Etc zone; UTC is off by at most that much
    # Etc/GMT zones count the other way: UTC+2 is Etc/GMT-2.
    return f"Etc/GMT{-int(offset):+d}"
