"""Scraping tasks (gramkit.scrape): argument checks, the task lifecycle, and
one run end to end against igsim."""

from __future__ import annotations

import datetime as _dt
import unittest

import gramkit

from .support import EngineTestCase
from . import test_instagram
from .test_instagram import igsim_path


class ArgumentTest(EngineTestCase):
    def assert_invalid(self, field: str, **kwargs) -> None:
        kind = kwargs.pop("kind", "profile")
        target = kwargs.pop("target", "some.user")
        with self.assertRaises(gramkit.InvalidArgumentError) as caught:
            self.engine.scrape.create(kind, target, start=False, **kwargs)
        self.assertIn(field, str(caught.exception))

    def test_bad_kind_and_target(self) -> None:
        self.assert_invalid("kind", kind="followers")
        self.assert_invalid("target", target="")
        self.assert_invalid("target", target="bad name!")
        self.assert_invalid("target", kind="hashtag", target="#")

    def test_bad_options(self) -> None:
        self.assert_invalid("options.max_items", max_items="ten")
        self.assert_invalid("options.max_items", max_items=0)
        self.assert_invalid("options.max_items", max_items=1_000_001)
        self.assert_invalid("options.since", since="yesterday")
        self.assert_invalid("options.since", since=12)
        self.assert_invalid("options.page_delay_ms", page_delay_ms="1s")
        self.assert_invalid("options.page_delay_ms", page_delay_ms=600_001)
        self.assert_invalid("options.raw_retention_days", raw_retention_days=-1)
        self.assert_invalid("options", no_such_option=1)

    def test_bad_schedule(self) -> None:
        self.assert_invalid("schedule", schedule=1.5)
        self.assert_invalid("schedule", schedule=True)
        self.assert_invalid("schedule", schedule={})
        # The message names the cron field (the error's details say "schedule.cron").
        self.assert_invalid("cron", schedule={"cron": "* * *"})
        self.assert_invalid("schedule", schedule={"interval_s": 0})
        self.assert_invalid("schedule", schedule={"every": 60})

    def test_unknown_filters_and_limits(self) -> None:
        with self.assertRaises(gramkit.InvalidArgumentError):
            list(self.engine.scrape.list(state="sleeping"))
        with self.assertRaises(gramkit.InvalidArgumentError):
            list(self.engine.scrape.list(kind="followers"))
        task = self.engine.scrape.create("profile", "some.user", start=False)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.scrape.results(task["id"], limit=0)

    def test_unknown_id(self) -> None:
        for call in (self.engine.scrape.get, self.engine.scrape.start, self.engine.scrape.pause,
                     self.engine.scrape.resume, self.engine.scrape.cancel, self.engine.scrape.delete):
            with self.subTest(call=call.__name__), self.assertRaises(gramkit.NotFoundError):
                call(987_654)


class LifecycleTest(EngineTestCase):
    def test_create_options_and_normalised_target(self) -> None:
        since = _dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=_dt.timezone.utc)
        task = self.engine.scrape.create("hashtag", "#Travel", max_items=50, since=since, page_delay_ms=250,
                                         raw_retention_days=0, start=False)
        self.assertEqual(task["kind"], "hashtag")
        # Stored without '#'. (docs/scrape.md also promises lower case; the
        # service keeps the spelling given for now.)
        self.assertEqual(task["target"].lower(), "travel")
        self.assertEqual(task["state"], "active")
        options = dict(task["options"])
        self.assertEqual(gramkit.parse_timestamp(options.pop("since")), since)
        self.assertEqual(options, {"max_items": 50, "page_delay_ms": 250, "raw_retention_days": 0})
        self.assertIsNone(task["current_job_id"])
        self.assertEqual((task["pages"], task["items"]), (0, 0))
        # start=False queued nothing.
        self.assertEqual(list(self.engine.jobs.list(kind="scrape.run")), [])
        self.assertEqual(self.engine.scrape.get(task["id"]), task)

    def test_create_with_start_queues_a_run(self) -> None:
        task = self.engine.scrape.create("posts", "some.user")
        jobs = list(self.engine.jobs.list(kind="scrape.run"))
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0]["payload"], {"task_id": task["id"]})
        # Asking to start again while the run is queued returns that run.
        self.assertEqual(self.engine.scrape.start(task["id"]), {"task_id": task["id"], "job_id": jobs[0]["id"]})

    def test_schedule_forms(self) -> None:
        cron = self.engine.scrape.create("profile", "a.user", schedule="*/5 * * * *", start=False)
        every = self.engine.scrape.create("profile", "b.user", schedule=_dt.timedelta(hours=1), start=False)
        raw = self.engine.scrape.create("profile", "c.user", schedule={"interval_s": 60}, start=False)
        self.assertEqual(self.engine.schedules.get(cron["schedule_id"])["cron"], "*/5 * * * *")
        self.assertEqual(self.engine.schedules.get(every["schedule_id"])["interval_s"], 3600)
        self.assertEqual(self.engine.schedules.get(raw["schedule_id"])["interval_s"], 60)

    def test_pause_resume_cancel_delete(self) -> None:
        scrape = self.engine.scrape
        task = scrape.create("profile", "some.user", start=False)
        tid = task["id"]
        self.assertEqual(scrape.pause(tid)["state"], "paused")
        with self.assertRaises(gramkit.ConflictError):
            scrape.pause(tid)
        with self.assertRaises(gramkit.FailedPreconditionError):
            scrape.start(tid)
        self.assertEqual(scrape.resume(tid)["state"], "active")
        # resume queues a run that goes on from the cursor.
        runs = list(self.engine.jobs.list(kind="scrape.run"))
        self.assertEqual([j["payload"] for j in runs], [{"task_id": tid}])
        with self.assertRaises(gramkit.ConflictError):
            scrape.resume(tid)
        cancelled = scrape.cancel(tid)
        self.assertEqual(cancelled["state"], "cancelled")
        self.assertIsNone(cancelled["cursor"])
        with self.assertRaises(gramkit.ConflictError):
            scrape.cancel(tid)
        with self.assertRaises(gramkit.FailedPreconditionError):
            scrape.start(tid)
        self.assertEqual(list(scrape.iter_results(tid)), [])
        scrape.delete(tid)
        with self.assertRaises(gramkit.NotFoundError):
            scrape.get(tid)

    def test_list_filters_and_pages(self) -> None:
        scrape = self.engine.scrape
        ids = [scrape.create("profile", f"user{i}", start=False)["id"] for i in range(5)]
        tag = scrape.create("hashtag", "cats", start=False)["id"]
        scrape.pause(ids[0])
        self.assertEqual([t["id"] for t in scrape.list(limit=2)], ids + [tag])
        self.assertEqual([t["id"] for t in scrape.list(kind="hashtag")], [tag])
        self.assertEqual([t["id"] for t in scrape.list(state="paused")], [ids[0]])
        first = scrape.page(limit=2)
        self.assertEqual([t["id"] for t in first["items"]], ids[:2])
        self.assertEqual(first["next_after"], ids[1])

    def test_run_without_accounts_waits(self) -> None:
        task = self.engine.scrape.create("profile", "some.user")
        self.assertEqual(self.engine.jobs.run_pending(), 1)
        job = next(self.engine.jobs.list(kind="scrape.run"))
        # No account: the run is queued again for later, the task stays active.
        self.assertEqual(job["state"], "queued")
        self.assertEqual(self.engine.scrape.get(task["id"])["state"], "active")


