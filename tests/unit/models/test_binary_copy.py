"""Weight rows as PostgreSQL binary COPY rows."""

from __future__ import annotations

import struct

import numpy as np

from hartonomous.models.binary_copy import weight_rows_payload


def _parse(payload: bytes) -> list[tuple[str, int, int, list[float], float, float]]:
    rows, at = [], 0
    while at < len(payload):
        (fields,) = struct.unpack_from(">h", payload, at)
        at += 2
        values = []
        for _ in range(fields):
            (length,) = struct.unpack_from(">i", payload, at)
            values.append(payload[at + 4 : at + 4 + length])
            at += 4 + length
        digest, row, dim, vec, norm, imp = values
        (n, _unused) = struct.unpack_from(">hh", vec)
        rows.append((digest.decode(), struct.unpack(">i", row)[0], struct.unpack(">i", dim)[0],
                     list(struct.unpack_from(f">{n}f", vec, 4)), struct.unpack(">f", norm)[0],
                     struct.unpack(">f", imp)[0]))
    return rows


class TestWeightRowsPayload:
    """The numpy-built payload decodes, field by field, to the rows given."""

    def test_decodes_to_the_rows(self) -> None:
        """Hash, row index, width, vector, norm and importance of each row."""
        vectors = np.array([[1.0, -2.5, 0.25], [3.0, 0.0, -1.0]], np.float32)
        payload = weight_rows_payload("ab" * 32, np.array([4, 9]), vectors, np.array([2.7, 3.2]), np.array([0.9, 1.1]))
        rows = _parse(payload)
        assert [("ab" * 32, 4, 3, [1.0, -2.5, 0.25]), ("ab" * 32, 9, 3, [3.0, 0.0, -1.0])] == [r[:4] for r in rows]
        assert np.allclose([2.7, 3.2], [r[4] for r in rows]) and np.allclose([0.9, 1.1], [r[5] for r in rows])
