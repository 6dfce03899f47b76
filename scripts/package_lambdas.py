"""Build build/<function>.zip for the coordinator, worker and aggregator Lambdas.

Each zip's root holds the `lambda_functions/` package (so the handler path `lambda_functions/<fn>/app.handler`
is the same as in the repository) plus the dependencies of requirements-lambda.txt, installed once as Linux
x86_64 wheels for CPython 3.11 whatever machine builds them.

    python scripts/package_lambdas.py [--output build] [--functions worker aggregator]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("coordinator", "worker", "aggregator")
REQUIREMENTS = ROOT / "requirements-lambda.txt"
# Fixed timestamp: the same sources give byte-identical zips (SAM then skips unchanged uploads).
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def install_dependencies(target: Path) -> None:
    """pip-install the Lambda requirements as manylinux wheels (never sdists, never the host's platform)."""
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--requirement", str(REQUIREMENTS), "--target", str(target),
        "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11",
        "--only-binary=:all:", "--upgrade",
    ]  # fmt: skip
    subprocess.run(command, check=True)


def _package_files(root: Path) -> list[Path]:
    skip = {"__pycache__", ".pytest_cache"}
    files = (
        p for p in root.rglob("*") if p.is_file() and not skip.intersection(p.parts) and p.suffix != ".pyc"
    )
    return sorted(files)


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, path.read_bytes())


def build_zip(function: str, dependencies: Path, output: Path) -> Path:
    """One zip: dependencies at the root, then lambda_functions/ (common code + every function's folder)."""
    zip_path = output / f"{function}.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in _package_files(dependencies):
            _add(archive, path, path.relative_to(dependencies).as_posix())
        for path in _package_files(ROOT / "lambda_functions"):
            _add(archive, path, path.relative_to(ROOT).as_posix())
    return zip_path


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    parser.add_argument("--functions", nargs="+", choices=FUNCTIONS, default=list(FUNCTIONS))
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    dependencies = args.output / "lambda-dependencies"
    install_dependencies(dependencies)
    built = [build_zip(function, dependencies, args.output) for function in args.functions]
    for path in built:
        print(f"{path}: {path.stat().st_size // 1024} KiB")
    return built


if __name__ == "__main__":
    main()
