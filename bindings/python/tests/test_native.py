"""Library discovery (in subprocesses, so each starts unloaded) and the
error classes (no library needed)."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path
from typing import Dict, Optional

import gramkit
from gramkit import errors

PACKAGE_DIR = Path(gramkit.__file__).resolve().parent

# Prints what loading produced: "OK <path> <version>" or "ERR <class> <message>".
PROBE = textwrap.dedent("""
    import gramkit
    try:
        path = gramkit.library_path()
    except gramkit.GramkitError as exc:
        print("ERR", type(exc).__name__, isinstance(exc, ImportError), exc.message)
    else:
        print("OK", path, gramkit.library_version())
""")


def run_probe(env_library: Optional[str], pythonpath: str) -> str:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k != "GRAMKIT_LIBRARY"}
    env["PYTHONPATH"] = pythonpath
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if env_library is not None:
        env["GRAMKIT_LIBRARY"] = env_library
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"probe crashed ({done.returncode}): {done.stderr}")
    return done.stdout.strip()


def copy_package(destination: Path) -> Path:
    target = destination / "gramkit"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "libgramkit.so*"))
    return target


class DiscoveryTest(unittest.TestCase):
    def test_missing_file_in_env_is_a_clear_error(self) -> None:
        out = run_probe("/nonexistent/dir/libgramkit.so", str(PACKAGE_DIR.parent))
        self.assertTrue(out.startswith("ERR LibraryNotFoundError True"), out)
        self.assertIn("GRAMKIT_LIBRARY=/nonexistent/dir/libgramkit.so: no such file", out)

    def test_env_pointing_to_a_non_library(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            bogus = Path(tmp) / "libgramkit.so"
            bogus.write_text("not an ELF file\n")
            out = run_probe(str(bogus), str(PACKAGE_DIR.parent))
        self.assertTrue(out.startswith("ERR LibraryNotFoundError"), out)
        self.assertIn(str(bogus), out)

    def test_library_next_to_the_package(self) -> None:
        library = os.environ.get("GRAMKIT_LIBRARY") or gramkit.library_path()
        with tempfile.TemporaryDirectory() as tmp:
            package = copy_package(Path(tmp))
            shutil.copy(library, package / "libgramkit.so")
            out = run_probe(None, tmp)
        self.assertEqual(out, f"OK {package / 'libgramkit.so'} {gramkit.library_version()}")

    def test_nothing_found_lists_every_place(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            package = copy_package(Path(tmp))
            out = run_probe(None, tmp)
        if out.startswith("OK"):
            self.skipTest(f"a system-wide libgramkit is installed: {out}")
        self.assertTrue(out.startswith("ERR LibraryNotFoundError True"), out)
        self.assertIn(f"next to the package: {package}", out)
        self.assertIn("find_library", out)
        self.assertIn("libgramkit.so.0", out)
        self.assertIn("set GRAMKIT_LIBRARY", out)

    def test_import_does_not_need_the_library(self) -> None:
        out = run_probe("/nonexistent/libgramkit.so", str(PACKAGE_DIR.parent))
        self.assertTrue(out.startswith("ERR"), out)  # import gramkit itself succeeded

    def test_loaded_library_is_reported(self) -> None:
        path = gramkit.library_path()
        self.assertTrue(os.path.exists(path) or "/" not in path, path)
        self.assertIs(gramkit.load_library(), gramkit.load_library(path))
        with self.assertRaises(gramkit.FailedPreconditionError):
            gramkit.load_library("/some/other/libgramkit.so")


class ErrorClassesTest(unittest.TestCase):
    EXPECTED = {
        -1: (gramkit.InvalidArgumentError, "invalid_argument"),
        -2: (gramkit.NotFoundError, "not_found"),
        -3: (gramkit.ConflictError, "conflict"),
        -4: (gramkit.UnauthenticatedError, "unauthenticated"),
        -5: (gramkit.PermissionDeniedError, "permission_denied"),
        -6: (gramkit.RateLimitedError, "rate_limited"),
        -7: (gramkit.UpstreamError, "upstream_error"),
        -8: (gramkit.GramkitTimeoutError, "timeout"),
        -9: (gramkit.UnavailableError, "unavailable"),
        -10: (gramkit.InternalError, "internal"),
        -11: (gramkit.FailedPreconditionError, "failed_precondition"),
        -12: (gramkit.GramkitCancelledError, "cancelled"),
        -13: (gramkit.DataLossError, "data_loss"),
        -100: (gramkit.OutOfMemoryError, "out_of_memory"),
    }

    def test_one_class_per_code(self) -> None:
        for code, (cls, name) in self.EXPECTED.items():
            with self.subTest(code=code):
                exc = errors.error_for_code(code, "msg")
                self.assertIs(type(exc), cls)
                self.assertEqual((exc.code, exc.code_name, exc.message), (code, name, "msg"))
                self.assertIsInstance(exc, gramkit.GramkitError)
                self.assertEqual(str(exc), f"{name}: msg")

    def test_names_match_the_library(self) -> None:
        from gramkit import _native

        for code, (_, name) in self.EXPECTED.items():
            with self.subTest(code=code):
                self.assertEqual(_native.error_name(code), name)

    def test_unknown_code_keeps_code_and_name(self) -> None:
        exc = errors.error_for_code(-77, "strange", "from_the_future")
        self.assertIs(type(exc), gramkit.GramkitError)
        self.assertEqual((exc.code, exc.code_name), (-77, "from_the_future"))

    def test_builtins_not_shadowed_and_pickling(self) -> None:
        self.assertFalse(issubclass(gramkit.GramkitTimeoutError, TimeoutError))
        self.assertIsNot(gramkit.GramkitTimeoutError, TimeoutError)
        again = pickle.loads(pickle.dumps(gramkit.ConflictError("taken")))
        self.assertIsInstance(again, gramkit.ConflictError)
        self.assertEqual(again.message, "taken")
        self.assertTrue(issubclass(gramkit.LibraryNotFoundError, ImportError))


if __name__ == "__main__":
    unittest.main()
