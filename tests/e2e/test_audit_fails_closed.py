"""``audit verify --report`` fails closed: every figure of a report is recomputed from the chain.
Everything here runs twice: against a 3.9 node (getLogs) and a 3.7 node (no log methods).

The story (a recall with recoveries, supervised destruction, alerts, a late and an on-time
report) gives a report with every section filled; then each scalar of it is altered in turn —
integers, booleans, strings, nulls, in every section — and every alteration must be caught.
"""

from __future__ import annotations

import copy
import json

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.audit.report import report_to_json
from fisco_drugtrace.drugtrace.audit.report_schema import ReportFormatError
from fisco_drugtrace.drugtrace.audit.verify import _leaves, report_differences
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.errors import VerificationError


@pytest.fixture(scope="module", params=["3.9", "3.7"], ids=["node-3.9", "node-3.7"])
def audited(request, tmp_path_factory):
    """The story on a dev chain answering as a 3.9 node (getLogs) and as a 3.7 node (the SDK
    reads blocks and receipts): sync, report and verify must not care."""
    home = tmp_path_factory.mktemp("fails-closed")
    chain = DevChain(DevChainConfig(compat=request.param))
    client = connect(Settings(), handler=chain.handle_raw)
    result = play_story(client, [LocalSigner(k) for k in dev_keypairs(len(ACTORS))], home, units=200)
    auditor_home = tmp_path_factory.mktemp("auditor")
    auditor = TraceService(client, None, AddressBook.in_home(auditor_home), home=auditor_home)
    auditor.attach(result.services["regulator"].deployment.address("OrgRegistry"))
    synced = auditor.audit_sync()
    assert synced.events > 50 and auditor.client.has_log_methods() is (request.param == "3.9")
    text = report_to_json(auditor.audit_report())
    yield auditor, json.loads(text), text
    client.close()
    chain.close()


def _altered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + "0" if value.startswith("0x") else value + "x"
    if value is None:
        return 0
    return None  # an empty list or object becomes null


def _set(data, path: str, value) -> None:
    parts = path.replace("]", "").replace("[", ".").split(".")
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def test_an_honest_report_verifies_in_another_home(audited) -> None:
    auditor, data, text = audited
    for section in ("recalls", "completion", "compliance", "recalled_batches", "alerts", "evidence"):
        assert data[section], section  # the story fills every section
    done = auditor.audit_verify_report(text)
    assert done.figures > 200 and done.evidence == len(data["evidence"]) and done.last_block == data["last_block"]


def test_every_altered_figure_differs_from_the_chain(audited) -> None:
    auditor, data, _ = audited
    rebuilt, _ = auditor.recompute_report(data["last_block"], data["generated_ms"])
    assert report_differences(data, rebuilt)[0] == []
    paths = [p for p in _leaves(data) if p not in ("generated_ms", "format", "version")]
    assert len(paths) > 200
    missed = []
    for path in paths:
        tampered = copy.deepcopy(data)
        _set(tampered, path, _altered(_leaves(data)[path]))
        if not report_differences(tampered, rebuilt)[0]:
            missed.append(path)
    assert missed == []
    kinds = {p.split("[")[0].split(".")[0] for p in paths}
    assert {"recalls", "completion", "compliance", "recalled_batches", "alerts", "evidence", "deployment",
            "last_block", "event_count", "last_block_hash"} <= kinds


@pytest.mark.parametrize("path", ["recalls[0].recovered", "recalls[0].status", "completion[0].percent",
                                  "completion[0].outstanding_at_decision", "completion[0].in_market_now",
                                  "completion[0].recovered", "completion[0].declared",
                                  "compliance[0].compliant", "recalled_batches[0].holdings[0].destroyed",
                                  "alerts[0].kind", "evidence[0].block_number", "evidence[-1].tx_hash", "event_count",
                                  "deployment.chain", "last_block", "last_block_hash"])
def test_the_service_refuses_a_tampered_report(audited, path: str) -> None:
    auditor, data, _ = audited
    if path.startswith("evidence[-1]"):
        path = path.replace("-1", str(len(data["evidence"]) - 1))
    tampered = copy.deepcopy(data)
    _set(tampered, path, _altered(_leaves(data)[path]))
    with pytest.raises(VerificationError) as err:
        auditor.audit_verify_report(json.dumps(tampered))
    assert err.value.differences


def test_dropped_and_added_records_are_differences(audited) -> None:
    auditor, data, _ = audited
    fewer = copy.deepcopy(data)
    fewer["alerts"].pop()
    more = copy.deepcopy(data)
    more["evidence"].append(copy.deepcopy(data["evidence"][0]))
    early = copy.deepcopy(data)
    early["generated_ms"] = 1
    for bad in (fewer, more, early):
        with pytest.raises(VerificationError):
            auditor.audit_verify_report(json.dumps(bad))


@pytest.mark.parametrize("text", ['{"evidence": []}', '{"not": "a report"}', "[]", "not json", "",
                                  '{"format": "fisco-drugtrace/audit-report", "version": 1}'])
def test_a_file_that_is_not_a_report_is_refused_as_input(audited, text: str) -> None:
    auditor, _, _ = audited
    with pytest.raises(ReportFormatError):
        auditor.audit_verify_report(text)


def test_a_report_is_anchored_to_the_chains_block_hash(audited) -> None:
    """The report carries the chain's hash of its last block, so a report of another history with the
    same chain id, group, suite addresses and block numbers (a copied dev chain, a forked test chain)
    does not verify here; verify answers with the hash it checked."""
    auditor, data, text = audited
    assert data["version"] == 2
    assert data["last_block_hash"] == auditor.client.get_block_hash(data["last_block"])
    assert auditor.audit_verify_report(text).block_hash == data["last_block_hash"]
    other = copy.deepcopy(data)
    other["last_block_hash"] = "0x" + "ab" * 32
    with pytest.raises(VerificationError) as err:
        auditor.audit_verify_report(json.dumps(other))
    assert any(d.startswith("last_block_hash: report '0xabab") for d in err.value.differences)
    missing = copy.deepcopy(data)
    del missing["last_block_hash"]  # a version-2 report must carry it
    with pytest.raises(ReportFormatError, match="missing"):
        auditor.audit_verify_report(json.dumps(missing))


def test_a_version_1_report_is_still_verified_figure_by_figure(audited) -> None:
    auditor, data, _ = audited
    old = copy.deepcopy(data)
    old["version"] = 1
    del old["last_block_hash"]
    done = auditor.audit_verify_report(json.dumps(old))
    assert done.block_hash is None and done.figures > 200
    old["completion"][0]["recovered"] = old["completion"][0]["recovered"] + 1
    with pytest.raises(VerificationError):
        auditor.audit_verify_report(json.dumps(old))
