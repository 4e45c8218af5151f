"""Turn the library's answers into what a page shows. No decisions of its own: the verdict,
the state and every figure come from the ``TraceService`` records passed in."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Sequence

from fisco_drugtrace.drugtrace.models import LifecycleState

__all__ = ["Verdict", "VerifyView", "verify_view", "fmt_ms", "verdict_of"]


class Verdict:
    GENUINE = "genuine"
    COUNTERFEIT = "counterfeit"
    UNKNOWN = "cannot_tell"


def fmt_ms(ms: int | None) -> str:
    """A millisecond timestamp as a UTC+8 date-time (China Standard Time, as the labels are)."""
    if not ms:
        return "—"
    try:
        moment = _dt.datetime.fromtimestamp(int(ms) / 1000, tz=_dt.timezone(_dt.timedelta(hours=8)))
    except (OverflowError, OSError, ValueError):
        return str(ms)
    return moment.strftime("%Y-%m-%d %H:%M")


def fmt_date(ms: int | None) -> str:
    return fmt_ms(ms)[:10] if ms else "—"


def verdict_of(result: Any) -> str:
    """The three-way verdict of a verification record.

    A record that carries its own ``verdict`` is taken as is. Otherwise ``genuine`` means the code
    proved against its batch's on-chain root; a malformed code is counterfeit; anything else (this
    server holds no manifest listing the code) is "cannot tell here" — never a false counterfeit.
    """
    own = getattr(result, "verdict", None)
    if own is not None:
        value = str(getattr(own, "value", own))
        # drugtrace.verification.Verdict.CANNOT_TELL is "cannot_tell_here"
        return Verdict.UNKNOWN if value == "cannot_tell_here" else value
    if result.genuine:
        return Verdict.GENUINE
    if str(result.reason).startswith("not a traceability code"):
        return Verdict.COUNTERFEIT
    return Verdict.UNKNOWN


@dataclass(frozen=True)
class VerifyView:
    code: str
    verdict: str
    reason: str
    fields: tuple[tuple[str, str], ...]
    state_key: str | None
    recall_level: int | None
    dispensed: bool | None
    history: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    scans: int
    #: the audit index's block the answer rests on (``None``: read from the chain's head)
    as_of_block: int | None = None
    #: the product's name from a details document checked against its on-chain ``detailsHash``
    #: (``None``: this server holds none that matches — the page says so)
    product_name: str | None = None
    #: further rows of that document (dosage form, strength), likewise checked
    details_fields: tuple[tuple[str, str], ...] = ()
    #: why it is not genuine (``drugtrace.verification.Cause`` value; ``None``: genuine)
    cause: str | None = None


def verify_view(result: Any, *, labels: dict[str, str], recalls: Sequence[Any], scans: int,
                t: dict[str, str], lang: str = "zh") -> VerifyView:
    """The page model of one verification (``recalls``: the index's recall summaries; the
    product's names in ``lang`` from the details document the library checked, if any)."""
    verdict = verdict_of(result)
    fields: list[tuple[str, str]] = []
    state_key = None
    level = None
    evidence: list[tuple[str, str]] = []
    product = getattr(result, "product", None)
    batch = getattr(result, "batch", None)
    details = getattr(result, "details", None)
    product_name = details.name(lang) or None if details is not None else None
    details_fields = tuple((t[key], text) for key, field_name in (("dosage_form", "dosage_form"),
                                                                ("strength", "strength"))
                           if details is not None and (text := details.text(field_name, lang)))
    if product is not None and batch is not None:
        mah = "0x" + product.mah_org_id.hex()
        fields += [
            (t["approval"], product.approval_number),
            (t["spec"], product.package_spec),
            (t["mah"], labels.get(mah, mah[:12] + "…")),
            (t["batch"], batch.lot),
            (t["production"], fmt_date(batch.production_date)),
            (t["expiry"], fmt_date(batch.expiry_date)),
        ]
        state = getattr(result, "state", None)
        if not isinstance(state, LifecycleState):  # a UnitState (verification) names the unit, not the batch
            state = batch.state
        if getattr(result, "expired", False):
            state_key = "EXPIRED"
        elif not getattr(result, "listed", False) and isinstance(state, LifecycleState):
            state_key = state.name
        else:
            state_key = "LISTED"
        batch_hex = "0x" + batch.batch_id.hex()
        product_hex = "0x" + product.product_id.hex()
        open_cases = [c for c in recalls if c.status in ("OPEN", "NOTIFIED") and c.product_id == product_hex
                      and c.batch_id in (batch_hex, None)]
        if open_cases:
            level = {"I": 1, "II": 2, "III": 3}.get(open_cases[-1].level)
        evidence += [("batch id", batch_hex), ("unit index", str(getattr(result, "index", ""))),
                     ("Merkle root", "0x" + batch.unit_root.hex()),
                     ("proof", "checked against the on-chain root" if result.genuine else "not checked")]
        proof = getattr(result, "evidence", None)
        if proof is not None:
            evidence += [("committed in block", str(proof.committed_block)), ("commit transaction", proof.committed_tx),
                         ("proof length", str(proof.proof_length))]
            if proof.dispensed_block is not None:
                evidence += [("dispensed in block", str(proof.dispensed_block)),
                             ("dispense transaction", str(proof.dispensed_tx))]
    reason = str(result.reason)
    unit_state = getattr(result, "state", None)
    cause = getattr(result, "cause", None)
    cause_key = None if cause is None else str(getattr(cause, "value", cause))
    if verdict == Verdict.GENUINE and unit_state is not None:  # the advice in the page's language
        reason = t.get(f"advice_{getattr(unit_state, 'value', unit_state)}", reason)
    elif cause_key is not None:  # plain words for patients; the technical reason stays in the API
        reason = t.get(f"cause_{cause_key}", reason)
    return VerifyView(result.code, verdict, reason, tuple(fields), state_key, level,
                      getattr(result, "dispensed", None) if verdict == Verdict.GENUINE else None,
                      tuple(getattr(result, "history", ()) or ()), tuple(evidence), scans,
                      getattr(result, "as_of_block", None), product_name, details_fields, cause_key)
