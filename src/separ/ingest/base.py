"""The importer contract and the one registry every importer goes through.

An importer is a small class with a ``name``, a one-line ``description``, the files it
reads under a path (:meth:`Importer.files`), and :meth:`Importer.read`, which streams one
file into a :class:`~separ.ingest.load.Loader`. Built-in importers register themselves
with :func:`register` exactly as an outside plugin would.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from separ.errors import InputError, ParameterError
from separ.ingest.load import Loader
from separ.ingest.read import Progress

IMPORTERS: dict[str, type[Importer]] = {}


def register[T: type[Importer]](cls: T) -> T:
    if cls.name in IMPORTERS:
        raise ValueError(f"importer {cls.name!r} is registered twice")
    IMPORTERS[cls.name] = cls
    return cls


class Importer(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    patterns: ClassVar[tuple[str, ...]] = ("*",)
    """Glob patterns of the files this importer reads when given a folder."""

    def __init__(self) -> None:  # noqa: B027 - importers with options override it
        """Importers with options take them as keyword-only arguments (``--option K=V``)."""

    def files(self, path: Path) -> list[Path]:
        """The files under ``path`` this importer reads, in load order."""
        if path.is_file():
            return [path]
        if not path.exists():
            raise InputError(path, "no such file or folder")
        found = sorted({f for p in self.patterns for f in path.glob(p) if f.is_file()})
        if not found:
            raise InputError(
                path, f"no {self.name} files here (looked for {', '.join(self.patterns)})"
            )
        return found

    def check(self, file: Path) -> None:  # noqa: B027 - optional hook
        """Raise InputError if ``file`` cannot be read at all; called before any loading."""

    @abstractmethod
    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        """Stream ``file`` into ``loader`` (``loader.add`` and ``loader.bad``; the native
        importer also hands whole files to ``add_parquet``/``add_csv``/``add_jsonl``)."""


def options_of(cls: type[Importer]) -> list[str]:
    """The keyword options an importer accepts (its constructor's keyword-only parameters)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def importer(name: str, **options: str) -> Importer:
    """The importer registered as ``name``, built with ``options`` (see :func:`options_of`)."""
    try:
        cls = IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise InputError(name, f"unknown format (known: {known})") from None
    unknown = sorted(set(options) - set(options_of(cls)))
    if unknown:
        has = ", ".join(options_of(cls)) or "none"
        raise ParameterError(
            f"format {name} has no option {', '.join(unknown)} (its options: {has})"
        )
    return cls(**options)
