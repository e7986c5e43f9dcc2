"""SQL Server LSNs: ``binary(10)``, compared as big-endian bytes, stored as hex."""

from __future__ import annotations

LSN_BYTES = 10


def lsn_hex(lsn: bytes) -> str:
    """``b'\\x00\\x00\\x00\\xb1...'`` -> ``'000000B1000008A80007'`` (the checkpoint form)."""
    return lsn.hex().upper()


def lsn_from_hex(text: str) -> bytes:
    raw = bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))
    if len(raw) != LSN_BYTES:
        raise ValueError(f"an LSN is {LSN_BYTES} bytes, got {len(raw)}: {text!r}")
    return raw


def lsn_display(lsn: bytes) -> str:
    """``'000000B1:000008A8:0007'``: VLF, block, slot, the form CES uses for ``commitlsn``."""
    h = lsn_hex(lsn)
    return f"{h[:8]}:{h[8:16]}:{h[16:]}"
