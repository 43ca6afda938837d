"""Durable jobs, periodic schedules and the worker pool (``engine.jobs``,
``engine.schedules``, ``engine.workers``), and job handlers written in
Python (:meth:`Jobs.register_handler`).

Jobs are rows in the engine's storage: a kind, a JSON payload (a dict), a
state (``queued``, ``running``, ``failed_retrying``, ``succeeded``,
``dead``, ``cancelled``, ``paused``, ``awaiting_input``), attempts, the last
error, progress and result.  A job runs wherever a handler for its kind is
registered: on the engine's worker pool (``engine.workers.start()``) or on
the calling thread (``engine.jobs.run_pending()``).

A handler is a function ``fn(ctx)``.  Its return value (anything JSON can
carry; None for no result) makes the job ``succeeded``.  Raising makes the
attempt fail: it is retried with backoff while attempts remain, then
``dead``; the message is stored as ``last_error``.  Raise
:class:`PermanentFailure` to go ``dead`` at once, :class:`RetryLater` to run
again later without using up an attempt, :class:`AwaitInput` to wait for
``engine.jobs.provide_input``.  Nothing a handler raises ever reaches the C
library.

Example::

    def resize(ctx):
        for i, image in enumerate(ctx.payload["images"]):
            if ctx.cancelled:
                raise gramkit.jobs.PermanentFailure("cancelled")
            ...
            ctx.progress({"done": i + 1})
        return {"resized": len(ctx.payload["images"])}

    engine.jobs.register_handler("images.resize", resize, concurrency=4)
    job = engine.jobs.enqueue("images.resize", {"images": ["a.jpg"]})
    engine.jobs.run_pending()
    print(engine.jobs.get(job["id"])["state"])   # "succeeded"
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import threading
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Union

from . import _native
from .errors import FailedPreconditionError, InvalidArgumentError
from .resources import JsonObject, Timestamp, _given, _pages, _Resource

__all__ = ["Jobs", "Schedules", "Workers", "JobContext", "Handler", "PermanentFailure", "RetryLater", "AwaitInput"]

_log = logging.getLogger("gramkit.jobs")

#: Longest message stored as a job's last_error from a Python exception.
_MAX_ERROR_CHARS = 4000


class PermanentFailure(Exception):
    """Raised by a handler: the job is ``dead`` at once, without retries
    (a bad payload, nothing a retry could fix).  ``str(exc)`` is stored as
    the job's ``last_error``."""


