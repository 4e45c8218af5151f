"""Mutual TLS the way FISCO nodes do it: a chain CA, certificates without the host name."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fisco_drugtrace.errors import ConfigError, TlsError
from fisco_drugtrace.rpc import HttpTransport, JsonRpc, RetryPolicy, TlsFiles
from tests.fakes import FakeNode, make_cert, serve_http, write_pem


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway chain CA, a node cert (CN 'node0', no SAN) and an SDK client cert, plus a stranger CA."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = make_cert("chain-ca", ca_key, "chain-ca", ca_key, ca=True)
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = make_cert("node0", node_key, "chain-ca", ca_key, ca=False)
    sdk_key = ec.generate_private_key(ec.SECP256R1())
    sdk = make_cert("sdk", sdk_key, "chain-ca", ca_key, ca=False)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = make_cert("other-ca", other_key, "other-ca", other_key, ca=True)
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = make_cert("stranger", stranger_key, "other-ca", other_key, ca=False)
    sdk_dir = d / "sdk"
    sdk_dir.mkdir()
    return {
        "ca": write_pem(sdk_dir / "ca.crt", ca),
        "cert": write_pem(sdk_dir / "sdk.crt", sdk),
        "key": write_pem(sdk_dir / "sdk.key", key=sdk_key),
        "node_cert": write_pem(d / "node.crt", node),
        "node_key": write_pem(d / "node.key", key=node_key),
        "other_ca": write_pem(d / "other_ca.crt", other_ca),
        "stranger_cert": write_pem(d / "stranger.crt", stranger),
        "stranger_key": write_pem(d / "stranger.key", key=stranger_key),
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
