"""Certificates for the dev chain's mutual TLS, in ``build_chain.sh``'s layout.

Generated once per data dir (kept for later runs): an RSA-2048 CA, the node's certificate
(``node/ssl.crt``, ``node/ssl.key``) and the SDK's (``sdk/ca.crt``, ``sdk/sdk.crt``,
``sdk/sdk.key``), all signed by the CA, with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .server import ServerTls

__all__ = ["TlsMaterial", "ensure_certificates"]

_VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsMaterial:
    """Where the certificates are: ``server`` for :func:`serve`, the ``sdk_*`` paths for clients."""

    server: ServerTls
    sdk_ca: Path
    sdk_cert: Path
    sdk_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fisco-drugtrace devchain")])


def _issue(subject_key: rsa.RSAPrivateKey, common_name: str, ca_key: rsa.RSAPrivateKey, ca_name: x509.Name,
           *, is_ca: bool, usage: list[x509.ObjectIdentifier], sans: list[x509.GeneralName]) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_name)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def ensure_certificates(data_dir: Path) -> TlsMaterial:
    """Create the CA, node and SDK certificates under ``data_dir`` unless they already exist."""
    import ipaddress

    sdk_dir, node_dir = data_dir / "sdk", data_dir / "node"
    material = TlsMaterial(
        server=ServerTls(ca=node_dir / "ca.crt", cert=node_dir / "ssl.crt", key=node_dir / "ssl.key"),
        sdk_ca=sdk_dir / "ca.crt", sdk_cert=sdk_dir / "sdk.crt", sdk_key=sdk_dir / "sdk.key",
    )
    paths = [material.server.ca, material.server.cert, material.server.key, material.sdk_ca, material.sdk_cert,
             material.sdk_key]
    if all(p.exists() for p in paths):
        return material
    sdk_dir.mkdir(parents=True, exist_ok=True)
    node_dir.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("devchain-ca")
    ca_cert = _issue(ca_key, "devchain-ca", ca_key, ca_name, is_ca=True, usage=[], sans=[])
    node_key, sdk_key = _key(), _key()
    node_cert = _issue(node_key, "node0", ca_key, ca_name, is_ca=False, usage=[ExtendedKeyUsageOID.SERVER_AUTH],
                       sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    sdk_cert = _issue(sdk_key, "sdk", ca_key, ca_name, is_ca=False, usage=[ExtendedKeyUsageOID.CLIENT_AUTH], sans=[])
    for ca_path in (material.server.ca, material.sdk_ca):
        _write_cert(ca_path, ca_cert)
    _write_cert(material.server.cert, node_cert)
    _write_key(material.server.key, node_key)
    _write_cert(material.sdk_cert, sdk_cert)
    _write_key(material.sdk_key, sdk_key)
    return material
