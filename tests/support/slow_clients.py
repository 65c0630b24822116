"""Slow and idle clients against a local server, as issue 21's attacker ran them: connections that trickle a request
one byte at a time (half its head, half its body after a whole head) and connections opened and left silent. A
connection the server closes is opened again at once, so the pressure stays the same for as long as it runs."""

from __future__ import annotations

import socket
import threading

TRICKLED_HEAD = (b"POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Shopify-Topic: orders/create\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n")


class SlowClients:
    """`trickling` connections sending one byte every `interval` seconds and `idle` ones sending nothing."""

    def __init__(self, port: int, trickling: int, idle: int, interval: float = 1.5) -> None:
        self.port = port
        self.trickling = trickling
        self.idle = idle
        self.interval = interval
        self.sockets: list[socket.socket | None] = [None] * (trickling + idle)
        self.sent = [0] * (trickling + idle)  # bytes of its request each connection has sent so far
        self.reopened = 0  # connections the server closed (and the client opened again)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def start(self) -> SlowClients:
        for index in range(len(self.sockets)):
            self._open(index)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        for sock in self.sockets:
            if sock is not None:
                sock.close()

    def open_count(self) -> int:
        return sum(sock is not None for sock in self.sockets)

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            self.sockets[index] = None
            return
        sock.setblocking(False)
        self.sockets[index] = sock
        self.sent[index] = 0
        if index % 2 and index < self.trickling:  # every other trickler sends its head at once, then its body slowly
            sock.send(TRICKLED_HEAD)
            self.sent[index] = len(TRICKLED_HEAD)

    def _closed_by_server(self, sock: socket.socket) -> bool:
        try:
            return sock.recv(4096) is not None  # an answer (408) or the end: either way the server let go
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _run(self) -> None:
        """Every tenth of `interval`, a tenth of the connections: each gets a byte every `interval` seconds."""
        turn = 0
        while not self.stopping.wait(self.interval / 10):
            for index in range(turn % 10, len(self.sockets), 10):
                sock = self.sockets[index]
                if sock is None or self._closed_by_server(sock):
                    if sock is not None:
                        sock.close()
                        self.reopened += 1
                    self._open(index)
                    continue
                if index < self.trickling:
                    self._trickle(index, sock)
            turn += 1

    def _trickle(self, index: int, sock: socket.socket) -> None:
        request = TRICKLED_HEAD + b"{" + b" " * 4094 + b"}"
        byte = request[self.sent[index]:self.sent[index] + 1] or b" "
        try:
            sock.send(byte)
            self.sent[index] += 1
        except OSError:
            sock.close()
            self.sockets[index] = None
            self.reopened += 1

