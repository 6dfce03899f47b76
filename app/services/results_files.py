"""Housekeeping of results-store objects shared by DELETE /orders/{arn} and the retention sweep."""

from __future__ import annotations

import contextlib
from pathlib import Path

from lambda_functions.common.results_store import ResultsStore


def prune_empty_directories(store: ResultsStore, prefix: str) -> None:
    """A local store keeps directories after their files are deleted: remove the empty ones under `prefix`."""
    root = getattr(store, "root", None)
    if not isinstance(root, Path) or not prefix:
        return
    top = (root / prefix).resolve()
    if not top.is_relative_to(root) or top == root or not top.is_dir():
        return
    for directory in sorted(
        (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
    ):
        _rmdir_if_empty(directory)
    _rmdir_if_empty(top)


def _rmdir_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (e.g. a write in progress): kept
        directory.rmdir()
