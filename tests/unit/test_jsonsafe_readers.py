"""Every reader of JSON someone else wrote refuses absurd nesting with its own typed error.

Python's ``json`` recurses once per level; with py_ecc imported (through the keystore module) the
recursion limit is 100,000 and a 100,000-deep document overflows the C stack: the process dies
with SIGSEGV. Before this test the dev chain's Web3 port, the channel/WebSocket servers, manifest
headers, audit report files, ABI files, artifacts, CNS rows and the address book all called
``json.loads`` directly. Each check runs in a child process with everything imported, so a
crash shows as the child's exit code rather than killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PRELUDE = textwrap.dedent("""
    import sys, json, tempfile, pathlib
    import fisco_drugtrace.crypto.keystore  # raises the recursion limit (py_ecc), as in the CLI
    assert sys.getrecursionlimit() >= 10_000, sys.getrecursionlimit()
    DEEP = "[" * 100_000 + "]" * 100_000
""")

CASES = {
    "web3-port": """
        from fisco_drugtrace.devchain import DevChain, DevChainConfig
        chain = DevChain(DevChainConfig())
        answer = json.loads(chain.web3_port().handle_raw(DEEP.encode()))
        assert answer["error"]["code"] == -32700, answer
        ok = json.loads(chain.web3_port().handle_raw(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'))
        assert "result" in ok, ok  # and it keeps serving
        print("refused")
    """,
    "manifest-header": """
        from fisco_drugtrace.drugtrace.manifest import parse_manifest
        from fisco_drugtrace.errors import DrugTraceError
        try:
            parse_manifest((DEEP + "\\n").encode())
        except DrugTraceError as exc:
            print("refused", type(exc).__name__)
    """,
    "audit-report": """
        from fisco_drugtrace.drugtrace.audit.report_schema import parse_report
        from fisco_drugtrace.errors import DrugTraceError
        try:
            parse_report(DEEP)
        except DrugTraceError as exc:
            print("refused", type(exc).__name__)
    """,
    "abi": """
        from fisco_drugtrace.encoding.abi import ContractAbi
        from fisco_drugtrace.errors import AbiError
        try:
            ContractAbi(DEEP)
        except AbiError as exc:
            print("refused", type(exc).__name__)
    """,
    "address-book": """
        from fisco_drugtrace.drugtrace.addressbook import AddressBook
        from fisco_drugtrace.errors import DrugTraceError
        home = pathlib.Path(tempfile.mkdtemp())
        (home / "addressbook.json").write_text(DEEP)
        try:
            AddressBook.in_home(home).find("chain0", "group0")
        except DrugTraceError as exc:
            print("refused", type(exc).__name__)
    """,
    "artifact-file": """
        from fisco_drugtrace.contracts.artifact_file import load_artifact_file
        from fisco_drugtrace.errors import DrugTraceError
        path = pathlib.Path(tempfile.mkdtemp()) / "X.json"
        path.write_text(DEEP)
        try:
            load_artifact_file(path)
        except DrugTraceError as exc:
            print("refused", type(exc).__name__)
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_100000_deep_document_is_a_typed_error_not_a_crash(name: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    code = _PRELUDE + textwrap.dedent(CASES[name])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("refused"), (done.stdout, done.stderr[-2000:])
