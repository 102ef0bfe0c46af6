"""SSH keys (`/v2/account/keys`): real OpenSSH keys made here, fingerprints as ssh-keygen prints
them, keys found by id or fingerprint, through pydo, python-digitalocean and httpx."""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pydo
import pytest
from azure.core.exceptions import HttpResponseError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from localocean.app import schema
from localocean.areas import AREAS
from localocean.areas.ssh_keys import rules
from localocean.core import accounts
from localocean.core.db import Database
from tests.conftest import new_token
from tests.test_conventions import assert_error

KINDS: dict[str, Callable[[], object]] = {
    "ssh-ed25519": ed25519.Ed25519PrivateKey.generate,
    "ssh-rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ecdsa-sha2-nistp256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ecdsa-sha2-nistp384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ecdsa-sha2-nistp521": lambda: ec.generate_private_key(ec.SECP521R1()),
}
IN_USE = "SSH Key is already in use on your account"


def openssh_key(kind: str = "ssh-ed25519", comment: str = "") -> str:
    """A new public key in OpenSSH's one-line format: `type base64 [comment]`."""
    private = KINDS[kind]()
    line = private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    text = line.decode()
    assert text.startswith(f"{kind} ")
    return f"{text} {comment}" if comment else text


def md5_of_blob(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())


