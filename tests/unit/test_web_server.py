"""The web worker hands a thread only whole requests: where a request ends, and what it refuses before reading on."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from webhooks.server import MAX_HEADER_BYTES, Refused, is_whole_request

LIMIT = 1000
HEAD = b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(("data", "whole"), [
    (b"GET /health HTTP/1.1\r\nHost: x\r\n", False),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (HEAD + b"Content-Length: 5\r\n\r\nabcd", False),
    (HEAD + b"Content-Length: 5\r\n\r\nabcde", True),
    (HEAD + b"content-length:  5 \r\n\r\nabcde", True),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n", False),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n", False),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;x=1\r\nabcde\r\n0\r\n\r\n", True),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n", False),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n", True),
    # Framings gunicorn's parser refuses are handed to it at once, with every byte it needs to say so.
    (HEAD + b"Transfer-Encoding: gzip\r\n\r\n", True),
    (HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", True),
])
def test_a_request_is_whole_once_its_head_and_body_are_here(data: bytes, whole: bool) -> None:
    assert is_whole_request(data, LIMIT) is whole


@pytest.mark.parametrize(("data", "status"), [
    (HEAD + b"Content-Length: 1001\r\n\r\n", HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3e9\r\n", HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n1f4\r\n" + b"a" * 500 + b"\r\n1f5\r\n",
     HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (HEAD + b"x" * MAX_HEADER_BYTES, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
    (HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTPStatus.BAD_REQUEST),
    (HEAD + b"Content-Length: -5\r\n\r\n", HTTPStatus.BAD_REQUEST),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", HTTPStatus.BAD_REQUEST),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\n", HTTPStatus.BAD_REQUEST),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 2000, HTTPStatus.BAD_REQUEST),
])
def test_a_request_that_can_never_fit_is_refused_before_the_rest_is_read(data: bytes, status: HTTPStatus) -> None:
    with pytest.raises(Refused) as refused:
        is_whole_request(data, LIMIT)
    assert refused.value.status is status
