"""Exception classes raised by gramkit.

Every failing C ABI call raises a :class:`GramkitError` subclass chosen by
the library's return code (DESIGN.md §3).  The exception carries the
negative code (``.code``), its stable name (``.code_name``, the same string
the C++ ``ErrorCode``, the REST problem documents and the C ABI use) and the
library's message for the failing call (``.message``; it never contains a
secret).

Catch :class:`GramkitError` to handle every library failure, or one of the
subclasses (for example :class:`ConflictError` for a duplicate username).
"""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
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
    "error_for_code",
]

# The C ABI return codes (capi/include/gramkit/gramkit.h).  Append-only.
GK_OK = 0
GK_EINVALID_ARGUMENT = -1
GK_ENOT_FOUND = -2
GK_ECONFLICT = -3
GK_EUNAUTHENTICATED = -4
GK_EPERMISSION_DENIED = -5
GK_ERATE_LIMITED = -6
GK_EUPSTREAM = -7
GK_ETIMEOUT = -8
GK_EUNAVAILABLE = -9
GK_EINTERNAL = -10
GK_EFAILED_PRECONDITION = -11
GK_ECANCELLED = -12
GK_EDATA_LOSS = -13
GK_ENOMEM = -100


class GramkitError(Exception):
    """Base class of every error raised by gramkit.

    Attributes:
        code: the negative C ABI return code (``GK_E*``).
        code_name: the stable name of the code (``"invalid_argument"``, ...).
        message: the library's message; for bad input it names the field.
    """

    #: Return code of this class; instances may carry another one when the
    #: library returns a code this version of the bindings does not know.
    code: int = 0
    #: Stable name of :attr:`code`.
    code_name: str = "unknown"

    def __init__(self, message: str, code: Optional[int] = None, code_name: Optional[str] = None) -> None:
        super().__init__(message)
        self.message: str = message
        if code is not None:
            self.code = code
        if code_name is not None:
            self.code_name = code_name

    def __str__(self) -> str:
        return f"{self.code_name}: {self.message}" if self.message else self.code_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code}, code_name={self.code_name!r})"

    def __reduce__(self):  # keeps exceptions picklable (multiprocessing, logging)
        return (type(self), (self.message, self.code, self.code_name))


class InvalidArgumentError(GramkitError):
    """Malformed input; the message names the offending field."""

    code = GK_EINVALID_ARGUMENT
    code_name = "invalid_argument"


class NotFoundError(GramkitError):
    """No such object (or no such operation)."""

    code = GK_ENOT_FOUND
    code_name = "not_found"


class ConflictError(GramkitError):
    """A duplicate (username, proxy) or an illegal/racing status change."""

    code = GK_ECONFLICT
    code_name = "conflict"


class UnauthenticatedError(GramkitError):
    """Missing or wrong credentials."""

    code = GK_EUNAUTHENTICATED
    code_name = "unauthenticated"


class PermissionDeniedError(GramkitError):
    """The caller is not allowed to do this."""

    code = GK_EPERMISSION_DENIED
    code_name = "permission_denied"


class RateLimitedError(GramkitError):
    """A limit or cooldown denies the request now."""

    code = GK_ERATE_LIMITED
    code_name = "rate_limited"


class UpstreamError(GramkitError):
    """Instagram (or another remote) answered something unusable."""

    code = GK_EUPSTREAM
    code_name = "upstream_error"


class GramkitTimeoutError(GramkitError):
    """The operation ran out of time (named so as not to shadow ``TimeoutError``)."""

    code = GK_ETIMEOUT
    code_name = "timeout"


class UnavailableError(GramkitError):
    """A dependency cannot serve now (database down, no free proxy or account)."""

    code = GK_EUNAVAILABLE
    code_name = "unavailable"


class InternalError(GramkitError):
    """A bug in gramkit."""

    code = GK_EINTERNAL
    code_name = "internal"


class FailedPreconditionError(GramkitError):
    """The system is not in a state that allows this (e.g. the engine is closed)."""

    code = GK_EFAILED_PRECONDITION
    code_name = "failed_precondition"


class GramkitCancelledError(GramkitError):
    """Cancelled by the caller (named so as not to shadow asyncio's ``CancelledError``)."""

    code = GK_ECANCELLED
    code_name = "cancelled"


class DataLossError(GramkitError):
    """Stored data cannot be read (wrong key, tampered ciphertext)."""

    code = GK_EDATA_LOSS
    code_name = "data_loss"


class OutOfMemoryError(GramkitError):
    """The library ran out of memory."""

    code = GK_ENOMEM
    code_name = "out_of_memory"


class LibraryNotFoundError(UnavailableError, ImportError):
    """``libgramkit.so`` could not be found or loaded.

    The message lists every place that was tried.  Raised by the first call
    that needs the library (usually :class:`gramkit.Engine`), not by
    ``import gramkit``.
    """


_BY_CODE: Dict[int, Type[GramkitError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        ConflictError,
        UnauthenticatedError,
        PermissionDeniedError,
        RateLimitedError,
        UpstreamError,
        GramkitTimeoutError,
        UnavailableError,
        InternalError,
        FailedPreconditionError,
        GramkitCancelledError,
        DataLossError,
        OutOfMemoryError,
    )
}


def error_for_code(code: int, message: str, code_name: Optional[str] = None) -> GramkitError:
    """Returns (does not raise) the exception for a C ABI return code.

    A code this version of the bindings does not know yields a plain
    :class:`GramkitError` carrying the code and ``code_name`` (as reported
    by the library's ``gk_error_name``).
    """
    cls = _BY_CODE.get(code)
    if cls is None:
        return GramkitError(message, code, code_name or "unknown")
    return cls(message)
