"""Header parsing of `disk_formats`: the edges the end-to-end imports do not reach."""

from __future__ import annotations

import struct

import pytest

from localocean.areas.images.disk_formats import (
    MAX_HEADER,
    Disk,
    DiskError,
    NeedMore,
    compression,
    identify,
)
from tests.support import disk_images
from tests.support.disk_images import GIB, MIB

# Offsets into tests.support.disk_images.vhdx(): where its region table and metadata sit.
VHDX_REGION_TABLE = 0x30000
VHDX_METADATA = 2 * MIB


def patched(image: bytes, offset: int, fmt: str, *values: int) -> bytes:
    disk = bytearray(image)
    struct.pack_into(fmt, disk, offset, *values)
    return bytes(disk)


def replaced(image: bytes, offset: int, data: bytes) -> bytes:
    disk = bytearray(image)
    disk[offset : offset + len(data)] = data
    return bytes(disk)


def needed(data: bytes) -> int:
    with pytest.raises(NeedMore) as caught:
        identify(data)
    return caught.value.size


# Compression


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"BZh91AY&SY", "bzip2"),
        (b"BZh1", "bzip2"),
        # "BZh" then no block-size digit is not bzip2: it may be the start of a raw disk.
        (b"BZhx....", None),
        (b"BZh", None),
        (b"QFI\xfb\x00\x00\x00\x03", None),
        (b"", None),
    ],
)
def test_compression_detected_from_magic(head: bytes, expected: str | None) -> None:
    assert compression(head) == expected


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"\xfd7zXZ\x00\x00\x04", "xz"),
        (b"\x28\xb5\x2f\xfd\x04\x00", "zstd"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7z"),
        (b"\x04\x22\x4d\x18\x64\x40", "lz4"),
    ],
)
def test_refused_compression_is_named(head: bytes, name: str) -> None:
    with pytest.raises(DiskError, match=f"^{name} compression is not supported"):
        compression(head)


# NeedMore: feeding exactly the size asked for must let `identify` get further every time,
# since the importer grows its header buffer only to what NeedMore names.


@pytest.mark.parametrize(
    ("image", "asked", "expected"),
    [
        # A raw disk is told from a hybrid installer ISO by the ISO 9660 magic at 0x8001.
        (disk_images.raw_mbr(), [8, 0x48, 1024, 0x8006], Disk("raw-mbr", None)),
        (disk_images.raw_gpt(), [8, 0x48, 1024, 0x8006], Disk("raw-gpt", None)),
        (disk_images.qcow2(GIB), [8, 32], Disk("qcow2", GIB)),
        (disk_images.vmdk(GIB), [8, 20], Disk("vmdk", GIB)),
        (disk_images.vdi(GIB), [8, 0x48, 0x178], Disk("vdi", GIB)),
        (
            disk_images.vhdx(GIB),
            [
                8,
                VHDX_REGION_TABLE + 16,
                VHDX_REGION_TABLE + 16 + 2 * 32,
                VHDX_METADATA + 32,
                VHDX_METADATA + 32 + 32,
                VHDX_METADATA + 0x10000 + 8,
            ],
            Disk("vhdx", GIB),
        ),
    ],
    ids=["raw-mbr", "raw-gpt", "qcow2", "vmdk", "vdi", "vhdx"],
)
def test_need_more_names_exactly_the_next_size(
    image: bytes, asked: list[int], expected: Disk
) -> None:
    sizes: list[int] = []
    length = 0
    while True:
        try:
            disk = identify(image[:length])
        except NeedMore as more:
            assert more.size > length, "NeedMore must ask for more than it was given"
            sizes.append(more.size)
            length = more.size
        else:
            break
    assert sizes == asked
    assert disk == expected


@pytest.mark.parametrize(
    "head",
    [b"", b"QFI\xfb", b"QFI\xfb\x00\x00\x00\x03", b"KDMV\x01\x00\x00\x00", b"vhdxfile" + bytes(64)],
)
def test_short_header_of_a_complete_stream_is_truncated(head: bytes) -> None:
    with pytest.raises(DiskError, match="truncated"):
        identify(head, complete=True)


