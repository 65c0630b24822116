"""A WSGI app served on a free 127.0.0.1 port from a daemon thread: the fakes and the app under test."""

from __future__ import annotations

import ssl
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args: Any, **_kwargs: Any) -> None:
        """No access log lines in test output."""


class LocalServer:
    def __init__(self, app: Any, name: str, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler,
                                   ssl_context=ssl_context)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
