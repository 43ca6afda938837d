"""Scraping tasks (``engine.scrape``): what to collect from Instagram (a
profile, a user's posts, a hashtag, one post), run as durable ``scrape.run``
jobs on the engine's worker pool, and what they found.

A task is a dict: ``id``, ``kind`` (``profile``, ``posts``, ``hashtag``,
``media``), ``target`` (normalised: a tag without ``#``, lower case),
``options`` (``max_items``, ``since``, ``page_delay_ms``,
``raw_retention_days``), ``schedule_id``, ``state`` (``active``, ``paused``,
``cancelled``, ``completed``, ``failed``), ``pages`` and ``items`` (over all
runs), ``cursor`` (resume point of the run in progress), ``run_started_at``,
``current_job_id``, ``account_id`` (the last account used), ``last_run``
(``pages``, ``items_new``, ``items_seen``, ``accounts_used``,
``started_at``, ``finished_at``, ``stopped_because``, ``job_id``),
``last_error``, ``created_at``, ``updated_at``.  docs/scrape.md describes
runs, states and guarantees.

A run happens wherever ``scrape.run`` jobs are claimed: the worker pool
(``engine.workers.start()``) or the calling thread
(``engine.jobs.run_pending()``).  Each committed page publishes a
``scrape.page`` event (``task_id``, ``job_id``, ``page``, ``items_new``,
``cursor_present``, ``account_id``); the run's end is the ``job.finished``
event of its job.

Example::

    task = engine.scrape.create("posts", "some.user", max_items=100,
                                since=datetime.datetime(2024, 1, 1))
    engine.jobs.run_pending()          # or engine.workers.start()
    for item in engine.scrape.iter_results(task["id"]):
        print(item["type"], item["id"], item["post"]["shortcode"])
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterator, Mapping, Optional, Union

from .errors import InvalidArgumentError
from .resources import JsonObject, _given, _pages, _Resource

__all__ = ["Scrape", "KINDS", "STATES"]

#: Task kinds, as ``create`` takes them.
KINDS = ("profile", "posts", "hashtag", "media")
#: Task states.
STATES = ("active", "paused", "cancelled", "completed", "failed")

#: A schedule for :meth:`Scrape.create`: ``{"cron": "0 * * * *"}`` or
#: ``{"interval_s": 3600}``, a cron text, or an interval (whole seconds or a
#: timedelta).
ScheduleLike = Union[Mapping[str, Any], str, int, _dt.timedelta, None]


def _schedule(schedule: ScheduleLike) -> Optional[Mapping[str, Any]]:
    if schedule is None:
        return None
    if isinstance(schedule, Mapping):
        return dict(schedule)
    if isinstance(schedule, str):
        return {"cron": schedule}
    if isinstance(schedule, _dt.timedelta):
        schedule = schedule.total_seconds()
    if isinstance(schedule, bool) or not isinstance(schedule, (int, float)) or schedule != int(schedule):
        raise InvalidArgumentError(
            f"schedule: expected a dict, a cron text or whole seconds, got {schedule!r}")
    return {"interval_s": int(schedule)}


class Scrape(_Resource):
    """Scraping tasks (``scrape.tasks.*`` operations).

    Errors: bad arguments raise :class:`InvalidArgumentError` naming the
    field (``kind``, ``target``, ``options.max_items``, ``options.since``,
    ``schedule``, ``schedule.cron``, ...); an unknown id
    :class:`NotFoundError`; an illegal transition :class:`ConflictError`
    (pausing a paused task, cancelling a cancelled one) or
    :class:`FailedPreconditionError` (starting a paused or cancelled task).
    """

    __slots__ = ()

    def create(self, kind: str, target: str, *, max_items: Optional[int] = None,
               since: Union[str, _dt.datetime, None] = None, schedule: ScheduleLike = None, start: bool = True,
               **options: Any) -> JsonObject:
        """Creates a task and, unless ``start=False``, queues its first run.

        Args:
            kind: ``"profile"``, ``"posts"``, ``"hashtag"`` or ``"media"``.
            target: a username (profile, posts), a tag with or without ``#``
                (hashtag), a numeric media id or a shortcode (media).
            max_items: a run stops after the page on which it saw this many
                posts (1..1 000 000).
            since: posts taken before this (a datetime or RFC 3339 text) are
                not stored; posts/hashtag runs stop when they reach them.
            schedule: run by itself: ``{"cron": ...}`` / a cron text, or
                ``{"interval_s": n}`` / whole seconds / a timedelta.
            start: queue the first run now.
            **options: further task options by their operation name:
                ``page_delay_ms`` (0..120 000), ``raw_retention_days``
                (0..3650, default 7).

        Returns:
            The task.
        """
        opts = dict(options)
        opts.update(_given(max_items=max_items, since=since))
        params = _given(kind=kind, target=target, schedule=_schedule(schedule))
        if opts:
            params["options"] = opts
        return self._call("scrape.tasks.create", start=start, **params)

    def get(self, id: int) -> JsonObject:
        """The task with this id, with its progress and last run."""
        return self._call("scrape.tasks.get", id=id)

    def page(self, *, state: Optional[str] = None, kind: Optional[str] = None, after: Optional[int] = None,
             limit: int = 50) -> JsonObject:
        """One keyset page of tasks: ``{"items": [...], "next_after": id or None}``."""
        return self._call("scrape.tasks.list", **_given(state=state, kind=kind, after=after), limit=limit)

    def list(self, state: Optional[str] = None, kind: Optional[str] = None, limit: int = 50) -> Iterator[JsonObject]:
        """Iterates over tasks in id order, optionally of one state or kind."""
        return _pages(lambda after: self.page(state=state, kind=kind, after=after, limit=limit))

    def start(self, id: int) -> JsonObject:
        """Runs the task now (a completed or failed task becomes active
        again); returns ``{"task_id", "job_id"}``, the live run's job if one
        is already queued or running."""
        return self._call("scrape.tasks.start", id=id)

    def pause(self, id: int) -> JsonObject:
        """Pauses an active task; a running run stops after its current page
        and keeps its cursor."""
        return self._call("scrape.tasks.pause", id=id)

    def resume(self, id: int) -> JsonObject:
        """Resumes a paused task: a run is queued that goes on from the cursor."""
        return self._call("scrape.tasks.resume", id=id)

    def cancel(self, id: int) -> JsonObject:
        """Cancels a task for good: its live run is cancelled, its cursor
        dropped, its schedule disabled.  Its results stay readable."""
        return self._call("scrape.tasks.cancel", id=id)

    def delete(self, id: int) -> None:
        """Deletes the task, its item list, raw answers and schedule (stored
        posts and profiles stay); a live run is cancelled."""
        self._call("scrape.tasks.delete", id=id)

    def results(self, task_id: int, *, after: Optional[int] = None, limit: int = 100) -> JsonObject:
        """One page of what the task found, in the order found:
        ``{"items": [...], "next_after": seq or None}``.  An item is a dict
        ``seq``, ``type`` (``"post"`` or ``"profile"``), ``id``,
        ``first_seen_at``, and ``post`` or ``profile`` as stored now (with
        their own ``first_seen_at``/``last_seen_at``)."""
        return self._call("scrape.tasks.results", id=task_id, **_given(after=after), limit=limit)

    def iter_results(self, task_id: int, *, limit: int = 100) -> Iterator[JsonObject]:
        """Iterates over every item the task found, fetching ``limit`` per page."""
        return _pages(lambda after: self.results(task_id, after=after, limit=limit))
