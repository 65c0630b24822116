"""A TCP proxy of a test's own in front of PostgreSQL, to cut the app off its database and give it back.

`cut()` closes every live connection, both ends, as a network failure or a database restart would, and until
`restore()` every new connection is accepted and closed at once, so a client fails fast instead of hanging.
The server itself is never touched: other test runs sharing it see nothing."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

from sqlalchemy.engine import make_url

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._is_cut = False
        self._stopped = False
        self.connections = 0  # accepted and forwarded, across cuts: a test can see its app really went through
        self._acceptor = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)

    @classmethod
    def in_front_of(cls, url: str) -> TcpProxy:
        """A proxy for the server a SQLAlchemy URL names (PostgreSQL's port when the URL gives none)."""
        parsed = make_url(url)
        return cls(parsed.host or "127.0.0.1", parsed.port or 5432)

    def proxied(self, url: str) -> str:
        """The same URL (database, user, options) through this proxy."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> TcpProxy:
        self._acceptor.start()
        return self

    def cut(self) -> None:
        """Drop every live connection and refuse the next ones (accepted, then closed) until `restore()`."""
        with self._lock:
            self._is_cut = True
            live, self._open = self._open, set()
        for sock in live:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._is_cut = False

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self.cut()
        _close(self._listener)
        self._acceptor.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # the listener was closed: stop() was called
                return
            with self._lock:
                refused = self._is_cut or self._stopped
            if refused:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._is_cut:  # cut while we were connecting
                    _close(client)
                    _close(upstream)
                    continue
                self._open.update((client, upstream))
                self.connections += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), name="tcp-proxy-pump", daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(CHUNK):
                sink.sendall(chunk)
        except OSError:
            pass  # one end is gone (or the proxy cut it): the other end goes too
        with self._lock:
            self._open.discard(source)
            self._open.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    """shutdown() first: it wakes a thread blocked in recv() on the socket, which close() alone does not."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