def expected_fingerprint(public_key: str, tmp_path: Path) -> str:
    """What `ssh-keygen -l -E md5` prints for the key, when ssh-keygen is installed; the MD5 of
    the decoded blob otherwise (the two must agree where both can be had)."""
    computed = md5_of_blob(public_key)
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        return computed
    path = tmp_path / f"{uuid.uuid4().hex}.pub"
    path.write_text(public_key + "\n")
    out = subprocess.run(
        [keygen, "-l", "-E", "md5", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    printed = out.split()[1].removeprefix("MD5:")
    assert printed == computed
    return printed


def ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


@pytest.fixture
def other(server, clients) -> Iterator:
    """A client of another account on the same server."""
    with clients.http(server.url, new_token()) as client:
        yield client


def test_every_key_type_with_its_fingerprint(do: pydo.Client, tmp_path: Path) -> None:
    created = []
    for kind in KINDS:
        public_key = openssh_key(kind, comment=f"me@{kind}")
        key = do.ssh_keys.create({"name": f"key {kind}", "public_key": public_key})["ssh_key"]
        assert set(key) == {"id", "fingerprint", "public_key", "name"}
        assert isinstance(key["id"], int) and key["id"] > 41_000_000
        assert key["public_key"] == public_key, "the comment is kept"
        assert key["fingerprint"] == expected_fingerprint(public_key, tmp_path)
        assert key["name"] == f"key {kind}"
        created.append(key)
    listed = do.ssh_keys.list()
    assert listed["ssh_keys"] == created, "listed in the order they were made"
    assert listed["meta"]["total"] == len(KINDS)
    assert listed["links"] == {}


def test_get_rename_delete_by_id_and_by_fingerprint(do: pydo.Client, http) -> None:
    first = do.ssh_keys.create({"name": "one", "public_key": openssh_key()})["ssh_key"]
    second = do.ssh_keys.create({"name": "two", "public_key": openssh_key("ssh-rsa")})["ssh_key"]
    assert do.ssh_keys.get(first["id"])["ssh_key"] == first
    assert do.ssh_keys.get(first["fingerprint"])["ssh_key"] == first
    assert http.get(f"/v2/account/keys/{first['id']}").json()["ssh_key"] == first
    # Clients print fingerprints in either case.
    upper = first["fingerprint"].upper()
    assert http.get(f"/v2/account/keys/{upper}").json()["ssh_key"] == first

    renamed = do.ssh_keys.update(first["id"], {"name": "renamed by id"})["ssh_key"]
    assert renamed == {**first, "name": "renamed by id"}
    renamed = do.ssh_keys.update(second["fingerprint"], {"name": "by print"})["ssh_key"]
    assert renamed == {**second, "name": "by print"}
    assert do.ssh_keys.get(second["id"])["ssh_key"]["name"] == "by print"
    # A body without a name changes nothing.
    unchanged = http.put(f"/v2/account/keys/{first['id']}", json={})
    assert unchanged.status_code == 200
    assert unchanged.json()["ssh_key"]["name"] == "renamed by id"

    assert do.ssh_keys.delete(first["fingerprint"]) is None
    response = http.delete(f"/v2/account/keys/{second['id']}")
    assert (response.status_code, response.content) == (204, b"")
    for key in (first, second):
        for reference in (key["id"], key["fingerprint"]):
            assert_error(http.get(f"/v2/account/keys/{reference}"), 404, "not_found")
        assert_error(http.delete(f"/v2/account/keys/{key['id']}"), 404, "not_found")
    assert do.ssh_keys.list()["meta"]["total"] == 0


def test_whitespace_around_the_key_is_dropped(http, tmp_path: Path) -> None:
    public_key = openssh_key("ecdsa-sha2-nistp256", comment="laptop key with spaces")
    response = http.post(
        "/v2/account/keys", json={"name": "padded", "public_key": f"  {public_key}\n"}
    )
    assert response.status_code == 201, response.text
    key = response.json()["ssh_key"]
    assert key["public_key"] == public_key
    assert key["fingerprint"] == expected_fingerprint(public_key, tmp_path)


def test_a_key_is_unique_in_its_account_only(http, other, tmp_path: Path) -> None:
    public_key = openssh_key()
    first = http.post("/v2/account/keys", json={"name": "a", "public_key": public_key})
    assert first.status_code == 201
    # The same blob under another name and comment is the same key.
    again = {"name": "b", "public_key": f"{public_key} another-comment"}
    body = assert_error(http.post("/v2/account/keys", json=again), 422, "unprocessable_entity")
    assert body["message"] == IN_USE
    listed = http.get("/v2/account/keys").json()
    assert (listed["meta"]["total"], len(listed["ssh_keys"])) == (1, 1)
    # Another account may hold the same key; it gets its own id.
    theirs = other.post("/v2/account/keys", json={"name": "a", "public_key": public_key})
    assert theirs.status_code == 201
    mine = first.json()["ssh_key"]
    assert theirs.json()["ssh_key"]["fingerprint"] == mine["fingerprint"]
    assert theirs.json()["ssh_key"]["id"] != mine["id"]
    # A key comes back after it is deleted.
    assert http.delete(f"/v2/account/keys/{mine['fingerprint']}").status_code == 204
    again_created = http.post("/v2/account/keys", json=again)
    assert again_created.status_code == 201
    assert again_created.json()["ssh_key"]["fingerprint"] == expected_fingerprint(
        public_key, tmp_path
    )


def test_other_accounts_keys_are_not_found(http, other) -> None:
    key = http.post("/v2/account/keys", json={"name": "mine", "public_key": openssh_key()})
    mine = key.json()["ssh_key"]
    for reference in (mine["id"], mine["fingerprint"]):
        assert_error(other.get(f"/v2/account/keys/{reference}"), 404, "not_found")
        renamed = other.put(f"/v2/account/keys/{reference}", json={"name": "stolen"})
        assert_error(renamed, 404, "not_found")
        assert_error(other.delete(f"/v2/account/keys/{reference}"), 404, "not_found")
    assert other.get("/v2/account/keys").json()["ssh_keys"] == []
    assert http.get(f"/v2/account/keys/{mine['id']}").json()["ssh_key"] == mine


@pytest.mark.parametrize(
    "reference",
    [
        "99999999",
        "0",
        "99999999999999999999999",
        "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
        "not-a-key",
        "-5",
    ],
)
def test_unknown_identifiers_are_404(http, reference) -> None:
    assert_error(http.get(f"/v2/account/keys/{reference}"), 404, "not_found")
    renamed = http.put(f"/v2/account/keys/{reference}", json={"name": "x"})
    assert_error(renamed, 404, "not_found")
    assert_error(http.delete(f"/v2/account/keys/{reference}"), 404, "not_found")


def _malformed() -> list[tuple[str, object, str]]:
    ed = openssh_key()
    ed_blob = base64.b64decode(ed.split()[1])
    rsa_key = openssh_key("ssh-rsa")
    # An ed25519 blob whose key is 31 bytes instead of 32.
    short = ssh_string(b"ssh-ed25519") + ssh_string(b"\x01" * 31)
    ssh2 = "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAC3Nza\n---- END SSH2 PUBLIC KEY ----"
    private = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return [
        ("type missing", "AAAAC3NzaC1lZDI1NTE5AAAAIA", "format"),
        ("unsupported type", f"ssh-foo {ed.split()[1]}", "we support"),
        ("options before the type", f'command="ls" {ed}', "we support"),
        ("type and blob disagree", f"ssh-rsa {ed.split()[1]}", "format"),
        ("ecdsa curve disagrees", f"ecdsa-sha2-nistp384 {ed.split()[1]}", "format"),
        ("not base64", "ssh-ed25519 AAAA$$$$", "format"),
        ("cut short", f"ssh-ed25519 {base64.b64encode(ed_blob[:-4]).decode()}", "format"),
        (
            "bytes after the key",
            f"ssh-ed25519 {base64.b64encode(ed_blob + b'xy').decode()}",
            "format",
        ),
        ("wrong key length", f"ssh-ed25519 {base64.b64encode(short).decode()}", "format"),
        ("truncated rsa", rsa_key[:-40], "format"),
        ("two keys", f"{ed}\n{openssh_key()}", "format"),
        ("SSH2 format (PuTTY)", ssh2, "we support"),
        ("a private key", private, "we support"),
        ("empty", "", "public_key"),
        ("not a string", 42, "public_key"),
    ]


@pytest.mark.parametrize(
    ("why", "public_key", "says"),
    # Named by `why`: the keys are made afresh in each session.
    [pytest.param(*case, id=case[0]) for case in _malformed()],
)
def test_malformed_keys_are_422_and_store_nothing(http, why, public_key, says) -> None:
    response = http.post("/v2/account/keys", json={"name": "bad", "public_key": public_key})
    body = assert_error(response, 422, "unprocessable_entity")
    assert says in body["message"], why
    listed = http.get("/v2/account/keys").json()
    assert (listed["ssh_keys"], listed["meta"]["total"]) == ([], 0)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"public_key": "KEY"}, "name"),
        ({"name": "", "public_key": "KEY"}, "name"),
        ({"name": "   ", "public_key": "KEY"}, "name"),
        ({"name": "x" * 256, "public_key": "KEY"}, "name"),
        ({"name": 7, "public_key": "KEY"}, "name"),
        ({"name": "no key"}, "public_key"),
    ],
)
def test_names_and_missing_fields_are_422(http, body, says) -> None:
    if body.get("public_key") == "KEY":
        body = {**body, "public_key": openssh_key()}  # a valid key: only the name is wrong
    error = assert_error(http.post("/v2/account/keys", json=body), 422, "unprocessable_entity")
    assert says in error["message"]
    assert http.get("/v2/account/keys").json()["meta"]["total"] == 0


