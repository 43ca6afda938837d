"""Jobs, schedules, workers and Python job handlers (gramkit.jobs)."""

from __future__ import annotations

import gc
import threading
import time
import unittest
from typing import Any, Dict, List

import gramkit
from gramkit.jobs import AwaitInput, JobContext, PermanentFailure, RetryLater

from .support import EngineTestCase

#: Retries due almost at once (1 ms backoff).
FAST_RETRY = {"backoff_base_s": 0.001, "backoff_cap_s": 0.001}


class HandlerTest(EngineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.jobs = self.engine.jobs

    def test_success_result_progress_and_context(self) -> None:
        seen: List[Dict[str, Any]] = []

        def handler(ctx: JobContext) -> Any:
            seen.append({"id": ctx.id, "kind": ctx.kind, "payload": ctx.payload, "attempt": ctx.attempt,
                         "input": ctx.input, "cancelled": ctx.cancelled})
            ctx.progress({"step": 1, "of": 2})
            return {"echo": ctx.payload["n"] * 2}

        self.jobs.register_handler("test.echo", handler)
        job = self.jobs.enqueue("test.echo", {"n": 21})
        self.assertEqual(job["state"], "queued")
        self.drain_events()
        self.assertEqual(self.jobs.run_pending(), 1)
        self.assertEqual(seen, [{"id": job["id"], "kind": "test.echo", "payload": {"n": 21}, "attempt": 1,
                                 "input": None, "cancelled": False}])
        done = self.jobs.get(job["id"])
        self.assertEqual(done["state"], "succeeded")
        self.assertEqual(done["result"], {"echo": 42})
        self.assertEqual(done["progress"], {"step": 1, "of": 2})
        self.assertIsNone(done["last_error"])
        types = [e["type"] for e in self.engine.events(timeout=0)]
        self.assertEqual([t for t in types if t.startswith("job.")], ["job.started", "job.progress", "job.finished"])
        self.assertEqual(self.jobs.run_pending(), 0)

    def test_none_result_and_non_json_result(self) -> None:
        self.jobs.register_handler("test.none", lambda ctx: None)
        self.jobs.register_handler("test.bad_result", lambda ctx: object(), max_attempts=1)
        a = self.jobs.enqueue("test.none")
        b = self.jobs.enqueue("test.bad_result")
        self.assertEqual(self.jobs.run_pending(), 2)
        self.assertEqual(self.jobs.get(a["id"])["state"], "succeeded")
        self.assertIsNone(self.jobs.get(a["id"])["result"])
        bad = self.jobs.get(b["id"])
        self.assertEqual(bad["state"], "dead")
        self.assertIn("result", bad["last_error"])

    def test_failure_retried_then_dead(self) -> None:
        calls = []

        def handler(ctx: JobContext) -> None:
            calls.append(ctx.attempt)
            raise ValueError(f"boom on attempt {ctx.attempt}")

        self.jobs.register_handler("test.fail", handler, max_attempts=3, **FAST_RETRY)
        job = self.jobs.enqueue("test.fail", {})
        self.assertEqual(job["max_attempts"], 3)
        self.assertEqual(self.jobs.run_pending(max=1), 1)
        after_one = self.jobs.get(job["id"])
        self.assertEqual(after_one["state"], "failed_retrying")
        self.assertEqual(after_one["last_error"], "ValueError: boom on attempt 1")
        for _ in range(2):
            time.sleep(0.005)
            self.assertEqual(self.jobs.run_pending(max=1), 1)
        dead = self.jobs.get(job["id"])
        self.assertEqual(dead["state"], "dead")
        self.assertEqual(dead["attempts"], 3)
        self.assertEqual(dead["last_error"], "ValueError: boom on attempt 3")
        time.sleep(0.005)
        self.assertEqual(self.jobs.run_pending(max=1), 0)
        self.assertEqual(calls, [1, 2, 3])
        self.assertEqual([j["id"] for j in self.jobs.list(state="dead")], [job["id"]])
        # Retried by hand, it runs again with fresh attempts.
        self.assertEqual(self.jobs.retry(job["id"])["state"], "queued")
        self.assertEqual(self.jobs.run_pending(max=1), 1)
        self.assertEqual(calls, [1, 2, 3, 1])

    def test_permanent_failure(self) -> None:
        def handler(ctx: JobContext) -> None:
            raise PermanentFailure("payload is hopeless")

        self.jobs.register_handler("test.permanent", handler)
        job = self.jobs.enqueue("test.permanent", max_attempts=5)
        self.assertEqual(self.jobs.run_pending(), 1)
        dead = self.jobs.get(job["id"])
        self.assertEqual((dead["state"], dead["attempts"], dead["last_error"]), ("dead", 1, "payload is hopeless"))

    def test_retry_later_gives_the_attempt_back(self) -> None:
        def handler(ctx: JobContext) -> None:
            raise RetryLater(3600, "every account is cooling down")

        self.jobs.register_handler("test.later", handler)
        job = self.jobs.enqueue("test.later", max_attempts=1)
        self.assertEqual(self.jobs.run_pending(), 1)
        later = self.jobs.get(job["id"])
        self.assertEqual((later["state"], later["attempts"]), ("queued", 0))
        self.assertGreater(gramkit.parse_timestamp(later["run_at"]), gramkit.parse_timestamp(later["updated_at"]))
        self.assertEqual(self.jobs.run_pending(), 0)

    def test_await_input_then_provide_input(self) -> None:
        inputs = []

        def handler(ctx: JobContext) -> Any:
            inputs.append(ctx.input)
            if ctx.input is None:
                raise AwaitInput(60)
            return {"code": ctx.input["code"]}

        self.jobs.register_handler("test.input", handler)
        job = self.jobs.enqueue("test.input")
        self.assertEqual(self.jobs.run_pending(), 1)
        self.assertEqual(self.jobs.get(job["id"])["state"], "awaiting_input")
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.jobs.provide_input(job["id"], ["not", "a", "dict"])  # type: ignore[arg-type]
        self.assertEqual(self.jobs.provide_input(job["id"], {"code": "123456"})["state"], "queued")
        self.assertEqual(self.jobs.run_pending(), 1)
        self.assertEqual(inputs, [None, {"code": "123456"}])
        self.assertEqual(self.jobs.get(job["id"])["result"], {"code": "123456"})

    def test_context_is_dead_after_the_handler(self) -> None:
        kept: List[JobContext] = []
        self.jobs.register_handler("test.keep", lambda ctx: kept.append(ctx))
        self.jobs.enqueue("test.keep")
        self.assertEqual(self.jobs.run_pending(), 1)
        ctx = kept[0]
        self.assertEqual(ctx.kind, "test.keep")  # plain attributes stay readable
        with self.assertRaises(gramkit.FailedPreconditionError):
            ctx.progress({"late": True})
        with self.assertRaises(gramkit.FailedPreconditionError):
            ctx.cancelled
        with self.assertRaises(gramkit.FailedPreconditionError):
            ctx.wait_cancelled(0.01)

    def test_bad_progress_fails_the_attempt_with_the_reason(self) -> None:
        self.jobs.register_handler("test.bad_progress", lambda ctx: ctx.progress({1, 2j}), max_attempts=1)
        job = self.jobs.enqueue("test.bad_progress")
        self.assertEqual(self.jobs.run_pending(), 1)
        dead = self.jobs.get(job["id"])
        self.assertEqual(dead["state"], "dead")
        self.assertIn("InvalidArgumentError", dead["last_error"])
        self.assertIn("progress", dead["last_error"])

    def test_handler_may_call_the_engine(self) -> None:
        def parent(ctx: JobContext) -> Any:
            child = self.engine.jobs.enqueue("test.child", {"from": ctx.id})
            return {"child": child["id"]}

        children = []
        self.jobs.register_handler("test.parent", parent)
        self.jobs.register_handler("test.child", lambda ctx: children.append(ctx.payload))
        job = self.jobs.enqueue("test.parent")
        self.assertEqual(self.jobs.run_pending(), 2)
        self.assertEqual(children, [{"from": job["id"]}])

    def test_close_from_a_handler_is_refused(self) -> None:
        refused = []

        def closer(ctx: JobContext) -> Any:
            try:
                self.engine.close()
            except gramkit.FailedPreconditionError as exc:
                refused.append(str(exc))
            return None

        self.jobs.register_handler("test.closer", closer)
        job = self.jobs.enqueue("test.closer")
        self.assertEqual(self.jobs.run_pending(), 1)
        self.assertEqual(len(refused), 1)
        self.assertIn("job handler", refused[0])
        self.assertFalse(self.engine.closed)
        self.assertEqual(self.jobs.get(job["id"])["state"], "succeeded")

    def test_callback_survives_garbage_collection(self) -> None:
        results = []
        self.jobs.register_handler("test.gc", lambda ctx: results.append(ctx.id) or "ok")
        gc.collect()
        job = self.jobs.enqueue("test.gc")
        self.assertEqual(self.jobs.run_pending(), 1)
        self.assertEqual(results, [job["id"]])
        self.assertEqual(self.jobs.get(job["id"])["result"], "ok")

    def test_keyboard_interrupt_fails_the_job_and_is_raised_again(self) -> None:
        def handler(ctx: JobContext) -> None:
            raise KeyboardInterrupt

        self.jobs.register_handler("test.interrupt", handler, max_attempts=1)
        job = self.jobs.enqueue("test.interrupt")
        with self.assertRaises(KeyboardInterrupt):
            self.jobs.run_pending()
        dead = self.jobs.get(job["id"])
        self.assertEqual(dead["state"], "dead")
        self.assertIn("KeyboardInterrupt", dead["last_error"])
        self.assertEqual(self.jobs.run_pending(), 0)  # the flag does not stick

    def test_register_handler_bad_arguments(self) -> None:
        cases = [
            (dict(kind="", fn=lambda ctx: None), "kind"),
            (dict(kind="k", fn="not callable"), "fn"),
            (dict(kind="k", fn=lambda ctx: None, concurrency=0), "concurrency"),
            (dict(kind="k", fn=lambda ctx: None, max_attempts=1001), "max_attempts"),
            (dict(kind="k", fn=lambda ctx: None, concurrency=True), "concurrency"),
            (dict(kind="k", fn=lambda ctx: None, lease_s=0.01), "lease_ms"),
            (dict(kind="k", fn=lambda ctx: None, lease_s="30"), "lease_s"),
            (dict(kind="k", fn=lambda ctx: None, backoff_base_s=-1), "backoff_base_s"),
            (dict(kind="k", fn=lambda ctx: None, backoff_base_s=10, backoff_cap_s=1), "backoff_cap_ms"),
            (dict(kind="k", fn=lambda ctx: None, backoff_multiplier=0.5), "backoff_multiplier"),
        ]
        for kwargs, field in cases:
            with self.subTest(field=field, kwargs=kwargs):
                with self.assertRaises(gramkit.InvalidArgumentError) as caught:
                    self.jobs.register_handler(**kwargs)  # type: ignore[arg-type]
                self.assertIn(field, str(caught.exception))

    def test_closed_engine(self) -> None:
        jobs = self.jobs
        self.engine.close()
        with self.assertRaises(gramkit.FailedPreconditionError):
            jobs.register_handler("k", lambda ctx: None)
        with self.assertRaises(gramkit.FailedPreconditionError):
            jobs.enqueue("k")


class PoolTest(EngineTestCase):
    def test_pool_runs_handlers_and_cancel_reaches_them(self) -> None:
        started = threading.Event()
        finished = threading.Event()
        outcome: Dict[str, Any] = {}

        def handler(ctx: JobContext) -> str:
            outcome["thread"] = threading.get_ident()
            started.set()
            outcome["cancelled"] = ctx.wait_cancelled(10)
            outcome["flag"] = ctx.cancelled
            finished.set()
            return "late"

        jobs, workers = self.engine.jobs, self.engine.workers
        jobs.register_handler("test.wait", handler, concurrency=2)
        status = workers.start(poll_interval_ms=10, run_schedules=False)
        self.assertTrue(status["running"])
        with self.assertRaises(gramkit.FailedPreconditionError):
            workers.start()
        with self.assertRaises(gramkit.FailedPreconditionError):
            jobs.register_handler("test.wait", lambda ctx: None)
        job = jobs.enqueue("test.wait")
        self.assertTrue(started.wait(10))
        self.assertNotEqual(outcome["thread"], threading.get_ident())
        self.assertEqual(jobs.get(job["id"])["state"], "running")
        self.assertEqual(workers.status()["active"], {"test.wait": 1})
        self.assertEqual(jobs.cancel(job["id"])["state"], "cancelled")
        self.assertTrue(finished.wait(10))
        self.assertTrue(outcome["cancelled"])
        self.assertTrue(outcome["flag"])
        self.assertFalse(workers.stop()["running"])
        cancelled = jobs.get(job["id"])
        self.assertEqual(cancelled["state"], "cancelled")
        self.assertIsNone(cancelled["result"])

    def test_close_with_a_running_handler_releases_it(self) -> None:
        engine = gramkit.Engine(self.engine_config())
        started = threading.Event()
        engine.jobs.register_handler("test.slow", lambda ctx: ctx.wait_cancelled(30))
        engine.jobs.register_handler("test.mark", lambda ctx: started.set())
        engine.workers.start(poll_interval_ms=10, run_schedules=False, shutdown_grace_ms=0)
        engine.jobs.enqueue("test.slow")
        engine.jobs.enqueue("test.mark")
        self.assertTrue(started.wait(10))
        t0 = time.monotonic()
        engine.close()
        self.assertLess(time.monotonic() - t0, 10)

    def engine_config(self) -> Dict[str, Any]:
        from .support import memory_config

        return memory_config()


class OperationsTest(EngineTestCase):
    def test_job_control_round_trip(self) -> None:
        jobs = self.engine.jobs
        a = jobs.enqueue("test.x", {"a": 1}, priority=5, idempotency_key="k-1")
        self.assertEqual((a["kind"], a["payload"], a["priority"], a["idempotency_key"]),
                         ("test.x", {"a": 1}, 5, "k-1"))
        with self.assertRaises(gramkit.ConflictError):
            jobs.enqueue("test.x", {"a": 2}, idempotency_key="k-1")
        b = jobs.enqueue("test.x")
        self.assertEqual(b["payload"], {})
        self.assertEqual(jobs.pause(a["id"])["state"], "paused")
        self.assertEqual(jobs.counts()["paused"], 1)
        self.assertEqual(jobs.counts()["queued"], 1)
        self.assertEqual([j["id"] for j in jobs.list(state="paused")], [a["id"]])
        self.assertEqual([j["id"] for j in jobs.list(kind="test.x", limit=1)], [a["id"], b["id"]])
        self.assertEqual(jobs.resume(a["id"])["state"], "queued")
        self.assertEqual(jobs.cancel(b["id"])["state"], "cancelled")
        jobs.delete(b["id"])
        with self.assertRaises(gramkit.NotFoundError):
            jobs.get(b["id"])
        page = jobs.page(limit=1)
        self.assertEqual(len(page["items"]), 1)

    def test_bad_input(self) -> None:
        jobs = self.engine.jobs
        for payload in ([1, 2], "text", 42):
            with self.subTest(payload=payload):
                with self.assertRaises(gramkit.InvalidArgumentError) as caught:
                    jobs.enqueue("test.x", payload)  # type: ignore[arg-type]
                self.assertIn("payload", str(caught.exception))
        # The library refuses it too (a host calling the operation directly).
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            self.engine.call("jobs.enqueue", kind="test.x", payload=[1])
        self.assertIn("payload", str(caught.exception))
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            list(jobs.list(state="sleeping"))
        self.assertIn("state", str(caught.exception))
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            jobs.enqueue("")
        self.assertIn("kind", str(caught.exception))
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            jobs.enqueue("test.x", max_attempts=0)
        self.assertIn("max_attempts", str(caught.exception))
        with self.assertRaises(gramkit.NotFoundError):
            jobs.cancel(987654321)
        self.assertEqual(jobs.counts().get("queued", 0), 0)

    def test_schedules(self) -> None:
        schedules = self.engine.schedules
        s = schedules.create("every-minute", "test.tick", cron="* * * * *", payload={"x": 1})
        self.assertEqual((s["name"], s["kind"], s["cron"], s["interval_s"], s["enabled"], s["payload"]),
                         ("every-minute", "test.tick", "* * * * *", None, True, {"x": 1}))
        t = schedules.create("hourly", "test.tick", interval=3600, enabled=False)
        self.assertEqual((t["interval_s"], t["enabled"]), (3600, False))
        with self.assertRaises(gramkit.ConflictError):
            schedules.create("hourly", "test.tick", interval=60)
        self.assertEqual([x["name"] for x in schedules.list(limit=1)], ["every-minute", "hourly"])
        self.assertTrue(schedules.enable(t["id"])["enabled"])
        self.assertFalse(schedules.disable(t["id"])["enabled"])
        updated = schedules.update(t["id"], "hourly", "test.other", interval=7200)
        self.assertEqual((updated["kind"], updated["interval_s"]), ("test.other", 7200))
        job = schedules.run_now(s["id"])
        self.assertEqual((job["kind"], job["payload"], job["state"]), ("test.tick", {"x": 1}, "queued"))
        self.assertEqual(schedules.get(s["id"])["id"], s["id"])
        self.assertEqual(self.engine.jobs.tick(), 0)  # nothing due yet
        schedules.delete(t["id"])
        with self.assertRaises(gramkit.NotFoundError):
            schedules.get(t["id"])

    def test_schedule_bad_input_names_the_field(self) -> None:
        schedules = self.engine.schedules
        cases = [
            (dict(cron="61 * * * *"), "minute"),
            (dict(cron="* * *"), "cron"),
            (dict(cron="* 25 * * *"), "hour"),
            (dict(), "cron"),
            (dict(cron="* * * * *", interval=60), "interval"),
            (dict(interval=1.5), "interval"),
            (dict(interval=0), "interval_s"),
            (dict(interval=60, payload=[1]), "payload"),
        ]
        for kwargs, field in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(gramkit.InvalidArgumentError) as caught:
                    schedules.create("bad", "test.tick", **kwargs)  # type: ignore[arg-type]
                self.assertIn(field, str(caught.exception))
        self.assertEqual(list(schedules.list()), [])

    def test_workers_status_and_bad_options(self) -> None:
        workers = self.engine.workers
        status = workers.status()
        self.assertEqual((status["running"], status["active"]), (False, {}))
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            workers.start(claim_batch=0)
        self.assertIn("claim_batch", str(caught.exception))
        self.assertFalse(workers.stop()["running"])  # idempotent


if __name__ == "__main__":
    unittest.main()
