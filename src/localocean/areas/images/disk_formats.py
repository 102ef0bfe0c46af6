"""Recognise virtual disk images from their first bytes and read their virtual size.

Pure functions over bytes: the importer feeds them the start of the decompressed stream.
Formats DigitalOcean accepts: raw (MBR or GPT), qcow2, VHDX, VDI and VMDK.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
OTHER_COMPRESSIONS = {
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"\x04\x22\x4d\x18": "lz4",
}

# How much of the start of an image `identify` may need (VHDX metadata can sit a few MiB in).
MAX_HEADER = 32 * 1024 * 1024

_VHDX_METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
_VHDX_VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le


class DiskError(Exception):
    """The content is not an image DigitalOcean accepts; the message names why."""


class NeedMore(Exception):
    """`identify` needs at least `size` bytes of the image to decide."""

    def __init__(self, size: int):
        self.size = size


@dataclass(frozen=True)
class Disk:
    format: str
    virtual_size: int | None  # None for raw: its size is the length of the whole stream


def compression(head: bytes) -> str | None:
    """gzip, bzip2, None for uncompressed; DiskError for a compression DigitalOcean refuses."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZIP2_MAGIC) and len(head) > 3 and head[3:4].isdigit():
        return "bzip2"
    for magic, name in OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise DiskError(f"{name} compression is not supported; use gzip or bzip2")
    return None


def _need(data: bytes, size: int) -> None:
    if len(data) < size:
        raise NeedMore(size)


ISO_MAGIC_AT = 0x8001
EXPECTED = "expected raw (MBR or GPT), qcow2, VHDX, VDI or VMDK"


def identify(data: bytes, complete: bool = False) -> Disk:
    """The format and virtual size of the image that starts with `data`.

    Raises NeedMore when more bytes are needed (unless `complete`: then the data is all there
    is and a short header is corrupt), and DiskError for unsupported or corrupt content.
    """
    try:
        return _identify(data)
    except NeedMore:
        if complete:
            raise DiskError("the image is truncated: its header is incomplete") from None
        raise


def _identify(data: bytes) -> Disk:
    _need(data, 8)
    if data.startswith(b"QFI\xfb"):
        return _qcow2(data)
    if data.startswith(b"vhdxfile"):
        return _vhdx(data)
    if data.startswith(b"KDMV"):
        return _vmdk(data)
    if data.startswith(b"# Disk DescriptorFile"):
        raise DiskError("a VMDK descriptor alone is not an image; upload a monolithic VMDK")
    _need(data, 0x48)
    if data[0x40:0x44] == b"\x7f\x10\xda\xbe":
        return _vdi(data)
    _need(data, 1024)
    if data[510:512] == b"\x55\xaa":
        # Installer ISOs are hybrid: an MBR for USB sticks and the ISO 9660 volume descriptor
        # at 0x8001. They boot installers, not Droplets.
        _need(data, ISO_MAGIC_AT + 5)
        if data[ISO_MAGIC_AT : ISO_MAGIC_AT + 5] == b"CD001":
            raise DiskError(f"unsupported image format: an ISO 9660 installer image; {EXPECTED}")
        return Disk("raw-gpt" if data[512:520] == b"EFI PART" else "raw-mbr", None)
    raise DiskError(f"unsupported image format: {EXPECTED}")


def _qcow2(data: bytes) -> Disk:
    _need(data, 32)
    (version,) = struct.unpack_from(">I", data, 4)
    (size,) = struct.unpack_from(">Q", data, 24)
    if version not in (2, 3) or size == 0:
        raise DiskError(f"corrupt qcow2 header (version {version}, virtual size {size})")
    return Disk("qcow2", size)


def _vmdk(data: bytes) -> Disk:
    _need(data, 20)
    (version,) = struct.unpack_from("<I", data, 4)
    (capacity,) = struct.unpack_from("<Q", data, 12)
    if version not in (1, 2, 3) or capacity == 0:
        raise DiskError(f"corrupt VMDK header (version {version}, capacity {capacity})")
    return Disk("vmdk", capacity * 512)


def _vdi(data: bytes) -> Disk:
    _need(data, 0x178)
    (version,) = struct.unpack_from("<I", data, 0x44)
    (size,) = struct.unpack_from("<Q", data, 0x170)
    if version >> 16 != 1 or size == 0:
        raise DiskError(f"corrupt VDI header (version {version:#x}, disk size {size})")
    return Disk("vdi", size)


def _vhdx(data: bytes) -> Disk:
    region_table = 0x30000  # 192 KiB: the first region table
    _need(data, region_table + 16)
    if data[region_table : region_table + 4] != b"regi":
        raise DiskError("corrupt VHDX: no region table")
    (count,) = struct.unpack_from("<I", data, region_table + 8)
    if count > 2047:
        raise DiskError("corrupt VHDX: region table too long")
    _need(data, region_table + 16 + 32 * count)
    for index in range(count):
        entry = region_table + 16 + 32 * index
        if data[entry : entry + 16] == _VHDX_METADATA_REGION:
            (offset,) = struct.unpack_from("<Q", data, entry + 16)
            return Disk("vhdx", _vhdx_size(data, offset))
    raise DiskError("corrupt VHDX: no metadata region")


def _vhdx_size(data: bytes, region: int) -> int:
    if region > MAX_HEADER:
        raise DiskError("VHDX metadata region lies too far into the file")
    _need(data, region + 32)
    if data[region : region + 8] != b"metadata":
        raise DiskError("corrupt VHDX: bad metadata header")
    (count,) = struct.unpack_from("<H", data, region + 10)
    _need(data, region + 32 + 32 * count)
    for index in range(count):
        entry = region + 32 + 32 * index
        if data[entry : entry + 16] == _VHDX_VIRTUAL_DISK_SIZE:
            (offset,) = struct.unpack_from("<I", data, entry + 16)
            _need(data, region + offset + 8)
            (size,) = struct.unpack_from("<Q", data, region + offset)
            if size == 0:
                raise DiskError("corrupt VHDX: virtual disk size is zero")
            return size
    raise DiskError("corrupt VHDX: no virtual disk size")
