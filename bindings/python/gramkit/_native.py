"""The ctypes boundary: finds and loads ``libgramkit.so`` and wraps its C ABI.

This is the only module that touches ctypes.  Every C function is declared
once, in :data:`_FUNCTIONS` (symbol, argument types, return type, error
check), and the declarations are applied to the loaded library in one loop.
Text crosses the boundary only here: Python ``str`` is encoded to UTF-8 on
the way in, and library-owned ``char *`` results are copied into Python
``str`` and released with ``gk_free`` on the way out.

The library is loaded lazily, by the first function that needs it, so
``import gramkit`` works without it.  Discovery order:

1. ``GRAMKIT_LIBRARY`` (a path).  When set, it is the only place tried.
2. ``libgramkit.so*`` next to this package (``pip install`` with the
   library copied into ``gramkit/``, or the build tree's staged package).
3. ``ctypes.util.find_library("gramkit")``, then ``libgramkit.so.0`` and
   ``libgramkit.so`` through the dynamic loader's search path
   (``LD_LIBRARY_PATH``, ``ldconfig`` cache, system directories).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import errors
from .errors import GK_OK, GK_ERATE_LIMITED, GK_ETIMEOUT, InvalidArgumentError, LibraryNotFoundError

__all__ = [
    "ENV_LIBRARY",
    "ABI_MAJOR",
    "load",
    "library_path",
    "version",
    "version_number",
    "error_name",
    "engine_open",
    "engine_close",
    "call",
    "next_event",
    "set_event_callback",
    "ratelimit_try",
    "EventCallback",
    "JOB_SUCCEEDED",
    "JOB_FAILED",
    "JOB_FAILED_PERMANENTLY",
    "JOB_RETRY_LATER",
    "JOB_AWAIT_INPUT",
    "JobHandler",
    "register_job_handler",
    "job_context_id",
    "job_context_kind",
    "job_context_payload",
    "job_context_attempt",
    "job_context_input",
    "job_context_cancelled",
    "job_context_wait_cancelled",
    "job_context_progress",
    "job_context_set_result",
    "job_context_set_error",
    "job_context_set_delay_ms",
]

#: Environment variable naming the library file to load.
ENV_LIBRARY = "GRAMKIT_LIBRARY"
#: GRAMKIT_VERSION_MAJOR these bindings were written for.
ABI_MAJOR = 0

_PACKAGE_DIR = Path(__file__).resolve().parent

# void (*gk_event_callback)(const char *event_json, void *user_data)
_EVENT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)

#: A Python event callback: receives the event's JSON text.
EventCallback = Callable[[str], None]

# int (*gk_job_handler_fn)(gk_job_context *ctx, void *user_data)
_JOB_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

#: Outcome codes a job handler returns (GK_JOB_* in gramkit/jobs.h).
JOB_SUCCEEDED = 0
JOB_FAILED = 1
JOB_FAILED_PERMANENTLY = 2
JOB_RETRY_LATER = 3
JOB_AWAIT_INPUT = 4

#: A Python job handler at the boundary: receives the gk_job_context
#: address (valid during the call only) and returns a JOB_* code.
JobHandler = Callable[[int], int]


class _JobKindOptions(ctypes.Structure):
    """gk_job_kind_options (version 1)."""

    _fields_ = [
        ("version", ctypes.c_uint),
        ("concurrency", ctypes.c_int),
        ("max_attempts", ctypes.c_int),
        ("lease_ms", ctypes.c_int64),
        ("backoff_base_ms", ctypes.c_int64),
        ("backoff_cap_ms", ctypes.c_int64),
        ("backoff_multiplier", ctypes.c_double),
    ]


_JOB_KIND_OPTIONS_VERSION = 1

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


# --------------------------------------------------------------------------
# Error checks (ctypes "errcheck" hooks, run right after the C call on the
# calling thread, so gk_last_error() still holds that thread's message).

def _raise_for(code: int) -> None:
    assert _lib is not None
    raw = _lib.gk_last_error()
    message = raw.decode("utf-8", "replace") if raw else ""
    name: Optional[str] = None
    if code not in errors._BY_CODE:
        raw_name = _lib.gk_error_name(code)
        name = raw_name.decode("utf-8", "replace") if raw_name else None
    raise errors.error_for_code(code, message, name)


def _check(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """errcheck: raise the GramkitError subclass for any code but GK_OK."""
    if result != GK_OK:
        _raise_for(result)
    return result


def _check_timeout_ok(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """errcheck for gk_next_event: GK_ETIMEOUT ("no event yet") is not an error."""
    if result != GK_OK and result != GK_ETIMEOUT:
        _raise_for(result)
    return result


def _check_rate_limited_ok(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """errcheck for gk_ratelimit_try: GK_ERATE_LIMITED ("denied, wait") is an answer."""
    if result != GK_OK and result != GK_ERATE_LIMITED:
        _raise_for(result)
    return result


def _check_answer(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """errcheck for the gk_job_context functions answering 1/0: negative is an error."""
    if result < 0:
        _raise_for(result)
    return result


_c_int = ctypes.c_int
_c_int64 = ctypes.c_int64
_c_char_p = ctypes.c_char_p
_c_void_p = ctypes.c_void_p
_c_void_pp = ctypes.POINTER(ctypes.c_void_p)  # char ** / gk_engine **: kept untyped so we can gk_free

#: The C ABI, one row per function: (symbol, argtypes, restype, errcheck).
_FUNCTIONS: Sequence[Tuple[str, List[Any], Any, Optional[Callable[..., Any]]]] = (
    ("gk_version", [], _c_char_p, None),
    ("gk_version_number", [], _c_int, None),
    ("gk_last_error", [], _c_char_p, None),
    ("gk_last_error_code", [], _c_int, None),
    ("gk_error_name", [_c_int], _c_char_p, None),
    ("gk_engine_open", [_c_void_pp, _c_char_p], _c_int, _check),
    ("gk_engine_close", [_c_void_p], None, None),
    ("gk_call", [_c_void_p, _c_char_p, _c_char_p, _c_void_pp], _c_int, _check),
    ("gk_next_event", [_c_void_p, _c_int, _c_void_pp], _c_int, _check_timeout_ok),
    ("gk_set_event_callback", [_c_void_p, _EVENT_CALLBACK, _c_void_p], _c_int, _check),
    ("gk_free", [_c_void_p], None, None),
    ("gk_ratelimit_try", [_c_void_p, _c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_int64)], _c_int,
     _check_rate_limited_ok),
    ("gk_job_context_id", [_c_void_p], _c_int64, None),
    ("gk_job_context_kind", [_c_void_p], _c_char_p, None),
    ("gk_job_context_payload", [_c_void_p], _c_char_p, None),
    ("gk_job_context_attempt", [_c_void_p], _c_int, None),
    ("gk_job_context_input", [_c_void_p], _c_char_p, None),
    ("gk_job_context_cancelled", [_c_void_p], _c_int, _check_answer),
    ("gk_job_context_wait_cancelled", [_c_void_p, _c_int64], _c_int, _check_answer),
    ("gk_job_context_progress", [_c_void_p, _c_char_p], _c_int, _check),
    ("gk_job_context_set_result", [_c_void_p, _c_char_p], _c_int, _check),
    ("gk_job_context_set_error", [_c_void_p, _c_char_p], _c_int, _check),
    ("gk_job_context_set_delay_ms", [_c_void_p, _c_int64], _c_int, _check),
    ("gk_job_kind_options_init", [ctypes.POINTER(_JobKindOptions), ctypes.c_uint], _c_int, _check),
    ("gk_jobs_register_handler", [_c_void_p, _c_char_p, _JOB_HANDLER, _c_void_p, ctypes.POINTER(_JobKindOptions)],
     _c_int, _check),
)


# --------------------------------------------------------------------------
# Discovery and loading.

def _candidates() -> Tuple[List[Tuple[str, str]], bool]:
    """Returns ([(description, path-or-name), ...], explicit)."""
    explicit = os.environ.get(ENV_LIBRARY, "")
    if explicit:
        return [(f"{ENV_LIBRARY}={explicit}", explicit)], True
    found: List[Tuple[str, str]] = []
    local = sorted(_PACKAGE_DIR.glob("libgramkit.so*"), key=lambda p: (len(p.name), p.name))
    if local:
        found.extend((f"next to the package: {p}", str(p)) for p in local)
    else:
        found.append((f"next to the package: {_PACKAGE_DIR}/libgramkit.so* (none)", ""))
    system = ctypes.util.find_library("gramkit")
    if system:
        found.append((f"ctypes.util.find_library('gramkit') -> {system}", system))
    else:
        found.append(("ctypes.util.find_library('gramkit') (not found)", ""))
    for name in ("libgramkit.so.0", "libgramkit.so"):
        found.append((f"{name} on the loader's search path", name))
    return found, False


def _open(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    missing = [name for name, *_ in _FUNCTIONS if not hasattr(lib, name)]
    if missing:
        raise OSError(f"not the gramkit C library (missing {', '.join(missing)})")
    for name, argtypes, restype, errcheck in _FUNCTIONS:
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
        if errcheck is not None:
            fn.errcheck = errcheck
    number = lib.gk_version_number()
    if number // 10000 != ABI_MAJOR:
        raise OSError(f"library version {lib.gk_version().decode()} is not ABI major {ABI_MAJOR}")
    return lib


def load(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads the library once (thread-safe) and returns the ctypes handle.

    Args:
        path: load this file instead of searching.  Only allowed before the
            library is loaded, or with the path already loaded.

    Raises:
        LibraryNotFoundError: nothing loadable was found; the message lists
            every place tried and why each failed.
    """
    global _lib, _lib_path
    if _lib is not None and path is None:
        return _lib
    with _lock:
        if _lib is not None:
            if path is None or os.path.realpath(path) == os.path.realpath(_lib_path or ""):
                return _lib
            raise errors.FailedPreconditionError(
                f"gramkit library already loaded from {_lib_path}; cannot switch to {path}")
        if path is not None:
            tried, explicit = [(f"load({path!r})", path)], True
        else:
            tried, explicit = _candidates()
        reasons: List[str] = []
        for description, target in tried:
            if not target:
                reasons.append(description)
                continue
            if explicit and os.sep in target and not os.path.exists(target):
                reasons.append(f"{description}: no such file")
                continue
            try:
                lib = _open(target)
            except OSError as exc:
                reasons.append(f"{description}: {exc}")
                continue
            _lib, _lib_path = lib, target
            return lib
        hint = (f"set {ENV_LIBRARY} to the path of libgramkit.so (e.g. build/dev/src/libgramkit.so) "
                f"or copy it into {_PACKAGE_DIR}/")
        if explicit:
            hint = f"fix {ENV_LIBRARY} (when it is set, no other place is searched)"
        raise LibraryNotFoundError(
            "cannot load the gramkit C library (libgramkit.so); tried:\n  - "
            + "\n  - ".join(reasons) + "\n" + hint)