class RetryLater(Exception):
    """Raised by a handler: not a failure of the job.  It runs again after
    ``seconds`` and the attempt is given back (for example: every account is
    cooling down).  ``reason`` is logged."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {seconds} s")
        self.seconds = seconds
        self.reason = reason


class AwaitInput(Exception):
    """Raised by a handler: the job waits (state ``awaiting_input``) up to
    ``timeout`` seconds for :meth:`Jobs.provide_input`, then runs again with
    ``ctx.input`` set.  Without input in time the attempt fails."""

    def __init__(self, timeout: float = 600.0) -> None:
        super().__init__(f"waiting up to {timeout} s for input")
        self.timeout = timeout


def _milliseconds(name: str, seconds: Any) -> int:
    if isinstance(seconds, _dt.timedelta):
        seconds = seconds.total_seconds()
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds:
        raise InvalidArgumentError(f"{name}: expected a number of seconds, got {seconds!r}")
    if seconds < 0:
        raise InvalidArgumentError(f"{name}: must be >= 0, got {seconds!r}")
    return int(round(seconds * 1000))


class JobContext:
    """What a handler gets: its job and the means to report progress and to
    notice cancellation.

    Valid only while the handler runs: afterwards every method raises
    :class:`FailedPreconditionError`.  ``cancelled`` may be read from any
    thread; the other methods only on the handler's thread.

    Attributes:
        id: the job id.
        kind: the job kind.
        payload: the job's payload (a dict).
        attempt: this attempt's number (1 on the first run).
        input: what :meth:`Jobs.provide_input` gave after :class:`AwaitInput`
            (parsed JSON), or None.
    """

    __slots__ = ("_ptr", "_lock", "_thread", "id", "kind", "payload", "attempt", "input")

    def __init__(self, ptr: int) -> None:
        self._ptr = ptr
        self._lock = threading.Lock()
        self._thread = threading.get_ident()
        self.id: int = _native.job_context_id(ptr)
        self.kind: str = _native.job_context_kind(ptr)
        self.payload: Dict[str, Any] = json.loads(_native.job_context_payload(ptr))
        self.attempt: int = _native.job_context_attempt(ptr)
        raw_input = _native.job_context_input(ptr)
        self.input: Any = None if raw_input is None else json.loads(raw_input)

    def _own(self, what: str) -> int:
        if not self._ptr:
            raise FailedPreconditionError(f"{what}: the job context is used after its handler returned")
        if threading.get_ident() != self._thread:
            raise FailedPreconditionError(f"{what}: only the handler's own thread may call it")
        return self._ptr

    def _close(self) -> None:
        with self._lock:
            self._ptr = 0

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled, its lease lost, or the pool is
        shutting down: return soon (the outcome is discarded)."""
        with self._lock:
            if not self._ptr:
                raise FailedPreconditionError("cancelled: the job context is used after its handler returned")
            return _native.job_context_cancelled(self._ptr)

    def wait_cancelled(self, seconds: float) -> bool:
        """Sleeps up to ``seconds`` and returns True early when the job is
        cancelled (use it instead of ``time.sleep``)."""
        return _native.job_context_wait_cancelled(self._own("wait_cancelled"),
                                                  _milliseconds("seconds", seconds))

    def progress(self, value: Any) -> None:
        """Stores ``value`` (JSON-able) as the job's progress and publishes a
        ``job.progress`` event.

        Raises:
            InvalidArgumentError: ``value`` is not JSON-able.
            ConflictError: the lease was lost (the handler should stop).
        """
        from .engine import _dumps

        _native.job_context_progress(self._own("progress"), _dumps(value, "progress"))

    def __repr__(self) -> str:
        return f"<gramkit.jobs.JobContext id={self.id} kind={self.kind!r} attempt={self.attempt}>"


#: A Python job handler: ``fn(ctx) -> result``.
Handler = Callable[[JobContext], Any]

# An interrupt (Ctrl-C) that arrived inside a handler run by run_pending on
# this thread: recorded as the job's failure, then re-raised when
# run_pending returns, so the host still stops.
_interrupted = threading.local()


# Set while a handler runs on this thread: Engine.close() refuses there (it
# would wait for the very call that is running it).
_in_handler = threading.local()


def in_job_handler() -> bool:
    """True on a thread that is running a Python job handler."""
    return getattr(_in_handler, "depth", 0) > 0


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, PermanentFailure):
        text = f"{type(exc).__name__}: {text}"
    return text[:_MAX_ERROR_CHARS]


def _run_handler(fn: Handler, ptr: int) -> int:
    """The boundary between a Python handler and the library: the handler's
    return value or exception as a JOB_* code and the context's setters."""
    from .engine import _dumps

    ctx = JobContext(ptr)
    _in_handler.depth = getattr(_in_handler, "depth", 0) + 1
    try:
        try:
            result = fn(ctx)
            if result is not None:
                _native.job_context_set_result(ptr, _dumps(result, "result"))
            return _native.JOB_SUCCEEDED
        except PermanentFailure as exc:
            _native.job_context_set_error(ptr, _error_text(exc))
            return _native.JOB_FAILED_PERMANENTLY
        except RetryLater as exc:
            _native.job_context_set_delay_ms(ptr, _milliseconds("RetryLater.seconds", exc.seconds))
            _native.job_context_set_error(ptr, exc.reason)
            return _native.JOB_RETRY_LATER
        except AwaitInput as exc:
            _native.job_context_set_delay_ms(ptr, _milliseconds("AwaitInput.timeout", exc.timeout))
            return _native.JOB_AWAIT_INPUT
        except Exception as exc:  # noqa: BLE001 - any failure of the handler fails the attempt
            _log.debug("job %s (%s) attempt %s failed", ctx.id, ctx.kind, ctx.attempt, exc_info=True)
            _native.job_context_set_error(ptr, _error_text(exc))
            return _native.JOB_FAILED
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: fail the job, re-raise later
            _interrupted.exc = exc
            _native.job_context_set_error(ptr, f"interrupted: {type(exc).__name__}")
            return _native.JOB_FAILED
    finally:
        _in_handler.depth -= 1
        ctx._close()


