"""Separ's exceptions. User errors carry their own one-line message and exit code.

    SeparError            anything Separ reports to a user as one line (exit 1)
    ├── InputError        a source file cannot be read at all (exit 2)
    ├── WorkspaceError    the workspace file is missing, locked, or newer than this Separ (exit 3)
    └── ParameterError    a command-line option or detector parameter is not valid (exit 4)

Bad *rows* are never exceptions: they go to the quarantine with their reasons.
"""

from __future__ import annotations


class SeparError(Exception):
    """An error with a message meant for the person running Separ."""

    exit_code = 1


class InputError(SeparError):
    """A source file that cannot be read at all: missing, not text, wrong shape."""

    exit_code = 2

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class WorkspaceError(SeparError):
    exit_code = 3


class ParameterError(SeparError):
    exit_code = 4
