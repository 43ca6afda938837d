"""Unit tests of the gramkit Python bindings (python3 -m unittest)."""