def library_path() -> str:
    """The path or name the library was loaded from (loads it if needed)."""
    load()
    assert _lib_path is not None
    return _lib_path


# --------------------------------------------------------------------------
# Boundary helpers: str <-> UTF-8 bytes, caller-owned strings.

def _encode(value: str, what: str) -> bytes:
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"{what}: not valid UTF-8 text ({exc.reason})") from None
    if b"\0" in data:
        raise InvalidArgumentError(f"{what}: contains a NUL character")
    return data


_op_cache: Dict[str, bytes] = {}


def _encode_op(op: str) -> bytes:
    # Operation names repeat: encode (and check) each once.
    raw = _op_cache.get(op)
    if raw is None:
        raw = _encode(op, "op")
        if len(_op_cache) < 1024:
            _op_cache[op] = raw
    return raw


def _take_string(lib: ctypes.CDLL, ptr: Optional[int]) -> Optional[str]:
    """Copies a caller-owned char* from the library into a str and frees it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib.gk_free(ptr)


def version() -> str:
    """The loaded library's version string (``gk_version``)."""
    return load().gk_version().decode("utf-8")


def version_number() -> int:
    """The loaded library's ``GRAMKIT_VERSION_NUMBER`` (``gk_version_number``)."""
    return int(load().gk_version_number())


