"""``fisco-drugtrace batch``: commit a batch from its unit codes, release it (T0b), import code
lists, read batches."""

from __future__ import annotations

from pathlib import Path

import click

from fisco_drugtrace.cli.commands._domain import (
    DATE,
    batch_progress,
    evidence_hash,
    evidence_option,
    id_arg,
    read_service,
    show,
    write_service,
)
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["batch"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _prefix(value: str | None) -> str | None:
    if value is not None and not (len(value) == 7 and value.isascii() and value.isdigit()):
        raise click.BadParameter(f"{value!r}: the drug identifier code is exactly 7 digits (the first 7 of a code)",
                                 param_hint="--prefix")
    return value


@click.group()
def batch() -> None:
    """Batches: 20-digit unit codes, Merkle root on chain, codes and proofs kept locally."""


@batch.command("register")
@click.argument("codes_file", type=_FILE)
@click.option("--product", "product_id", type=id_arg, required=True, help="Product id.")
@click.option("--lot", required=True, help="Lot number.")
@click.option("--produced", type=DATE, required=True, help="Production date (YYYY-MM-DD).")
@click.option("--expires", type=DATE, required=True, help="Expiry date (YYYY-MM-DD).")
@click.option("--prefix", default=None, callback=lambda ctx, param, value: _prefix(value),
              help="Require this 7-digit drug identifier code on every unit.")
@click.option("--packing", nargs=2, type=click.IntRange(min=1), default=None, metavar="PER_CASE PER_PALLET",
              help="Commit the packing too: units per case and cases per pallet (units listed case by case).")
@click.option("--case-codes", type=_FILE, default=None, help="With --packing: one case code a line, in case order.")
@click.option("--pallet-codes", type=_FILE, default=None,
              help="With --packing: one pallet code a line, in pallet order.")
@json_option
@pass_app
def register(app: AppContext, codes_file: Path, product_id: bytes, lot: str, produced: int, expires: int,
             prefix: str | None, packing: tuple[int, int] | None, case_codes: Path | None,
             pallet_codes: Path | None, as_json: bool) -> None:
    """Commit a batch from CODES_FILE (one code a line, or CSV with a code column).

    Every code is checked (20 digits, unique); problems are listed with their line numbers. With
    --packing the batch's case/pallet layout and container codes are committed with it (issue 17A).
    """
    from fisco_drugtrace.drugtrace.codes import load_codes

    codes = load_codes(codes_file, expected_prefix=prefix)
    if packing is not None:
        if case_codes is None or pallet_codes is None:
            raise click.UsageError("--packing needs --case-codes and --pallet-codes")
        from fisco_drugtrace.cli.commands._domain import iter_lines

        done, _tree = write_service(app).register_packed_batch(
            product_id, lot, codes, units_per_case=packing[0], cases_per_pallet=packing[1],
            case_codes=list(iter_lines(case_codes)), pallet_codes=list(iter_lines(pallet_codes)),
            production_date=produced, expiry_date=expires, expected_prefix=prefix)
        show(done.batch, as_json)
        return
    with batch_progress(len(codes), enabled=not as_json) as on_progress:
        done = write_service(app).register_batch(product_id, lot, codes, production_date=produced,
                                                 expiry_date=expires, expected_prefix=prefix, on_progress=on_progress)
    show(done.batch, as_json)


@batch.command("release")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.option("--record-gate", is_flag=True,
              help="First record every missing step of the approved process and an OK release test (MAH).")
@evidence_option("evidence", "release decision")
@json_option
@pass_app
def release(app: AppContext, batch_id: bytes, record_gate: bool, evidence: str | None, as_json: bool) -> None:
    """Release a committed batch (T0b, its MAH): it goes LISTED and its units to the MAH's stock.

    The chain refuses unless no regulator's failed inspection blocks the batch, the product's
    process definition is approved (no change pending), every step is recorded for the batch and
    the MAH's latest release test is OK; the refusal names what is missing (see `batch
    release-status`).
    """
    service = write_service(app)
    if record_gate:
        service.pass_release_gate(batch_id)
    show(service.release_batch(batch_id, evidence_hash=evidence_hash(evidence)), as_json)


@batch.command("release-status")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@json_option
@pass_app
def release_status(app: AppContext, batch_id: bytes, as_json: bool) -> None:
    """Where a batch stands against its release gate: a regulator's block, approved/pending
    process definition, missing steps, release test."""
    status = read_service(app).release_status(batch_id)
    show({"batch_id": status.batch_id, "product_id": status.product_id,
          "approved_definition_id": status.approved_definition_id,
          "pending_definition_id": status.pending_definition_id, "step_count": status.step_count,
          "missing_steps": list(status.missing_steps), "release_test_passed": status.release_test_passed,
          "blocking_observation_id": status.blocking_observation_id, "ready": status.ready}, as_json)


@batch.command("import-codes")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.argument("codes_file", type=_FILE)
@json_option
@pass_app
def import_codes(app: AppContext, batch_id: bytes, codes_file: Path, as_json: bool) -> None:
    """Load a committed batch's code list (e.g. sent by the manufacturer) for dispensing here.

    The list must rebuild the batch's on-chain Merkle root.
    """
    from fisco_drugtrace.drugtrace.codes import load_codes

    show(read_service(app).import_codes(batch_id, load_codes(codes_file)), as_json)


@batch.command("show")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@json_option
@pass_app
def show_cmd(app: AppContext, batch_id: bytes, as_json: bool) -> None:
    """Show a batch as the chain holds it."""
    show(read_service(app).get_batch(batch_id), as_json)


@batch.command("holding")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.argument("org")
@json_option
@pass_app
def holding(app: AppContext, batch_id: bytes, org: str, as_json: bool) -> None:
    """How many units of BATCH_ID organisation ORG holds (and how many are quarantined)."""
    show(read_service(app).holding(batch_id, org), as_json)


@batch.command("id")
@click.option("--product", "product_id", type=id_arg, required=True)
@click.option("--lot", required=True)
@json_option
def id_cmd(product_id: bytes, lot: str, as_json: bool) -> None:
    """Compute a batch id offline (keccak256(abi.encode(productId, lot)))."""
    from fisco_drugtrace.drugtrace.ids import batch_id, id_hex

    show({"batch_id": id_hex(batch_id(product_id, lot))}, as_json)


@batch.command("export-manifest")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the manifest file.")
@json_option
@pass_app
def export_manifest(app: AppContext, batch_id: bytes, out: Path, as_json: bool) -> None:
    """Write BATCH_ID's code manifest (its ordered code list and on-chain root) to --out.

    Send it with the units; `ship --manifest @FILE` puts its hash in the shipment so the receiver
    imports exactly this file.
    """
    from fisco_drugtrace.drugtrace.manifest import manifest_hash

    data = read_service(app).export_manifest(batch_id)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {out}: {exc}", param_hint="--out") from exc
    show({"batch_id": batch_id, "out": str(out), "bytes": len(data), "manifest_hash": manifest_hash(data)}, as_json)


@batch.command("import-manifest")
@click.argument("manifest_file", type=_FILE)
@click.option("--shipment", "shipment_id", type=int, default=None,
              help="The shipment that referenced this manifest: its manifestHash must be this file's.")
@json_option
@pass_app
def import_manifest(app: AppContext, manifest_file: Path, shipment_id: int | None, as_json: bool) -> None:
    """Check a code manifest against the chain and keep its codes here (dispense, verify, audit).

    Refused, with nothing stored, unless its codes rebuild the batch's on-chain root on this
    chain, group and suite (and, with --shipment, the shipment references this very file).
    """
    done = read_service(app).import_manifest(manifest_file.read_bytes(), shipment_id=shipment_id)
    show(done, as_json)
