"""Compatibility entry point of the original: `python main.py` runs the service like `python run.py`;
`uvicorn main:app` works too."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access, from the environment
        from app.main import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":
    import run

    raise SystemExit(run.main())
