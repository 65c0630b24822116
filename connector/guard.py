"""The one input layer every route goes through: what a header, a field, an id or a JSON body may be, each refusal
an `InputRefused` naming the field and the rule, answered as a 400 (or a 422 for text storage can't keep)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from flask import Flask, Response, jsonify, request
from flask.wrappers import Request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1  # the database's bigint; a larger id can name no row
MAX_INT32 = 2**31 - 1  # an integer column (a policy's version number)
MAX_DEPTH = 32  # deeper than any platform payload Assay reads (Shopify's orders are ~6 levels deep)
MAX_HEADER = 8192
MAX_FIELD = 4096  # a query or form value; routes may ask for less
MAX_FIELDS = 100

# A character no stored text may hold: NUL (PostgreSQL refuses it), other C0 controls but tab and newlines,
# and lone surrogates (not encodable as UTF-8, refused by JSONB).
_BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Escapes in raw JSON that decode to what storage can't hold: \u0000 and a surrogate not in a pair. Matched
# from left to right with `\\` as a unit, so an escaped backslash before "u0000" is left alone.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_JSON_ESCAPE = re.compile(
    rb"\\(?:\\|u0000|u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|u[dD][c-fC-F][0-9a-fA-F]{2})"
)


_STORABLE = "must not contain the NUL character (U+0000) or a lone surrogate (U+D800 to U+DFFF)"


class InputRefused(ValueError):
    """One input breaks one rule; `field` names it (a header, a form field, `body`), `rule` says what it must be."""

    def __init__(self, field: str, rule: str, *, reason: str = "invalid_input", status: int = 400) -> None:
        super().__init__(f"{field} {rule}")
        self.field, self.rule, self.reason, self.status = field, rule, reason, status


def check_text(field: str, value: object, *, max_length: int = MAX_FIELD, pattern: re.Pattern[str] | None = None,
               required: bool = True, shape: str = "") -> str:
    """`value` as a string that fits the rule; refused naming the field, the limit, or the shape expected."""
    if value is None or value == "":
        if required:
            raise InputRefused(field, "is required")
        return ""
    if not isinstance(value, str):
        raise InputRefused(field, f"must be a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise InputRefused(field, f"must be at most {max_length} characters, got {len(value)}")
    found = _BAD_CHARACTER.search(value)
    if found:
        raise InputRefused(field, f"must not contain the control or surrogate character U+{ord(found.group()):04X}")
    if pattern is not None and not pattern.fullmatch(value):
        raise InputRefused(field, f"must be {shape or 'of the form ' + pattern.pattern}")
    return value


def check_id(field: str, value: object, *, maximum: int = MAX_ID) -> int:
    """A positive integer id (given as an int or a string of digits) that fits the database's bigint."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 1 <= int(text) <= maximum:
        raise InputRefused(field, f"must be a whole number from 1 to {maximum}, got {str(value)[:40]!r}")
    return int(text)


def scrub_json(body: bytes) -> bytes:
    """The body with each \\u0000 removed and each lone surrogate escape made U+FFFD; all else byte for byte."""

    def replace(match: re.Match[bytes]) -> bytes:
        escape = match.group()
        if escape == b"\\\\" or len(escape) == 12:  # an escaped backslash, or a proper surrogate pair
            return escape
        return b"" if escape == b"\\u0000" else b"\\ufffd"

    return _JSON_ESCAPE.sub(replace, body) if b"\\" in body else body


def parse_json(body: bytes, *, field: str = "body", max_depth: int = MAX_DEPTH, scrub: bool = False) -> Any:
    """The JSON document in `body`; InputRefused for anything else (NaN, Infinity, too deep) or text storage could not
    keep. `scrub`, for signed bodies only, mends such text instead: the platform would send the same body forever."""
    if scrub:
        body = scrub_json(body)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if not scrub and _has_lone_surrogate(body):
            _refuse_unstorable(_with_lone_surrogates(body, field, max_depth), field)
        raise InputRefused(field, f"must be a JSON document (no NaN or Infinity, UTF-8): {error}",
                           reason="not_json") from None
    depth = nesting_depth(document)
    if depth > max_depth:
        raise InputRefused(field, f"must nest at most {max_depth} levels deep, got {depth}", reason="not_json")
    if not scrub:
        _refuse_unstorable(document, field)
    return document


def _has_lone_surrogate(body: bytes) -> bool:
    return any(len(escape) == 6 and escape[2:3] in b"dD" for escape in _JSON_ESCAPE.findall(body))


