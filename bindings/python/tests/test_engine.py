"""Engine: generic calls, error mapping, events, handle lifetime, threads."""

from __future__ import annotations

import gc
import json
import threading
import time
import unittest
import weakref

import gramkit
from gramkit import errors

from .support import EngineTestCase, memory_config


class CallTest(EngineTestCase):
    def test_call_round_trip(self) -> None:
        created = self.engine.call("accounts.create", username="alice.bot", password="s3cret")
        self.assertIsInstance(created["id"], int)
        self.assertEqual(created["username"], "alice.bot")
        self.assertNotIn("password", created)
        fetched = self.engine.call("accounts.get", id=created["id"])
        self.assertEqual(fetched, created)

    def test_call_json_returns_text(self) -> None:
        text = self.engine.call_json("meta.version")
        self.assertEqual(json.loads(text), {"version": gramkit.library_version()})
        self.assertEqual(json.loads(self.engine.call_json("meta.version", "{}"))["version"], "0.1.0")

    def test_version(self) -> None:
        self.assertEqual(self.engine.version(), "0.1.0")
        self.assertEqual(gramkit.library_version(), "0.1.0")
        self.assertEqual(self.engine.call("meta.version")["version"], self.engine.version())

    def test_operations_lists_every_wrapped_operation(self) -> None:
        names = {op["name"] for op in self.engine.operations()}
        expected = {
            "accounts.create", "accounts.get", "accounts.get_by_username", "accounts.list", "accounts.update",
            "accounts.delete", "accounts.set_status", "accounts.history",
            "proxies.create", "proxies.get", "proxies.list", "proxies.delete", "proxies.assign",
            "proxies.assign_to", "proxies.unassign", "proxies.set_health", "proxies.set_max_accounts",
            "proxies.report_failure", "proxies.report_success",
            "sessions.get", "sessions.save_cookies", "sessions.replace_cookies", "sessions.import_cookies",
            "sessions.cookies", "sessions.invalidate", "sessions.list", "sessions.checkout", "sessions.checkin",
            "vault.keys", "vault.add_key", "vault.rewrap", "meta.version", "meta.operations",
        }
        self.assertLessEqual(expected, names, f"missing: {sorted(expected - names)}")
        for op in self.engine.operations():
            self.assertIn("params", op)
            self.assertIn("result", op)

    def test_datetime_params_are_sent_as_rfc3339(self) -> None:
        import datetime as dt

        account = self.engine.accounts.create("cool.bot", "pw")
        until = dt.datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        updated = self.engine.call("accounts.set_status", id=account["id"], status="cooldown", reason="r",
                                   until=until)
        self.assertEqual(updated["status"], "cooldown")
        self.assertEqual(gramkit.parse_timestamp(updated["cooldown_until"]), until)


