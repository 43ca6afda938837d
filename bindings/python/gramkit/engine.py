"""The :class:`Engine`: one gramkit engine handle and the generic call API."""

from __future__ import annotations

import datetime as _dt
import json
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

from . import _native
from .errors import FailedPreconditionError, InvalidArgumentError
from .jobs import Jobs, Schedules, Workers, in_job_handler
from .resources import Accounts, Instagram, Proxies, Ratelimit, Sessions, Vault
from .scrape import Scrape

__all__ = ["Engine", "Config", "format_timestamp", "parse_timestamp", "live_engines"]

#: What :class:`Engine` accepts as configuration: a dict (serialised to
#: JSON), a JSON object text, or None for the library defaults.
Config = Union[Mapping[str, Any], str, None]

# Longest single wait inside gk_next_event.  Waits are cut into slices so
# that close() (which must not race with a running call) never waits long
# for a blocked poller.
_POLL_SLICE_S = 0.2

_live_lock = threading.Lock()
_live = 0


def live_engines() -> int:
    """How many engine handles are open in this process (for tests/diagnostics)."""
    return _live


def format_timestamp(value: _dt.datetime) -> str:
    """Formats a datetime as the RFC 3339 UTC text the library expects.

    A naive datetime is taken to be UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    u = value.astimezone(_dt.timezone.utc)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
            f".{u.microsecond:06d}Z")


def parse_timestamp(text: str) -> _dt.datetime:
    """Parses an RFC 3339 timestamp returned by the library into an aware datetime."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                          default=_json_default)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{what}: {exc}") from None


class _HandleState:
    """An engine handle and the bookkeeping that keeps close() from racing
    with calls (the C ABI forbids it).  Shared by the Engine and its
    finalizer, which must not reference the Engine itself."""

    __slots__ = ("handle", "lock", "drained", "active", "closed", "keepalive")

    def __init__(self, handle: int) -> None:
        self.handle = handle
        self.lock = threading.Lock()
        self.drained = threading.Event()  # set when closed and no call is running
        self.active = 0          # library calls in progress
        self.closed = False      # no new calls may start
        self.keepalive: List[Any] = []  # ctypes callbacks the library may still call

    def enter(self) -> int:
        with self.lock:
            if self.closed:
                raise FailedPreconditionError("engine is closed")
            self.active += 1
            return self.handle

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            if self.closed and not self.active:
                self.drained.set()

    def stop(self) -> None:
        """Lets no new call start and waits for running ones to end."""
        with self.lock:
            self.closed = True
            if not self.active:
                self.drained.set()
        self.drained.wait()


def _finalize(state: _HandleState) -> None:
    """Closes the handle (from close(), garbage collection or interpreter exit)."""
    global _live
    with state.lock:
        state.closed = True
        if state.active:
            # Only at interpreter exit, with a daemon thread still inside the
            # library: closing now could crash it, so leave the handle be.
            return
        handle, state.handle = state.handle, 0
    _native.engine_close(handle)
    state.keepalive.clear()  # callbacks may be released only after the close
    with _live_lock:
        _live -= 1


