"""Exit codes scripts can rely on, and the error every command raises for a user to read.

0  complete: the command did what was asked (an extraction ended with its whole history)
2  incomplete: an extraction ended without its whole history (a stream not paged to its end, a failed or
   cancelled execution), or one that was only looked at is still running
1  error: the service is unreachable, it answered 4xx/5xx (its message is printed), or bad arguments

CliError            a message for the user, with what to do (exit 1)
├── ServiceUnreachable   no answer from the service's URL
└── ApiError             the service answered 4xx/5xx: status and the API's own message
"""

from __future__ import annotations

from typing import Any

EXIT_COMPLETE = 0
EXIT_ERROR = 1
EXIT_INCOMPLETE = 2

EXIT_CODES_HELP = (
    "Exit codes: 0 complete; 2 incomplete (an extraction ended without its whole history: a stream not "
    "paged to its end, a failed or cancelled execution; or `status` of one still running); 1 error (service "
    "unreachable, an API error, whose message is printed, or bad arguments)."
)


class CliError(Exception):
    """Something the user must fix or know; `message` says what happened and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceUnreachable(CliError):
    """The service did not answer at all (connection refused, DNS, timeout)."""


class ApiError(CliError):
    """The service answered with an error status; `detail` is its message as the API wrote it."""

    def __init__(self, method: str, path: str, status: int, detail: str, body: Any = None) -> None:
        super().__init__(f"{method} {path} answered HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.body = body
