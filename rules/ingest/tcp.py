"""The TCP command listener (ATSD's port 8081): many clients, lines in, batches out.

Each connection is read incrementally; complete commands are parsed at once and
their events buffered. The buffer is handed off (registry + ``submit``) when it
reaches the batch size, every ``flush_ms`` milliseconds, when a ``debug`` command
asks for an answer, and when a connection closes. Hand-off runs on one worker
thread so batches keep their arrival order; a failed hand-off (broker down) is
retried and the readers wait meanwhile, so accepted data is never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rules.ingest.commands import CommandError, parse_command
from rules.ingest.events import Event
from rules.ingest.lines import LineSplitter

log = logging.getLogger(__name__)

DEBUG_PREFIX = "debug "
READ_CHUNK = 64 * 1024
RETRY_DELAY_S = 1.0
BACKLOG_BATCHES = 4

HandOff = Callable[[list[Event]], object]


class CommandListener:
    def __init__(
        self,
        hand_off: HandOff,
        *,
        disconnect_on_error: bool = True,
        batch_size: int = 2000,
        flush_ms: int = 50,
    ) -> None:
        self.hand_off = hand_off
        self.disconnect_on_error = disconnect_on_error
        self.batch_size = batch_size
        self.flush_s = flush_ms / 1000
        self.accepted = 0
        self.failed = 0
        self._pending: list[Event] = []
        self._flush_lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-handoff")
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._clients: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._flushing: asyncio.Task | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0 = any free port); returns the bound port."""
        self._server = await asyncio.start_server(self._serve_client, host, port, limit=READ_CHUNK)
        self._ticker = asyncio.create_task(self._tick())
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting, let open connections finish what they sent, flush, return."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients.values()):
            writer.transport.close()  # the reader sees end of stream and hands off its tail
        if self._clients:
            await asyncio.wait(list(self._clients), timeout=10)
        if self._ticker is not None:
            self._ticker.cancel()
        await self.flush()
        self._executor.shutdown(wait=True)

    async def flush(self) -> None:
        async with self._flush_lock:
            if not self._pending:
                return
            events, self._pending = self._pending, []
            loop = asyncio.get_running_loop()
            while True:
                try:
                    await loop.run_in_executor(self._executor, self.hand_off, events)
                    return
                except Exception:
                    log.exception("hand-off of %d events failed; retrying", len(events))
                    await asyncio.sleep(RETRY_DELAY_S)

    async def _flush_behind(self) -> None:
        """Hand off in the background while reading goes on; wait only when the
        backlog grows past ``BACKLOG_BATCHES`` batches (back-pressure on clients)."""
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self.flush())
        if len(self._pending) >= BACKLOG_BATCHES * self.batch_size:
            await self.flush()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.flush_s)
            await self.flush()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        task = asyncio.current_task()
        if task is not None:
            self._clients[task] = writer
        splitter = LineSplitter()
        try:
            while True:
                data = await reader.read(READ_CHUNK)
                lines = splitter.feed(data) if data else splitter.finish()
                receive_ms = int(time.time() * 1000)
                pending = self._pending
                for line in lines:
                    text = line.text
                    # The common case stays out of the coroutine machinery: a valid
                    # command without the debug prefix needs no reply.
                    if line.error is None and not text.startswith(DEBUG_PREFIX):
                        try:
                            pending.extend(parse_command(text, receive_ms))
                        except CommandError:
                            pass
                        else:
                            self.accepted += 1
                            continue
                    keep_going = await self._handle_line(line.number, text, line.error, writer)
                    pending = self._pending  # a debug flush swaps the list
                    if not keep_going:
                        log.info("closing %s after an invalid command (line %d)", peer, line.number)
                        return
                if not data:
                    return
                if len(self._pending) >= self.batch_size:
                    await self._flush_behind()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if task is not None:
                self._clients.pop(task, None)
            await self.flush()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _handle_line(
        self, number: int, text: str, error: str | None, writer: asyncio.StreamWriter
    ) -> bool:
        debug = text.startswith(DEBUG_PREFIX)
        if debug:
            text = text[len(DEBUG_PREFIX) :]
        if error is None:
            try:
                events = parse_command(text, int(time.time() * 1000))
            except CommandError as exc:
                error = str(exc)
        if error is not None:
            self.failed += 1
            log.warning("invalid command at line %d: %s", number, error)
            if debug:
                writer.write(f"Invalid command: {text}\n".encode())
                await writer.drain()
            return not self.disconnect_on_error
        self._pending.extend(events)
        self.accepted += 1
        if debug:
            await self.flush()
            writer.write(b"ok\n")
            await writer.drain()
        return True


class ListenerThread:
    """Run a listener on its own event loop in a background thread (tests, benchmarks)."""

    def __init__(self, listener: CommandListener, host: str = "127.0.0.1", port: int = 0) -> None:
        self.listener = listener
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-listener", daemon=True)

    def start(self) -> int:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("TCP listener did not start")
        return self.port

    def stop(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self.listener.stop(), self._loop)
        future.result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.port = self._loop.run_until_complete(self.listener.start(self.host, self.port))
        self._ready.set()
        self._loop.run_forever()
