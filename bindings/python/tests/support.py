"""Shared helpers: engine configurations and a base TestCase."""

from __future__ import annotations

import base64
import os
import unittest
from typing import Any, Dict

import gramkit

#: Environment variable carrying the test key ring ("k1 <base64>").
KEY_ENV = "GK_PY_KEYS"


def ensure_keys() -> str:
    """Puts a fresh 32-byte key into GK_PY_KEYS (once per process)."""
    if not os.environ.get(KEY_ENV):
        os.environ[KEY_ENV] = "k1 " + base64.b64encode(os.urandom(32)).decode("ascii")
    return KEY_ENV


def memory_config(**extra: Any) -> Dict[str, Any]:
    """An in-memory SQLite engine with keys from the environment, no logging."""
    config: Dict[str, Any] = {"storage_url": "sqlite::memory:", "key_env": ensure_keys(), "log_level": "off"}
    config.update(extra)
    return config


class EngineTestCase(unittest.TestCase):
    """Gives every test a fresh in-memory engine as ``self.engine``."""

    engine: gramkit.Engine

    def setUp(self) -> None:
        self.engine = gramkit.Engine(memory_config())
        self.addCleanup(self.engine.close)

    def make_accounts(self, count: int, prefix: str = "user") -> list:
        return [self.engine.accounts.create(f"{prefix}{i:03d}", f"pw-{i}") for i in range(count)]

    def drain_events(self) -> None:
        list(self.engine.events(timeout=0))
