"""gramkit: Python bindings for the gramkit engine (pure ctypes).

Quick start::

    import gramkit

    with gramkit.Engine({"data_dir": "./gk-data"}) as engine:
        account = engine.accounts.create("alice.bot", "s3cret", labels=["eu"])
        for a in engine.accounts.list(status="active"):
            print(a["id"], a["username"])
        try:
            engine.accounts.create("alice.bot", "again")
        except gramkit.ConflictError as exc:
            print("taken:", exc.message)

The C library (``libgramkit.so``) is found through ``GRAMKIT_LIBRARY``, next
to this package, or on the system library path; see :mod:`gramkit._native`
and docs/python.md.  ``engine.call(op, **params)`` runs any operation;
``engine.call("meta.operations")`` lists them.
"""

from __future__ import annotations

from ._native import ENV_LIBRARY, library_path
from ._native import load as load_library
from .engine import Config, Engine, format_timestamp, live_engines, parse_timestamp
from .errors import (
    ConflictError,
    DataLossError,
    FailedPreconditionError,
    GramkitCancelledError,
    GramkitError,
    GramkitTimeoutError,
    InternalError,
    InvalidArgumentError,
    LibraryNotFoundError,
    NotFoundError,
    OutOfMemoryError,
    PermissionDeniedError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
    UpstreamError,
)
from .resources import Accounts, Instagram, Proxies, Ratelimit, Sessions, Vault

__version__ = "0.1.0"

__all__ = [
    "Engine",
    "Config",
    "Accounts",
    "Proxies",
    "Instagram",
    "Ratelimit",
    "Sessions",
    "Vault",
    "library_version",
    "library_path",
    "load_library",
    "format_timestamp",
    "parse_timestamp",
    "live_engines",
    "ENV_LIBRARY",
    "GramkitError",
    "InvalidArgumentError",
    "NotFoundError",
    "ConflictError",
    "UnauthenticatedError",
    "PermissionDeniedError",
    "RateLimitedError",
    "UpstreamError",
    "GramkitTimeoutError",
    "UnavailableError",
    "InternalError",
    "FailedPreconditionError",
    "GramkitCancelledError",
    "DataLossError",
    "OutOfMemoryError",
    "LibraryNotFoundError",
]


def library_version() -> str:
    """The version of the loaded C library (loads it if needed)."""
    from . import _native

    return _native.version()
