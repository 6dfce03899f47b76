"""Results retention: the results-store objects of finished executions expire after RESULTS_RETENTION_DAYS.

Only results files expire (manifest, per-symbol files, result.json: everything under the execution's prefix);
the database keeps every execution record, order and log: the ledger of orders stays.

- An execution counts from its end: the manifest's `stopped_at` (else `started_at`); a RUNNING manifest never
  expires here. Files without a manifest (left by an interrupted run) count from their newest modification time
  (local store only).
- Results whose orders are recorded in the database but not saved yet are kept, whatever their age (a save that
  keeps failing never loses its source); they expire once saved.
- Local store (embedded mode): the API sweeps every hour (first sweep at start) when RESULTS_RETENTION_DAYS > 0.
  S3: the bucket's lifecycle rule on the results prefix expires objects by age (docs/orchestration.md); this
  module can sweep an S3 store too, by manifest, from a script.

    python -m app.services.retention [--days N] [--dry-run]    # the configured store and database
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from app.orchestration.manifest import parse_time
from lambda_functions.common.keys import execution_prefix
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultsStore

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 3600.0


@dataclass
class ExpiryReport:
    cutoff: str
    examined: int = 0
    expired: list[str] = field(default_factory=list)  # execution names whose objects were deleted
    objects_deleted: int = 0
    kept_running: int = 0
    kept_unsaved: list[str] = field(default_factory=list)
    dry_run: bool = False


def expire_results(
    store: ResultsStore,
    prefix: str,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
    awaiting_save: Callable[[list[str]], set[str]] | None = None,
    dry_run: bool = False,
) -> ExpiryReport:
    """Delete the objects of executions that ended more than `retention_days` ago (0: nothing expires).

    `awaiting_save(names)` names the executions whose orders are not in the database yet (kept)."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=retention_days)
    report = ExpiryReport(cutoff=cutoff.isoformat(), dry_run=dry_run)
    if retention_days <= 0:
        return report
    old: list[str] = []
    for name in _execution_names(store, prefix):
        report.examined += 1
        ended = _ended_at(store, prefix, name)
        if ended == "running":
            report.kept_running += 1
        elif isinstance(ended, dt.datetime) and ended < cutoff:
            old.append(name)
    keep = awaiting_save(old) if awaiting_save is not None and old else set()
    report.kept_unsaved = sorted(keep)
    for name in old:
        if name in keep:
            continue
        execution = execution_prefix(prefix, name)
        keys = store.list_keys(execution)
        if not dry_run:
            store.delete(keys)
            store.prune(execution)
        report.expired.append(name)
        report.objects_deleted += len(keys)
    if report.expired:
        log.info(
            "results expired",
            extra={"executions": len(report.expired), "objects": report.objects_deleted, "dry_run": dry_run},
        )
    return report


def _execution_names(store: ResultsStore, prefix: str) -> Iterable[str]:
    """The executions under the prefix (`_health/` and dot-names are not executions)."""
    return [name for name in store.folders(prefix) if name and not name.startswith(("_", "."))]


def _ended_at(store: ResultsStore, prefix: str, name: str) -> dt.datetime | str | None:
    """When the execution ended; "running" for a RUNNING manifest; None when it cannot be told."""
    manifest = read_manifest(store, prefix, name)
    if manifest is not None:
        if manifest.get("status", "RUNNING") == "RUNNING":
            return "running"
        try:
            ended = parse_time(manifest.get("stopped_at")) or parse_time(manifest.get("started_at"))
        except ValueError:
            ended = None
        if ended is not None:
            return ended if ended.tzinfo else ended.replace(tzinfo=dt.UTC)
    return store.last_modified(execution_prefix(prefix, name))


def main(argv: list[str] | None = None) -> int:
    """Sweep the configured results store once (settings from the environment / .env)."""
    parser = argparse.ArgumentParser(
        prog="python -m app.services.retention",
        description="Expire the results-store objects of executions that ended more than N days ago.",
    )
    parser.add_argument(
        "--days", type=int, default=None, help="retention in days (default RESULTS_RETENTION_DAYS)"
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would expire, delete nothing")
    args = parser.parse_args(argv)

    from app.core.config import load_settings
    from app.core.db import make_engine, make_session_factory, run_migrations
    from app.main import store_settings
    from app.services.execution_records import ExecutionRecords
    from lambda_functions.common.config import build_results_store

    settings = load_settings()
    days = settings.results_retention_days if args.days is None else args.days
    store = build_results_store(store_settings(settings))
    if settings.auto_migrate:
        run_migrations(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    try:
        executions = ExecutionRecords(make_session_factory(engine))
        report = expire_results(
            store,
            settings.results_prefix,
            retention_days=days,
            awaiting_save=executions.names_awaiting_save,
            dry_run=args.dry_run,
        )
    finally:
        engine.dispose()
    print(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