class Jobs(_Resource):
    """Jobs (``jobs.*`` operations) and Python job handlers.

    Job objects are dicts: ``id``, ``kind``, ``payload``, ``priority``,
    ``run_at``, ``attempts``, ``max_attempts``, ``state``, ``lease_owner``,
    ``lease_expires_at``, ``last_error``, ``idempotency_key``, ``progress``,
    ``result``, ``input_expires_at``, ``created_at``, ``updated_at``,
    ``finished_at``.
    """

    __slots__ = ()

    def register_handler(self, kind: str, fn: Handler, *, concurrency: int = 1, max_attempts: int = 3,
                         lease_s: float = 30, backoff_base_s: float = 1, backoff_cap_s: float = 600,
                         backoff_multiplier: float = 2.0) -> None:
        """Runs ``fn(ctx)`` for jobs of ``kind`` claimed by this engine (by the
        worker pool or :meth:`run_pending`).  Replacing a kind's handler is
        allowed while the pool is stopped.

        ``fn`` runs on a pool thread or on the thread calling
        :meth:`run_pending`; with ``concurrency > 1`` several calls run at
        once, so it must be thread-safe.  It may call the engine (e.g. to
        enqueue follow-up jobs) but must not close it.

        Args:
            concurrency: handlers of this kind running at once (1..1024).
            max_attempts: default for jobs enqueued without one (1..1000).
            lease_s: the lease (1 s..1 h), renewed while ``fn`` runs.
            backoff_base_s, backoff_cap_s, backoff_multiplier: retry delay =
                uniform[0, 1) × min(cap, base × multiplier^(attempt − 1)).

        Raises:
            InvalidArgumentError: a bad kind or option (the message names it).
            FailedPreconditionError: replacing a handler while the pool runs.
        """
        if not callable(fn):
            raise InvalidArgumentError(f"fn: expected a callable, got {type(fn).__name__}")
        if not isinstance(kind, str):
            raise InvalidArgumentError(f"kind: expected a string, got {type(kind).__name__}")
        options = {
            "concurrency": concurrency,
            "max_attempts": max_attempts,
            "lease_ms": _milliseconds("lease_s", lease_s),
            "backoff_base_ms": _milliseconds("backoff_base_s", backoff_base_s),
            "backoff_cap_ms": _milliseconds("backoff_cap_s", backoff_cap_s),
            "backoff_multiplier": backoff_multiplier,
        }
        engine = self._engine
        handle = engine._enter()
        try:
            c_handler = _native.register_job_handler(handle, kind, lambda ptr: _run_handler(fn, ptr), options)
            # The library may call it until the engine is closed.
            engine._state.keepalive.append(c_handler)
        finally:
            engine._leave()

    def enqueue(self, kind: str, payload: Optional[Mapping[str, Any]] = None, *, priority: Optional[int] = None,
                run_at: Optional[Timestamp] = None, max_attempts: Optional[int] = None,
                idempotency_key: Optional[str] = None) -> JsonObject:
        """Queues a job.

        Raises:
            InvalidArgumentError: a bad field, e.g. a payload that is not a dict.
            ConflictError: a live job has this ``idempotency_key``.
        """
        if payload is not None and not isinstance(payload, Mapping):
            raise InvalidArgumentError(f"payload: expected a dict, got {type(payload).__name__}")
        return self._call("jobs.enqueue", **_given(kind=kind, payload=None if payload is None else dict(payload),
                                                   priority=priority, run_at=run_at, max_attempts=max_attempts,
                                                   idempotency_key=idempotency_key))

    def get(self, id: int) -> JsonObject:
        """The job with this id (:class:`NotFoundError` if none)."""
        return self._call("jobs.get", id=id)

    def page(self, *, state: Optional[str] = None, kind: Optional[str] = None, after: Optional[int] = None,
             limit: int = 100) -> JsonObject:
        """One keyset page: ``{"items": [...], "next_after": id or None}``."""
        return self._call("jobs.list", **_given(state=state, kind=kind, after=after), limit=limit)

    def list(self, state: Optional[str] = None, kind: Optional[str] = None, limit: int = 100) -> Iterator[JsonObject]:
        """Iterates over jobs in id order, optionally of one state or kind
        (:class:`InvalidArgumentError` for an unknown state)."""
        return _pages(lambda after: self.page(state=state, kind=kind, after=after, limit=limit))

    def counts(self) -> Dict[str, int]:
        """How many jobs are in each state."""
        return dict(self._call("jobs.counts"))

    def cancel(self, id: int) -> JsonObject:
        """Cancels a live job; a running handler sees ``ctx.cancelled``."""
        return self._call("jobs.cancel", id=id)

    def pause(self, id: int) -> JsonObject:
        """Holds a queued or retrying job."""
        return self._call("jobs.pause", id=id)

    def resume(self, id: int) -> JsonObject:
        """Queues a paused job again."""
        return self._call("jobs.resume", id=id)

    def retry(self, id: int) -> JsonObject:
        """Runs a dead, retrying or cancelled job again now."""
        return self._call("jobs.retry", id=id)

    def delete(self, id: int) -> None:
        """Deletes a job that is not running."""
        self._call("jobs.delete", id=id)

    def provide_input(self, id: int, input: Mapping[str, Any]) -> JsonObject:
        """Gives a job waiting for input (:class:`AwaitInput`) what it asked
        for; it runs again with ``ctx.input``."""
        if not isinstance(input, Mapping):
            raise InvalidArgumentError(f"input: expected a dict, got {type(input).__name__}")
        return self._call("jobs.provide_input", id=id, input=dict(input))

    def run_pending(self, max: Optional[int] = None) -> int:
        """Claims and runs due jobs of the kinds registered here on this
        thread, one after the other; returns how many ran.  A
        KeyboardInterrupt inside a handler fails that job and is raised
        again here."""
        _interrupted.exc = None
        ran = int(self._call("jobs.run_pending", **_given(max=max))["ran"])
        exc, _interrupted.exc = getattr(_interrupted, "exc", None), None
        if exc is not None:
            raise exc
        return ran

    def tick(self) -> int:
        """Fires due schedules and expires input waits now; returns the jobs queued."""
        return int(self._call("jobs.tick")["queued"])