def error_name(code: int) -> str:
    """The library's stable name of a return code (``gk_error_name``)."""
    raw = load().gk_error_name(code)
    return raw.decode("utf-8") if raw else "unknown"


def engine_open(config_json: Optional[str]) -> int:
    """``gk_engine_open``; returns the handle as an integer address."""
    lib = load()
    raw = None if config_json is None else _encode(config_json, "config")
    out = ctypes.c_void_p()
    lib.gk_engine_open(ctypes.byref(out), raw)
    if not out.value:
        raise errors.InternalError("gk_engine_open returned GK_OK without a handle")
    return int(out.value)


def engine_close(handle: int) -> None:
    """``gk_engine_close``; the caller guarantees no call is running on it."""
    if _lib is not None and handle:
        _lib.gk_engine_close(handle)


def call(handle: int, op: str, params_json: Optional[str]) -> str:
    """``gk_call``: runs ``op`` with JSON params, returns the JSON result text."""
    lib = _lib or load()
    raw_params = None if params_json is None else _encode(params_json, "params")
    out = ctypes.c_void_p()
    # On failure errcheck raises and *out is NULL (header contract).
    lib.gk_call(handle, _encode_op(op), raw_params, ctypes.byref(out))
    result = _take_string(lib, out.value)
    return "null" if result is None else result


