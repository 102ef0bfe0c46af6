"""Custom-image imports for real: every format and compression, every failure, policy, timing."""

from __future__ import annotations

import functools
import random
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import new_token
from tests.support import disk_images
from tests.support.disk_images import GIB, MIB
from tests.test_conventions import assert_error

FORMATS = {
    "raw-mbr": (disk_images.raw_mbr(3 * MIB // 2), 1),
    "raw-gpt": (disk_images.raw_gpt(2 * MIB), 1),
    "qcow2": (disk_images.qcow2(3 * GIB + 1), 4),
    "vhdx": (disk_images.vhdx(10 * GIB), 10),
    "vdi": (disk_images.vdi(7 * GIB), 7),
    "vmdk": (disk_images.vmdk(5 * GIB - 512), 5),
}


def create(http, url: str, name: str = "import") -> dict:
    response = http.post("/v2/images", json={"name": name, "url": url, "region": "ams3"})
    assert response.status_code == 202, response.text
    image = response.json()["image"]
    assert image["status"] == "NEW"
    return image


def final(http, image_id: int) -> dict:
    return http.get(f"/v2/images/{image_id}").json()["image"]


@pytest.mark.parametrize("compression", ["none", "gzip", "bzip2"])
@pytest.mark.parametrize("disk_format", list(FORMATS))
def test_every_format_and_compression_imports(http, image_server, disk_format, compression):
    data, min_disk = FORMATS[disk_format]
    path = f"/{disk_format}.{compression}.{new_token()[-8:]}"
    image = create(http, image_server.add(path, disk_images.compress(data, compression)))
    done = final(http, image["id"])
    assert done["status"] == "available", done["error_message"]
    assert done["error_message"] == ""
    assert done["regions"] == ["ams3"]
    assert done["min_disk_size"] == min_disk
    assert done["size_gigabytes"] == max(0.01, round(len(data) / GIB, 2))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def _cut_short(compression: str) -> bytes:
    """A compressed disk image cut in the middle of its last block: what came before it
    decompresses into a valid disk, so only the missing end of the stream gives the cut away.
    Part of the disk is noise, else bzip2 puts all of it in one block and nothing comes out."""
    disk = bytearray(disk_images.raw_mbr(MIB))
    disk[MIB // 2 :] = random.Random(7).randbytes(MIB // 2)
    whole = disk_images.compress(bytes(disk), compression)
    return whole[: len(whole) - 1000]


def _failures(image_server) -> dict[str, tuple[str, str]]:
    """name -> (url, words the error message must contain). Every URL is on this machine or is
    refused before any connection: the tests send no traffic anywhere else (not even DNS)."""
    qcow = disk_images.qcow2(GIB)
    add = image_server.add
    return {
        "http 404": (image_server.url + "/missing.img", "HTTP 404"),
        "unreachable": (f"http://127.0.0.1:{_closed_port()}/x.img", "could not download"),
        "not an image": (
            add("/text.img", b"hello, this is not a disk image\n" * 100),
            "unsupported image format",
        ),
        "iso": (add("/cd.iso", bytes(0x8001) + b"CD001" + bytes(4096)), "unsupported image format"),
        "xz": (add("/x.img.xz", b"\xfd7zXZ\x00" + bytes(100)), "xz compression"),
        "zstd": (add("/x.img.zst", b"\x28\xb5\x2f\xfd" + bytes(100)), "zstd compression"),
        "zip": (add("/x.zip", b"PK\x03\x04" + bytes(100)), "zip compression"),
        "truncated qcow2": (add("/short.qcow2", qcow[:20]), "truncated"),
        "corrupt qcow2": (add("/bad.qcow2", b"QFI\xfb" + bytes(60)), "corrupt qcow2"),
        "corrupt vhdx": (add("/bad.vhdx", b"vhdxfile" + bytes(0x31000)), "corrupt VHDX"),
        "corrupt gzip": (add("/bad.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 64), "corrupt compressed"),
        "truncated gzip": (add("/cut.img.gz", _cut_short("gzip")), "the stream ended early"),
        "truncated bzip2": (add("/cut.img.bz2", _cut_short("bzip2")), "the stream ended early"),
        "empty": (add("/empty.img", b""), "empty"),
        "metadata address": ("http://169.254.169.254/latest/meta-data/", "link-local"),
        "redirect to metadata": (
            image_server.redirect("/to-metadata", "http://169.254.169.254/latest/"),
            "link-local",
        ),
        "ipv6 metadata": ("http://[fd00:ec2::254]/latest/", "metadata"),
        "redirect loop": (
            image_server.redirect("/loop", image_server.url + "/loop"),
            "too many redirects",
        ),
        "redirect to ftp": (
            image_server.redirect("/to-ftp", "ftp://127.0.0.1/x.img"),
            "not http or https",
        ),
    }


FAILURES = [
    "http 404",
    "unreachable",
    "not an image",
    "iso",
    "xz",
    "zstd",
    "zip",
    "truncated qcow2",
    "corrupt qcow2",
    "corrupt vhdx",
    "corrupt gzip",
    "truncated gzip",
    "truncated bzip2",
    "empty",
    "metadata address",
    "redirect to metadata",
    "ipv6 metadata",
    "redirect loop",
    "redirect to ftp",
]


@pytest.mark.parametrize("cause", FAILURES)
def test_failed_imports_end_deleted_naming_the_cause(http, image_server, cause) -> None:
    url, words = _failures(image_server)[cause]
    image = create(http, url, name=cause.replace(" ", "-"))
    done = final(http, image["id"])
    assert done["status"] == "deleted"
    assert words in done["error_message"], done["error_message"]
    assert done["regions"] == [] and done["min_disk_size"] is None
    # A failed import is listed; deleting it answers what Terraform takes as "already gone".
    assert image["id"] in [i["id"] for i in http.get("/v2/images?private=true").json()["images"]]
    gone = assert_error(http.delete(f"/v2/images/{image['id']}"), 422, "unprocessable_entity")
    assert gone["message"] == "Image Can not delete an already deleted image."


def test_policy_never_connects_to_refused_addresses(http, image_server) -> None:
    before = list(image_server.requests)
    image = create(http, image_server.redirect("/hop", "http://169.254.169.254/"))
    assert final(http, image["id"])["status"] == "deleted"
    assert image_server.requests[len(before) :] == ["/hop"], "only the first hop was fetched"


def test_size_limit_counts_the_decompressed_bytes(start_server, clients, image_server) -> None:
    server = start_server("--timing", "instant", "--image-size-limit", "1M")
    big = disk_images.compress(disk_images.raw_mbr(2 * MIB), "gzip")
    assert len(big) < MIB, "small on the wire, over the limit once decompressed"
    small = disk_images.raw_mbr(MIB // 2)
    with clients.http(server.url, new_token()) as http:
        too_big = create(http, image_server.add("/big.img.gz", big))
        fits = create(http, image_server.add("/small.img", small))
        failed = final(http, too_big["id"])
        assert failed["status"] == "deleted"
        assert "larger than the limit of 0.001 GB" in failed["error_message"]
        assert final(http, fits["id"])["status"] == "available"


def test_strict_policy_refuses_loopback_and_private(start_server, clients, image_server) -> None:
    server = start_server("--timing", "instant", "--image-url-policy", "strict")
    url = image_server.add("/strict.img", disk_images.raw_mbr())
    with clients.http(server.url, new_token()) as http:
        for target in (url, url.replace("127.0.0.1", "localhost"), "http://10.1.2.3/x.img"):
            done = final(http, create(http, target)["id"])
            assert done["status"] == "deleted"
            assert "refused by --image-url-policy strict" in done["error_message"]


def test_fast_timing_is_ready_by_terraforms_first_check(start_server, clients, image_server):
    server = start_server("--timing", "fast")
    url = image_server.add("/fast.qcow2", disk_images.qcow2(GIB))
    with clients.http(server.url, new_token()) as http:
        image = create(http, url)
        assert final(http, image["id"])["status"] in ("NEW", "pending")
        # Terraform looks again after one second: by then the image is available.
        deadline = time.monotonic() + 1.0
        while final(http, image["id"])["status"] != "available":
            assert time.monotonic() < deadline, "not available by Terraform's first check"
            time.sleep(0.05)


def test_manual_timing_waits_for_the_clock(start_server, clients, image_server) -> None:
    server = start_server("--timing", "manual")
    url = image_server.add("/manual.qcow2", disk_images.qcow2(GIB))
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        image = create(http, url)
        deadline = time.monotonic() + 10
        while control.get("/_localocean/clock").json()["pending"] == 0:
            assert time.monotonic() < deadline, "the download never finished"
            time.sleep(0.05)
        assert final(http, image["id"])["status"] == "pending"
        assert (
            control.post("/_localocean/clock/advance", json={"seconds": 59}).json()["applied"] == 0
        )
        assert final(http, image["id"])["status"] == "pending"
        assert (
            control.post("/_localocean/clock/advance", json={"seconds": 2}).json()["applied"] == 1
        )
        assert final(http, image["id"])["status"] == "available"


def test_delete_mid_import_cancels_the_download(start_server, clients, image_server) -> None:
    server = start_server("--timing", "fast")
    path = f"/slow-cancel-{new_token()[-8:]}.img"
    url = image_server.add_slow(path, disk_images.raw_mbr(4 * MIB), seconds=5)
    with clients.http(server.url, new_token()) as http:
        image = create(http, url)
        deadline = time.monotonic() + 5
        while path not in image_server.requests or final(http, image["id"])["status"] != "pending":
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        assert http.delete(f"/v2/images/{image['id']}").status_code == 204
        assert http.get(f"/v2/images/{image['id']}").status_code == 404
        deadline = time.monotonic() + 10
        while path not in image_server.aborted | image_server.completed:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert path in image_server.aborted, "the download was abandoned"


def test_restart_mid_import_resumes_it(
    backend, start_server, clients, image_server, tmp_path: Path
) -> None:
    args, _ = backend.durable(tmp_path)
    path = f"/slow-restart-{new_token()[-8:]}.qcow2"
    url = image_server.add_slow(path, disk_images.qcow2(2 * GIB), seconds=3)
    server = start_server("--timing", "fast", database=args)
    token = new_token()
    with clients.http(server.url, token) as http:
        image = create(http, url)
        deadline = time.monotonic() + 5
        while final(http, image["id"])["status"] != "pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert server.stop() == 0
    assert path not in image_server.completed
    server.start()
    with clients.http(server.url, token) as http:
        deadline = time.monotonic() + 20
        while (done := final(http, image["id"]))["status"] != "available":
            assert done["status"] == "pending", done
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert done["min_disk_size"] == 2
    assert path in image_server.completed, "downloaded again after the restart"


def test_instant_reads_wait_only_for_the_callers_imports(start_server, clients, image_server):
    server = start_server("--timing", "instant")
    path = f"/slow-other-{new_token()[-8:]}.img"
    url = image_server.add_slow(path, disk_images.raw_mbr(2 * MIB), seconds=4)
    with (
        clients.http(server.url, new_token()) as owner,
        clients.http(server.url, new_token()) as other,
    ):
        image = create(owner, url)
        started = time.monotonic()
        assert other.get("/v2/images", params={"private": "true"}).json()["images"] == []
        assert time.monotonic() - started < 2, "another account's download is not waited for"
        assert final(owner, image["id"])["status"] == "available", "the owner's read waits"
        assert time.monotonic() - started >= 3
