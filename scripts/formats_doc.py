"""Regenerate docs/formats.md from the importers' module docs (tests check it is current).

    .venv/bin/python scripts/formats_doc.py
"""

import importlib
from pathlib import Path

from separ.ingest import IMPORTERS

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["native", "infoops", "shares", "followers", "twarc", "jetstream", "profiles"]


def main() -> None:
    parts = [(ROOT / "scripts" / "formats-header.md").read_text(encoding="utf-8").rstrip()]
    for name in ORDER + sorted(set(IMPORTERS) - set(ORDER)):
        module = importlib.import_module(IMPORTERS[name].__module__)
        parts.append(f"## `{name}`\n\n{(module.__doc__ or '').strip()}")
    (ROOT / "docs" / "formats.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