def next_event(handle: int, timeout_ms: int) -> Optional[str]:
    """``gk_next_event``: the next event's JSON text, or None on timeout."""
    lib = _lib or load()
    out = ctypes.c_void_p()
    code = lib.gk_next_event(handle, int(timeout_ms), ctypes.byref(out))
    text = _take_string(lib, out.value)
    return text if code == GK_OK else None


def set_event_callback(handle: int, callback: Optional[EventCallback]) -> Any:
    """``gk_set_event_callback``.

    Returns the ctypes callback object, which the caller must keep alive for
    as long as the library may call it (until the engine is closed).
    """
    lib = _lib or load()
    if callback is None:
        lib.gk_set_event_callback(handle, _EVENT_CALLBACK(), None)
        return None

    def trampoline(event_json: Optional[bytes], _user: Any) -> None:
        callback(event_json.decode("utf-8") if event_json else "{}")

    c_callback = _EVENT_CALLBACK(trampoline)
    lib.gk_set_event_callback(handle, c_callback, None)
    return c_callback


_UINT32_MAX = 2**32 - 1


def ratelimit_try(handle: int, key: str, cost: int) -> Tuple[bool, int]:
    """``gk_ratelimit_try``: (allowed, retry_after_us); raises for anything
    but GK_OK and GK_ERATE_LIMITED."""
    if isinstance(cost, bool) or not isinstance(cost, int) or not 0 <= cost <= _UINT32_MAX:
        raise InvalidArgumentError(f"cost: expected an integer in 0..{_UINT32_MAX}, got {cost!r}")
    lib = _lib or load()
    retry = ctypes.c_int64(0)
    code = lib.gk_ratelimit_try(handle, _encode(key, "parts"), cost, ctypes.byref(retry))
    return code == GK_OK, int(retry.value)


# --------------------------------------------------------------------------
# Job handlers (gramkit/jobs.h).  A context address is valid only while the
# handler runs; callers (gramkit.jobs) make sure it is not used afterwards.

