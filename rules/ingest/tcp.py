"""The TCP command listener (ATSD's port 8081): many clients, lines in, batches out.

Each connection is read incrementally and split by the same
:class:`~rules.ingest.lines.LineSplitter` as HTTP bodies; complete commands are parsed
at once and their events buffered. The buffer is handed off
(:func:`rules.ingest.pipeline.hand_off`) when it reaches the batch size, every
``flush_ms`` milliseconds, when a ``debug`` command asks for an answer, and when a
connection closes. Hand-off runs on one worker thread so batches keep their order.

Failures. Events the database refuses for good are dropped and logged by the hand-off,
and the listener goes on. While Redis or the database is unavailable the hand-off is
retried with back-off and no connection is read meanwhile: the clients' TCP windows
fill and they wait, instead of the listener buffering without bound. On stop, what has
been read is handed off before the listener returns (retried for up to
``stop_timeout_s``; what is still not handed off then is logged as lost).

Scale-out. Several listener processes may serve one port (``SO_REUSEPORT``, see
``start``): each hands off what its own connections send, so lines keep their order per
connection, as they do with one process.

Limits. Only clients whose address is in ``allowed_networks`` are served; at most
``max_connections`` at a time; a connection that sends nothing for ``idle_timeout_s``
is closed (0 = never).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from atsd_alerts import stage_timing
from rules.events import Event
from rules.faults import describe, is_transient
from rules.ingest.commands import CommandError, parse_command
from rules.ingest.lines import Line, LineSplitter
from rules.ingest.pipeline import HandOffResult, Unavailable

log = logging.getLogger(__name__)

DEBUG_PREFIX = "debug "
READ_CHUNK = 64 * 1024
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
OUTAGE_LOG_EVERY_S = 30.0
BACKLOG_BATCHES = 4
INVALID_LOGGED_PER_CONNECTION = 100
LOOPBACK = ("127.0.0.0/8", "::1/128")

HandOff = Callable[[list[Event]], object]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """CIDR networks (``10.0.0.0/8``, ``::1``); a bad entry raises ``ValueError``."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"TCP_ALLOWED_NETWORKS: {exc}") from None
    return tuple(networks)


