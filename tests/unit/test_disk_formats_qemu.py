"""`identify` against images written by the real qemu-img, not by our own header builders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from localocean.areas.images.disk_formats import MAX_HEADER, Disk, DiskError, identify
from tests.conftest import _unavailable
from tests.support.disk_images import GIB, MIB


@pytest.fixture(scope="module")
def qemu_img() -> str:
    path = shutil.which("qemu-img")
    if path is None:
        _unavailable("qemu-img not found: install the Debian package qemu-utils")
    assert path is not None  # _unavailable always raises; this tells the type checker so
    return path


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def head(path: Path) -> bytes:
    # The importer never looks further than MAX_HEADER bytes into an image.
    with path.open("rb") as file:
        return file.read(MAX_HEADER)


def qemu_virtual_size(qemu_img: str, path: Path, image_format: str) -> int:
    info = json.loads(run(qemu_img, "info", "--output=json", "-f", image_format, str(path)))
    return int(info["virtual-size"])


def create(qemu_img: str, path: Path, image_format: str, size: int, options: str = "") -> Path:
    extra = ["-o", options] if options else []
    run(qemu_img, "create", "-q", "-f", image_format, *extra, str(path), str(size))
    return path


def with_mbr(path: Path) -> Path:
    """Give a blank raw disk a one-partition MBR, as a bootable raw image has."""
    with path.open("r+b") as disk:
        disk.seek(446)
        disk.write(b"\x80\x00\x00\x00\x83")
        disk.seek(510)
        disk.write(b"\x55\xaa")
    return path


@pytest.mark.parametrize(
    ("image_format", "options", "size"),
    [
        ("qcow2", "", 64 * MIB),
        ("qcow2", "compat=0.10", GIB),  # qcow2 version 2
        ("qcow2", "cluster_size=2M", 5 * GIB),
        ("vhdx", "", 64 * MIB),
        ("vhdx", "", 5 * GIB),
        ("vhdx", "block_size=32M,log_size=8M", GIB),  # log size moves the metadata region
        ("vhdx", "subformat=fixed", 64 * MIB),
        ("vdi", "", 64 * MIB),
        ("vdi", "static=on", 64 * MIB),
        ("vdi", "", 5 * GIB),
        ("vmdk", "", 64 * MIB),
        ("vmdk", "subformat=streamOptimized", GIB),
        ("vmdk", "", 5 * GIB),
    ],
)
def test_created_image_format_and_virtual_size(
    qemu_img: str, tmp_path: Path, image_format: str, options: str, size: int
) -> None:
    path = create(qemu_img, tmp_path / f"disk.{image_format}", image_format, size, options)
    assert qemu_virtual_size(qemu_img, path, image_format) == size, "qemu-img rounded the size"
    assert identify(head(path), complete=True) == Disk(image_format, size)


@pytest.mark.parametrize("image_format", ["qcow2", "vhdx", "vdi", "vmdk"])
def test_converted_raw_disk_keeps_its_virtual_size(
    qemu_img: str, tmp_path: Path, image_format: str
) -> None:
    # Converted images carry allocated data (L2 tables, grains, BAT entries), unlike blank ones.
    raw = with_mbr(create(qemu_img, tmp_path / "disk.raw", "raw", 64 * MIB))
    converted = tmp_path / f"disk.{image_format}"
    run(qemu_img, "convert", "-f", "raw", "-O", image_format, str(raw), str(converted))
    assert identify(head(converted), complete=True) == Disk(image_format, 64 * MIB)


def test_raw_disk_with_mbr_is_raw_without_virtual_size(qemu_img: str, tmp_path: Path) -> None:
    raw = with_mbr(create(qemu_img, tmp_path / "disk.raw", "raw", 64 * MIB))
    assert identify(head(raw), complete=True) == Disk("raw-mbr", None)


def test_blank_raw_disk_is_refused(qemu_img: str, tmp_path: Path) -> None:
    # No partition table: nothing tells a blank raw disk from arbitrary data.
    raw = create(qemu_img, tmp_path / "disk.raw", "raw", 64 * MIB)
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(head(raw), complete=True)


@pytest.mark.parametrize("subformat", ["dynamic", "fixed"])
def test_vpc_is_refused(qemu_img: str, tmp_path: Path, subformat: str) -> None:
    # VHD (qemu's "vpc") is not among the formats DigitalOcean accepts, nor claimed by the module.
    path = create(qemu_img, tmp_path / "disk.vhd", "vpc", 64 * MIB, f"subformat={subformat}")
    with pytest.raises(DiskError, match="unsupported image format"):
        identify(head(path), complete=True)


def test_vmdk_descriptor_of_a_split_image_is_refused(qemu_img: str, tmp_path: Path) -> None:
    path = create(qemu_img, tmp_path / "disk.vmdk", "vmdk", GIB, "subformat=monolithicFlat")
    with pytest.raises(DiskError, match="VMDK descriptor alone"):
        identify(head(path), complete=True)