def test_complete_changes_nothing_when_the_header_is_whole() -> None:
    assert identify(disk_images.qcow2(GIB), complete=True) == Disk("qcow2", GIB)


# Raw disks


def test_gpt_needs_the_protective_mbr_signature() -> None:
    image = replaced(disk_images.raw_gpt(), 510, b"\x00\x00")
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(image)


def test_mbr_signature_must_be_in_little_endian_order() -> None:
    image = replaced(disk_images.raw_mbr(), 510, b"\xaa\x55")
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(image)


def test_efi_part_elsewhere_than_lba1_is_plain_mbr() -> None:
    image = replaced(disk_images.raw_mbr(), 1024, b"EFI PART")
    assert identify(image) == Disk("raw-mbr", None)


def test_plain_iso9660_is_refused() -> None:
    # An ISO 9660 volume starts with 32 KiB of zeros and its descriptor at 0x8001.
    image = replaced(bytes(64 * 1024), 0x8001, b"CD001")
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(image)


def test_hybrid_iso_is_refused() -> None:
    image = replaced(disk_images.raw_mbr(64 * 1024), 0x8001, b"CD001")
    with pytest.raises(DiskError):
        identify(image)


# Wrong magic: one byte off falls through to "unsupported", never to another format.


@pytest.mark.parametrize(
    "image",
    [
        replaced(disk_images.qcow2(GIB), 3, b"\xfa"),
        replaced(disk_images.vmdk(GIB), 0, b"KDMW"),
        replaced(disk_images.vdi(GIB), 0x40, b"\x7f\x10\xda\xbf"),
        replaced(disk_images.vhdx(GIB), 0, b"vhdxfilf"),
        b"hello, this is not a disk image\n" * 40,
    ],
    ids=["qcow2", "vmdk", "vdi", "vhdx", "text"],
)
def test_wrong_magic_is_unsupported(image: bytes) -> None:
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(image)


def test_vmdk_descriptor_alone_is_refused() -> None:
    descriptor = b'# Disk DescriptorFile\nversion=1\nCID=fffffffe\ncreateType="monolithicFlat"\n'
    with pytest.raises(DiskError, match="VMDK descriptor alone"):
        identify(descriptor)


# qcow2


@pytest.mark.parametrize("version", [2, 3])
def test_qcow2_versions_2_and_3_are_accepted(version: int) -> None:
    assert identify(disk_images.qcow2(5 * GIB, version=version)) == Disk("qcow2", 5 * GIB)


@pytest.mark.parametrize("version", [0, 1, 4])
def test_qcow2_other_versions_are_corrupt(version: int) -> None:
    with pytest.raises(DiskError, match=f"corrupt qcow2 header \\(version {version},"):
        identify(disk_images.qcow2(GIB, version=version))


def test_qcow2_zero_size_is_corrupt() -> None:
    with pytest.raises(DiskError, match="virtual size 0"):
        identify(disk_images.qcow2(0))


def test_qcow2_size_is_big_endian_and_64_bit() -> None:
    assert identify(disk_images.qcow2(2**40 + 512)).virtual_size == 2**40 + 512


# VMDK


@pytest.mark.parametrize("version", [1, 2, 3])
def test_vmdk_versions_1_to_3_are_accepted(version: int) -> None:
    image = patched(disk_images.vmdk(GIB), 4, "<I", version)
    assert identify(image) == Disk("vmdk", GIB)


@pytest.mark.parametrize("version", [0, 4])
def test_vmdk_other_versions_are_corrupt(version: int) -> None:
    image = patched(disk_images.vmdk(GIB), 4, "<I", version)
    with pytest.raises(DiskError, match=f"corrupt VMDK header \\(version {version},"):
        identify(image)


def test_vmdk_zero_capacity_is_corrupt() -> None:
    with pytest.raises(DiskError, match="capacity 0"):
        identify(disk_images.vmdk(0))


def test_vmdk_capacity_counts_512_byte_sectors() -> None:
    image = patched(disk_images.vmdk(GIB), 12, "<Q", 3)
    assert identify(image).virtual_size == 3 * 512


