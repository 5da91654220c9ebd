"""The server behind ``freepik-mock serve``: granian (a Rust HTTP server) in this very process.

Measured with wrk on this project's 2-core machine: 2.6-2.7 times the requests per second of
waitress on ``GET /_mock/health``, 1.1-2 times on a validated create or get (there the app's own
work dominates). granian's HTTP parsing, keep-alive and writes run in Rust, off the GIL.

granian's own supervisor would run the app in a child process, and its embedded mode serves no
WSGI. The mock needs one process (the memory store, and the scheduler and webhook threads next to
the requests that use them), so this module drives granian's RSGI worker directly, as the
supervisor's child does: the Rust runtime serves on its own threads, each request's body is read
on one asyncio loop running on a thread of its own (:mod:`.rsgi_bridge`), and the Flask app runs
on a pool of Python threads started on demand. That is granian's worker-level API, not its
documented one, hence the pin to granian 2.8 or later 2.x in pyproject.toml. (granian's WSGI
worker would hand the app a body whose reads block a thread with no deadline, issue 13.)

What keeps clients from locking the server out (issue 13):

* connections cost a Rust task, not a thread, and up to :data:`MAX_CONNECTIONS` are served at
  once; a request whose headers are not complete within :data:`HEADER_TIMEOUT_SECONDS` (a slow
  or idle client, an HTTP/0.9 line) is closed;
* a body is read on the loop, not on a thread, and one not complete within
  :data:`~.rsgi_bridge.BODY_TIMEOUT_SECONDS` gets a 408 and is closed: a stalled body holds
  nothing anyone else needs;
* the thread pool grows on demand up to ``threads``, so requests held by a delay fault each hold
  one idle thread and the control API still finds a free one.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .core import MockConfig
from .live import open_mock

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from flask import Flask

__all__ = [
    "DEFAULT_THREADS",
    "HEADER_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
    "GranianServer",
    "ServerStopTimeout",
]

#: Requests served at once (connections waiting for their headers count too).
MAX_CONNECTIONS = 4096
#: A connection that has not sent a complete request head this long after it opened (or after
#: its previous answer) is closed.
HEADER_TIMEOUT_SECONDS = 10
#: Python threads for the app, started when needed (and then kept until the server stops): many,
#: as a thread held by a delay fault only waits.
DEFAULT_THREADS = 128
#: granian's own Python thread (RSGI calls are scheduled on the loop) stops after this long
#: unused (granian's minimum is 5 s).
_THREAD_IDLE_SECONDS = 30
_BACKLOG = 1024
#: Requests under this path (the vendor API) run on the event loop while no delay fault exists.
_VENDOR_PREFIX = "/v1/"


class ServerStopTimeout(RuntimeError):
    """The server did not stop within the time ``stop`` was given."""


#: granian logs a failing answer (with its traceback in the message) on these loggers.
_GRANIAN_LOGGERS = ("_granian", "_granian.utils")


class _QuietDrops(logging.Filter):
    """Hides granian's traceback for a connection a fault drops on purpose (it is no error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return "FaultHangup" not in record.getMessage() and type(error).__name__ != "FaultHangup"


def _granian_package_on_demand() -> None:
    """Make ``granian`` importable without running its ``__init__`` until something needs it.

    That ``__init__`` imports granian's process supervisor (multiprocessing, anyio, dotenv,
    logging.config: ~20 ms and 1.3 MiB) for the ``Granian`` class, which this module never uses:
    it needs only three submodules. The package is registered unexecuted, with a module
    ``__getattr__`` (PEP 562) that runs the real ``__init__`` the first time an attribute the
    package itself defines is asked for, so ``from granian import Granian`` still works.
    """
    import importlib.util

    if "granian" in sys.modules:
        return
    spec = importlib.util.find_spec("granian")
    if spec is None or spec.loader is None:  # pragma: no cover - granian is a dependency
        return
    package = importlib.util.module_from_spec(spec)
    lock = threading.Lock()
    loader = spec.loader

    def complete(name: str) -> Any:
        with lock:
            if package.__dict__.get("__getattr__") is complete:
                del package.__dict__["__getattr__"]
                loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'granian' has no attribute {name!r}") from None

    package.__dict__["__getattr__"] = complete
    sys.modules["granian"] = package