def _address_of(peer: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(peer, tuple) or not peer:
        return None
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket shows IPv4 clients this way
    return address


class CommandListener:
    def __init__(
        self,
        hand_off: HandOff,
        *,
        disconnect_on_error: bool = True,
        batch_size: int = 2000,
        flush_ms: int = 50,
        allowed_networks: Iterable[str] = LOOPBACK,
        max_connections: int = 256,
        idle_timeout_s: float = 600.0,
        stop_timeout_s: float = 30.0,
    ) -> None:
        self.hand_off = hand_off
        self.disconnect_on_error = disconnect_on_error
        self.batch_size = batch_size
        self.flush_s = flush_ms / 1000
        self.networks = parse_networks(allowed_networks)
        self.max_connections = max_connections
        self.idle_timeout_s = idle_timeout_s or None
        self.stop_timeout_s = stop_timeout_s
        self.accepted = 0  # command lines
        self.failed = 0  # command lines
        self.refused = 0  # events refused for good by the hand-off
        self.lost = 0  # events still not handed off when the stop deadline passed
        self._pending: list[Event] = []
        self._in_flight = 0
        self._flush_lock = asyncio.Lock()
        # Set while hand-off works: readers wait on it, so an outage stops all reading.
        self._readable = asyncio.Event()
        self._readable.set()
        self._stopping = False
        self._stop_deadline = math.inf
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-handoff")
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._flushing: asyncio.Task[None] | None = None

    @property
    def buffered(self) -> int:
        """Events read and not yet handed off (waiting or being handed off)."""
        return len(self._pending) + self._in_flight

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> int:
        """Listen on ``host:port`` (0 = any free port); returns the bound port.

        ``reuse_port`` binds with ``SO_REUSEPORT``: several listener processes then
        share the port and the kernel spreads new connections across them.
        """
        self._server = await asyncio.start_server(
            self._serve_client, host, port, limit=READ_CHUNK, reuse_port=reuse_port or None
        )
        self._ticker = asyncio.create_task(self._tick())
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting, hand off what open connections have sent, flush, return."""
        self._stopping = True
        self._stop_deadline = time.monotonic() + self.stop_timeout_s
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients.values()):
            writer.transport.close()  # the reader gets what it holds, then end of stream
        self._readable.set()  # readers paused by an outage read that much too, and end
        if self._clients:
            await asyncio.wait(list(self._clients), timeout=self.stop_timeout_s + 5)
        if self._ticker is not None:
            self._ticker.cancel()  # a flush it runs is shielded and finishes
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.flush()
        self._executor.shutdown(wait=True)
        if self.lost:
            log.error("stopped with %d accepted events not handed off", self.lost)

    async def flush(self) -> None:
        """Hand off what is buffered; returns when it is handed off (or given up at stop)."""
        async with self._flush_lock:
            if not self._pending:
                return
            events, self._pending = self._pending, []
            self._in_flight = len(events)
            try:
                await self._hand_off(events)
            finally:
                self._in_flight = 0

    async def _hand_off(self, events: list[Event]) -> None:
        loop = asyncio.get_running_loop()
        delay = RETRY_FIRST_S
        failing_since = logged_at = 0.0
        while True:
            try:
                outcome = await loop.run_in_executor(self._executor, self.hand_off, events)
            except Exception as exc:
                if not isinstance(exc, Unavailable) and not is_transient(exc):
                    log.exception("hand-off of %d events failed for good; dropped", len(events))
                    self.refused += len(events)
                    break
                events = events[exc.done :] if isinstance(exc, Unavailable) else events
                now = time.monotonic()
                if not failing_since:
                    failing_since = now
                    if not self._stopping:  # a stopping listener reads to the end
                        self._readable.clear()
                if now - logged_at >= OUTAGE_LOG_EVERY_S:
                    logged_at = now
                    log.warning(
                        "cannot hand off %d events, retrying; reading is paused: %s",
                        len(events), describe(exc),
                    )  # fmt: skip
                if self._stopping and now >= self._stop_deadline:
                    log.error("stop deadline passed: %d events not handed off", len(events))
                    self.lost += len(events)
                    return
                await asyncio.sleep(min(delay, max(self._stop_deadline - now, 0)))
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if isinstance(outcome, HandOffResult):
                self.refused += len(outcome.refused)
            break
        if failing_since:
            waited = time.monotonic() - failing_since
            log.warning("hand-off works again after %.1f s; reading resumes", waited)
        self._readable.set()

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
            await asyncio.shield(self.flush())

    def _refuse_at_accept(self, peer: object) -> str | None:
        address = _address_of(peer)
        if address is None or not any(address in network for network in self.networks):
            return "its address is not in TCP_ALLOWED_NETWORKS"
        if len(self._clients) >= self.max_connections:
            return f"{len(self._clients)} connections are open (TCP_MAX_CONNECTIONS)"
        if self._stopping:
            return "the listener is stopping"
        return None

    async def _read(self, reader: asyncio.StreamReader, peer: object) -> bytes:
        """The next chunk; empty at end of stream or after ``idle_timeout_s`` of silence.
        Waits first while the hand-off is failing: the back-pressure on clients."""
        if not self._readable.is_set():
            await self._readable.wait()
        try:
            async with asyncio.timeout(self.idle_timeout_s):
                return await reader.read(READ_CHUNK)
        except TimeoutError:
            log.info("closing %s: idle for %.0f s (TCP_IDLE_TIMEOUT)", peer, self.idle_timeout_s)
            return b""

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        refusal = self._refuse_at_accept(peer)
        if refusal is not None:
            log.warning("refused a connection from %s: %s", peer, refusal)
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._clients[task] = writer
        splitter = LineSplitter()
        invalid = 0
        try:
            while True:
                data = await self._read(reader, peer)
                parsing = stage_timing.start()
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
                    error = await self._handle_line(line, writer)
                    pending = self._pending  # a debug flush swaps the list
                    if error is None:
                        continue
                    number = line.number
                    invalid += 1
                    if invalid <= INVALID_LOGGED_PER_CONNECTION:
                        log.warning("invalid command from %s, line %d: %s", peer, number, error)
                    if self.disconnect_on_error:
                        log.info("closing %s after an invalid command (line %d)", peer, number)
                        return
                stage_timing.stop("listener parse", parsing, len(lines))
                if not data:
                    return
                if len(self._pending) >= self.batch_size:
                    await self._flush_behind()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if invalid > INVALID_LOGGED_PER_CONNECTION:
                log.warning("%s sent %d invalid commands in all", peer, invalid)
            if task is not None:
                self._clients.pop(task, None)
            await self.flush()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _handle_line(self, line: Line, writer: asyncio.StreamWriter) -> str | None:
        """Take a line that needs more than the fast path; returns its error, if any."""
        text, error = line.text, line.error
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
            if debug:
                writer.write(f"Invalid command: {text}\n".encode())
                await writer.drain()
            return error
        self._pending.extend(events)
        self.accepted += 1
        if debug:
            await self.flush()
            writer.write(b"ok\n")
            await writer.drain()
        return None


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
        future.result(self.listener.stop_timeout_s * 2 + 30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.port = self._loop.run_until_complete(self.listener.start(self.host, self.port))
        self._ready.set()
        self._loop.run_forever()
