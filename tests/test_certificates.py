"""Certificates (`/v2/certificates`): custom certificates made here with `cryptography` and
checked as DigitalOcean checks them, Let's Encrypt certificates for the account's own domains
on the clock, through pydo and httpx and real Ansible; seeds, reset and export."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from pathlib import Path

import pydo
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from localocean.core.clock import rfc3339
from tests.conftest import new_token
from tests.support.ansible import run_module
from tests.test_conventions import assert_error
from tests.test_domains import add_domain, zone

UTC = datetime.UTC


def _pem_key(key: object) -> str:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Issued:
    private_key: str
    leaf_certificate: str
    certificate_chain: str
    leaf: x509.Certificate

    def body(self, name: str, **extra: object) -> dict:
        return {
            "name": name,
            "type": "custom",
            "private_key": self.private_key,
            "leaf_certificate": self.leaf_certificate,
            "certificate_chain": self.certificate_chain,
            **extra,
        }


def issue(
    names: list[str],
    *,
    days: int = 30,
    start: datetime.datetime | None = None,
    key: object | None = None,
) -> Issued:
    """A leaf certificate for `names` (SAN), signed by a CA made here, and its chain."""
    now = start or datetime.datetime.now(UTC) - datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Issued(
        _pem_key(leaf_key), leaf.public_bytes(pem).decode(), ca.public_bytes(pem).decode(), leaf
    )


def test_custom_certificate_through_pydo(do: pydo.Client, http) -> None:
    issued = issue(["example.com", "www.example.com"])
    made = do.certificates.create(issued.body("web-cert"))["certificate"]
    leaf = issued.leaf
    assert made == {
        "id": made["id"],
        "name": "web-cert",
        "not_after": rfc3339(leaf.not_valid_after_utc.timestamp()),
        "sha1_fingerprint": leaf.fingerprint(hashes.SHA1()).hex(),
        "created_at": made["created_at"],
        "dns_names": ["example.com", "www.example.com"],
        "state": "verified",
        "type": "custom",
    }
    uuid.UUID(made["id"])
    assert do.certificates.get(made["id"])["certificate"] == made
    listed = do.certificates.list()
    assert listed["certificates"] == [made] and listed["meta"]["total"] == 1
    # Without `type` (Ansible), an upload is a custom certificate; without a chain too.
    second = issue(["api.example.com"])
    body = {k: v for k, v in second.body("api-cert").items() if k not in ("type",)}
    body.pop("certificate_chain")
    other = http.post("/v2/certificates", json=body).json()["certificate"]
    assert (other["type"], other["dns_names"]) == ("custom", ["api.example.com"])
    assert [c["id"] for c in do.certificates.list(name="api-cert")["certificates"]] == [other["id"]]
    assert do.certificates.list(name="nothing")["certificates"] == []
    two = do.certificates.list(per_page=1, page=2)
    assert two["certificates"] == [other] and two["links"]["pages"]["prev"].endswith("page=1")

    do.certificates.delete(made["id"])
    assert_error(http.get(f"/v2/certificates/{made['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/certificates/{made['id']}"), 404, "not_found")
    assert_error(http.get("/v2/certificates/not-a-uuid"), 404, "not_found")
    assert do.certificates.list()["meta"]["total"] == 1


def _bad_bodies() -> list[tuple[str, dict, str]]:
    good = issue(["example.com"])
    stranger = issue(["example.com"])
    expired = issue(
        ["example.com"], days=10, start=datetime.datetime.now(UTC) - datetime.timedelta(days=30)
    )
    key = serialization.load_pem_private_key(good.private_key.encode(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    return [
        ("no name", {k: v for k, v in good.body("x").items() if k != "name"}, "name"),
        ("blank name", good.body(" "), "name"),
        ("no key", {**good.body("x"), "private_key": None}, "private_key"),
        ("no leaf", {**good.body("x"), "leaf_certificate": None}, "leaf_certificate"),
        ("garbage leaf", {**good.body("x"), "leaf_certificate": "nope"}, "leaf_certificate"),
        ("garbage key", {**good.body("x"), "private_key": "nope"}, "private_key"),
        ("encrypted key", {**good.body("x"), "private_key": encrypted}, "private_key"),
        ("other key", {**good.body("x"), "private_key": stranger.private_key}, "match"),
        ("bad chain", {**good.body("x"), "certificate_chain": "-----BEGIN"}, "chain"),
        ("expired", expired.body("x"), "expired"),
        ("bad type", good.body("x", type="self_signed"), "type"),
        ("le without names", {"name": "x", "type": "lets_encrypt"}, "dns_names"),
        ("le with no names", {"name": "x", "type": "lets_encrypt", "dns_names": []}, "dns_names"),
    ]


def test_invalid_certificates_are_refused(http) -> None:
    for label, body, fragment in _bad_bodies():
        refused = http.post("/v2/certificates", json=body)
        message = assert_error(refused, 422, "unprocessable_entity")["message"]
        assert fragment in message, (label, message)
    assert http.get("/v2/certificates").json()["meta"]["total"] == 0


def test_names_are_unique_per_account(http, server, clients) -> None:
    issued = issue(["example.com"])
    assert http.post("/v2/certificates", json=issued.body("shared")).status_code == 201
    again = http.post("/v2/certificates", json=issue(["example.org"]).body("shared"))
    assert "already exists" in assert_error(again, 422, "unprocessable_entity")["message"]
    with clients.http(server.url, new_token()) as other:
        assert other.post("/v2/certificates", json=issued.body("shared")).status_code == 201
        assert other.get("/v2/certificates").json()["meta"]["total"] == 1
    assert http.get("/v2/certificates").json()["meta"]["total"] == 1


def test_lets_encrypt_only_for_the_accounts_own_domains(http, server, clients) -> None:
    name = zone()
    add_domain(http, name)
    body = {"name": "le", "type": "lets_encrypt"}
    for outside in ([f"x.{zone()}"], ["example.com"], [name, "bad name"], [f"{name}x"]):
        refused = http.post("/v2/certificates", json={**body, "dns_names": outside})
        assert "dns_names" in assert_error(refused, 422, "unprocessable_entity")["message"]
    with clients.http(server.url, new_token()) as other:
        theirs = other.post("/v2/certificates", json={**body, "dns_names": [name]})
        assert_error(theirs, 422, "unprocessable_entity")
    names = [name, f"*.{name}", f"API.{name}", f"deep.sub.{name}"]
    made = http.post("/v2/certificates", json={**body, "dns_names": names}).json()["certificate"]
    assert made["state"] == "pending" and made["type"] == "lets_encrypt"
    assert made["dns_names"] == [name, f"*.{name}", f"api.{name}", f"deep.sub.{name}"]
    # With `instant` timing it is issued by the next request.
    issued = http.get(f"/v2/certificates/{made['id']}").json()["certificate"]
    assert issued["state"] == "verified" and len(issued["sha1_fingerprint"]) == 40


def test_lets_encrypt_waits_for_the_clock(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        name = zone()
        add_domain(http, name)
        body = {"name": "le", "type": "lets_encrypt", "dns_names": [f"www.{name}"]}
        made = http.post("/v2/certificates", json=body).json()["certificate"]
        assert (made["state"], made["sha1_fingerprint"]) == ("pending", "")
        assert made["not_after"] == "0001-01-01T00:00:00Z"
        http.post("/_localocean/clock/advance", json={"seconds": 30})
        assert http.get(f"/v2/certificates/{made['id']}").json()["certificate"] == made
        http.post("/_localocean/clock/advance", json={"seconds": 30})
        issued = http.get(f"/v2/certificates/{made['id']}").json()["certificate"]
        assert issued["state"] == "verified"
        now = http.get("/_localocean/clock").json()["now"]
        in_90_days = datetime.datetime.fromisoformat(now) + datetime.timedelta(days=90)
        assert issued["not_after"] == rfc3339(in_90_days.timestamp())

        # A pending certificate deleted is never issued.
        body["name"] = "le-2"
        second = http.post("/v2/certificates", json=body).json()["certificate"]
        assert http.delete(f"/v2/certificates/{second['id']}").status_code == 204
        assert http.post("/_localocean/clock/settle").json()["pending"] == 0
        assert [c["id"] for c in http.get("/v2/certificates").json()["certificates"]] == [
            made["id"]
        ]


def test_ansible_certificate(proxied, tmp_path: Path) -> None:
    _server, exported, _ = proxied
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    issued = issue(["ansible.example.com"])
    args = {
        "name": "ansible-cert",
        "private_key": issued.private_key,
        "leaf_certificate": issued.leaf_certificate,
        "certificate_chain": issued.certificate_chain,
    }
    created = run_module("digital_ocean_certificate", args, token, tmp_path)
    assert not created.get("failed"), created
    certificate = created["response"]["certificate"]
    assert created["changed"] is True and certificate["state"] == "verified"
    assert certificate["dns_names"] == ["ansible.example.com"]
    info = run_module("digital_ocean_certificate_info", {}, token, tmp_path)
    assert [c["id"] for c in info["data"]] == [certificate["id"]]
    # The module refuses a name that exists (it has no update).
    again = run_module("digital_ocean_certificate", args, token, tmp_path)
    assert again.get("failed") and "already exists" in again["msg"]
    removed = run_module(
        "digital_ocean_certificate", {"name": "ansible-cert", "state": "absent"}, token, tmp_path
    )
    assert removed["changed"] is True, removed
    assert run_module("digital_ocean_certificate_info", {}, token, tmp_path)["data"] == []


def test_seeded_certificates_survive_export_reset_and_import(start_server, clients, tmp_path):
    issued = issue(["seeded.example"])
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "name": "certs",
                        "tokens": ["dop_v1_seeded_certificates"],
                        "domains": [{"name": "seeded-certs.example"}],
                        "certificates": [
                            {k: v for k, v in issued.body("custom").items() if k != "type"},
                            {"name": "le", "type": "lets_encrypt", "state": "verified",
                             "dns_names": ["www.seeded-certs.example"]},
                            {"name": "le-pending", "type": "lets_encrypt",
                             "dns_names": ["seeded-certs.example"]},
                        ],
                    }
                ]
            }
        )
    )  # fmt: skip
    server = start_server("--seed", str(seed), "--timing", "manual")
    with clients.http(server.url, "dop_v1_seeded_certificates") as http:
        listed = http.get("/v2/certificates").json()["certificates"]
        assert [(c["name"], c["type"], c["state"]) for c in listed] == [
            ("custom", "custom", "verified"),
            ("le", "lets_encrypt", "verified"),
            ("le-pending", "lets_encrypt", "pending"),
        ]
        statuses = http.get("/_localocean/status").json()["accounts"]
        (account,) = [a for a in statuses if a["account"] == "certs"]
        assert account["certificates"] == 3

        state = http.get("/_localocean/state").json()
        assert len(state["tables"]["certificates"]) == 3
        assert http.post("/_localocean/reset", json={"account": "certs"}).status_code == 200
        assert http.get("/v2/certificates").json()["meta"]["total"] == 0
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/certificates").json()["certificates"] == listed
        # The pending one's issue was exported with it and still happens on the clock.
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        states = [c["state"] for c in http.get("/v2/certificates").json()["certificates"]]
        assert states == ["verified"] * 3


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_key_types(http, kind) -> None:
    key = (
        ec.generate_private_key(ec.SECP384R1())
        if kind == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    made = http.post("/v2/certificates", json=issue(["k.example"], key=key).body(kind))
    assert made.status_code == 201, made.text
