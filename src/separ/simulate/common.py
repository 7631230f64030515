"""Shared helpers: the simulated clock, random streams, ids, salted hashes and Arrow glue.

Times inside the simulator are whole seconds since the Unix epoch (``int64``); they become
Arrow ``timestamp('us', tz='UTC')`` only when a table is written.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Rng = np.random.Generator

MINUTE = 60
HOUR = 3_600
DAY = 86_400
YEAR = 365 * DAY
TEHRAN_OFFSET = 3 * HOUR + 30 * MINUTE  # Iran has kept UTC+03:30 all year since 2022
TS_TYPE = pa.timestamp("us", tz="UTC")
ID_LOW_BITS = 28  # room for 268M rows per table


def epoch(iso: str) -> int:
    """Seconds since the epoch of an ISO 8601 time with an offset (``Z`` allowed)."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).timestamp())


def stream(seed: int, name: str) -> Rng:
    """An independent random stream per component, so that changing one leaves the others."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


def snowflake_ids(ts: I64, rng: Rng) -> I64:
    """Time-ordered numeric ids (seconds in the high bits, a random unique rank below).

    The low bits are a random permutation so that ids say nothing about which generator
    produced a row, only when it happened (as on platforms with snowflake ids).
    """
    n = len(ts)
    if n >= 1 << ID_LOW_BITS:
        raise ValueError(f"too many rows for one table ({n})")
    low = rng.permutation(n).astype(np.int64)
    return (ts.astype(np.int64) << ID_LOW_BITS) | low


def time_order(ts: I64, rng: Rng) -> I64:
    """Indices that sort by time, ties broken at random (one integer sort)."""
    key = (ts.astype(np.int64) << 20) | rng.integers(0, 1 << 20, size=len(ts))
    return np.argsort(key).astype(np.int64)


def mix64(values: U64, salt: int) -> U64:
    """A keyed 64-bit mix (splitmix64 finaliser): stands in for a salted hash."""
    z = values.astype(np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def hex64(values: U64, prefix: str = "") -> pa.Array:
    """Fixed-width lowercase hex strings of 64-bit values, built without a Python loop."""
    n = len(values)
    data = np.ascontiguousarray(values, dtype=">u8").tobytes().hex().encode("ascii")
    offsets = np.arange(n + 1, dtype=np.int32) * 16
    arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))
    if prefix:
        arr = pc.binary_join_element_wise(prefix, arr, "")
    return arr


def ints_to_str(values: npt.NDArray[np.integer]) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def ts_array(sec: I64, valid: Bools | None = None) -> pa.Array:
    """Seconds as Arrow ``timestamp('us', tz='UTC')``; rows where ``valid`` is false are null."""
    micros = np.asarray(sec, dtype=np.int64) * 1_000_000
    mask = None if valid is None else ~valid
    return pa.array(micros, type=TS_TYPE, mask=mask)


def take(values: pa.Array, idx: npt.NDArray[np.integer]) -> pa.Array:
    """``values[idx]`` with nulls where ``idx`` is negative."""
    idx = np.asarray(idx, dtype=np.int64)
    neg = idx < 0
    if not neg.any():
        return values.take(pa.array(idx))
    return values.take(pa.array(np.where(neg, 0, idx), mask=neg))


def list_array(codes: npt.NDArray[np.integer], values: pa.Array) -> pa.Array:
    """A ``list<string>`` column from a padded code matrix (``-1`` = no item)."""
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    mask = codes >= 0
    offsets = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(mask.sum(axis=1), out=offsets[1:])
    flat = values.take(pa.array(codes[mask].astype(np.int64)))
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def weighted_sample(rng: Rng, weights: F64, k: int) -> I64:
    """``k`` distinct indices drawn with probability proportional to ``weights`` (sorted).

    Efraimidis-Spirakis exponential keys: one vectorised pass, no Python loop.
    """
    n = len(weights)
    positive = int(np.count_nonzero(weights > 0))
    k = min(k, positive)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=n) / weights
    keys[weights <= 0] = np.inf
    idx = np.argpartition(keys, k - 1)[:k] if k < n else np.arange(n)
    return np.sort(idx).astype(np.int64)


def pick(rng: Rng, weights: npt.ArrayLike, size: int) -> I64:
    """``size`` draws with replacement, proportional to ``weights``."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    if size == 0 or cum[-1] <= 0:
        return np.zeros(size, dtype=np.int64)
    u = rng.random(size) * cum[-1]
    out: I64 = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1).astype(np.int64)
    return out


# Share of activity per local (Tehran) hour: quiet from 2 to 8, peaks in the evening.
_DIURNAL = np.array(
    [5, 3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 8, 8, 8, 7], dtype=np.float64
)
DIURNAL = _DIURNAL / _DIURNAL.sum()
# Office hours in Tehran on working days (Saturday to Wednesday): the operators' schedule.
OFFICE = np.array([0] * 9 + [1] * 8 + [0] * 7, dtype=np.float64) / 8.0


def local_day(t: I64) -> I64:
    """Start (UTC seconds) of the Tehran calendar day containing ``t``."""
    out: I64 = ((t + TEHRAN_OFFSET) // DAY) * DAY - TEHRAN_OFFSET
    return out


def diurnal_times(rng: Rng, lo: I64, hi: I64, hours: F64 = DIURNAL) -> I64:
    """One time per row in ``[lo, hi)``, day uniform, hour of day following ``hours``."""
    n = len(lo)
    span = np.maximum(hi - lo, 1)
    raw = lo + (rng.random(n) * span).astype(np.int64)
    hour = rng.choice(24, size=n, p=hours)
    t = local_day(raw) + hour * HOUR + rng.integers(0, HOUR, size=n)
    t = np.where(t < lo, t + DAY, t)  # the first or last day: same hour, a day over
    t = np.where(t >= hi, t - DAY, t)
    out: I64 = np.clip(t, lo, np.maximum(hi - 1, lo))  # windows shorter than a day
    return out


def office_times(rng: Rng, lo: I64 | int, hi: I64 | int, n: int) -> I64:
    """``n`` times in ``[lo, hi)`` during Tehran office hours on Saturday-Wednesday."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    t = diurnal_times(rng, lo_a, hi_a, OFFICE)
    weekday = ((local_day(t) // DAY) + 3) % 7  # 0 = Monday; 1970-01-01 was a Thursday
    weekend = (weekday == 3) | (weekday == 4)  # Thursday, Friday
    t = np.where(weekend & (t - 2 * DAY >= lo_a), t - 2 * DAY, t)
    return np.asarray(t, dtype=np.int64)


def bursty_delays(rng: Rng, n: int, mean: float, cap: float) -> I64:
    """Delays in seconds: exponential with the given mean, clipped to ``cap``."""
    return np.minimum(rng.exponential(mean, size=n), cap).astype(np.int64)


def fake_phash(rng: Rng, n: int) -> U64:
    """Random 64-bit values shaped like real pHashes: top (DC) bit set, 32 bits set in all.

    A uniform random 64-bit value would differ from a real pHash in both respects, and a
    detector could then tell simulated-without-file pictures from real ones.
    """
    out = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, 65_536):
        m = min(n, lo + 65_536) - lo
        keys = rng.random((m, 63))
        cut = np.partition(keys, 30, axis=1)[:, 30:31]
        bits = np.concatenate([np.ones((m, 1), dtype=bool), keys <= cut], axis=1)
        out[lo : lo + m] = np.packbits(bits, axis=1).view(">u8")[:, 0]
    return out
