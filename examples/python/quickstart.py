#!/usr/bin/env python3
"""gramkit from Python: open an engine, register accounts, list them and
handle an error.

Run from the source tree after building the library:

    GRAMKIT_LIBRARY=build/dev/src/libgramkit.so PYTHONPATH=bindings/python \
        python3 examples/python/quickstart.py

(or `pip install ./bindings/python` with the library copied next to the
package, see docs/python.md).
"""

from __future__ import annotations

import sys
import tempfile

import gramkit


def main() -> int:
    print(f"gramkit {gramkit.library_version()} from {gramkit.library_path()}")

    # A throwaway data directory: the engine creates gramkit.db and a key
    # file (gramkit.keys, mode 0600) in it on first use.
    with tempfile.TemporaryDirectory(prefix="gramkit-quickstart-") as data_dir:
        with gramkit.Engine({"data_dir": data_dir, "log_level": "error"}) as engine:
            alice = engine.accounts.create("alice.bot", "correct horse", email="alice@example.com",
                                           labels=["eu", "demo"])
            print(f"registered #{alice['id']} {alice['username']} (status {alice['status']})")
            engine.accounts.create("bob.bot", "battery staple", labels=["us"])

            # Registering the same username again is a conflict.
            try:
                engine.accounts.create("alice.bot", "another password")
            except gramkit.ConflictError as exc:
                print(f"as expected, duplicate refused: {exc.code_name} ({exc.message})")
            else:
                print("error: duplicate username was accepted", file=sys.stderr)
                return 1

            # Bad input names the field.
            try:
                engine.accounts.create("not a valid name!", "pw")
            except gramkit.InvalidArgumentError as exc:
                print(f"as expected, bad input refused: {exc.message}")

            print("accounts:")
            for account in engine.accounts.list(limit=10):
                labels = ",".join(account["labels"]) or "-"
                print(f"  #{account['id']:<3} {account['username']:<12} {account['status']:<8} labels={labels}")

            # What happened, as events.
            for event in engine.events(timeout=0.2):
                print(f"event {event['seq']}: {event['type']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
