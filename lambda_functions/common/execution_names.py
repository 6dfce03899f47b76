"""The execution-name rule, defined once: what the coordinator, the worker, the aggregator and the API accept.

A name is 1 to 80 letters, digits, `-` and `_`: Step Functions' own length limit, in the characters the
coordinator's names use (coordinator/naming.py: `20250101T120000Z-<8 hex>-<6 hex>`, a later run `NAME-r{n}`), all
safe in a results-store key, which every name starts (keys.py: no `/`, no `.`, so no `..`). A name to resume
keeps `RUN_SUFFIX_ROOM` characters free for its runs' `-r{n}`.
"""

from __future__ import annotations

import re
from typing import TypeGuard

MAX_LENGTH = 80
EXECUTION_NAME = rf"[A-Za-z0-9_-]{{1,{MAX_LENGTH}}}"
EXECUTION_NAME_PATTERN = f"^{EXECUTION_NAME}$"  # anchored, for pydantic `pattern=`
RUN_SUFFIX_ROOM = 10  # "-r{n}" of a resumed or continued run

_EXECUTION_NAME = re.compile(EXECUTION_NAME)


def is_execution_name(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _EXECUTION_NAME.fullmatch(value) is not None