class GranianServer:
    """``with GranianServer(config=...) as server: httpx.get(server.url + "/_mock/health")``.

    Like :class:`~mock_server.live.LiveServer`: the socket is bound (and ``url`` known) on
    construction, so an unusable ``host`` or ``port`` raises ``OSError`` there and a refused
    configuration ``ValueError``, with nothing left running.
    """

    def __init__(
        self,
        *,
        config: MockConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.app: Flask
        self.app, listener, self.url = open_mock(
            config=config, host=host, port=port, threads=threads, backlog=_BACKLOG
        )
        from .web.app import close_app

        try:
            self._worker, self._scheduler, self._loop = self._granian_worker(listener, threads)
        except BaseException:
            listener.close()
            close_app(self.app)
            raise
        self._signal: Any = None
        self._loop_thread: threading.Thread | None = None
        self._closed = False
        self._stopped = threading.Event()
        self._quiet_drops = _QuietDrops()

    def _granian_worker(self, listener: Any, threads: int) -> tuple[Any, Any, Any]:
        import asyncio
        import importlib
        from concurrent.futures import ThreadPoolExecutor

        _granian_package_on_demand()
        from granian.http import HTTP1Settings

        from .rsgi_bridge import rsgi_bridge
        from .web.state import get_state

        # granian's worker-level API (what its own process supervisor calls); its type stubs lag
        # behind the extension, so it is used untyped.
        native: Any = importlib.import_module("granian._granian")
        futures: Any = importlib.import_module("granian._futures")
        holder = native.SocketHolder(listener.fileno(), False, _BACKLOG)
        # granian owns the descriptor from here on (it closes it when it stops).
        listener.detach()
        worker = native.RSGIWorker(
            1,
            (None, holder),
            None,  # no IPC: there is no supervisor process
            threads=1,  # one Rust thread: parsing and writing are not the bottleneck
            blocking_threads=512,
            py_threads=1,  # RSGI calls run on the event loop's thread
            py_threads_idle_timeout=_THREAD_IDLE_SECONDS,
            backpressure=MAX_CONNECTIONS,
            http_mode="1",
            http1_opts=HTTP1Settings(
                header_read_timeout=HEADER_TIMEOUT_SECONDS * 1000, keep_alive=True
            ),
            http2_opts=None,
            websockets_enabled=False,
            static_files=None,
        )
        # The app's threads: started on demand, at most ``threads`` (each held by a delay fault
        # only waits, so there are many).
        self._executor: ThreadPoolExecutor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="freepik-mock-request"
        )
        limit = int(self.app.config["MAX_CONTENT_LENGTH"])
        state = get_state(self.app)

        def may_block(path: str) -> bool:
            # The vendor API never waits, unless a delay fault holds it. Everything else may:
            # an advance waits for webhook attempts, a replay or ad-hoc send makes one, a first
            # download encodes audio. (A delay fault added while a vendor request is on its way
            # may hold the loop for that one request: the window is short.)
            if not path.startswith(_VENDOR_PREFIX):
                return True
            return state.sleep is not None or any(
                rule.delay_seconds > 0 for rule in state.faults.list()
            )

        callback = rsgi_bridge(self.app, executor=self._executor, limit=limit, may_block=may_block)

        async def watched(watcher: Any) -> None:
            # granian's own watcher: a failing call (a drop fault) fails the request inside
            # granian, which closes the connection without an answer.
            try:
                await callback(watcher.scope, watcher.proto)
            except BaseException as error:
                watcher.err(error)
                return
            watcher.done()

        loop = asyncio.new_event_loop()
        # The asyncio flavour (granian's default): the other registers a half-made Task with
        # asyncio, which then breaks ``asyncio.all_tasks()`` for every later loop of the process.
        scheduler = futures._new_cbscheduler(loop, watched, impl_asyncio=True)
        return worker, scheduler, loop

    def _serve(self) -> None:
        from granian._granian import WorkerSignal

        self._signal = WorkerSignal()
        # Called by granian once it has stopped serving (every connection closed).
        self._signal.add_cb(self._stopped.set)
        # Returns at once: the Rust runtime serves on its own threads, and schedules each
        # request's coroutine on the loop, which runs on a thread of its own.
        self._worker.serve_mtr(self._scheduler, self._loop, self._signal)
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="freepik-mock-loop", daemon=True
        )
        self._loop_thread.start()

    def start(self) -> GranianServer:
        """Start serving (returns self); the spec validator is prepared in the background."""
        from .web.app import warm_up

        if self._signal is None and not self._closed:
            for name in _GRANIAN_LOGGERS:
                logging.getLogger(name).addFilter(self._quiet_drops)
            self._serve()
            warm_up(self.app)
        return self

    def wait(self) -> None:
        """Block until the server stops serving (``stop`` from another thread, or a signal)."""
        if self._signal is not None:
            # A timed wait in a loop: Ctrl-C reaches the main thread between two waits.
            while not self._stopped.wait(0.5):
                pass

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop serving, close every connection and stop the app's threads (idempotent).

        New connections are refused at once. The app is closed first, so requests still running
        end promptly: delay faults and webhook attempts in flight are cut short.
        ``ServerStopTimeout`` if granian has not stopped within ``timeout`` seconds.
        """
        from .web.app import close_app

        if self._closed:
            return
        self._closed = True
        if self._signal is None:
            # Never started: granian closes the listening socket it owns only when it stops.
            self._serve()
        self._signal.set()
        close_app(self.app)
        stopped = self._stopped.wait(timeout)
        for name in _GRANIAN_LOGGERS:
            logging.getLogger(name).removeFilter(self._quiet_drops)
        self._loop.call_soon_threadsafe(self._loop.stop)
        thread = self._loop_thread
        if thread is not None:
            thread.join(timeout)
        # The app is closed: requests still on a thread end promptly.
        self._executor.shutdown(wait=True, cancel_futures=True)
        if thread is None or not thread.is_alive():
            self._loop.close()
        if not stopped:
            raise ServerStopTimeout(f"the server did not stop within {timeout} s")

    def __enter__(self) -> GranianServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