class ErrorMappingTest(EngineTestCase):
    def test_duplicate_username_is_conflict(self) -> None:
        self.engine.accounts.create("dup.user", "pw")
        with self.assertRaises(gramkit.ConflictError) as cm:
            self.engine.accounts.create("dup.user", "pw2")
        exc = cm.exception
        self.assertIsInstance(exc, gramkit.GramkitError)
        self.assertEqual(exc.code, errors.GK_ECONFLICT)
        self.assertEqual(exc.code_name, "conflict")
        self.assertTrue(exc.message)
        self.assertIn(exc.message, str(exc))
        self.assertNotIn("pw2", exc.message)

    def test_unknown_id_is_not_found(self) -> None:
        with self.assertRaises(gramkit.NotFoundError) as cm:
            self.engine.accounts.get(987654)
        self.assertEqual(cm.exception.code, -2)
        self.assertEqual(cm.exception.code_name, "not_found")
        with self.assertRaises(gramkit.NotFoundError):
            self.engine.accounts.get_by_username("nobody.here")
        with self.assertRaises(gramkit.NotFoundError):
            self.engine.accounts.delete(987654)

    def test_bad_username_names_the_field(self) -> None:
        for bad in ("bad name", "", ".dot", "x" * 31, "two..dots"):
            with self.subTest(username=bad):
                with self.assertRaises(gramkit.InvalidArgumentError) as cm:
                    self.engine.accounts.create(bad, "pw")
                self.assertIn("username", cm.exception.message)
                self.assertEqual(cm.exception.code, errors.GK_EINVALID_ARGUMENT)

    def test_unknown_operation_is_not_found(self) -> None:
        with self.assertRaises(gramkit.NotFoundError) as cm:
            self.engine.call("no.such_operation")
        self.assertIn("no.such_operation", cm.exception.message)

    def test_wrong_param_types_name_the_field(self) -> None:
        cases = [
            ("accounts.get", {"id": "seven"}, "id"),
            ("accounts.get", {}, "id"),
            ("accounts.create", {"username": 5, "password": "pw"}, "username"),
            ("accounts.create", {"username": "ok.name", "password": "pw", "labels": "notalist"}, "labels"),
            ("accounts.list", {"limit": 0}, "limit"),
            ("accounts.list", {"limit": "ten"}, "limit"),
            ("accounts.list", {"limit": True}, "limit"),
            ("accounts.get", {"id": 1.5}, "id"),
            ("accounts.get", {"id": 1, "op": "x"}, "op"),  # op is positional-only: "op" is a param
            ("accounts.list", {"status": "sleeping"}, "status"),
            ("sessions.list", {"valid_only": "yes"}, "valid_only"),
        ]
        for op, params, field in cases:
            with self.subTest(op=op, params=params):
                with self.assertRaises(gramkit.InvalidArgumentError) as cm:
                    self.engine.call(op, **params)
                self.assertIn(field, cm.exception.message)

    def test_malformed_json_and_non_objects(self) -> None:
        for text in ("{", "[]", "42", "\"s\"", "{\"id\": }", "nul"):
            with self.subTest(text=text):
                with self.assertRaises(gramkit.InvalidArgumentError):
                    self.engine.call_json("accounts.get", text)

    def test_python_side_bad_input(self) -> None:
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.call("accounts.get", id=object())  # not JSON serialisable
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.call("accounts.get", id=float("nan"))  # NaN is not JSON
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.call("accounts.get\0x", id=1)  # NUL would truncate the op name
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.accounts.create("ok.name", "pw\udc80")  # lone surrogate is not UTF-8
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.call_json("accounts.get", "{\"id\":1}\0")

    def test_illegal_transition_is_conflict(self) -> None:
        account = self.engine.accounts.create("same.state", "pw")
        with self.assertRaises(gramkit.ConflictError):
            self.engine.accounts.set_status(account["id"], "active", "already active")

    def test_cooldown_requires_until(self) -> None:
        account = self.engine.accounts.create("no.until", "pw")
        with self.assertRaises(gramkit.InvalidArgumentError) as cm:
            self.engine.accounts.set_status(account["id"], "cooldown", "slow down")
        self.assertIn("until", cm.exception.message)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.accounts.set_status(account["id"], "cooldown", "slow down", until="tomorrow")

    def test_bad_config(self) -> None:
        with self.assertRaises(gramkit.InvalidArgumentError) as cm:
            gramkit.Engine(memory_config(log_level=5))
        self.assertIn("log_level", cm.exception.message)
        with self.assertRaises(gramkit.InvalidArgumentError) as cm:
            gramkit.Engine(memory_config(no_such_key=True))
        self.assertIn("no_such_key", cm.exception.message)
        with self.assertRaises(gramkit.InvalidArgumentError):
            gramkit.Engine("{not json")
        with self.assertRaises(gramkit.InvalidArgumentError):
            gramkit.Engine(42)  # type: ignore[arg-type]
        with self.assertRaises(gramkit.GramkitError):
            gramkit.Engine(memory_config(key_env="GK_PY_UNSET_VARIABLE_FOR_TEST"))

    def test_config_as_json_text(self) -> None:
        with gramkit.Engine(json.dumps(memory_config())) as engine:
            self.assertEqual(engine.call("meta.version")["version"], "0.1.0")

    def test_last_error_is_per_thread(self) -> None:
        # Half the threads fail with their own message, half succeed; every
        # failure must carry the message of its own call.
        barrier = threading.Barrier(8)
        problems: list = []

        def work(i: int) -> None:
            barrier.wait()
            for round_ in range(20):
                try:
                    if i % 2:
                        self.engine.call(f"no.such_op_{i}_{round_}")
                        problems.append(f"thread {i}: no error")
                    else:
                        self.engine.call("meta.version")
                except gramkit.NotFoundError as exc:
                    if f"no.such_op_{i}_{round_}" not in exc.message:
                        problems.append(f"thread {i}: foreign message {exc.message!r}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(problems, [])


class EventsTest(EngineTestCase):
    def test_create_emits_account_created(self) -> None:
        self.drain_events()
        account = self.engine.accounts.create("evented.bot", "pw")
        events = list(self.engine.events(timeout=0.2))
        created = [e for e in events if e["type"] == "account.created"]
        self.assertEqual(len(created), 1, events)
        event = created[0]
        self.assertEqual(set(event), {"seq", "type", "at", "data", "dropped"})
        self.assertIsInstance(event["seq"], int)
        self.assertEqual(event["dropped"], 0)
        self.assertEqual(event["data"]["account_id"], account["id"])
        self.assertEqual(event["data"]["username"], "evented.bot")
        gramkit.parse_timestamp(event["at"])
        self.assertNotIn("pw", json.dumps(event["data"]))

    def test_events_are_ordered_and_stop_on_timeout(self) -> None:
        self.drain_events()
        self.make_accounts(3, prefix="ordered")
        started = time.monotonic()
        seqs = [e["seq"] for e in self.engine.events(timeout=0.3) if e["type"] == "account.created"]
        elapsed = time.monotonic() - started
        self.assertEqual(len(seqs), 3)
        self.assertEqual(seqs, sorted(seqs))
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 5)

    def test_next_event_zero_timeout_only_checks(self) -> None:
        self.drain_events()
        started = time.monotonic()
        self.assertIsNone(self.engine.next_event(0))
        self.assertLess(time.monotonic() - started, 0.5)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.next_event(-1)

    def test_next_event_waits_for_another_thread(self) -> None:
        self.drain_events()
        timer = threading.Timer(0.3, lambda: self.engine.accounts.create("late.bot", "pw"))
        timer.start()
        try:
            event = self.engine.next_event(timeout=5)
        finally:
            timer.join()
        self.assertIsNotNone(event)
        assert event is not None
        self.assertEqual(event["type"], "account.created")

    def test_slow_consumer_is_told_what_it_lost(self) -> None:
        engine = gramkit.Engine(memory_config(event_queue_capacity=2))
        self.addCleanup(engine.close)
        list(engine.events(timeout=0))
        for i in range(6):
            engine.accounts.create(f"lossy{i}", "pw")
        events = list(engine.events(timeout=0.2))
        self.assertEqual(len(events), 2)
        self.assertEqual(sum(e["dropped"] for e in events), 4)
        self.assertEqual(events[-1]["data"].get("username"), "lossy5")

    def test_callback(self) -> None:
        seen: list = []
        self.engine.on_event(seen.append)
        self.engine.accounts.create("callback.bot", "pw")
        self.assertTrue(any(e["type"] == "account.created" for e in seen), seen)
        self.engine.on_event(None)
        count = len(seen)
        self.engine.accounts.create("quiet.bot", "pw")
        self.assertEqual(len(seen), count)

    def test_close_wakes_a_blocked_poller(self) -> None:
        engine = gramkit.Engine(memory_config())
        list(engine.events(timeout=0))
        result: list = []
        poller = threading.Thread(target=lambda: result.append(engine.next_event(timeout=None)))
        poller.start()
        time.sleep(0.2)
        started = time.monotonic()
        engine.close()
        poller.join(5)
        self.assertFalse(poller.is_alive())
        self.assertEqual(result, [None])
        self.assertLess(time.monotonic() - started, 2)


