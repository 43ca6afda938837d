"""The instagram.* wrappers against a real igsim process over HTTPS."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import unittest

import gramkit

from .support import memory_config

READY = re.compile(r"^igsim listening http=127\.0\.0\.1:(\d+) https=127\.0\.0\.1:(\d+) cert=(\S+)$")


def igsim_path() -> str:
    path = os.environ.get("GRAMKIT_IGSIM", "")
    if not path and os.environ.get("CI") == "true":
        raise RuntimeError("GRAMKIT_IGSIM is not set (ctest sets it to the built igsim)")
    return path


@unittest.skipUnless(igsim_path(), "GRAMKIT_IGSIM not set (run through ctest)")
class InstagramTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.work = tempfile.TemporaryDirectory()
        accounts = os.path.join(cls.work.name, "accounts.json")
        with open(accounts, "w") as f:
            json.dump([{"username": "py_bot", "password": "py-pass", "outcome": "ok"}], f)
        cert = os.path.join(cls.work.name, "ca.pem")
        cls.proc = subprocess.Popen(
            [igsim_path(), "--port", "0", "--cert-out", cert, "--accounts", accounts, "--seed", "3", "--users", "3",
             "--posts-per-user", "15"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        match = READY.match(cls.proc.stdout.readline().strip())
        if not match:
            cls.proc.kill()
            raise RuntimeError("igsim did not start")
        cls.base = f"https://127.0.0.1:{match.group(2)}"
        cls.cert = cert

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.work.cleanup()

    def setUp(self) -> None:
        config = memory_config(http_ca_file=self.cert,
                               instagram={"web_base_url": self.base, "api_base_url": self.base})
        self.engine = gramkit.Engine(config)
        self.addCleanup(self.engine.close)
        self.account = self.engine.accounts.create("py_bot", "py-pass")
        # igsim's world, read through its admin API, is the expected data.
        import ssl
        import urllib.request
        context = ssl.create_default_context(cafile=self.cert)
        with urllib.request.urlopen(self.base + "/__igsim/world", context=context, timeout=10) as r:
            self.world = json.load(r)

    def test_login_then_reads(self) -> None:
        ig = self.engine.instagram
        result = ig.login(self.account["id"])
        self.assertEqual(result["status"], "ok")
        username = next(u["username"] for u in self.world["users"] if not u["is_private"])
        profile = ig.profile(self.account["id"], username)
        self.assertEqual(profile["username"], username)
        self.assertIsInstance(profile["id"], str)
        posts = list(ig.posts(self.account["id"], username))
        self.assertEqual(len(posts), 15)
        self.assertEqual(len({p["id"] for p in posts}), 15)
        self.assertEqual(len(list(ig.posts(self.account["id"], username, limit=4))), 4)
        post = ig.media(self.account["id"], posts[0]["shortcode"])
        self.assertEqual(post["id"], posts[0]["id"])
        tag = ig.hashtag(self.account["id"], self.world["hashtags"][0]["name"])
        self.assertTrue(tag["recent_posts"] or tag["top_posts"])

    def test_errors_are_typed(self) -> None:
        ig = self.engine.instagram
        with self.assertRaises(gramkit.InvalidArgumentError):
            ig.profile(self.account["id"], "bad name!")
        with self.assertRaises(gramkit.NotFoundError):
            ig.profile(999_999, "someone")
        ig.login(self.account["id"])
        with self.assertRaises(gramkit.NotFoundError):
            ig.profile(self.account["id"], "no_such_user_here")


if __name__ == "__main__":
    unittest.main()
