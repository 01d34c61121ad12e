"""Writers for the binary formats no installed library writes: a minimal Compound File (OLE2) container
and a minimal BIFF8 .xls workbook inside it, enough for calamine to read. Also an "encrypted .xlsx"
container (the OLE2 file Excel writes when a workbook has an opening password)."""

from __future__ import annotations

import struct

SECTOR = 512
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def _dir_entry(
    name: str, kind: int, *, child: int = NOSTREAM, right: int = NOSTREAM, start: int = 0, size: int = 0
) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    entry = encoded.ljust(64, b"\x00")
    entry += struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", NOSTREAM, right, child)
    entry += b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
    entry += struct.pack("<IQ", start, size)
    assert len(entry) == 128
    return entry


def cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (each padded to ≥ 4096 bytes: no mini stream)."""
    assert 1 <= len(streams) <= 3
    ordered = sorted(streams.items(), key=lambda kv: (len(kv[0]), kv[0].upper()))
    data_sectors: list[bytes] = []
    fat = [FATSECT, ENDOFCHAIN]
    starts = []
    for _name, payload in ordered:
        padded = payload.ljust(max(4096, -(-len(payload) // SECTOR) * SECTOR), b"\x00")
        first = 2 + len(data_sectors)
        starts.append((first, len(padded)))
        count = len(padded) // SECTOR
        for i in range(count):
            data_sectors.append(padded[i * SECTOR : (i + 1) * SECTOR])
            fat.append(first + i + 1 if i < count - 1 else ENDOFCHAIN)
    assert len(fat) <= SECTOR // 4
    fat_sector = b"".join(struct.pack("<I", v) for v in fat).ljust(SECTOR, b"\xff")
    entries = [_dir_entry("Root Entry", 5, child=1, start=ENDOFCHAIN)]
    for i, ((name, _), (start, size)) in enumerate(zip(ordered, starts, strict=True)):
        right = i + 2 if i + 1 < len(ordered) else NOSTREAM
        entries.append(_dir_entry(name, 2, right=right, start=start, size=size))
    directory = b"".join(entries).ljust(SECTOR, b"\x00")
    # unused directory slots must be type 0 with NOSTREAM siblings
    unused = _dir_entry("", 0)
    directory = b"".join(entries) + unused * (4 - len(entries))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + b"\xff" * (109 * 4 - 4)
    assert len(header) == SECTOR
    return header + fat_sector + directory + b"".join(data_sectors)


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(dt: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))


def biff8(
    rows: list[list[object]],
    *,
    sheet_name: str = "Sheet1",
    merged: list[tuple[int, int, int, int]] = (),  # type: ignore[assignment]
    password: bool = False,
) -> bytes:
    """A one-sheet .xls. Cells: str → LABEL, int/float → NUMBER, None → empty. ``merged`` are
    0-based (first_row, last_row, first_col, last_col)."""
    sheet = _bof(0x0010)
    last_col = max((len(r) for r in rows), default=1)
    sheet += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, last_col, 0))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                units = len(value.encode("utf-16-le")) // 2
                sheet += _record(0x0204, struct.pack("<HHHHB", r, c, 0, units, 1) + value.encode("utf-16-le"))
            else:
                sheet += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))  # type: ignore[arg-type]
    if merged:
        sheet += _record(
            0x00E5, struct.pack("<H", len(merged)) + b"".join(struct.pack("<HHHH", *m) for m in merged)
        )
    sheet += _record(0x000A, b"")

    name = sheet_name.encode("utf-16-le")
    head = _bof(0x0005)
    if password:
        head += _record(0x002F, struct.pack("<H", 1) + b"\x01\x00\x01\x00" + b"\x00" * 48)
    head += _record(0x0042, struct.pack("<H", 1200))
    boundsheet_len = 4 + 8 + len(name)
    eof = _record(0x000A, b"")
    offset = len(head) + boundsheet_len + len(eof)
    head += _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet_name), 1) + name)
    head += eof
    return cfb({"Workbook": head + sheet})


def encrypted_xlsx() -> bytes:
    """The container of a password-protected .xlsx (contents are placeholders)."""
    return cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 200, "EncryptedPackage": b"\x00" * 5000})