class Engine:
    """A gramkit engine: storage, key ring, services and an event queue.

    Args:
        config: a dict (serialised to JSON), a JSON object text, or None for
            the library defaults (SQLite and a key file in the current
            directory).  Keys include ``storage_url``, ``data_dir``,
            ``key_file``, ``key_env``, ``log_level``; see docs/python.md.

    Raises:
        LibraryNotFoundError: libgramkit.so cannot be found.
        InvalidArgumentError: the configuration is malformed (the message
            names the key).
        GramkitError: any other failure opening storage or keys.

    The engine is thread-safe: any number of threads may call it at once
    (ctypes releases the GIL during each library call).  Close it with
    :meth:`close` or a ``with`` block; an engine that is garbage collected
    unclosed is closed by a finalizer, and open engines are closed at
    interpreter exit.

    Example::

        with gramkit.Engine({"data_dir": "/var/lib/gk"}) as engine:
            acct = engine.accounts.create("alice.bot", "s3cret")
            for a in engine.accounts.list():
                print(a["id"], a["username"])
    """

    def __init__(self, config: Config = None) -> None:
        global _live
        if config is None or isinstance(config, str):
            config_json = config
        elif isinstance(config, Mapping):
            config_json = _dumps(dict(config), "config")
        else:
            raise InvalidArgumentError(f"config: expected a dict, a JSON string or None, not {type(config).__name__}")
        self._state = _HandleState(_native.engine_open(config_json))
        with _live_lock:
            _live += 1
        self._finalizer = weakref.finalize(self, _finalize, self._state)

    # -- lifetime ---------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the finalizer did)."""
        return self._state.closed

    def close(self) -> None:
        """Closes the engine and frees its handle.  Idempotent.

        Waits for calls running on other threads to finish; calls started
        afterwards raise :class:`FailedPreconditionError`.  Pollers blocked
        in :meth:`next_event` return None within a fraction of a second.
        Do not call it from an event callback.  From a job handler it raises
        :class:`FailedPreconditionError` and leaves the engine open (it would
        have to wait for the handler that is calling it).
        """
        if in_job_handler():
            raise FailedPreconditionError("Engine.close() must not be called from a job handler")
        self._state.stop()
        self._finalizer()

    def __enter__(self) -> "Engine":
        self._enter()
        self._leave()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<gramkit.Engine {'closed' if self.closed else 'open'}>"

    def _enter(self) -> int:
        return self._state.enter()

    def _leave(self) -> None:
        self._state.leave()

    # -- generic calls ----------------------------------------------------

    def call_json(self, op: str, params_json: Optional[str] = None) -> str:
        """Runs an operation with a JSON params text; returns the JSON result text."""
        state = self._state
        handle = state.enter()
        try:
            return _native.call(handle, op, params_json)
        finally:
            state.leave()

    def call(self, op: str, /, **params: Any) -> Any:
        """Runs any registered operation and returns its parsed JSON result.

        Keyword arguments become the params object; datetimes are sent as
        RFC 3339 UTC text.  ``engine.call("meta.operations")`` lists every
        operation with its params and result shape.

        Raises:
            NotFoundError: unknown operation (or object).
            InvalidArgumentError: bad params; the message names the field.
            GramkitError: whatever else the operation fails with.
        """
        text = self.call_json(op, _dumps(params, "params") if params else None)
        return json.loads(text)

    def version(self) -> str:
        """The library version (``"0.1.0"``)."""
        self._enter()
        self._leave()
        return _native.version()

    def operations(self) -> List[Dict[str, Any]]:
        """Every registered operation with its params and result shape."""
        return list(self.call("meta.operations")["operations"])

    # -- events -----------------------------------------------------------

    def next_event(self, timeout: Optional[float] = 0.0) -> Optional[Dict[str, Any]]:
        """Waits up to ``timeout`` seconds (None = until the engine closes)
        for the next event.

        Returns:
            ``{"seq", "type", "at", "data", "dropped"}`` or None when no event
            arrived in time (or the engine was closed while waiting).
            ``dropped`` counts events the bounded queue lost just before
            this one because nobody polled.
        """
        if timeout is not None and timeout < 0:
            raise InvalidArgumentError("timeout: must be >= 0 or None")
        deadline = None if timeout is None else time.monotonic() + timeout
        first = True
        while True:
            if deadline is None:
                slice_s = _POLL_SLICE_S
            else:
                slice_s = max(0.0, min(_POLL_SLICE_S, deadline - time.monotonic()))
            if first:
                handle = self._enter()
            else:
                try:
                    handle = self._enter()
                except FailedPreconditionError:
                    return None  # closed while we waited
            first = False
            try:
                text = _native.next_event(handle, int(slice_s * 1000))
            finally:
                self._leave()
            if text is not None:
                return json.loads(text)
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def events(self, timeout: Optional[float] = 1.0) -> Iterator[Dict[str, Any]]:
        """Iterates over events as they arrive.

        Stops when no event arrives within ``timeout`` seconds (None: only
        when the engine is closed).  ``timeout=0`` drains what is queued.
        """
        self._enter()
        self._leave()
        while True:
            event = self.next_event(timeout)
            if event is None:
                return
            yield event

    def on_event(self, callback: Optional[Callable[[Dict[str, Any]], None]]) -> None:
        """Sets (or with None removes) a callback called with every event.

        The library calls it on the thread that caused the event, while it
        holds the engine's event lock: keep it short and do not call the
        engine (or close it) from inside it.  Exceptions it raises are
        printed and ignored.
        """
        handle = self._enter()
        try:
            if callback is None:
                _native.set_event_callback(handle, None)
                return

            def deliver(text: str) -> None:
                callback(json.loads(text))

            c_callback = _native.set_event_callback(handle, deliver)
            # Kept until close: the library may be calling an older one.
            self._state.keepalive.append(c_callback)
        finally:
            self._leave()

    # -- resources --------------------------------------------------------
    # Created on access (cheap) so that they do not form a reference cycle
    # with the engine: dropping the last reference closes the engine at once.

    @property
    def accounts(self) -> Accounts:
        """Bot accounts: ``create``, ``get``, ``list``, ``set_status``, ..."""
        return Accounts(self)

    @property
    def instagram(self) -> Instagram:
        """Login and the Instagram read endpoints (``profile``, ``posts``, ``hashtag``, ``media``)."""
        return Instagram(self)

    @property
    def proxies(self) -> Proxies:
        """Proxies and sticky per-account assignment."""
        return Proxies(self)

    @property
    def ratelimit(self) -> Ratelimit:
        """Rate limits: ``try_acquire`` (typed fast path), ``check``, ``status``, policies, penalties."""
        return Ratelimit(self)

    @property
    def sessions(self) -> Sessions:
        """Cookie sessions and account checkout."""
        return Sessions(self)

    @property
    def vault(self) -> Vault:
        """Encryption keys: list, add, rewrap."""
        return Vault(self)

    @property
    def jobs(self) -> Jobs:
        """Durable jobs and Python job handlers: ``enqueue``, ``get``, ``list``, ``register_handler``, ..."""
        return Jobs(self)

    @property
    def schedules(self) -> Schedules:
        """Periodic schedules (cron or fixed interval)."""
        return Schedules(self)

    @property
    def workers(self) -> Workers:
        """This engine's worker pool: ``start``, ``stop``, ``status``."""
        return Workers(self)

    @property
    def scrape(self) -> Scrape:
        """Scraping tasks: ``create``, ``list``, ``get``, ``pause``, ``resume``, ``results``, ..."""
        return Scrape(self)
