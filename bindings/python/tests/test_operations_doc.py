"""docs/operations.md must be what tools/gen_operations_doc.py produces from
the library's meta.operations, so the reference cannot drift from the code."""

from __future__ import annotations

import importlib.util
import pathlib
import unittest

REPO = pathlib.Path(__file__).resolve().parents[3]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_operations_doc", REPO / "tools" / "gen_operations_doc.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


class OperationsDocTest(unittest.TestCase):
    def test_committed_page_matches_the_registry(self) -> None:
        expected = load_generator().generate()
        committed = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
        self.assertEqual(
            committed, expected,
            "docs/operations.md is stale: regenerate it with tools/gen_operations_doc.py (see its docstring)")

    def test_every_operation_is_documented_with_a_permission(self) -> None:
        page = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
        for op in ("accounts.create", "proxies.assign", "sessions.checkout", "ratelimit.check", "vault.rewrap"):
            self.assertIn(f"### `{op}`", page)
        self.assertNotIn("Permission: ``", page)


if __name__ == "__main__":
    unittest.main()
