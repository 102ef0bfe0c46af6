"""Virtual disk images built in memory, with valid headers for each format (no binary fixtures).

Only the headers matter to an importer; the rest is zeros, which compress to almost nothing.
"""

from __future__ import annotations

import bz2
import gzip
import struct
import uuid

MIB = 1024 * 1024
GIB = 1024 * MIB


def raw_mbr(size: int = 3 * MIB // 2) -> bytes:
    disk = bytearray(size)
    disk[446] = 0x80  # one bootable partition entry
    disk[450] = 0x83  # Linux
    disk[510:512] = b"\x55\xaa"
    return bytes(disk)


def raw_gpt(size: int = 2 * MIB) -> bytes:
    disk = bytearray(raw_mbr(size))
    disk[450] = 0xEE  # protective MBR
    disk[512:520] = b"EFI PART"
    disk[520:524] = struct.pack("<I", 0x00010000)
    return bytes(disk)


def qcow2(virtual: int, version: int = 3) -> bytes:
    header = b"QFI\xfb" + struct.pack(">IQIIQIIQQII", version, 0, 0, 16, virtual, 0, 1, 0x30000,
                                      0x10000, 1, 0)  # fmt: skip
    return header + bytes(256 * 1024 - len(header))


def vmdk(virtual: int) -> bytes:
    header = b"KDMV" + struct.pack("<IIQQQQ", 1, 3, virtual // 512, 128, 1, 20)
    return header + bytes(64 * 1024 - len(header))


def vdi(virtual: int) -> bytes:
    disk = bytearray(1024 * 1024)
    text = b"<<< Oracle VM VirtualBox Disk Image >>>\n"
    disk[: len(text)] = text
    struct.pack_into("<III", disk, 0x40, 0xBEDA107F, 0x00010001, 0x190)
    struct.pack_into("<II", disk, 0x4C, 1, 0)  # dynamic image
    struct.pack_into("<II", disk, 0x154, 0x200, 0x100000)  # block map and data offsets
    struct.pack_into("<I", disk, 0x168, 512)
    struct.pack_into("<Q", disk, 0x170, virtual)
    return bytes(disk)


_VHDX_METADATA = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
_VHDX_BAT = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08").bytes_le
_VHDX_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le


def vhdx(virtual: int) -> bytes:
    metadata_at = 2 * MIB
    disk = bytearray(metadata_at + MIB)
    disk[:8] = b"vhdxfile"
    table = 0x30000
    disk[table : table + 4] = b"regi"
    struct.pack_into("<I", disk, table + 8, 2)
    disk[table + 16 : table + 32] = _VHDX_BAT
    struct.pack_into("<QII", disk, table + 32, 3 * MIB, MIB, 1)
    disk[table + 48 : table + 64] = _VHDX_METADATA
    struct.pack_into("<QII", disk, table + 64, metadata_at, MIB, 1)
    disk[metadata_at : metadata_at + 8] = b"metadata"
    struct.pack_into("<H", disk, metadata_at + 10, 1)
    entry = metadata_at + 32
    disk[entry : entry + 16] = _VHDX_SIZE
    struct.pack_into("<III", disk, entry + 16, 0x10000, 8, 2)
    struct.pack_into("<Q", disk, metadata_at + 0x10000, virtual)
    return bytes(disk)


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, compresslevel=1)
    if kind == "bzip2":
        return bz2.compress(data, compresslevel=1)
    return data
