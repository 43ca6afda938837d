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
from .resources import Accounts, Proxies, Sessions, Vault

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
    utc = value.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond:06d}Z"


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
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{what}: {exc}") from None


def _close_handle(handle: int, keepalive: List[Any]) -> None:
    """Finalizer body: closes the handle.  Must not reference the Engine."""
    global _live
    _native.engine_close(handle)
    keepalive.clear()  # ctypes callbacks may be released only after the close
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
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closed = False
        self._keepalive: List[Any] = []
        self._handle = _native.engine_open(config_json)
        with _live_lock:
            _live += 1
        self._finalizer = weakref.finalize(self, _close_handle, self._handle, self._keepalive)

    # -- lifetime ---------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the finalizer did)."""
        return self._closed or not self._finalizer.alive

    def close(self) -> None:
        """Closes the engine and frees its handle.  Idempotent.

        Waits for calls running on other threads to finish; calls started
        afterwards raise :class:`FailedPreconditionError`.  Pollers blocked
        in :meth:`next_event` return None within a fraction of a second.
        Do not call it from an event callback.
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            while self._active:
                self._cond.wait()
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
        with self._cond:
            if self._closed or not self._finalizer.alive:
                raise FailedPreconditionError("engine is closed")
            self._active += 1
            return self._handle

    def _leave(self) -> None:
        with self._cond:
            self._active -= 1
            if self._closed and not self._active:
                self._cond.notify_all()

    # -- generic calls ----------------------------------------------------

    def call_json(self, op: str, params_json: Optional[str] = None) -> str:
        """Runs an operation with a JSON params text; returns the JSON result text."""
        handle = self._enter()
        try:
            return _native.call(handle, op, params_json)
        finally:
            self._leave()

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
        result = self.call("meta.operations")
        if isinstance(result, Mapping) and "operations" in result:
            return list(result["operations"])
        return list(result)

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
                with self._cond:
                    if self._closed:
                        return None
                    self._active += 1
                    handle = self._handle
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
            self._keepalive.append(c_callback)
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
    def proxies(self) -> Proxies:
        """Proxies and sticky per-account assignment."""
        return Proxies(self)

    @property
    def sessions(self) -> Sessions:
        """Cookie sessions and account checkout."""
        return Sessions(self)

    @property
    def vault(self) -> Vault:
        """Encryption keys: list, add, rewrap."""
        return Vault(self)

