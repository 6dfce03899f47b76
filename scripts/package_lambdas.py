"""Build build/<function>.zip for the coordinator, worker and aggregator Lambdas: each with only what it needs,
compiled.

- Code: the modules of `lambda_functions/` the handler reaches (`lambda_functions/<fn>/app.py` and everything it
  imports, found by reading the imports, lazy ones included), at the same paths as in the repository, so the
  handler path `lambda_functions/<fn>/app.handler` is the same.
- Dependencies: the distributions of requirements-lambda.txt that those modules import, plus what those require,
  installed once as Linux x86_64 wheels for CPython 3.11 whatever machine builds them. A function that imports
  nothing of a distribution does not get it (the aggregator has no `requests`, the worker no `ijson`); boto3,
  botocore and urllib3 come with the Lambda runtime. An import that neither the requirements nor the runtime
  provide stops the build.
- Bytecode: every `.py` also ships as `__pycache__/<name>.cpython-311.pyc` (unchecked hash: used as is, never
  compared with the source's timestamp, which a zip does not keep reliably), so a cold start does not compile
  pydantic & co. Built only by a CPython 3.11 (the runtime's); another interpreter stops the build.
- Reproducible: fixed timestamps, sorted entries; the same sources give byte-identical zips (SAM then skips
  unchanged uploads).

    python scripts/package_lambdas.py [--output build] [--functions worker aggregator]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("coordinator", "worker", "aggregator")
REQUIREMENTS = ROOT / "requirements-lambda.txt"
PACKAGE = "lambda_functions"
RUNTIME = "3.11"
PYC_TAG = "cpython-311"
# What the Lambda Python runtime itself provides ("Building Lambda functions with Python").
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})
# The runtime's platform, for the environment markers of Requires-Dist.
MARKER_ENVIRONMENT = {
    "python_version": RUNTIME,
    "python_full_version": f"{RUNTIME}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "extra": "",
}
# Fixed timestamp: the same sources give byte-identical zips.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class PackagingError(RuntimeError):
    """A function cannot be packaged as it stands (an import nothing provides, a wrong interpreter)."""


def install_dependencies(target: Path) -> None:
    """pip-install the Lambda requirements as manylinux wheels (never sdists, never the host's platform)."""
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--requirement", str(REQUIREMENTS), "--target", str(target), "--no-compile",
        "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", RUNTIME,
        "--only-binary=:all:", "--upgrade",
    ]  # fmt: skip
    subprocess.run(command, check=True)


# --- code: the modules a handler reaches ----------------------------------------------------------------------