_INT64_MAX = 2**63 - 1


def _int_option(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgumentError(f"{name}: expected an integer in {low}..{high}, got {value!r}")
    return value


def register_job_handler(handle: int, kind: str, handler: JobHandler, options: Dict[str, Any]) -> Any:
    """``gk_jobs_register_handler``.

    ``options`` may hold ``concurrency``, ``max_attempts``, ``lease_ms``,
    ``backoff_base_ms``, ``backoff_cap_ms`` (integers) and
    ``backoff_multiplier`` (a number); missing ones keep the library's
    defaults.  Returns the ctypes callback, which the caller must keep alive
    until the engine is closed.  ``handler`` must not raise: if it does, the
    job fails (the exception never reaches the library).
    """
    lib = _lib or load()
    opts = _JobKindOptions()
    lib.gk_job_kind_options_init(ctypes.byref(opts), _JOB_KIND_OPTIONS_VERSION)
    for name in ("concurrency", "max_attempts"):
        if name in options:
            setattr(opts, name, _int_option(name, options[name], -2**31, 2**31 - 1))
    for name in ("lease_ms", "backoff_base_ms", "backoff_cap_ms"):
        if name in options:
            setattr(opts, name, _int_option(name, options[name], -_INT64_MAX - 1, _INT64_MAX))
    if "backoff_multiplier" in options:
        multiplier = options["backoff_multiplier"]
        if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)):
            raise InvalidArgumentError(f"backoff_multiplier: expected a number, got {multiplier!r}")
        opts.backoff_multiplier = float(multiplier)

    def trampoline(ctx: Optional[int], _user: Any) -> int:
        try:
            return int(handler(int(ctx or 0)))
        except BaseException as exc:  # noqa: BLE001 - nothing may unwind into C
            try:
                job_context_set_error(int(ctx or 0), f"handler failed: {type(exc).__name__}: {exc}")
            except BaseException:  # noqa: BLE001
                pass
            return JOB_FAILED

    c_handler = _JOB_HANDLER(trampoline)
    lib.gk_jobs_register_handler(handle, _encode(kind, "kind"), c_handler, None, ctypes.byref(opts))
    return c_handler


def _borrowed(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", "replace")


def job_context_id(ctx: int) -> int:
    return int(load().gk_job_context_id(ctx))


def job_context_kind(ctx: int) -> str:
    return _borrowed(load().gk_job_context_kind(ctx)) or ""


def job_context_payload(ctx: int) -> str:
    return _borrowed(load().gk_job_context_payload(ctx)) or "{}"


def job_context_attempt(ctx: int) -> int:
    return int(load().gk_job_context_attempt(ctx))


def job_context_input(ctx: int) -> Optional[str]:
    """The input JSON text, or None when the job has none."""
    return _borrowed(load().gk_job_context_input(ctx))


def job_context_cancelled(ctx: int) -> bool:
    return load().gk_job_context_cancelled(ctx) == 1


def job_context_wait_cancelled(ctx: int, timeout_ms: int) -> bool:
    """Waits (GIL released) up to ``timeout_ms``; True when cancelled."""
    return load().gk_job_context_wait_cancelled(ctx, max(0, int(timeout_ms))) == 1


def job_context_progress(ctx: int, json_text: str) -> None:
    load().gk_job_context_progress(ctx, _encode(json_text, "progress"))


def job_context_set_result(ctx: int, json_text: str) -> None:
    load().gk_job_context_set_result(ctx, _encode(json_text, "result"))


def job_context_set_error(ctx: int, message: str) -> None:
    """Stores the failure message; text that cannot cross as UTF-8 is replaced."""
    data = message.encode("utf-8", "replace").replace(b"\0", b"\\0")
    load().gk_job_context_set_error(ctx, data)


def job_context_set_delay_ms(ctx: int, delay_ms: int) -> None:
    load().gk_job_context_set_delay_ms(ctx, int(delay_ms))
