"""Code manifests travel between homes: export from the manufacturer's, import in another's,
checked against the chain (root, batch, chain/suite identity, the shipment's manifest hash)."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.drugtrace.manifest import ManifestFormatError, ManifestMismatch, manifest_hash, parse_manifest
from fisco_drugtrace.errors import NotFound
from multiparty_helpers import other_home, released_batch


def test_export_then_import_in_another_home(market, tmp_path, store_backend) -> None:
    batch, codes = released_batch(market)
    data = market.svc["manufacturer"].export_manifest(batch.batch_id)
    header = json.loads(data.split(b"\n", 1)[0])
    assert header["unit_count"] == len(codes) and header["unit_root"] == "0x" + batch.unit_root.hex()
    pharmacy = other_home(market, tmp_path, stores=store_backend)
    assert pharmacy.codes.locate(codes[3]) is None
    done = pharmacy.import_manifest(data)
    assert (done.batch_id, done.unit_count, done.already_held) == (batch.batch_id, len(codes), False)
    assert done.manifest_hash == manifest_hash(data)
    loc = pharmacy.codes.locate(codes[3])
    assert loc is not None and (loc.batch_id, loc.index) == (batch.batch_id, 3)
    assert pharmacy.codes.proof(batch.batch_id, 3) == market.svc["manufacturer"].codes.proof(batch.batch_id, 3)
    assert pharmacy.import_manifest(data).already_held is True
    # and it travels on: the pharmacy's export is byte-identical
    assert pharmacy.export_manifest(batch.batch_id) == data


def _tamper(data: bytes, **header_changes) -> bytes:
    head, body = data.split(b"\n", 1)
    header = json.loads(head)
    header.update(header_changes)
    return json.dumps(header).encode() + b"\n" + body


def test_a_manifest_that_does_not_match_the_chain_is_refused_and_nothing_is_stored(market, tmp_path, store_backend) -> None:
    batch, codes = released_batch(market)
    data = market.svc["manufacturer"].export_manifest(batch.batch_id)
    pharmacy = other_home(market, tmp_path, stores=store_backend)
    swapped = data.replace(codes[0].encode(), b"X" * 20).replace(codes[1].encode(), codes[0].encode()) \
        .replace(b"X" * 20, codes[1].encode())
    cases = {
        "swapped codes": swapped,
        "another chain": _tamper(data, chain_id="chain9"),
        "another suite": _tamper(data, org_registry="0x" + "ab" * 20),
        "fewer codes": _tamper(data.rsplit(b"\n", 2)[0] + b"\n", unit_count=len(codes) - 1),
        "forged root": _tamper(swapped, unit_root="0x" + "11" * 32),
        # the codes are the chain's, the header lies: still not this chain's record of the batch
        "false root claim": _tamper(data, unit_root="0x" + "11" * 32),
        "false product claim": _tamper(data, product_id="0x" + "22" * 32),
        "false lot claim": _tamper(data, lot=batch.lot + "-B"),
    }
    for name, bad in cases.items():
        with pytest.raises(ManifestMismatch):
            pharmacy.import_manifest(bad)
        assert pharmacy.codes.batch(batch.batch_id) is None, name
        assert pharmacy.codes.locate(codes[0]) is None, name


def test_a_home_that_holds_the_batch_still_refuses_a_tampered_copy(market, tmp_path) -> None:
    """Importing again (a second shipment of the same batch) checks the file as the first time:
    a copy with two codes swapped is refused, not answered "already held"."""
    batch, codes = released_batch(market)
    data = market.svc["manufacturer"].export_manifest(batch.batch_id)
    pharmacy = other_home(market, tmp_path)
    assert pharmacy.import_manifest(data).already_held is False
    swapped = data.replace(codes[0].encode(), b"X" * 20).replace(codes[1].encode(), codes[0].encode()) \
        .replace(b"X" * 20, codes[1].encode())
    for bad in (swapped, _tamper(data, unit_root="0x" + "11" * 32)):
        with pytest.raises(ManifestMismatch):
            pharmacy.import_manifest(bad)
    assert pharmacy.codes.locate(codes[0]).index == 0 and pharmacy.import_manifest(data).already_held is True


@pytest.mark.parametrize("bad", [b"", b"not json\n", b'{"format": "other"}\n', b"\xff\xfe\n",
                                 b'{"format": "fisco-drugtrace/code-manifest", "version": 2}\n'])
def test_a_file_that_is_not_a_manifest_is_a_format_error(bad: bytes) -> None:
    with pytest.raises(ManifestFormatError):
        parse_manifest(bad)


def test_bad_code_lines_are_named_by_line(market) -> None:
    batch, codes = released_batch(market, units=5)
    data = market.svc["manufacturer"].export_manifest(batch.batch_id)
    with pytest.raises(ManifestFormatError, match="line 4"):
        parse_manifest(data.replace(codes[2].encode(), b"123"))
    with pytest.raises(ManifestFormatError, match="duplicate"):
        parse_manifest(data.replace(codes[2].encode(), codes[1].encode()))


def test_a_shipment_references_its_manifest_by_hash(market, tmp_path) -> None:
    batch, codes = released_batch(market)
    man = market.svc["manufacturer"]
    data = man.export_manifest(batch.batch_id)
    shipment = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 5,
                            manifest_hash=manifest_hash(data))
    other = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 1)
    pharmacy = other_home(market, tmp_path)
    with pytest.raises(ManifestMismatch, match="references no manifest"):  # shipped without one
        pharmacy.import_manifest(data, shipment_id=other.shipment_id)
    tampered = data.replace(codes[0].encode(), codes[0][:-1].encode() + (b"1" if codes[0][-1] != "1" else b"2"))
    with pytest.raises(ManifestMismatch, match="references manifest"):  # another file than the one shipped
        pharmacy.import_manifest(tampered, shipment_id=shipment.shipment_id)
    assert pharmacy.codes.batch(batch.batch_id) is None
    assert pharmacy.import_manifest(data, shipment_id=shipment.shipment_id).shipment_id == shipment.shipment_id
    pharmacy.receive(shipment.shipment_id)
    assert pharmacy.dispense(codes[4]).dispensed


def test_export_needs_the_code_list_here(market, tmp_path) -> None:
    batch, _ = released_batch(market)
    with pytest.raises(NotFound):
        other_home(market, tmp_path).export_manifest(batch.batch_id)
