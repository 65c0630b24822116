"""The web's gunicorn worker: gthread, except that the event loop reads each request whole, within bounds, before a
thread runs the app, so a trickling client costs a socket, never a thread (docs/decisions/0002). Plain HTTP/1.1."""

from __future__ import annotations

import selectors
import time
from collections import deque
from functools import partial
from http import HTTPStatus
from typing import Any

from gunicorn import http
from gunicorn.errors import AppImportError
from gunicorn.workers.gthread import ThreadWorker

from storage.settings import Settings, SettingsError, settings_of
from webhooks.production import ProductionRefused

# A whole request, request line to the body's last byte, from its first wait: Shopify and WooCommerce send theirs
# at once, a person's browser too; a client that cannot is dropped (408), as nginx's client_*_timeout would.
READ_SECONDS = 10.0
# The request line and every header together (gunicorn's own limits still hold on each line and their count).
MAX_HEADER_BYTES = 32 * 1024
# A chunk-size line with its extensions.
MAX_CHUNK_LINE_BYTES = 1024
RECEIVE_BYTES = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Refused(Exception):
    """The request can't be taken: answer `status` and close the connection."""

    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(f"{status.value} {status.phrase}")
        self.status = status


def is_whole_request(data: bytes | bytearray, max_body_bytes: int) -> bool:
    """Whether `data` holds a whole HTTP/1.1 request; Refused when it never can within the limits. Anything else odd
    counts as whole: gunicorn's parser refuses it then, with every byte already here."""
    head_end = data.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES)
    if head_end < 0:
        if len(data) >= MAX_HEADER_BYTES:
            raise Refused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        return False
    lengths, codings = set(), b""
    for line in bytes(data[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            lengths.add(value.strip())
        elif name == b"transfer-encoding":
            codings += b"," + value.strip().lower()
    body_start = head_end + 4
    if codings:
        if codings.rsplit(b",", 1)[-1].strip() != b"chunked" or lengths:
            return True
        return _is_whole_chunked(data, body_start, max_body_bytes)
    if not lengths:
        return True
    if len(lengths) > 1 or not all(length.isdigit() for length in lengths):
        raise Refused(HTTPStatus.BAD_REQUEST)
    length = int(lengths.pop())
    if length > max_body_bytes:
        raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    return len(data) - body_start >= length


def _is_whole_chunked(data: bytes | bytearray, at: int, max_body_bytes: int) -> bool:
    """Whether a chunked body starting at `at` has ended (its last chunk and its trailers)."""
    body = 0
    while True:
        line_end = data.find(b"\r\n", at, at + MAX_CHUNK_LINE_BYTES)
        if line_end < 0:
            if len(data) - at >= MAX_CHUNK_LINE_BYTES:
                raise Refused(HTTPStatus.BAD_REQUEST)
            return False
        size_text = bytes(data[at:line_end]).split(b";", 1)[0].strip()
        if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
            raise Refused(HTTPStatus.BAD_REQUEST)
        size = int(size_text, 16)
        body += size
        if body > max_body_bytes:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if size == 0:  # the trailer section: none (a bare CRLF), or fields ending with an empty line
            if data[line_end + 2:line_end + 4] == b"\r\n":
                return True
            trailers_end = data.find(b"\r\n\r\n", line_end, line_end + MAX_HEADER_BYTES)
            if trailers_end < 0 and len(data) - line_end >= MAX_HEADER_BYTES:
                raise Refused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return trailers_end >= 0
        at = line_end + 2 + size + 2
        if at > len(data):
            return False


def expects_continue(data: bytes | bytearray) -> bool:
    head = bytes(data[:data.find(b"\r\n\r\n")]).lower()
    return b"\r\nexpect:" in head and b"100-continue" in head


class Reading:
    """A request being read: its bytes so far and when it must be whole."""

    def __init__(self, data: bytes, deadline: float) -> None:
        self.data = bytearray(data)
        self.deadline = deadline
        self.watched = False  # registered with the worker's poller
        self.continued = False  # "100 Continue" sent


class BufferingWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's gthread worker whose threads are handed whole requests only (read by its event loop)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_body_bytes = Settings.max_content_length  # until the app is loaded: then its own setting
        self.reading: dict[Any, Reading] = {}
        self.read_deadlines: deque[tuple[float, Any, Reading]] = deque()

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl or "h2" in cfg.http_protocols or getattr(cfg, "protocol", "http") != "http":
            raise RuntimeError("webhooks.server.BufferingWorker serves plain HTTP/1.1: end TLS and HTTP/2 at the front "
                               "(no --certfile, --http-protocols h1, --protocol http)")

    def load_wsgi(self) -> None:
        """The app, and its body limit; settings it refuses stop gunicorn with their one-line reasons, not a stack."""
        try:
            super().load_wsgi()
        except (SettingsError, ProductionRefused) as refused:
            raise AppImportError(str(refused)) from None
        self.max_body_bytes = settings_of(self.wsgi).max_content_length

    def enqueue_req(self, conn: Any) -> None:
        """Read the connection's next request before any thread takes it (gthread would hand it over at once): a new
        connection, a kept-alive one that became readable, or one whose parser holds the next request's first bytes."""
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        reading = Reading(held, time.monotonic() + READ_SECONDS)
        self.reading[conn] = reading
        self.read_deadlines.append((reading.deadline, conn, reading))
        conn.sock.setblocking(False)
        self.receive(conn)

    def receive(self, conn: Any, _fileobj: Any = None) -> None:
        """Take what the socket holds; hand the request on once whole, or answer a refusal, or wait for more."""
        reading = self.reading[conn]
        while True:
            try:
                chunk = conn.sock.recv(RECEIVE_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.drop(conn)
                return
            if not chunk:  # the client went away
                self.drop(conn)
                return
            reading.data += chunk
            if len(chunk) < RECEIVE_BYTES:
                break
        try:
            whole = is_whole_request(reading.data, self.max_body_bytes)
        except Refused as refused:
            self.refuse(conn, refused.status)
            return
        if whole:
            self.hand_over(conn)
            return
        if not reading.continued and b"\r\n\r\n" in reading.data and expects_continue(reading.data):
            reading.continued = True
            self.send_quietly(conn, CONTINUE)
        if not reading.watched:
            reading.watched = True
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.receive, conn))

    def hand_over(self, conn: Any) -> None:
        reading = self.forget(conn)
        if conn.parser is None:  # what TConn.init does for plain HTTP/1.1, here rather than on a thread
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.initialized = True
        conn.parser.unreader.unread(bytes(reading.data))
        conn.data_ready = True
        super().enqueue_req(conn)

    def refuse(self, conn: Any, status: HTTPStatus) -> None:
        self.log.debug("Refused a request from %s: %s", conn.client, status.phrase)
        self.send_quietly(conn, f"HTTP/1.1 {status.value} {status.phrase}\r\nConnection: close\r\n"
                                f"Content-Length: 0\r\n\r\n".encode())
        self.drop(conn)

    def send_quietly(self, conn: Any, data: bytes) -> None:
        """Best effort, without blocking: a client that reads nothing gets nothing."""
        try:
            conn.sock.send(data)
        except OSError:
            pass

    def drop(self, conn: Any) -> None:
        self.forget(conn)
        self.nr_conns -= 1
        conn.close()

    def forget(self, conn: Any) -> Reading:
        reading = self.reading.pop(conn)
        if reading.watched:
            self.poller.unregister(conn.sock)
        return reading

    def murder_pending(self) -> None:
        """gthread's pending connections, then every request not whole by its deadline (408)."""
        super().murder_pending()
        now = time.monotonic()
        while self.read_deadlines and self.read_deadlines[0][0] <= now:
            _deadline, conn, reading = self.read_deadlines.popleft()
            if self.reading.get(conn) is reading:
                self.refuse(conn, HTTPStatus.REQUEST_TIMEOUT)
