"""PostgreSQL binary COPY payloads built with numpy, for the rows written by the thousand.

A weight row is a fixed layout per tensor (hash, row index, width, vector, norm, importance), so
all rows of a tensor are one numpy structured array written in one call, instead of one Python
call per row. Layout of the binary format: the ``PGCOPY`` signature, flags and header extension
length; per row an int16 field count, then each field as an int32 length and its big-endian
bytes; an int16 -1 trailer. pgvector's binary ``vector`` is int16 dim, int16 unused, float4[dim].
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"


def weight_rows_payload(content_hash: str, indices: np.ndarray, vectors: np.ndarray,
                        norms: np.ndarray, importance: np.ndarray) -> bytes:
    """Rows ``(content_hash, row_index, dim, weights, norm, importance)`` without header/trailer."""
    n, dim = vectors.shape
    key = content_hash.encode("ascii")
    layout = np.dtype([
        ("fields", ">i2"),
        ("hash_len", ">i4"), ("hash", f"S{len(key)}"),
        ("row_len", ">i4"), ("row", ">i4"),
        ("dim_len", ">i4"), ("dim", ">i4"),
        ("vec_len", ">i4"), ("vec_dim", ">i2"), ("vec_unused", ">i2"), ("vec", ">f4", (dim,)),
        ("norm_len", ">i4"), ("norm", ">f4"),
        ("imp_len", ">i4"), ("imp", ">f4"),
    ])
    out = np.zeros(n, dtype=layout)
    out["fields"] = 6
    out["hash_len"] = len(key)
    out["hash"] = key
    out["row_len"] = 4
    out["row"] = indices
    out["dim_len"] = 4
    out["dim"] = dim
    out["vec_len"] = 4 + 4 * dim
    out["vec_dim"] = dim
    out["vec"] = vectors
    out["norm_len"] = 4
    out["norm"] = norms
    out["imp_len"] = 4
    out["imp"] = importance
    return out.tobytes()