def _with_lone_surrogates(body: bytes, field: str, max_depth: int) -> Any:
    """The document orjson refused for its lone surrogates, read by the standard library (after a depth check, as it
    recurses) to find where they are."""
    depth = nesting_depth_of_text(body) if body.count(b"[") + body.count(b"{") > max_depth else 0
    if depth > max_depth:
        raise InputRefused(field, f"must nest at most {max_depth} levels deep, got {depth}", reason="not_json")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise InputRefused(field, f"must be a JSON document (no NaN or Infinity, UTF-8): {error}",
                           reason="not_json") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def nesting_depth_of_text(body: bytes) -> int:
    """How deeply brackets nest in raw JSON, strings skipped; a linear scan, for the standard parser's sake."""
    depth = deepest = 0
    inside = escaped = False
    for byte in body:
        if inside:
            escaped, inside = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            inside = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _refuse_unstorable(document: Any, field: str) -> None:
    """InputRefused (422) naming the path of the first string, or field name, PostgreSQL could not store."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise InputRefused(path or field, _STORABLE, reason="invalid_text", status=422)
        elif isinstance(value, dict):
            for key, child in value.items():
                if _UNSTORABLE.search(key):
                    raise InputRefused(path or field, "field names " + _STORABLE, reason="invalid_text", status=422)
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(value))


def nesting_depth(document: Any) -> int:
    """How deeply lists and objects nest (a scalar is 0), without recursion; only containers are visited."""
    if not isinstance(document, dict | list):
        return 0
    deepest, stack = 1, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def strings_in(document: Any) -> list[str]:
    """Every string in the document, keys included, without recursion."""
    found: list[str] = []
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


class OutOfRange:
    """A URL integer its column can't hold, kept by `IdConverter` for the guard to refuse by the argument's name."""

    def __init__(self, text: str, maximum: int) -> None:
        self.text, self.maximum = text, maximum


class IdConverter(IntegerConverter):
    """`<int:…>` in every route (a bigint id; `<int(bits=32):…>` an integer column): an out-of-range value is handed
    on, so the guard's 400 names the argument and its range, where Werkzeug's `max` would answer a bare 404."""

    def __init__(self, map: Map, bits: int = 64) -> None:
        super().__init__(map)
        self.maximum = MAX_INT32 if bits == 32 else MAX_ID

    def to_python(self, value: str) -> int | OutOfRange:
        number = int(value) if len(value) <= 19 else 0
        return number if 1 <= number <= self.maximum else OutOfRange(value, self.maximum)


class GuardedRequest(Request):
    """`request.get_json()` parses with `parse_json`: a refused body is answered, never read as None or left to
    Flask's recursive parser. `silent` only excuses a body that is not JSON by its content type."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        body = self.get_data(cache=True)
        return parse_json(body) if body.strip() else None


def check_request(headers: Iterable[tuple[str, str]], fields: list[tuple[str, str]],
                  view_args: Mapping[str, Any] | None) -> None:
    """What every request must be, whatever its route: sizes and characters of headers, fields and path parts,
    integers in the URL within their column's range."""
    for name, value in headers:
        check_text(f"header {name}", value, max_length=MAX_HEADER, required=False)
    if len(fields) > MAX_FIELDS:
        raise InputRefused("fields", f"must be at most {MAX_FIELDS}, got {len(fields)}")
    for name, value in fields:
        check_text("field name", name, max_length=200)
        check_text(name, value, required=False)
    for name, value in (view_args or {}).items():
        if isinstance(value, OutOfRange):
            raise InputRefused(name, f"must be a whole number from 1 to {value.maximum}, got {value.text[:40]!r}")
        if isinstance(value, str):
            check_text(name, value, required=False)


def refused_response(refused: InputRefused) -> tuple[Response, int]:
    return jsonify(error=refused.reason, field=refused.field, detail=str(refused)), refused.status


def install(app: Flask) -> None:
    """Every route gets the request checks before its view runs, and errors answered as JSON. Called before any
    route is added: `<int:…>` is bound to `IdConverter` when a rule is added."""
    app.request_class = GuardedRequest
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _check_every_request() -> tuple[Response, int] | None:
        try:
            fields = list(request.args.items(multi=True))
            # Cached first, so a view that reads the raw body (a signed webhook) still gets every byte.
            request.get_data(cache=True)
            if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                fields += list(request.form.items(multi=True))
            check_request(request.headers.items(), fields, request.view_args)
        except InputRefused as refused:
            return refused_response(refused)
        return None

    @app.errorhandler(InputRefused)
    def _refused(refused: InputRefused) -> tuple[Response, int]:
        return refused_response(refused)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        name = (error.name or "error").lower().replace(" ", "_")
        return jsonify(error=name, detail=error.description or ""), status
