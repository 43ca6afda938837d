"""Resource wrappers: accounts, proxies, sessions and vault round trips."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import tempfile
import types
import unittest

import gramkit

from .support import EngineTestCase, memory_config

UTC = dt.timezone.utc


class AccountsTest(EngineTestCase):
    def test_create_get_update_delete(self) -> None:
        accounts = self.engine.accounts
        created = accounts.create("round.trip", "s3cret", email="rt@example.com", totp_seed="JBSWY3DPEHPK3PXP",
                                  labels=("zeta", "alpha", "alpha"))
        self.assertEqual(created["username"], "round.trip")
        self.assertEqual(created["email"], "rt@example.com")
        self.assertEqual(created["labels"], ["alpha", "zeta"])
        self.assertEqual(created["status"], "active")
        self.assertTrue(created["has_totp_seed"])
        self.assertIsNone(created["proxy_id"])
        self.assertIsNone(created["cooldown_until"])
        for secret in ("s3cret", "JBSWY3DPEHPK3PXP"):
            self.assertNotIn(secret, repr(created))
        created_at = gramkit.parse_timestamp(created["created_at"])
        self.assertLess(abs(dt.datetime.now(UTC) - created_at), dt.timedelta(minutes=5))

        self.assertEqual(accounts.get(created["id"]), created)
        self.assertEqual(accounts.get_by_username("round.trip"), created)

        updated = accounts.update(created["id"], username="renamed.bot", labels=["beta"], email=None,
                                  totp_seed=None)
        self.assertEqual(updated["username"], "renamed.bot")
        self.assertEqual(updated["labels"], ["beta"])
        self.assertIsNone(updated["email"])
        self.assertFalse(updated["has_totp_seed"])
        self.assertEqual(accounts.get_by_username("renamed.bot")["id"], created["id"])
        with self.assertRaises(gramkit.NotFoundError):
            accounts.get_by_username("round.trip")

        kept = accounts.update(created["id"], password="new-secret")
        self.assertEqual(kept["labels"], ["beta"])

        self.assertIsNone(accounts.delete(created["id"]))
        with self.assertRaises(gramkit.NotFoundError):
            accounts.get(created["id"])

    def test_list_follows_keyset_pages(self) -> None:
        made = self.make_accounts(7)
        seen = self.engine.accounts.list(limit=3)
        self.assertIsInstance(seen, types.GeneratorType)
        items = list(seen)
        self.assertEqual([a["id"] for a in items], sorted(a["id"] for a in made))

        first = self.engine.accounts.page(limit=3)
        self.assertEqual(len(first["items"]), 3)
        self.assertIsNotNone(first["next_after"])
        second = self.engine.accounts.page(limit=3, after=first["next_after"])
        third = self.engine.accounts.page(limit=3, after=second["next_after"])
        self.assertEqual(len(second["items"]), 3)
        self.assertEqual(len(third["items"]), 1)
        self.assertIsNone(third["next_after"])

    def test_list_pages_are_fetched_lazily(self) -> None:
        self.make_accounts(5)
        afters: list = []
        original = self.engine.call

        def counting_call(op, /, **params):  # type: ignore[no-untyped-def]
            afters.append(params.get("after"))
            return original(op, **params)

        self.engine.call = counting_call  # type: ignore[method-assign]
        iterator = self.engine.accounts.list(limit=2)
        self.assertEqual(len(afters), 1)  # the first page is fetched at once
        next(iterator)
        next(iterator)
        self.assertEqual(len(afters), 1)
        next(iterator)
        self.assertEqual(len(afters), 2)
        self.assertEqual(len(list(iterator)), 2)
        self.assertEqual(afters[0], None)
        self.assertEqual(len(afters), 3)

    def test_list_filters(self) -> None:
        a = self.engine.accounts.create("filter.a", "pw", labels=["eu"])
        self.engine.accounts.create("filter.b", "pw", labels=["us"])
        c = self.engine.accounts.create("filter.c", "pw", labels=["eu", "vip"])
        self.engine.accounts.set_status(c["id"], "paused", "holiday")
        self.assertEqual([x["username"] for x in self.engine.accounts.list(label="eu")], ["filter.a", "filter.c"])
        self.assertEqual([x["username"] for x in self.engine.accounts.list(status="paused")], ["filter.c"])
        self.assertEqual([x["id"] for x in self.engine.accounts.list(status="active", label="eu")], [a["id"]])
        self.assertEqual(list(self.engine.accounts.list(label="nobody")), [])

    def test_bad_filter_raises_at_call_time(self) -> None:
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.accounts.list(status="sleeping")
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.accounts.list(limit=100000)

    def test_status_history_and_unicode_reason(self) -> None:
        account = self.engine.accounts.create("history.bot", "pw")
        until = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(hours=1)
        cooled = self.engine.accounts.set_status(account["id"], "cooldown", "429 × 3 — zu viele 請求", until=until)
        self.assertEqual(cooled["status"], "cooldown")
        self.assertEqual(gramkit.parse_timestamp(cooled["cooldown_until"]), until)
        self.assertEqual(cooled["status_reason"], "429 × 3 — zu viele 請求")
        later = (until + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.engine.accounts.set_status(account["id"], "cooldown", "extended", until=later)
        self.engine.accounts.set_status(account["id"], "active", "back")
        history = self.engine.accounts.history(account["id"])
        # Newest first; the oldest entry records the creation.
        self.assertEqual([h["to"] for h in history], ["active", "cooldown", "cooldown", "active"])
        self.assertEqual([h["reason"] for h in history[:3]], ["back", "extended", "429 × 3 — zu viele 請求"])
        self.assertEqual(history[2]["from"], "active")
        self.assertEqual(gramkit.parse_timestamp(history[1]["until"]), until + dt.timedelta(hours=1))
        self.assertEqual(len(self.engine.accounts.history(account["id"], limit=1)), 1)

    def test_naive_datetime_is_utc(self) -> None:
        naive = dt.datetime(2030, 1, 2, 3, 4, 5)
        self.assertEqual(gramkit.format_timestamp(naive), "2030-01-02T03:04:05.000000Z")
        aware = dt.datetime(2030, 1, 2, 5, 4, 5, 7, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        self.assertEqual(gramkit.format_timestamp(aware), "2030-01-02T03:04:05.000007Z")


class ProxiesTest(EngineTestCase):
    def test_proxy_round_trip_and_assignment(self) -> None:
        proxies = self.engine.proxies
        proxy = proxies.create("http://user:hunter2@10.0.0.1:8080", max_accounts=2)
        self.assertEqual(proxy["host"], "10.0.0.1")
        self.assertEqual(proxy["port"], 8080)
        self.assertTrue(proxy["has_password"])
        self.assertNotIn("hunter2", repr(proxy))
        self.assertEqual(proxies.get(proxy["id"]), proxy)
        with self.assertRaises(gramkit.ConflictError):
            proxies.create("http://user:other@10.0.0.1:8080")
        with self.assertRaises(gramkit.InvalidArgumentError):
            proxies.create("ftp://10.0.0.2:21")

        a, b, c = self.make_accounts(3, prefix="px")
        self.assertEqual(proxies.assign(a["id"])["id"], proxy["id"])
        self.assertEqual(proxies.assign_to(b["id"], proxy["id"])["assigned_accounts"], 2)
        self.assertEqual(self.engine.accounts.get(a["id"])["proxy_id"], proxy["id"])
        with self.assertRaises(gramkit.UnavailableError):
            proxies.assign(c["id"])
        with self.assertRaises(gramkit.FailedPreconditionError):
            proxies.delete(proxy["id"])
        self.assertEqual(proxies.set_max_accounts(proxy["id"], 3)["max_accounts"], 3)
        self.assertEqual(proxies.assign(c["id"])["assigned_accounts"], 3)
        for account in (a, b, c):
            self.assertIsNone(proxies.unassign(account["id"]))

        for _ in range(3):
            failed = proxies.report_failure(proxy["id"])
        self.assertEqual(failed["health"], "unhealthy")
        self.assertEqual([p["id"] for p in proxies.list(health="unhealthy")], [proxy["id"]])
        self.assertEqual(proxies.report_success(proxy["id"])["health"], "healthy")
        self.assertEqual(proxies.set_health(proxy["id"], "unhealthy")["health"], "unhealthy")
        self.assertIsNone(proxies.delete(proxy["id"]))
        with self.assertRaises(gramkit.NotFoundError):
            proxies.get(proxy["id"])

    def test_proxy_list_pages(self) -> None:
        ids = [self.engine.proxies.create(f"socks5://10.1.0.{i}:1080")["id"] for i in range(5)]
        self.assertEqual([p["id"] for p in self.engine.proxies.list(limit=2)], ids)


class SessionsTest(EngineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.account = self.engine.accounts.create("session.bot", "pw")

    def test_save_get_cookies_invalidate(self) -> None:
        sessions = self.engine.sessions
        with self.assertRaises(gramkit.NotFoundError):
            sessions.get(self.account["id"])
        expires = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(days=30)
        jar_cookie = http.cookiejar.Cookie(
            0, "csrftoken", "tok-value", None, False, ".instagram.com", True, True, "/", True, True,
            int(expires.timestamp()), False, None, None, {"HttpOnly": None})
        session = sessions.save_cookies(
            self.account["id"],
            [{"name": "sessionid", "value": "very-secret", "domain": ".instagram.com", "path": "/",
              "expires": expires, "secure": True, "http_only": True},
             jar_cookie],
            user_agent="Instagram 300.0 Android", device_id="android-abc", locale="de_DE")
        self.assertEqual(session["cookie_count"], 2)
        self.assertTrue(session["valid"])
        self.assertEqual(session["locale"], "de_DE")
        self.assertEqual(gramkit.parse_timestamp(session["expires_at"]), expires)
        self.assertEqual(sessions.get(self.account["id"])["device_id"], "android-abc")

        cookies = {c["name"]: c for c in sessions.cookies(self.account["id"])}
        self.assertEqual(set(cookies), {"sessionid", "csrftoken"})
        self.assertNotIn("value", cookies["sessionid"])
        self.assertNotIn("very-secret", repr(cookies))
        self.assertTrue(cookies["csrftoken"]["http_only"])
        self.assertTrue(cookies["csrftoken"]["secure"])

        replaced = sessions.replace_cookies(self.account["id"], [
            {"name": "ds_user_id", "value": "1", "domain": ".instagram.com", "path": "/",
             "secure": False, "http_only": False}])
        self.assertEqual(replaced["cookie_count"], 1)

        self.assertIsNone(sessions.invalidate(self.account["id"], "login_required"))
        invalid = sessions.get(self.account["id"])
        self.assertFalse(invalid["valid"])
        self.assertEqual(invalid["invalid_reason"], "login_required")
        self.assertEqual(list(sessions.list(valid_only=True)), [])
        self.assertEqual([s["account_id"] for s in sessions.list()], [self.account["id"]])

    def test_import_cookies_txt(self) -> None:
        text = ("# Netscape HTTP Cookie File\n"
                ".instagram.com\tTRUE\t/\tTRUE\t0\tsessionid\tabc\n"
                ".instagram.com\tTRUE\t/\tFALSE\t0\tmid\txyz\n")
        session = self.engine.sessions.import_cookies(self.account["id"], text)
        self.assertEqual(session["cookie_count"], 2)
        with self.assertRaises(gramkit.InvalidArgumentError):
            self.engine.sessions.import_cookies(self.account["id"], "this is not a cookie export")

    def test_checkout_and_checkin(self) -> None:
        sessions = self.engine.sessions
        with self.assertRaises(gramkit.UnavailableError):
            sessions.checkout()
        sessions.save_cookies(self.account["id"], [
            {"name": "sessionid", "value": "v", "domain": ".instagram.com", "path": "/",
             "secure": True, "http_only": True}])
        with sessions.checked_out() as held:
            self.assertEqual(held["account_id"], self.account["id"])
            self.assertEqual(held["username"], "session.bot")
            with self.assertRaises(gramkit.UnavailableError):
                sessions.checkout()
        again = sessions.checkout()
        self.assertEqual(again["account_id"], self.account["id"])
        sessions.checkin(again["account_id"])
        with self.assertRaises(gramkit.FailedPreconditionError):
            sessions.checkin(again["account_id"])


class VaultTest(unittest.TestCase):
    def test_keys_add_and_rewrap(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            with gramkit.Engine({"data_dir": tmp, "log_level": "off"}) as engine:
                engine.accounts.create("vaulted.bot", "pw", totp_seed="JBSWY3DPEHPK3PXP")
                ring = engine.vault.keys()
                self.assertEqual(len(ring["keys"]), 1)
                self.assertEqual(ring["newest"], ring["keys"][0])
                added = engine.vault.add_key("k-new")
                self.assertEqual(added["newest"], "k-new")
                self.assertIn("k-new", engine.vault.keys()["keys"])
                report = engine.vault.rewrap()
                self.assertEqual(report["key_id"], "k-new")
                self.assertGreaterEqual(report["rewrapped"], 2)
                with self.assertRaises(gramkit.GramkitError):
                    engine.vault.add_key("k-new")
            # Reopening the same directory reads the key file and the data.
            with gramkit.Engine({"data_dir": tmp, "log_level": "off"}) as engine:
                self.assertEqual(engine.vault.keys()["newest"], "k-new")
                self.assertEqual(engine.accounts.get_by_username("vaulted.bot")["has_totp_seed"], True)

    def test_memory_engine_lists_env_key(self) -> None:
        with gramkit.Engine(memory_config()) as engine:
            self.assertEqual(engine.vault.keys(), {"keys": ["k1"], "newest": "k1"})


if __name__ == "__main__":
    unittest.main()
