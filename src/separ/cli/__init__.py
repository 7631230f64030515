"""The ``separ`` command: thin — it parses, calls the Python API, and prints.

Errors a user can fix are one line on stderr and a non-zero exit (see ``separ.errors``).
The commands live in modules by what they are for (``separ --help`` shows them in the
same groups): ``data``, ``findings``, ``decisions``, ``accountability``; ``common`` holds
what they share.
"""

from __future__ import annotations

import sys
from importlib import import_module

from separ.cli.common import app, err, styled
from separ.errors import SeparError

__all__ = ["app", "main"]

for _group in ("data", "findings", "decisions", "accountability"):  # the order of --help
    import_module(f"separ.cli.{_group}")  # each registers its commands on ``app``


def main() -> None:
    try:
        app()
    except SeparError as exc:
        err.print(styled("error: ", str(exc), "red"), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
