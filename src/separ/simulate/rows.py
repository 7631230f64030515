"""A small column accumulator: generators add blocks of rows, the world concatenates once."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class Rows:
    """Columns of fixed dtypes filled block by block; scalars broadcast to the block length."""

    def __init__(self, **dtypes: type) -> None:
        self._dtypes = dtypes
        self._parts: dict[str, list[npt.NDArray[Any]]] = {name: [] for name in dtypes}
        self.rows = 0

    def add(self, **cols: Any) -> None:
        """One block: 1-D columns of equal length, scalars repeated (all scalars: one row)."""
        if set(cols) != set(self._dtypes):
            raise KeyError(f"expected columns {sorted(self._dtypes)}, got {sorted(cols)}")
        lengths = {len(v) for v in cols.values() if np.ndim(v) == 1}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        n = lengths.pop() if lengths else 1
        for name, value in cols.items():
            arr = np.broadcast_to(np.asarray(value, dtype=self._dtypes[name]), (n,))
            self._parts[name].append(arr.copy())
        self.rows += n

    def build(self) -> dict[str, npt.NDArray[Any]]:
        """Concatenate the blocks (and let them go: this is called once)."""
        out = {
            name: np.concatenate(parts) if parts else np.zeros(0, dtype=self._dtypes[name])
            for name, parts in self._parts.items()
        }
        self._parts = {name: [] for name in self._dtypes}
        return out


class Codebook:
    """Names (campaigns, texts, URLs) stored once and referred to by integer codes."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def code(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]

    def extend(self, names: list[str]) -> int:
        """Append ``names`` (duplicates allowed); returns the code of the first."""
        start = len(self.names)
        self.names.extend(names)
        return start
