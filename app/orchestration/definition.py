"""The state machine definition (`step_functions/init.json`) and its `${...}` placeholders.

AWS fills the placeholders through SAM `DefinitionSubstitutions`; the embedded runner fills them here, so one
file serves both modes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

DEFINITION_PATH = Path(__file__).resolve().parents[2] / "step_functions" / "init.json"

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class DefinitionError(ValueError):
    """The definition names a placeholder nobody provides."""


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def substitute(text: str, values: Mapping[str, object]) -> str:
    """Replace every `${Name}`; a placeholder without a value is an error, not left in place."""
    missing = placeholders_in(text) - set(values)
    if missing:
        raise DefinitionError(f"no value for the definition placeholders: {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def load_definition(values: Mapping[str, object], path: Path = DEFINITION_PATH) -> str:
    """The definition with its placeholders filled in."""
    return substitute(path.read_text(encoding="utf-8"), values)
