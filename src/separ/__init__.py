"""Separ (Persian سپر, "shield"): find coordinated inauthentic campaigns against activists,
shield the targets, and keep an accountable record.

The Python API is the product; the ``separ`` command only calls it.
"""

__version__ = "0.1.0"

from separ.errors import InputError, ParameterError, SeparError, WorkspaceError
from separ.workspace import Workspace, open_workspace

__all__ = [
    "InputError",
    "ParameterError",
    "SeparError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "open_workspace",
]
