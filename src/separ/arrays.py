"""NumPy helpers shared by the detectors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique`` for integers, by sorting: NumPy 2.5's ``np.unique`` hashes and is about
    fifty times slower on a million values."""
    out = np.sort(values)
    keep = np.ones(len(out), dtype=bool)
    keep[1:] = out[1:] != out[:-1]
    result: npt.NDArray[np.int64] = out[keep]
    return result