def test_rename_is_checked_and_leaves_the_key_on_error(http) -> None:
    key = http.post("/v2/account/keys", json={"name": "kept", "public_key": openssh_key()})
    path = f"/v2/account/keys/{key.json()['ssh_key']['id']}"
    for name in ("", "x" * 256, 5):
        assert_error(http.put(path, json={"name": name}), 422, "unprocessable_entity")
    assert http.get(path).json()["ssh_key"]["name"] == "kept"


def test_pagination(do: pydo.Client, http) -> None:
    made = [
        do.ssh_keys.create({"name": f"k{i}", "public_key": openssh_key()})["ssh_key"]
        for i in range(5)
    ]
    ids = [key["id"] for key in made]
    assert ids == sorted(ids) and len(set(ids)) == 5
    pages = [do.ssh_keys.list(per_page=2, page=n) for n in (1, 2, 3)]
    assert [[k["id"] for k in p["ssh_keys"]] for p in pages] == [ids[:2], ids[2:4], ids[4:]]
    assert all(p["meta"]["total"] == 5 for p in pages)
    first, middle, last = (p["links"]["pages"] for p in pages)
    assert set(first) == {"next", "last"} and first["last"].endswith("page=3")
    assert set(middle) == {"first", "prev", "next", "last"}
    assert set(last) == {"first", "prev"} and last["prev"].endswith("page=2")
    followed = http.get(first["next"]).json()
    assert [k["id"] for k in followed["ssh_keys"]] == ids[2:4]
    beyond = do.ssh_keys.list(per_page=2, page=9)
    assert (beyond["ssh_keys"], beyond["meta"]["total"]) == ([], 5)
    # Deleting keeps the total in step.
    do.ssh_keys.delete(ids[0])
    assert do.ssh_keys.list(per_page=2)["meta"]["total"] == 4


def test_pydo_sees_errors(do: pydo.Client) -> None:
    public_key = openssh_key()
    do.ssh_keys.create({"name": "once", "public_key": public_key})
    with pytest.raises(HttpResponseError) as duplicate:
        do.ssh_keys.create({"name": "twice", "public_key": public_key})
    assert duplicate.value.status_code == 422
    # pydo hands back the body of a 404 the spec documents instead of raising.
    assert do.ssh_keys.get(12345)["id"] == "not_found"


