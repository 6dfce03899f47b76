"""The two ways to run the CLI: the `bitget-orders` console script `make` installs (pyproject's
[project.scripts], an editable install of the project) and `python -m bitget_orders`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_script_is_installed_beside_this_python() -> None:
    script = Path(sys.executable).parent / "bitget-orders"
    assert script.exists(), "bitget-orders is not installed: `make` runs `pip install --no-deps -e .`"
    run = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False, cwd="/"
    )
    assert run.returncode == 0 and "Exit codes:" in run.stdout


def test_python_dash_m_runs_the_same_command() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bitget_orders", "extract", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0 and "--fills" in run.stdout and "--embedded" in run.stdout