class LifetimeTest(unittest.TestCase):
    def test_close_is_idempotent(self) -> None:
        engine = gramkit.Engine(memory_config())
        self.assertFalse(engine.closed)
        engine.close()
        engine.close()
        self.assertTrue(engine.closed)
        self.assertIn("closed", repr(engine))

    def test_use_after_close_raises(self) -> None:
        engine = gramkit.Engine(memory_config())
        accounts = engine.accounts
        engine.close()
        with self.assertRaises(gramkit.FailedPreconditionError) as cm:
            engine.call("meta.version")
        self.assertIn("closed", cm.exception.message)
        with self.assertRaises(gramkit.FailedPreconditionError):
            accounts.create("late.user", "pw")
        with self.assertRaises(gramkit.FailedPreconditionError):
            engine.next_event(0)
        with self.assertRaises(gramkit.FailedPreconditionError):
            engine.events(timeout=0).__next__()
        with self.assertRaises(gramkit.FailedPreconditionError):
            engine.on_event(None)
        with self.assertRaises(gramkit.FailedPreconditionError):
            with engine:
                pass

    def test_context_manager_closes(self) -> None:
        with gramkit.Engine(memory_config()) as engine:
            engine.accounts.create("ctx.user", "pw")
            self.assertFalse(engine.closed)
        self.assertTrue(engine.closed)
        self.assertFalse(engine._finalizer.alive)
        with self.assertRaises(ValueError):
            with gramkit.Engine(memory_config()) as engine2:
                raise ValueError("boom")
        self.assertTrue(engine2.closed)

    def test_dropped_engine_is_finalized(self) -> None:
        gc.collect()
        before = gramkit.live_engines()
        engine = gramkit.Engine(memory_config())
        engine.accounts.create("gc.user", "pw")
        self.assertEqual(gramkit.live_engines(), before + 1)
        finalizer = engine._finalizer
        ref = weakref.ref(engine)
        del engine
        gc.collect()
        self.assertIsNone(ref())
        self.assertFalse(finalizer.alive)
        self.assertEqual(gramkit.live_engines(), before)

    def test_resource_keeps_its_engine_alive(self) -> None:
        gc.collect()
        before = gramkit.live_engines()
        accounts = gramkit.Engine(memory_config()).accounts
        gc.collect()
        self.assertEqual(accounts.create("kept.alive", "pw")["username"], "kept.alive")
        self.assertEqual(gramkit.live_engines(), before + 1)
        del accounts
        gc.collect()
        self.assertEqual(gramkit.live_engines(), before)

    def test_many_open_close_cycles(self) -> None:
        before = gramkit.live_engines()
        for i in range(20):
            with gramkit.Engine(memory_config()) as engine:
                engine.accounts.create(f"cycle{i}", "pw")
        self.assertEqual(gramkit.live_engines(), before)

    def test_close_waits_for_running_calls(self) -> None:
        engine = gramkit.Engine(memory_config())
        outcomes: list = []

        def hammer(i: int) -> None:
            n = 0
            while True:
                try:
                    engine.accounts.create(f"h{i}n{n}", "pw")
                    n += 1
                except gramkit.FailedPreconditionError:
                    outcomes.append("closed")
                    return
                except Exception as exc:  # pragma: no cover - reported below
                    outcomes.append(repr(exc))
                    return

        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        engine.close()
        for t in threads:
            t.join(10)
        self.assertEqual(outcomes, ["closed"] * 4)