def test_python_digitalocean(server, token, monkeypatch, tmp_path: Path) -> None:
    import digitalocean

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    public_key = openssh_key("ssh-rsa", comment="pdo")
    key = digitalocean.SSHKey(token=token, name="pdo", public_key=public_key)
    key.create()
    assert isinstance(key.id, int)
    loaded = digitalocean.SSHKey.get_object(token, key.id)
    assert loaded.fingerprint == expected_fingerprint(public_key, tmp_path)
    by_print = digitalocean.SSHKey(token=token, fingerprint=loaded.fingerprint)
    by_print.load()
    assert (by_print.id, by_print.name) == (key.id, "pdo")
    found = digitalocean.SSHKey(token=token).load_by_pub_key(public_key)
    assert found is not None and found.id == key.id
    with pytest.raises(digitalocean.DataReadError, match=IN_USE):
        digitalocean.SSHKey(token=token, name="again", public_key=public_key).create()
    loaded.name = "renamed"
    loaded.edit()  # sends public_key too; only the name changes
    manager = digitalocean.Manager(token=token)
    assert [(k.id, k.name) for k in manager.get_all_sshkeys()] == [(key.id, "renamed")]
    assert loaded.destroy() is True
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.SSHKey.get_object(token, key.id)


def test_seed_status_and_account_reset(anonymous, clients, server, tmp_path: Path) -> None:
    name, token = f"keys-{uuid.uuid4().hex[:12]}", new_token()
    keys = [openssh_key("ssh-ed25519", "a@b"), openssh_key("ecdsa-sha2-nistp384")]
    document = {
        "accounts": [
            {
                "name": name,
                "tokens": [token],
                "ssh_keys": [{"name": f"seeded {i}", "public_key": k} for i, k in enumerate(keys)],
            }
        ]
    }
    seeded = anonymous.post("/_localocean/seed", json=document)
    assert seeded.status_code == 201, seeded.text
    assert seeded.json()["seeded"]["ssh_keys"] == 2
    with clients.http(server.url, token) as http:
        listed = http.get("/v2/account/keys").json()
        assert [k["name"] for k in listed["ssh_keys"]] == ["seeded 0", "seeded 1"]
        assert [k["fingerprint"] for k in listed["ssh_keys"]] == [
            expected_fingerprint(k, tmp_path) for k in keys
        ]
        (entry,) = [
            a
            for a in anonymous.get("/_localocean/status").json()["accounts"]
            if a["account"] == name
        ]
        assert entry["ssh_keys"] == 2

        # The same key twice, or a broken one, refuses the whole document.
        duplicate = {
            "accounts": [{"name": name, "ssh_keys": [{"name": "x", "public_key": keys[0]}]}]
        }
        error = assert_error(
            anonymous.post("/_localocean/seed", json=duplicate), 422, "unprocessable_entity"
        )
        assert error["message"] == f"accounts[0].ssh_keys[0]: {IN_USE}"
        broken = {"accounts": [{"name": name, "ssh_keys": [{"name": "x", "public_key": "nope"}]}]}
        error = assert_error(
            anonymous.post("/_localocean/seed", json=broken), 422, "unprocessable_entity"
        )
        assert error["message"].startswith("accounts[0].ssh_keys[0]: Key invalid")
        assert http.get("/v2/account/keys").json()["meta"]["total"] == 2

        assert anonymous.post("/_localocean/reset", json={"account": name}).status_code == 200
        listed = http.get("/v2/account/keys").json()
        assert (listed["ssh_keys"], listed["meta"]["total"]) == ([], 0)
        # A key of a reset account can be added again.
        again = http.post("/v2/account/keys", json={"name": "back", "public_key": keys[0]})
        assert again.status_code == 201


@pytest.fixture
def database() -> Iterator[Database]:
    db = Database("sqlite://")
    db.migrate(schema(AREAS))
    yield db
    db.dispose()


def test_resolve_for_other_areas(database: Database) -> None:
    """`rules.resolve` is what the droplets area calls with the `ssh_keys` of a request."""
    with database.transaction() as connection:
        account = accounts.ensure_account(connection, "resolver", 0.0)
        stranger = accounts.ensure_account(connection, "stranger", 0.0)
        public_key = openssh_key("ecdsa-sha2-nistp521")
        payload = {"name": "k", "public_key": public_key}
        key = rules.create(connection, account.id, payload, 1.0)
        assert key.fingerprint == md5_of_blob(public_key)
        assert rules.render(key) == {
            "id": key.id,
            "fingerprint": key.fingerprint,
            "public_key": public_key,
            "name": "k",
        }
        for reference in (key.id, str(key.id), key.fingerprint, key.fingerprint.upper()):
            found = rules.resolve(connection, account.id, reference)
            assert found is not None and found.id == key.id, reference
        for reference in (key.id + 1, 0, -1, 2**64, True, "", "x", "12:34"):
            assert rules.resolve(connection, account.id, reference) is None, reference
        assert rules.resolve(connection, stranger.id, key.id) is None
        assert rules.resolve(connection, stranger.id, key.fingerprint) is None
