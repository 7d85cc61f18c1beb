"""What the fakes of cloud services share: a threaded HTTP server on ``127.0.0.1``, a log
of the requests it received, scripted answers for the next requests, and waiting on the
log with a timeout instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class FakeState:
    """What a fake's handler threads share, under ``lock``."""

    script: list[Any] = field(default_factory=list)
    log: list[Any] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def next_scripted(self) -> Any:
        """The next scripted answer, or None."""
        with self.lock:
            return self.script.pop(0) if self.script else None

    def record(self, entry: Any) -> None:
        """Append ``entry`` to the log and wake :meth:`LoopbackFake.wait_for`."""
        with self.lock:
            self.log.append(entry)
            self.lock.notify_all()


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    state: Any


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that leaves logging to the fake's log and answers with :meth:`answer`."""

    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: every request is in the fake's own log."""

    def answer(
        self, status: int, text: str, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """Send ``status`` with ``text`` as the body."""
        data = text.encode("utf-8")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class LoopbackFake:
    """A started-on-enter, stopped-on-exit fake server with ``state``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: FakeState, name: str) -> None:
        self._server = FakeServer(("127.0.0.1", 0), handler)
        self._server.state = state
        self.state = state
        # A short poll interval: shutdown() waits for it, and tests start many fakes.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=name, daemon=True
        )

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def log(self) -> list[Any]:
        with self.state.lock:
            return list(self.state.log)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, reply: Any, times: int = 1) -> None:
        """Answer the next ``times`` authorized requests with ``reply``."""
        with self.state.lock:
            self.state.script.extend([reply] * times)

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate(log)`` holds; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.state.lock:
            while not predicate(list(self.state.log)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{type(self).__name__}: not met in {timeout}s")
                self.state.lock.wait(left)