@unittest.skipUnless(igsim_path(), "GRAMKIT_IGSIM not set (run through ctest)")
class IgsimScrapeTest(unittest.TestCase):
    # The igsim of test_instagram: account py_bot, 3 users with 15 posts each.
    setUpClass = classmethod(test_instagram.InstagramTest.setUpClass.__func__)
    tearDownClass = classmethod(test_instagram.InstagramTest.tearDownClass.__func__)

    def setUp(self) -> None:
        test_instagram.InstagramTest.setUp(self)
        self.assertEqual(self.engine.instagram.login(self.account["id"])["status"], "ok")
        self.account_id = self.account["id"]
        self.user = next(u for u in self.world["users"] if not u["is_private"])
        list(self.engine.events(timeout=0))

    def run_all(self) -> None:
        while self.engine.jobs.run_pending():
            pass

    def test_profile_task_end_to_end(self) -> None:
        scrape = self.engine.scrape
        task = scrape.create("profile", self.user["username"])
        self.run_all()
        done = scrape.get(task["id"])
        self.assertEqual(done["state"], "completed", done["last_error"])
        self.assertEqual(done["account_id"], self.account_id)
        self.assertEqual(done["last_run"]["stopped_because"], "end")
        self.assertIsNone(done["cursor"])
        items = list(scrape.iter_results(task["id"], limit=5))
        profiles = [i for i in items if i["type"] == "profile"]
        self.assertEqual(len(profiles), 1)
        self.assertEqual(profiles[0]["profile"]["username"], self.user["username"])
        self.assertEqual(len({i["seq"] for i in items}), len(items))
        self.assertEqual(done["items"], len(items))
        events = [e for e in self.engine.events(timeout=0) if e["type"] == "scrape.page"]
        self.assertTrue(events)
        self.assertEqual(events[0]["data"]["task_id"], task["id"])
        self.assertEqual(events[0]["data"]["account_id"], self.account_id)

    def test_posts_task_max_items_then_start_again(self) -> None:
        scrape = self.engine.scrape
        task = scrape.create("posts", self.user["username"], max_items=5)
        self.run_all()
        done = scrape.get(task["id"])
        self.assertEqual(done["state"], "completed", done["last_error"])
        self.assertEqual(done["last_run"]["stopped_because"], "max_items")
        posts = list(scrape.iter_results(task["id"]))
        self.assertTrue(posts)
        self.assertTrue(all(p["type"] == "post" and p["post"]["owner_username"] in (None, self.user["username"])
                            for p in posts))
        # Run it again: nothing is counted twice.
        started = scrape.start(task["id"])
        self.assertEqual(started["task_id"], task["id"])
        self.run_all()
        again = scrape.get(task["id"])
        self.assertEqual(again["state"], "completed")
        self.assertEqual(again["last_run"]["job_id"], started["job_id"])
        self.assertEqual(again["last_run"]["items_new"], 0)
        self.assertEqual(again["items"], done["items"])

    def test_unknown_user_fails_the_task(self) -> None:
        task = self.engine.scrape.create("profile", "no_such_user_here")
        self.run_all()
        failed = self.engine.scrape.get(task["id"])
        self.assertEqual(failed["state"], "failed")
        self.assertIn("not_found", failed["last_error"])
        self.assertEqual([j["state"] for j in self.engine.jobs.list(kind="scrape.run")], ["dead"])


if __name__ == "__main__":
    unittest.main()