def _interval_seconds(interval: Union[int, float, _dt.timedelta, None]) -> Optional[int]:
    if interval is None:
        return None
    if isinstance(interval, _dt.timedelta):
        interval = interval.total_seconds()
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval != int(interval):
        raise InvalidArgumentError(f"interval: expected whole seconds, got {interval!r}")
    return int(interval)


class Schedules(_Resource):
    """Periodic schedules (``schedules.*``): a job kind and payload queued by
    a 5-field UTC cron expression or a fixed interval.  Only one process
    fires them (the pool's leader, or :meth:`Jobs.tick`).

    Schedule objects are dicts: ``id``, ``name``, ``kind``, ``payload``,
    ``priority``, ``max_attempts``, ``cron``, ``interval_s``, ``enabled``,
    ``next_fire_at``, ``last_fired_at``, ``last_job_id``, ``created_at``,
    ``updated_at``.
    """

    __slots__ = ()

    @staticmethod
    def _spec(name: str, kind: str, cron: Optional[str], interval: Any, payload: Optional[Mapping[str, Any]],
              priority: Optional[int], max_attempts: Optional[int], enabled: Optional[bool]) -> Dict[str, Any]:
        if payload is not None and not isinstance(payload, Mapping):
            raise InvalidArgumentError(f"payload: expected a dict, got {type(payload).__name__}")
        return _given(name=name, kind=kind, cron=cron, interval_s=_interval_seconds(interval),
                      payload=None if payload is None else dict(payload), priority=priority,
                      max_attempts=max_attempts, enabled=enabled)

    def create(self, name: str, kind: str, *, cron: Optional[str] = None,
               interval: Union[int, float, _dt.timedelta, None] = None, payload: Optional[Mapping[str, Any]] = None,
               priority: Optional[int] = None, max_attempts: Optional[int] = None,
               enabled: Optional[bool] = None) -> JsonObject:
        """Creates a schedule with exactly one of ``cron`` ("*/5 * * * *") or
        ``interval`` (whole seconds or a timedelta).

        Raises:
            InvalidArgumentError: a bad field; cron syntax errors name the cron field.
            ConflictError: the name is taken.
        """
        return self._call("schedules.create",
                          **self._spec(name, kind, cron, interval, payload, priority, max_attempts, enabled))

    def update(self, id: int, name: str, kind: str, *, cron: Optional[str] = None,
               interval: Union[int, float, _dt.timedelta, None] = None, payload: Optional[Mapping[str, Any]] = None,
               priority: Optional[int] = None, max_attempts: Optional[int] = None,
               enabled: Optional[bool] = None) -> JsonObject:
        """Replaces the schedule's definition; its next fire time counts from now."""
        return self._call("schedules.update", id=id,
                          **self._spec(name, kind, cron, interval, payload, priority, max_attempts, enabled))

    def get(self, id: int) -> JsonObject:
        """The schedule with this id."""
        return self._call("schedules.get", id=id)

    def page(self, *, after: Optional[int] = None, limit: int = 100) -> JsonObject:
        """One keyset page: ``{"items": [...], "next_after": id or None}``."""
        return self._call("schedules.list", **_given(after=after), limit=limit)

    def list(self, limit: int = 100) -> Iterator[JsonObject]:
        """Iterates over schedules in id order."""
        return _pages(lambda after: self.page(after=after, limit=limit))

    def enable(self, id: int) -> JsonObject:
        """Enables a schedule (its next fire time counts from now)."""
        return self._call("schedules.enable", id=id)

    def disable(self, id: int) -> JsonObject:
        """Disables a schedule."""
        return self._call("schedules.disable", id=id)

    def delete(self, id: int) -> None:
        """Deletes a schedule (jobs it queued stay)."""
        self._call("schedules.delete", id=id)

    def run_now(self, id: int) -> JsonObject:
        """Queues the schedule's job now; returns the job."""
        return self._call("schedules.run_now", id=id)


