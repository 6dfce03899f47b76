"""The sandbox judges the extraction, so it must not share the project's code (lambda_functions, app)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sandbox

FORBIDDEN = {"lambda_functions", "app"}
PACKAGE = Path(sandbox.__file__).parent


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module (function-level imports included)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_check_sees_every_import_form(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import app.main\ndef f():\n    from lambda_functions.common import streams\nfrom . import x\n"
    )
    assert imported_roots(module) == {"app", "lambda_functions"}


def test_no_sandbox_module_imports_the_project() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 10
    offenders = {str(path.relative_to(PACKAGE)): imported_roots(path) & FORBIDDEN for path in modules}
    assert {name: roots for name, roots in offenders.items() if roots} == {}


def test_importing_every_sandbox_module_loads_nothing_of_the_project() -> None:
    names = [
        "sandbox." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(PACKAGE.rglob("*.py"))
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lambda_functions', 'app')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
