"""Rate limiting: the gk_ratelimit_try fast path and the ratelimit.* wrappers."""

from __future__ import annotations

import datetime as dt
import unittest

import gramkit

from .support import EngineTestCase, memory_config

UTC = dt.timezone.utc

#: One rule: 1 per hour per account, burst 2.
RULES = [{"name": "t", "rate": 1, "period_ms": 3_600_000, "burst": 2, "match": ["account"]}]


class TryAcquireTest(EngineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.rl = self.engine.ratelimit
        self.rl.set_policies(RULES)

    def test_allowed_then_denied_without_raising(self) -> None:
        self.assertEqual(self.rl.try_acquire(["account:42", "action:hashtag"]), (True, 0.0))
        self.assertEqual(self.rl.try_acquire("account:42,endpoint:graphql"), (True, 0.0))
        allowed, wait = self.rl.try_acquire(["account:42"])
        self.assertFalse(allowed)
        self.assertGreater(wait, 3500.0)
        self.assertLessEqual(wait, 3600.0)
        # Denials consume nothing; other accounts have their own bucket.
        self.assertFalse(self.rl.try_acquire("account:42")[0])
        self.assertEqual(self.rl.try_acquire("account:43", cost=2), (True, 0.0))
        # A request no rule applies to passes.
        self.assertTrue(self.rl.try_acquire(("action:hashtag",))[0])

    def test_bad_input_raises(self) -> None:
        for parts in ("", "account:1,", ",account:1", ["account:1", ""], ["account:1,action:x"], "account:\0"):
            with self.subTest(parts=parts):
                with self.assertRaises(gramkit.InvalidArgumentError):
                    self.rl.try_acquire(parts)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.rl.try_acquire("account:1", cost=0)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.rl.try_acquire("account:1", cost=3)  # above the burst: could never pass
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.rl.try_acquire("account:1", cost=2**32)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.rl.try_acquire([1, 2])  # type: ignore[list-item]
        # None of that consumed anything.
        self.assertEqual(self.rl.try_acquire("account:1", cost=2), (True, 0.0))

    def test_closed_engine(self) -> None:
        rl = self.rl
        self.engine.close()
        with self.assertRaises(gramkit.FailedPreconditionError):
            rl.try_acquire("account:1")


class RatelimitOperationsTest(EngineTestCase):
    def test_policies_round_trip(self) -> None:
        rl = self.engine.ratelimit
        defaults = rl.policies()
        self.assertTrue(defaults)
        self.assertTrue(all({"name", "rate", "period_ms", "burst", "match"} <= set(r) for r in defaults))
        self.assertEqual(rl.set_policies(RULES), RULES)
        self.assertEqual(rl.policies(), RULES)
        with self.assertRaises(gramkit.InvalidArgumentError):
            rl.set_policies([{"name": "bad", "rate": 0, "period_ms": 1000, "burst": 1, "match": ["account"]}])
        self.assertEqual(rl.policies(), RULES)

    def test_check_status_reset(self) -> None:
        rl = self.engine.ratelimit
        rl.set_policies(RULES)
        first = rl.check(["account:7"], cost=2)
        self.assertTrue(first["allowed"])
        self.assertEqual(first["rule"], "t")
        self.assertEqual(first["remaining"], 0)
        denied = rl.check("account:7")
        self.assertFalse(denied["allowed"])
        self.assertEqual(denied["rule"], "t")
        self.assertGreater(denied["retry_after_ms"], 0)
        (status,) = rl.status(["account:7"])
        self.assertEqual(status["rule"], "t")
        self.assertEqual(status["remaining"], 0)
        self.assertFalse(rl.try_acquire("account:7")[0])
        rl.reset(["account:7"])
        self.assertEqual(rl.status("account:7")[0]["remaining"], 2)
        self.assertEqual(rl.try_acquire("account:7"), (True, 0.0))

    def test_penalize(self) -> None:
        rl = self.engine.ratelimit
        until = dt.datetime.now(UTC) + dt.timedelta(minutes=10)
        effective = gramkit.parse_timestamp(rl.penalize("proxy:7", until))
        self.assertLess(abs(effective - until), dt.timedelta(seconds=1))
        allowed, wait = rl.try_acquire(["account:1", "proxy:7"])
        self.assertFalse(allowed)
        self.assertGreater(wait, 500.0)
        self.assertLessEqual(wait, 601.0)
        self.assertEqual(rl.check(["proxy:7"])["rule"], "penalty")
        self.assertTrue(rl.try_acquire(["account:1", "proxy:8"])[0])
        rl.reset(["proxy:7"])
        self.assertTrue(rl.try_acquire(["account:1", "proxy:7"])[0])


class AccountCooldownTest(EngineTestCase):
    def test_cooldown_sets_status_and_penalty(self) -> None:
        (account,) = self.make_accounts(1)
        until = dt.datetime.now(UTC) + dt.timedelta(minutes=5)
        cooled = self.engine.accounts.cooldown(account["id"], until, "429")
        self.assertEqual(cooled["status"], "cooldown")
        self.assertIsNotNone(cooled["cooldown_until"])
        allowed, wait = self.engine.ratelimit.try_acquire(f"account:{account['id']}")
        self.assertFalse(allowed)
        self.assertGreater(wait, 0.0)
        with self.assertRaises(gramkit.NotFoundError):
            self.engine.accounts.cooldown(999_999, until, "429")
        report = self.engine.ratelimit.report([f"account:{account['id']}", "endpoint:web"])
        self.assertEqual(report["account"]["id"], account["id"])
        self.assertEqual(report["account"]["status"], "cooldown")
        self.assertEqual(report["account"]["cooldown_until"], cooled["cooldown_until"])
        self.assertIn("penalty", [item["rule"] for item in report["items"]])
        self.assertNotIn("account", self.engine.ratelimit.report(["proxy:1"]))


class PersistenceTest(unittest.TestCase):
    """Rules from the configuration; spent quota survives a restart."""

    def test_rules_in_config_and_state_across_restart(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            config = memory_config(storage_url=f"sqlite://{tmp}/rl.db", ratelimit_rules=RULES)
            with gramkit.Engine(config) as engine:
                self.assertEqual(engine.ratelimit.policies(), RULES)
                self.assertEqual(engine.ratelimit.try_acquire("account:5", cost=2), (True, 0.0))
                self.assertEqual(engine.ratelimit.save(), 1)
            with gramkit.Engine(config) as engine:
                allowed, wait = engine.ratelimit.try_acquire("account:5")
                self.assertFalse(allowed)  # not a fresh burst of 2
                self.assertGreater(wait, 3000.0)
            with self.assertRaises(gramkit.InvalidArgumentError) as caught:
                gramkit.Engine(memory_config(ratelimit_rules=[{"name": "x"}]))
            self.assertIn("ratelimit_rules[0]", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
