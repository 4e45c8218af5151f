"""``fisco-drugtrace trace`` (a unit, a batch, a shipment) and ``verify CODE`` (the patient's check)."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import id_arg, read_service, show
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit, is_terminal

__all__ = ["trace", "verify"]

_no_sync = click.option("--no-sync", is_flag=True, help="Answer from the local index without syncing first.")


def _short(value: object, names: dict[str, str]) -> str:
    text = str(value)
    if text in names:
        return names[text]
    # shortened for a person at a terminal; piped or written to a file, every id stays whole
    return text[:10] + "…" + text[-4:] if text.startswith("0x") and len(text) > 20 and is_terminal() else text


def _when(ms: object) -> str:
    from datetime import datetime, timezone

    return "" if not ms else datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _entries(entries: object, names: dict[str, str]) -> list[dict]:
    """Trace entries as table rows: time, event and its arguments (batch id left out, organisations
    by name, other hex shortened)."""
    return [{"block": e.block_number, "time (UTC)": _when(e.ts_ms), "event": e.event,
             "details": ", ".join(f"{k}={_short(v, names)}" for k, v in e.args.items() if k != "batchId")}
            for e in entries]  # type: ignore[attr-defined]


#: verify's exit code per outcome (docs/cli.md): the three verdicts, genuine split by usability
VERIFY_EXIT = {"usable": 0, "not_usable": 1, "counterfeit": 7, "cannot_tell_here": 8}


def _verdict(v: object) -> dict:
    """The patient's view of a verification: a verdict first, then the facts."""
    if v.verdict.value != "genuine":  # type: ignore[attr-defined]
        head = "COUNTERFEIT: do not use" if v.verdict.value == "counterfeit" else "CANNOT TELL HERE"  # type: ignore
        return {"verdict": head, "reason": v.reason}  # type: ignore[attr-defined]
    out = {"verdict": "GENUINE: may be used" if v.usable else "GENUINE, BUT DO NOT USE",  # type: ignore
           "state": v.state.value, "reason": v.reason}  # type: ignore[attr-defined]
    if v.product is not None and v.batch is not None:  # type: ignore[attr-defined]
        out.update({"product": f"{v.product.approval_number}, {v.product.package_spec}",  # type: ignore
                    "lot": v.batch.lot, "expires": _when(v.batch.expiry_date)[:10],  # type: ignore
                    "batch state": v.batch.state.name, "dispensed before": v.dispensed})  # type: ignore
    return out


def _verify_exit(v: object) -> int:
    if v.verdict.value != "genuine":  # type: ignore[attr-defined]
        return VERIFY_EXIT[v.verdict.value]  # type: ignore[attr-defined]
    return VERIFY_EXIT["usable" if v.usable else "not_usable"]  # type: ignore[attr-defined]


@click.group()
def trace() -> None:
    """Full traces from the auditor's index (synced from the chain first)."""


@trace.command("unit")
@click.argument("code")
@_no_sync
@json_option
@pass_app
def unit(app: AppContext, code: str, no_sync: bool, as_json: bool) -> None:
    """Everything that happened to the unit with traceability code CODE.

    Exit 7 when the code is counterfeit, 8 when this home cannot tell (no manifest held), as `verify`.
    """
    svc = read_service(app)
    found = svc.trace_unit(code, sync=not no_sync)
    if as_json:
        emit(found, True)
        return
    echo(f"unit {code}: batch {found.batch_id}; dispensed: {found.dispensed} ({found.dispense_count} presentation(s))")
    path = _packing_path(svc, code) or (None if found.dispensed else _range_path(svc, code))
    if path:
        echo(path)
    emit(_entries(found.entries, svc.org_labels()), False, title="Trace")


def _range_path(svc: object, code: str) -> str | None:
    """An unpacked batch's unit: the code range it is in and where that stands (the RangeLedger,
    D9); None when this home does not know the code or the suite has no range custody."""
    from fisco_drugtrace.drugtrace.ids import id_hex
    from fisco_drugtrace.errors import DrugTraceError

    try:
        location = svc.codes.locate(code.strip())  # type: ignore[attr-defined]
        if location is None:
            return None
        start, end, state, holder, shipment = svc.unit_holder(location.batch_id, location.index)  # type: ignore[attr-defined]
    except DrugTraceError:
        return None
    names = svc.org_labels()  # type: ignore[attr-defined]
    who = names.get(id_hex(holder), id_hex(holder)[:10])
    where = {1: f"held by {who}", 2: f"in transit from {who} (shipment #{shipment})",
             3: f"missing from {who} (short receipt of shipment #{shipment})"}.get(state, "nowhere")
    return f"custody: unit {location.index}, in codes {start}..{end - 1}, {where}"


def _packing_path(svc: object, code: str) -> str | None:
    """A packed batch's unit: its case and pallet and where each stands (None: not packed here)."""
    from fisco_drugtrace.drugtrace.ids import id_hex
    from fisco_drugtrace.errors import DrugTraceError

    try:
        p = svc.unit_path(code)  # type: ignore[attr-defined]
    except DrugTraceError:
        return None
    names = svc.org_labels()  # type: ignore[attr-defined]

    def where(c: object) -> str:
        holder = id_hex(c.holder_org_id)  # type: ignore[attr-defined]
        inside = ", inside its parent" if c.inside else ""  # type: ignore[attr-defined]
        return f"{c.label} {c.status.name.lower()} at {names.get(holder, holder[:10])}{inside}"  # type: ignore[attr-defined]

    return f"packing: unit {p.index} ({p.state.name.lower()}) in {where(p.case)}; {where(p.pallet)}"


@trace.command("batch")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@_no_sync
@json_option
@pass_app
def batch(app: AppContext, batch_id: bytes, no_sync: bool, as_json: bool) -> None:
    """Every event of a batch (dispenses counted, not listed)."""
    svc = read_service(app)
    found = svc.trace_batch(batch_id, sync=not no_sync)
    if as_json:
        emit(found, True)
        return
    emit(_entries(found.entries, svc.org_labels()), False, title=f"Batch {found.batch_id}")
    echo(f"units dispensed: {found.units_dispensed}; duplicate presentations: {found.duplicate_dispenses}")


@trace.command("shipment")
@click.argument("shipment_id", type=click.IntRange(min=1))
@_no_sync
@json_option
@pass_app
def shipment(app: AppContext, shipment_id: int, no_sync: bool, as_json: bool) -> None:
    """The custody chain of one shipment: sender, carrier, addressee, and its events."""
    show(read_service(app).trace_shipment(shipment_id, sync=not no_sync), as_json)


@click.command("verify")
@click.argument("code")
@json_option
@pass_app
def verify(app: AppContext, code: str, as_json: bool) -> None:
    """Is CODE genuine (and in what state), counterfeit, or not decidable here?

    Genuine: a code list held here lists it and proves against its batch's on-chain root; the
    state says whether it may be used. Counterfeit: malformed, or every committed batch of its
    drug identifier code is held here and none lists it. Cannot tell here: no manifest held for
    its product (the answer says which to import). Exit codes: 0 genuine and may be used,
    1 genuine but must not be used, 7 counterfeit, 8 cannot tell here.
    """
    result = read_service(app).verify_code(code)
    show(result if as_json else _verdict(result), as_json)
    if not as_json and result.history:
        echo("Where its batch has been:")
        for line in result.history:
            echo(f"  - {line}")
    code_out = _verify_exit(result)
    if code_out:
        raise click.exceptions.Exit(code_out)
