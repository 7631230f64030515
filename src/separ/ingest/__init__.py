"""Ingest source files into a workspace: ``ingest(ws, path, format)``.

Every format goes through one registry (:data:`IMPORTERS`) and one load path
(:class:`~separ.ingest.load.Loader`). A file that cannot be read at all raises
:class:`~separ.errors.InputError` before anything of it is stored; bad rows go to the
quarantine with their line and reason; a file already ingested (same checksum, same
format) is skipped, and rows already stored are counted as unchanged, so ingesting the
same data twice never duplicates it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from separ.errors import SeparError
from separ.ingest import formats as _formats  # noqa: F401  (registers the built-in importers)
from separ.ingest.base import IMPORTERS, Importer, importer, options_of, register
from separ.ingest.load import FileResult, Loader, TableCounts, relative
from separ.ingest.read import Progress
from separ.workspace import Workspace

__all__ = [
    "IMPORTERS",
    "FileResult",
    "Importer",
    "IngestReport",
    "TableCounts",
    "ingest",
    "ingest_memory",
    "options_of",
    "register",
]


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    activity_rows: int | None = None

    def total(self, what: str) -> int:
        return sum(f.total(what) for f in self.files)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)


INGEST_MEMORY = "1GB"
"""DuckDB's memory while loading and building ``activity`` (``SEPAR_INGEST_MEMORY``
overrides): staging spills to disk beyond it. The near-duplicate grouping of the texts
comes on top (NumPy, beside DuckDB): building the activity of 10M simulated events peaks
at 2.8 GB."""


def checksum(path: Path) -> str:
    with open(path, "rb") as f:
        return "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()  # SHA-NI: fast


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ingest(
    ws: Workspace,
    path: str | Path,
    fmt: str = "native",
    *,
    force: bool = False,
    build_activity: bool = True,
    options: dict[str, str] | None = None,
    progress: Callable[[int], Progress] | None = None,
) -> IngestReport:
    """Load ``path`` (a file or folder) in format ``fmt`` into the workspace.

    ``progress``, if given, is called once with the total number of bytes to read and
    returns a callback that is advanced by bytes read. ``options`` are the format's own
    settings (e.g. ``{"followee": "sim_target"}`` for ``followers``).
    """
    imp = importer(fmt, **(options or {}))
    files = imp.files(Path(path))
    for file in files:
        imp.check(file)
    tick = progress(sum(f.stat().st_size for f in files)) if progress else None
    report = IngestReport()
    with ingest_memory(ws):
        for file in files:
            report.files.append(_ingest_file(ws, imp, file, force, tick))
        if build_activity and any(not f.skipped for f in report.files):
            from separ.activity import build_activity as build

            report.activity_rows = build(ws)
    return report


@contextmanager
def ingest_memory(ws: Workspace) -> Iterator[None]:
    """Hold DuckDB to :data:`INGEST_MEMORY` inside the block."""
    with ws.memory_limit(os.environ.get("SEPAR_INGEST_MEMORY", INGEST_MEMORY)):
        yield


def _ingest_file(
    ws: Workspace, imp: Importer, file: Path, force: bool, tick: Progress | None
) -> FileResult:
    source = relative(file)
    digest = checksum(file)
    if not force:
        seen = ws.sql(
            "SELECT ingest_id FROM ingest_log WHERE checksum = ? AND format = ? AND status = 'ok' "
            "ORDER BY ingest_id LIMIT 1",
            [digest, imp.name],
        )
        if seen:
            result = FileResult(source, imp.name, int(seen[0][0]))
            result.skipped = f"already ingested (ingest {seen[0][0]}, same checksum)"
            if tick:
                tick(file.stat().st_size)
            return result
    row = ws.sql("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log")
    ingest_id = int(row[0][0])
    ws.con.execute(
        "INSERT INTO ingest_log (ingest_id, source, format, checksum, started_at, status) "
        "VALUES (?, ?, ?, ?, ?, 'running')",
        [ingest_id, source, imp.name, digest, _now()],
    )
    loader = Loader(ws, source, imp.name, ingest_id)
    try:
        imp.read(file, loader, tick)
        with ws.transaction():
            result = loader.finish()
    except BaseException as exc:
        loader.discard()
        ws.con.execute("DELETE FROM quarantine WHERE ingest_id = ?", [ingest_id])
        status = "failed: " + (
            str(exc).splitlines()[0] if isinstance(exc, SeparError) else repr(exc)
        )
        ws.con.execute(
            "UPDATE ingest_log SET status = ?, finished_at = ? WHERE ingest_id = ?",
            [status[:500], _now(), ingest_id],
        )
        raise
    quarantined = ws.sql("SELECT count(*) FROM quarantine WHERE ingest_id = ?", [ingest_id])[0][0]
    detail: dict[str, object] = {t: vars(c) for t, c in result.tables.items()}
    if result.not_loaded:
        detail["not_loaded"] = result.not_loaded
    ws.con.execute(
        "UPDATE ingest_log SET rows_read = ?, rows_loaded = ?, rows_quarantined = ?, "
        "rows_unchanged = ?, detail = ?, finished_at = ?, status = 'ok' WHERE ingest_id = ?",
        [
            result.records,
            result.total("loaded"),
            quarantined,
            result.total("unchanged"),
            json.dumps(detail),
            _now(),
            ingest_id,
        ],
    )
    result.quarantined = int(quarantined)
    return result
