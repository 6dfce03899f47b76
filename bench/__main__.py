"""`python -m bench NAME [args]`: run one benchmark (or `all`); each prints one JSON line with its figures."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "worker",
    "aggregate",
    "hydrate",
    "pipeline",
    "pagination",
    "worker_memory",
    "resume",
    "sync",
    "query",
    "export",
)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*BENCHMARKS, "all"):
        print(f"usage: python -m bench {{{'|'.join((*BENCHMARKS, 'all'))}}} [args]", file=sys.stderr)
        return 2
    names = BENCHMARKS if argv[0] == "all" else (argv[0],)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        module.main(argv[1:] if len(names) == 1 else [])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