def _module_file(name: str, root: Path) -> Path | None:
    """`lambda_functions.a.b` → its file (a module or a package's __init__), None when it is not a module."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> Iterable[str]:
    """Every module name `path` imports, anywhere in it (lazy imports inside functions too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`


@dataclass
class CodeClosure:
    files: dict[str, Path] = field(default_factory=dict)  # module name -> file
    external: set[str] = field(default_factory=set)  # top-level names of everything else imported


def code_closure(function: str, root: Path = ROOT) -> CodeClosure:
    """The modules of `lambda_functions` that `lambda_functions/<function>/app.py` reaches, with their
    packages' `__init__`s, and the top-level names of the other modules they import."""
    closure = CodeClosure()
    pending = [f"{PACKAGE}.{function}.app"]
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
            module = ".".join(parts[:depth])
            if module in closure.files:
                continue
            path = _module_file(module, root)
            if path is None:
                continue  # an attribute (`from pkg import function`), not a module
            closure.files[module] = path
            for imported in _imports(path, module):
                if imported.split(".")[0] == PACKAGE:
                    pending.append(imported)
                elif imported:
                    closure.external.add(imported.split(".")[0])
    closure.external -= set(sys.stdlib_module_names) | {"__future__"}
    return closure


# --- dependencies: the installed distributions a function needs ----------------------------------------------


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Distribution:
    name: str
    requires: list[str]  # canonical names, markers evaluated for the runtime
    files: list[str]  # paths relative to the dependencies folder (no bytecode, nothing outside it)
    top_level: set[str]  # importable top-level names


def installed_distributions(target: Path) -> dict[str, Distribution]:
    """The distributions installed in `target` (pip --target), from their METADATA and RECORD."""
    found = {}
    for info in sorted(target.glob("*.dist-info")):
        metadata = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        requires = []
        for line in metadata.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            if requirement.marker is None or Marker(str(requirement.marker)).evaluate(MARKER_ENVIRONMENT):
                requires.append(_canonical(requirement.name))
        files, top_level = [], set()
        for row in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            relative = row.rsplit(",", 2)[0] if row else ""
            path = (target / relative).resolve()
            inside = path.is_relative_to(target.resolve()) and path.is_file()
            if not inside or path.suffix == ".pyc" or relative.startswith("bin/"):
                continue
            files.append(path.relative_to(target.resolve()).as_posix())
            first = files[-1].split("/")[0]
            if first.endswith(".py") or first.split(".")[-1] == "so":
                top_level.add(first.split(".")[0])
            elif "/" in files[-1] and not first.endswith((".dist-info", ".libs", ".data")):
                top_level.add(first)
        name = _canonical(str(metadata["Name"]))
        found[name] = Distribution(name, requires, files, top_level)
    return found


def needed_distributions(
    function: str, distributions: dict[str, Distribution], root: Path = ROOT
) -> list[Distribution]:
    """The distributions `function`'s code imports, and everything they require; PackagingError when an
    import is provided neither by them nor by the Lambda runtime."""
    providers = {top: d.name for d in distributions.values() for top in d.top_level}
    imported = code_closure(function, root).external
    missing = sorted(n for n in imported if n not in providers and n not in RUNTIME_PROVIDED)
    if missing:
        raise PackagingError(
            f"{function}: imports {', '.join(missing)}, which neither {REQUIREMENTS.name} nor the Lambda "
            "runtime provides"
        )
    needed: set[str] = set()
    pending = [providers[n] for n in imported if n in providers]
    while pending:
        name = pending.pop()
        if name in needed or name not in distributions:
            continue  # a requirement missing here is one the runtime satisfies (pip resolved the rest)
        needed.add(name)
        pending.extend(distributions[name].requires)
    return [distributions[name] for name in sorted(needed)]


# --- the zip ----------------------------------------------------------------------------------------------------


def package_files(function: str, dependencies: Path, root: Path = ROOT) -> dict[str, Path]:
    """What `function`'s zip holds (sources only; each `.py` also gets its `.pyc`): archive name -> file."""
    files = {}
    for distribution in needed_distributions(function, installed_distributions(dependencies), root):
        for relative in distribution.files:
            files[relative] = dependencies / relative
    for path in code_closure(function, root).files.values():
        files[path.relative_to(root).as_posix()] = path
    return dict(sorted(files.items()))


def _bytecode(source: Path, name: str, scratch: Path) -> bytes:
    """`source` compiled for the runtime, as an unchecked-hash pyc naming `name` (no build path inside)."""
    target = scratch / "module.pyc"
    py_compile.compile(
        str(source),
        cfile=str(target),
        dfile=name,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return target.read_bytes()


def _pyc_name(name: str) -> str:
    folder, _, file = name.rpartition("/")
    compiled = f"__pycache__/{file[: -len('.py')]}.{PYC_TAG}.pyc"
    return f"{folder}/{compiled}" if folder else compiled


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_zip(function: str, dependencies: Path, output: Path, root: Path = ROOT) -> Path:
    """build/<function>.zip: the function's code and dependencies, each `.py` with its `.pyc`."""
    if sys.implementation.cache_tag != PYC_TAG:
        raise PackagingError(
            f"bytecode for the python{RUNTIME} runtime needs CPython {RUNTIME} to build it; this is "
            f"{sys.implementation.cache_tag} (use the project's .venv: make package)"
        )
    zip_path = output / f"{function}.zip"
    entries: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="package-") as scratch:
        for name, path in package_files(function, dependencies, root).items():
            entries[name] = path.read_bytes()
            modes[name] = 0o755 if path.suffix == ".so" else 0o644
            if name.endswith(".py"):
                entries[_pyc_name(name)] = _bytecode(path, name, Path(scratch))
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name in sorted(entries):
            _add(archive, name, entries[name], modes.get(name, 0o644))
    return zip_path


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    parser.add_argument("--functions", nargs="+", choices=FUNCTIONS, default=list(FUNCTIONS))
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    dependencies = args.output / "lambda-dependencies"
    install_dependencies(dependencies)
    distributions = installed_distributions(dependencies)
    built = []
    for function in args.functions:
        path = build_zip(function, dependencies, args.output)
        names = ", ".join(d.name for d in needed_distributions(function, distributions))
        print(f"{path}: {path.stat().st_size // 1024} KiB ({names})")
        built.append(path)
    return built


if __name__ == "__main__":
    try:
        main()
    except PackagingError as error:
        raise SystemExit(f"package_lambdas: {error}") from None
