"""Column-wise JSON encoding with Arrow compute: JSON Lines and the list cells of CSV.

Rows are assembled as strings by Arrow kernels and written straight from the data buffer,
so there is no Python loop per row. Text from the simulator never holds control
characters other than newline, carriage return and tab, which are escaped.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def iso_times(arr: pa.Array) -> pa.Array:
    """``timestamp[us, UTC]`` as ISO 8601 strings with ``Z`` (whole seconds)."""
    naive = arr.cast(pa.int64()).cast(pa.timestamp("us")).cast(pa.timestamp("s"), safe=False)
    text = pc.binary_replace_slice(naive.cast(pa.string()), start=10, stop=11, replacement="T")
    return pc.binary_join_element_wise(text, "Z", "")


def quote(arr: pa.Array) -> pa.Array:
    """Strings as JSON string literals; nulls stay null."""
    for old, new in _ESCAPES:
        arr = pc.replace_substring(arr, old, new)
    return pc.binary_join_element_wise('"', arr, '"', "")


def json_lists(arr: pa.Array) -> pa.Array:
    """``list<string>`` as JSON arrays (``["a","b"]``); null lists stay null."""
    offsets = np.asarray(arr.offsets, dtype=np.int32)
    values = quote(arr.flatten())
    rebased = pa.array(offsets - offsets[0], type=pa.int32())
    lists = pa.ListArray.from_arrays(rebased, values, mask=arr.is_null())
    return pc.binary_join_element_wise("[", pc.binary_join(lists, ","), "]", "")


def json_values(arr: pa.Array) -> pa.Array:
    """Any column of the native tables as JSON literals, ``null`` for nulls."""
    t = arr.type
    if pa.types.is_timestamp(t):
        out = quote(iso_times(arr))
    elif pa.types.is_list(t):
        out = json_lists(arr)
    elif pa.types.is_boolean(t):
        out = pc.if_else(arr, "true", "false")
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        out = arr.cast(pa.string())
    else:
        out = quote(arr)
    return pc.fill_null(out, "null")


def write_jsonl(batch: pa.RecordBatch, fh: BinaryIO) -> None:
    """Append one batch as JSON Lines to an open binary file."""
    if batch.num_rows == 0:
        return
    parts: list[pa.Array | str] = []
    for i, name in enumerate(batch.schema.names):
        parts.append(("{" if i == 0 else ",") + f'"{name}":')
        parts.append(json_values(batch.column(i)))
    parts.append("}\n")
    rows = pc.binary_join_element_wise(*parts, "")
    _, offsets_buf, data = rows.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[rows.offset : rows.offset + len(rows) + 1]
    fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