# VDI


@pytest.mark.parametrize("version", [0x00010000, 0x00010001])
def test_vdi_major_version_1_is_accepted(version: int) -> None:
    image = patched(disk_images.vdi(GIB), 0x44, "<I", version)
    assert identify(image) == Disk("vdi", GIB)


@pytest.mark.parametrize("version", [0x00000001, 0x00020000])
def test_vdi_other_major_versions_are_corrupt(version: int) -> None:
    image = patched(disk_images.vdi(GIB), 0x44, "<I", version)
    with pytest.raises(DiskError, match=f"corrupt VDI header \\(version {version:#x},"):
        identify(image)


def test_vdi_zero_size_is_corrupt() -> None:
    with pytest.raises(DiskError, match="disk size 0"):
        identify(disk_images.vdi(0))


# VHDX


def test_vhdx_without_region_table_is_corrupt() -> None:
    image = replaced(disk_images.vhdx(GIB), VHDX_REGION_TABLE, b"xxxx")
    with pytest.raises(DiskError, match="no region table"):
        identify(image)


def test_vhdx_region_count_above_the_spec_limit_is_corrupt() -> None:
    image = patched(disk_images.vhdx(GIB), VHDX_REGION_TABLE + 8, "<I", 2048)
    with pytest.raises(DiskError, match="region table too long"):
        identify(image)


def test_vhdx_region_count_at_the_spec_limit_is_read() -> None:
    # 2047 entries of which only the first two are real: the metadata region is still found.
    image = patched(disk_images.vhdx(GIB), VHDX_REGION_TABLE + 8, "<I", 2047)
    assert identify(image) == Disk("vhdx", GIB)


def test_vhdx_without_metadata_region_is_corrupt() -> None:
    image = patched(disk_images.vhdx(GIB), VHDX_REGION_TABLE + 8, "<I", 1)  # only the BAT
    with pytest.raises(DiskError, match="no metadata region"):
        identify(image)


def test_vhdx_metadata_beyond_max_header_is_refused_without_asking_for_more() -> None:
    image = patched(disk_images.vhdx(GIB), VHDX_REGION_TABLE + 64, "<Q", MAX_HEADER + MIB)
    with pytest.raises(DiskError, match="too far into the file"):
        identify(image)


def test_vhdx_metadata_offset_is_read_from_the_region_entry() -> None:
    moved = 3 * MIB
    image = bytearray(disk_images.vhdx(GIB)) + bytes(2 * MIB)
    image[moved : moved + MIB] = image[VHDX_METADATA : VHDX_METADATA + MIB]
    image[VHDX_METADATA : VHDX_METADATA + MIB] = bytes(MIB)
    struct.pack_into("<Q", image, VHDX_REGION_TABLE + 64, moved)
    assert identify(bytes(image)) == Disk("vhdx", GIB)


def test_vhdx_bad_metadata_signature_is_corrupt() -> None:
    image = replaced(disk_images.vhdx(GIB), VHDX_METADATA, b"metadatx")
    with pytest.raises(DiskError, match="bad metadata header"):
        identify(image)


def test_vhdx_without_virtual_disk_size_item_is_corrupt() -> None:
    image = replaced(disk_images.vhdx(GIB), VHDX_METADATA + 32, bytes(16))
    with pytest.raises(DiskError, match="no virtual disk size"):
        identify(image)


def test_vhdx_zero_virtual_disk_size_is_corrupt() -> None:
    image = patched(disk_images.vhdx(GIB), VHDX_METADATA + 0x10000, "<Q", 0)
    with pytest.raises(DiskError, match="virtual disk size is zero"):
        identify(image)


def test_vhdx_size_item_far_away_asks_for_more_than_max_header() -> None:
    # The importer turns a NeedMore beyond MAX_HEADER into "the image header is too large".
    image = patched(disk_images.vhdx(GIB), VHDX_METADATA + 32 + 16, "<I", MAX_HEADER)
    assert needed(image) > MAX_HEADER
