"""The test controls as a user reaches them: the SDK's DevControls (in-process and over HTTP), the
CLI verbs against a served chain, impersonation passing the suite's role checks, and the clear
error a real node (a loopback fake answering MethodNotFound) gives."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.cli.main import main
from fisco_drugtrace.client import connect
from fisco_drugtrace.client.devtools import DAY_MS, DevControls
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.drugtrace.suite import ZERO32, deploy_suite, suite_abi
from fisco_drugtrace.errors import ContractRevert, NotADevChain

from devchain_helpers import STORE, deploy3


@pytest.fixture
def served() -> Iterator[tuple[DevChain, str]]:
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain, port=0)
        try:
            yield chain, handle.url
        finally:
            handle.stop()


def test_impersonated_send_passes_the_role_check_as_that_account(v3: DevChain) -> None:
    client = connect(Settings(chain_id="chain0"), handler=v3.handle_raw)
    regulator = LocalSigner(dev_keypairs(1)[0])
    root = keccak256(b"91110000IMPERSONATE")
    deployment = deploy_suite(client, regulator, root_org_id=root, region=110000, chain_id="chain0",
                              group_id="group0")
    orgs_address = deployment.contracts["OrgRegistry"]
    abi = suite_abi("OrgRegistry")
    data = abi.encode_call("registerOrg", [keccak256(b"NEW-ORG"), 6, 110000, 0, ZERO32])
    controls = DevControls(client)
    stranger = "0x" + "42" * 20
    controls.impersonate(stranger)
    refused = controls.send_as(stranger, orgs_address, data)
    assert refused.status != 0  # not the regulator: the role check refuses it as it would the real account
    controls.impersonate(regulator.address)  # the regulator's account, without its key
    accepted = controls.send_as(regulator.address, orgs_address, data)
    assert accepted.ok and accepted.from_address == regulator.address
    orgs = Contract(client, abi.entries, orgs_address)
    assert orgs.call("orgCount") == 2


def test_sdk_controls_in_process(v3: DevChain) -> None:
    client = connect(Settings(chain_id="chain0"), handler=v3.handle_raw)
    controls = DevControls(client)
    address = deploy3(v3, 42)["contractAddress"]
    store = Contract(client, STORE["abi"], address)
    signer = LocalSigner(dev_keypairs(1)[0])
    with controls.reverting():
        store.transact("set", 5, signer=signer)
        controls.increase_time(2 * DAY_MS)
        assert controls.mine(2) == client.block_number()
        assert store.call("value") == 5
    assert store.call("value") == 42
    controls.set_storage(address, 0, 77)
    assert store.call("value") == 77
    controls.set_mining("manual")
    assert controls.mining().mode == "manual"
    controls.set_mining("auto")
    dump = controls.dump()
    with DevChain(DevChainConfig()) as fresh:
        other = DevControls(connect(Settings(chain_id="chain0"), handler=fresh.handle_raw))
        assert other.load(dump) == v3.block_number
        assert Contract(connect(Settings(chain_id="chain0"), handler=fresh.handle_raw), STORE["abi"],
                        address).call("value") == 77


class _RealNodeLike(BaseHTTPRequestHandler):
    """A loopback stand-in for a real node: it knows no ``dev_`` method."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = {"jsonrpc": "2.0", "id": body["id"],
                 "error": {"code": -32601, "message": "The method does not exist/is not available."}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_real_node_gives_a_clear_error_and_the_cli_exit_code_4(capsys: pytest.CaptureFixture[str]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RealNodeLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(NotADevChain, match="only the dev chain"):
            DevControls(connect(Settings(chain_id="chain0", urls=(url,)))).snapshot()
        code = main(["--rpc-url", url, "devchain", "snapshot"])
        err = capsys.readouterr().err
        assert code == 4 and "only the dev chain" in err and "Traceback" not in err
    finally:
        server.shutdown()


def _cli(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, Any, str]:
    code = main(["--rpc-url", url, "devchain", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and out.strip() else None), err


def test_cli_verbs_over_http(served: tuple[DevChain, str], capsys: pytest.CaptureFixture[str],
                             tmp_path: Path) -> None:
    chain, url = served
    address = deploy3(chain, 42)["contractAddress"]
    code, snap, _ = _cli(capsys, url, "snapshot")
    assert code == 0
    height = chain.block_number
    code, moved, _ = _cli(capsys, url, "time", "--increase", str(DAY_MS))
    assert code == 0 and moved["offset_ms"] == DAY_MS
    assert _cli(capsys, url, "mine", "3")[1] == {"block_number": height + 3}
    assert _cli(capsys, url, "mining", "manual")[1]["mode"] == "manual"
    assert _cli(capsys, url, "mining", "auto")[1]["mode"] == "auto"
    assert _cli(capsys, url, "set-storage", address, "0", "0x63")[0] == 0
    assert _cli(capsys, url, "set-code", "0x" + "ab" * 20, "0x00")[1]["code_bytes"] == 1
    code, reverted, _ = _cli(capsys, url, "revert", snap["snapshot"])
    assert code == 0 and reverted["block_number"] == height
    code, _, err = _cli(capsys, url, "revert", snap["snapshot"])
    assert code == 2 and "used up" in err  # a snapshot is used once
    assert _cli(capsys, url, "impersonate", "0x" + "42" * 20)[1]["impersonated"] is True
    code, sent, err = _cli(capsys, url, "send-as", "0x" + "42" * 20, address, "0x" + keccak256(b"value()")[:4].hex())
    assert code == 0 and sent["status"] == 0 and sent["from"] == "0x" + "42" * 20
    out = tmp_path / "dump.json"
    code, dumped, _ = _cli(capsys, url, "dump", "--out", str(out))
    assert code == 0 and dumped["blocks"] == chain.block_number
    with DevChain(DevChainConfig()) as fresh:
        handle = serve(fresh, port=0)
        try:
            assert _cli(capsys, handle.url, "load", str(out))[1] == {"block_number": chain.block_number}
        finally:
            handle.stop()
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert _cli(capsys, url, "load", str(bad))[0] == 2
    assert _cli(capsys, url, "time", "--increase", "-5")[0] == 2


def test_the_web3_port_needs_a_3x_chain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devchain", "start", "--dialect", "v2", "--web3-port", "0"]) == 2
    assert "3.x" in capsys.readouterr().err
    with DevChain(DevChainConfig(dialect="v2")) as chain, pytest.raises(Exception, match="3.x"):
        chain.web3_port()
