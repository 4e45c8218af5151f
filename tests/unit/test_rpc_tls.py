"""Mutual TLS the way FISCO nodes do it: a chain CA, certificates without the host name."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fisco_drugtrace.errors import ConfigError, TlsError, TlsNotConfigured, TlsPortMismatch, TransportError
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


# --------------------------------------------------------------------------- issue 16 item 7
_INTERNALS = ("SSLCertVerificationError", "urllib3", "Max retries", "HTTPSConnectionPool", "_ssl.c", "SSLError(")


def test_https_without_tls_settings_says_which_settings_to_provide(pki: dict[str, Path]) -> None:
    """Before: urllib3 internals (``SSLCertVerificationError(... self-signed certificate ...``)."""
    with serve_http(node=FakeNode(), ssl_context=_server_context(pki)) as server:
        with pytest.raises(TlsNotConfigured) as info:
            _rpc(server.url, None).request("getBlockNumber", [])
    text = str(info.value)
    assert all(name in text for name in ("FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY"))
    assert info.value.missing == ("FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY")
    assert "\n" not in text and not any(bit in text for bit in _INTERNALS)


def test_tls_settings_against_a_plain_http_port_say_it_speaks_plain_http(pki: dict[str, Path]) -> None:
    """Before: ``WRONG_VERSION_NUMBER`` from deep inside ssl/urllib3."""
    tls = TlsFiles.from_sdk_dir(pki["sdk_dir"])
    with serve_http(node=FakeNode().on("getBlockNumber", 1)) as server:
        url = server.url.replace("http://", "https://")
        with pytest.raises(TlsPortMismatch) as info:
            _rpc(url, tls).request("getBlockNumber", [])
    assert info.value.port_speaks == "http"
    assert "this port speaks plain HTTP" in str(info.value) and "http://" in str(info.value)
    assert not any(bit in str(info.value) for bit in _INTERNALS)


def test_the_cli_gives_one_plain_line_for_https_without_tls_settings(
        pki: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from fisco_drugtrace.cli.main import main

    monkeypatch.chdir(tmp_path)
    for name in ("FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY", "FISCO_DRUGTRACE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    with serve_http(node=FakeNode(), ssl_context=_server_context(pki)) as server:
        code = main(["--rpc-url", server.url, "--timeout", "5", "node", "info"])
    err = capsys.readouterr().err.strip()
    assert code == 3
    assert err.count("\n") == 0 and err.startswith("Error: ")
    assert "FISCO_TLS_CA" in err and not any(bit in err for bit in _INTERNALS)


def test_plain_http_against_a_tls_port_suggests_https(pki: dict[str, Path]) -> None:
    with serve_http(node=FakeNode(), ssl_context=_server_context(pki)) as server:
        url = server.url.replace("https://", "http://")
        with pytest.raises(TransportError) as info:
            _rpc(url, None).request("getBlockNumber", [])
    assert "use https://" in str(info.value) and "FISCO_TLS_CA" in str(info.value)


def test_a_partial_tls_set_names_the_variables_still_to_set(pki: dict[str, Path], tmp_path: Path) -> None:
    from fisco_drugtrace.config import load_settings

    with pytest.raises(ConfigError) as info:
        load_settings(environ={"FISCO_TLS_CA": str(pki["ca"])}, cwd=tmp_path)
    assert "FISCO_TLS_CERT" in str(info.value) and "FISCO_TLS_KEY" in str(info.value)
    assert "FISCO_TLS_CA" not in str(info.value)


def test_a_drip_feeding_tls_node_is_cut_at_the_deadline(pki: dict[str, Path]) -> None:
    """The watchdog shuts a TLS socket down too (the mutual-TLS adapter's connections)."""
    import time

    from fisco_drugtrace.errors import RequestTimeout

    tls = TlsFiles.from_sdk_dir(pki["sdk_dir"])
    with serve_http("drip", delay=1.0, ssl_context=_server_context(pki)) as server:
        rpc = JsonRpc(HttpTransport(server.url, tls=tls), retry=RetryPolicy(attempts=3, backoff=0.01), timeout=2.0)
        start = time.monotonic()
        with pytest.raises(RequestTimeout):
            rpc.request("getBlockNumber", [])
        elapsed = time.monotonic() - start
    assert len(server.hits) >= 1 and len(server.sent) >= 1  # the handshake worked and it was dripping
    assert 2.0 <= elapsed <= 2.0 * 1.1 + 0.5
