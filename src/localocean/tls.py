"""LocalOcean's certificate authority: created once in the data directory, it signs the
certificate LocalOcean serves for localhost and for DigitalOcean's API hosts, so that clients
which trust it can be redirected to LocalOcean without any change."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

API_HOSTS = ("api.digitalocean.com", "cloud.digitalocean.com")
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """A private key as PEM, readable by its owner only (mode set before anything is written)."""
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(b"")
    path.chmod(0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def self_signed_ca(
    organization: str, common_name: str, start: datetime.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new CA: an EC P-256 key and its self-signed certificate, valid ten years from `start`.
    Used for LocalOcean's own CA and for each Kubernetes cluster's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - datetime.timedelta(minutes=5))
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


class LocalCA:
    def __init__(self, data_dir: Path):
        self.directory = data_dir / "ca"
        self.cert_path = self.directory / "localocean-ca.pem"
        self.key_path = self.directory / "localocean-ca-key.pem"
        self.bundle_path = self.directory / "ca-bundle.pem"

    def ensure(self) -> LocalCA:
        """Create the CA on first use; afterwards the same CA is used every time."""
        if not (self.cert_path.exists() and self.key_path.exists()):
            self._create()
        if not self.bundle_path.exists():
            self._write_bundle()
        return self

    def _create(self) -> None:
        from cryptography.hazmat.primitives import serialization

        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        key, certificate = self_signed_ca(
            "LocalOcean",
            f"LocalOcean local CA ({os.uname()[1]})",
            datetime.datetime.now(datetime.UTC),
        )
        _write_key(self.key_path, key)
        self.cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.bundle_path.unlink(missing_ok=True)

    def _write_bundle(self) -> None:
        """The usual public CAs plus LocalOcean's: for clients whose CA setting replaces the
        whole trust store (REQUESTS_CA_BUNDLE, SSL_CERT_FILE)."""
        public = b""
        try:
            import certifi

            public = Path(certifi.where()).read_bytes()
        except (ImportError, OSError):
            system = Path("/etc/ssl/certs/ca-certificates.crt")
            if system.exists():
                public = system.read_bytes()
        self.bundle_path.write_bytes(public.rstrip() + b"\n" + self.cert_path.read_bytes())

    def server_context(self, extra_names: list[str]) -> ssl.SSLContext:
        """A TLS context with a fresh certificate for LocalOcean's names, signed by the CA."""
        from cryptography.hazmat.primitives import serialization

        self.ensure()
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
        return serving_context(
            ca_key,
            self.cert_path.read_bytes(),
            [*LOCAL_NAMES, *API_HOSTS, *extra_names],
            self.directory,
            "server",
        )


def serving_context(
    ca_key: object, ca_pem: bytes, names: list[str], directory: Path, stem: str
) -> ssl.SSLContext:
    """A TLS server context with a new certificate for `names`, signed by the CA (EC P-256, as
    `self_signed_ca` makes them); the certificate and its key are written to `directory`, which
    `ssl` needs to load them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    ca_public_key = ca_cert.public_key()
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey) or not isinstance(
        ca_public_key, ec.EllipticCurvePublicKey
    ):
        raise ValueError(f"the CA for {names[0]} does not have an EC key")
    alternative: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        if not name or name in ("0.0.0.0", "::"):
            continue
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative.append(x509.DNSName(name))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public_key), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}-key.pem"
    _write_key(key_path, key)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM) + ca_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context