class Workers(_Resource):
    """This engine's worker pool (``workers.*``).  Status objects are dicts:
    ``running``, ``leader``, ``owner``, ``active`` ({kind: count})."""

    __slots__ = ()

    def start(self, *, poll_interval_ms: Optional[int] = None, claim_batch: Optional[int] = None,
              shutdown_grace_ms: Optional[int] = None, run_schedules: Optional[bool] = None,
              leader_lock: Optional[str] = None, leader_lease_ms: Optional[int] = None) -> JsonObject:
        """Starts the pool: handlers of the registered kinds run on its
        threads, schedules fire when this process leads.

        Raises:
            FailedPreconditionError: the pool already runs.
            InvalidArgumentError: an option out of range (named).
        """
        options = _given(poll_interval_ms=poll_interval_ms, claim_batch=claim_batch,
                         shutdown_grace_ms=shutdown_grace_ms, run_schedules=run_schedules, leader_lock=leader_lock,
                         leader_lease_ms=leader_lease_ms)
        return self._call("workers.start", **({"options": options} if options else {}))

    def stop(self) -> JsonObject:
        """Stops the pool gracefully: running handlers get the grace period,
        then are cancelled and their jobs queued again.  Do not call it from
        a handler."""
        return self._call("workers.stop")

    def status(self) -> JsonObject:
        """Whether the pool runs, leads schedules, and what it runs."""
        return self._call("workers.status")