class ThreadsTest(EngineTestCase):
    def test_concurrent_creates_on_one_engine(self) -> None:
        per_thread = 25
        barrier = threading.Barrier(8)
        created: list = []
        failures: list = []
        lock = threading.Lock()

        def work(t: int) -> None:
            barrier.wait()
            for n in range(per_thread):
                try:
                    account = self.engine.accounts.create(f"t{t}_n{n}", "pw", labels=[f"thread{t}"])
                except Exception as exc:  # collected and reported by the assertion
                    failures.append(repr(exc))
                    continue
                with lock:
                    created.append(account)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(len(created), 8 * per_thread)
        self.assertEqual(len({a["id"] for a in created}), 8 * per_thread)
        listed = list(self.engine.accounts.list(limit=1000))
        self.assertEqual(len(listed), 8 * per_thread)
        self.assertEqual(len(list(self.engine.accounts.list(label="thread3"))), per_thread)

    def test_concurrent_duplicates_yield_one_winner(self) -> None:
        barrier = threading.Barrier(8)
        outcomes: list = []

        def work() -> None:
            barrier.wait()
            try:
                self.engine.accounts.create("contested", "pw")
                outcomes.append("ok")
            except gramkit.ConflictError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(outcomes), ["conflict"] * 7 + ["ok"])


if __name__ == "__main__":
    unittest.main()
