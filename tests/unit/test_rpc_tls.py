"""Mutual TLS the way FISCO nodes do it: a chain CA, certificates without the host name."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fisco_drugtrace.errors import ConfigError, TlsError
from fisco_drugtrace.rpc import HttpTransport, JsonRpc, RetryPolicy, TlsFiles
from tests.fakes import FakeNode, serve_http


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fisco")])


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, issuer_key: ec.EllipticCurvePrivateKey,
          ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        assert key is not None
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway chain CA, a node cert (CN 'node0', no SAN) and an SDK client cert, plus a stranger CA."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("chain-ca", ca_key, "chain-ca", ca_key, ca=True)
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = _cert("node0", node_key, "chain-ca", ca_key, ca=False)
    sdk_key = ec.generate_private_key(ec.SECP256R1())
    sdk = _cert("sdk", sdk_key, "chain-ca", ca_key, ca=False)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = _cert("other-ca", other_key, "other-ca", other_key, ca=True)
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _cert("stranger", stranger_key, "other-ca", other_key, ca=False)
    sdk_dir = d / "sdk"
    sdk_dir.mkdir()
    return {
        "ca": _write(sdk_dir / "ca.crt", ca),
        "cert": _write(sdk_dir / "sdk.crt", sdk),
        "key": _write(sdk_dir / "sdk.key", key=sdk_key),
        "node_cert": _write(d / "node.crt", node),
        "node_key": _write(d / "node.key", key=node_key),
        "other_ca": _write(d / "other_ca.crt", other_ca),
        "stranger_cert": _write(d / "stranger.crt", stranger),
        "stranger_key": _write(d / "stranger.key", key=stranger_key),
        "sdk_dir": sdk_dir,
    }


def _server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    """Like a FISCO node: TLS 1.2 only, client certificate required, chain CA trusted."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(pki["ca"]))
    ctx.load_cert_chain(str(pki["node_cert"]), str(pki["node_key"]))
    return ctx


def _rpc(url: str, tls: TlsFiles | None) -> JsonRpc:
    return JsonRpc(HttpTransport(url, tls=tls, timeout=5), retry=RetryPolicy(attempts=1))


def test_sdk_connects_with_the_chain_certificates(pki: dict[str, Path]) -> None:
    node = FakeNode().on("getBlockNumber", 77)
    with serve_http(node=node, ssl_context=_server_context(pki)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        tls = TlsFiles.from_sdk_dir(pki["sdk_dir"])
        assert _rpc(server.url, tls).request("getBlockNumber", ["group0", ""]) == 77


def test_without_client_certificate_the_node_refuses(pki: dict[str, Path]) -> None:
    node = FakeNode().on("getBlockNumber", 77)
    with serve_http(node=node, ssl_context=_server_context(pki)) as server:
        with pytest.raises(TlsError) as info:
            _rpc(server.url, None).request("getBlockNumber", [])
        assert info.value.url == server.url
        assert node.calls == []


def test_client_certificate_from_another_ca_is_refused(pki: dict[str, Path]) -> None:
    node = FakeNode().on("getBlockNumber", 77)
    tls = TlsFiles(ca=pki["ca"], cert=pki["stranger_cert"], key=pki["stranger_key"])
    with serve_http(node=node, ssl_context=_server_context(pki)) as server:
        with pytest.raises(TlsError):
            _rpc(server.url, tls).request("getBlockNumber", [])
    assert node.calls == []


def test_node_signed_by_an_unknown_ca_is_refused(pki: dict[str, Path]) -> None:
    node = FakeNode().on("getBlockNumber", 77)
    tls = TlsFiles(ca=pki["other_ca"], cert=pki["cert"], key=pki["key"])
    with serve_http(node=node, ssl_context=_server_context(pki)) as server:
        with pytest.raises(TlsError):
            _rpc(server.url, tls).request("getBlockNumber", [])


def test_missing_certificate_files_are_config_errors(tmp_path: Path, pki: dict[str, Path]) -> None:
    with pytest.raises(ConfigError):
        HttpTransport("https://127.0.0.1:1", tls=TlsFiles(tmp_path / "ca.crt", pki["cert"], pki["key"]))
