"""The demo story, as a reusable function: from onboarding to the auditor's report.

:func:`play_story` drives one chain through a realistic case with six organisations — the
national regulator (NMPA), a manufacturer (MAH), a distributor, a logistics company, a hospital
and a pharmacy — and returns every id it made, so a test can check the chain's state and the
auditor's report. It prints nothing: each step is passed to ``narrate(title, detail)``.

The case: the manufacturer's process is approved; a batch of 10,000 units is committed, released
through its gate (every process step and the release test recorded) and shipped to the
distributor, then on to the hospital and the pharmacy; the pharmacy dispenses (and a unit is presented twice); a transport
temperature excursion quarantines the hospital's stock; a regulator inspection fails and the batch
stops automatically; the manufacturer opens a level I recall, notifies, takes the stock back and
destroys it under the regulator's counter-signature; the regulator closes the case; the auditor
indexes the chain and writes the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from fisco_drugtrace.client.devtools import DevControls
from fisco_drugtrace.drugtrace.addressbook import AddressBook
from fisco_drugtrace.drugtrace.audit.report import AuditReport, report_to_markdown
from fisco_drugtrace.drugtrace.ids import id_hex, org_id, text_hash
from fisco_drugtrace.drugtrace.models import (
    LifecycleState,
    ObservationPoint,
    ObservationResult,
    OrgKind,
    RecallLevel,
)
from fisco_drugtrace.drugtrace.product_details import details_document
from fisco_drugtrace.drugtrace.service import TraceService
from fisco_drugtrace.errors import ContractRevert, NotADevChain

__all__ = ["Actor", "StoryResult", "ACTORS", "play_story", "story_codes"]

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Actor:
    """One organisation of the story: display name, credit code, kind and region."""

    role: str
    name: str
    credit_code: str
    kind: OrgKind
    region: int

    @property
    def org_id(self) -> bytes:
        return org_id(self.credit_code)


#: the provincial procurement platform of the procurement act (signer ``len(ACTORS)``, when given)
PLATFORM = Actor("platform", "Provincial Drug Procurement Platform", "12110000PROCURE01X",
                 OrgKind.PROCUREMENT_PLATFORM, 110000)
#: the winning bid's unit price in fen (12.50 yuan a box)
BID_PRICE = 1250

#: the cast, in signer order (signer 0 deploys the suite and is the national regulator)
ACTORS: tuple[Actor, ...] = (
    Actor("regulator", "National Medical Products Administration", "11100000000013127X",
          OrgKind.REGULATOR_NATIONAL, 110000),
    Actor("manufacturer", "Huaxia Pharmaceutical Co.", "91110000MA01HXPH1K", OrgKind.MANUFACTURER, 110000),
    Actor("distributor", "Beifang Medicine Distribution", "91120000MA05BFMD2L", OrgKind.DISTRIBUTOR, 120000),
    Actor("logistics", "ColdLine Logistics", "91310000MA1CLLG3M", OrgKind.LOGISTICS, 310000),
    Actor("hospital", "City No. 1 Hospital", "12110000400001234N", OrgKind.HOSPITAL, 110000),
    Actor("pharmacy", "Kangjian Pharmacy", "92110000MA0KJPH4P", OrgKind.PHARMACY, 110000),
)

PRODUCT_APPROVAL = "国药准字H20263001"
PRODUCT_SPEC = "0.25 g x 12 tablets / box"
DRUG_PREFIX = "8160347"  # the 7-digit drug identifier code of this product's boxes
#: the product's details document (its names, :mod:`.product_details`): its keccak256 is the
#: product's on-chain ``detailsHash``, and the story keeps it in its home, so verification names it
PRODUCT_DETAILS = details_document(PRODUCT_APPROVAL, PRODUCT_SPEC,
                                   generic_name={"zh": "阿莫西林片", "en": "Amoxicillin Tablets"},
                                   dosage_form={"zh": "片剂", "en": "tablet"}, strength="0.25 g")
PROCESS_STEPS = 5  # the approved process definition: weighing, granulation, tableting, coating, packaging


def story_codes(count: int, prefix: str = DRUG_PREFIX) -> list[str]:
    """``count`` distinct 20-digit codes: 7-digit drug identifier + 9-digit serial + 4 check digits.

    The check digits of ``body = prefix + serial`` are ``(sum(digit * (i % 7 + 1)) * 7919) % 10000``
    over the body's digits ``i``; the sum is taken as prefix + high 6 serial digits + low 3 from
    two small tables (10^7 codes in seconds, not minutes, for the benchmarks).
    """
    def weighted(digits: str, start: int) -> int:
        return sum(int(d) * ((start + i) % 7 + 1) for i, d in enumerate(digits))

    head = weighted(prefix, 0)
    low = [(f"{lo:03d}", weighted(f"{lo:03d}", len(prefix) + 6)) for lo in range(1000)]
    out: list[str] = []
    for hi in range(0, count // 1000 + 1):
        high = f"{prefix}{hi:06d}"
        part = head + weighted(high[len(prefix):], len(prefix))
        out += [f"{high}{text}{((part + w) * 7919) % 10_000:04d}" for text, w in low]
    return out[1:count + 1]  # serials 1..count


@dataclass
class StoryResult:
    """Everything the story made: services per role, ids, and the auditor's report."""

    services: Mapping[str, TraceService]
    product_id: bytes
    batch_id: bytes
    codes: Sequence[str]
    shipments: dict[str, int] = field(default_factory=dict)
    dispensed_codes: list[str] = field(default_factory=list)
    duplicate_code: str = ""
    inspection_id: int = 0
    excursion_id: int = 0
    recall_id: int = 0
    destruction_id: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    report: AuditReport | None = None
    report_markdown: str = ""
    index_path: Path | None = None
    #: the procurement act (issue 17 B; played when a seventh signer is given): bid, order, deliveries
    bid_id: int = 0
    order_id: int = 0
    deliveries: list[int] = field(default_factory=list)
    #: the delivery paid after its deadline (0 when the chain's clock could not be moved)
    late_delivery: int = 0


def _noop(_title: str, _detail: str = "") -> None:
    return None


def play_story(client: Any, signers: Sequence[Any], home: str | Path, *, units: int = 10_000,
               narrate: Callable[[str, str], None] = _noop,
               on_progress: Callable[[str, int, int], None] | None = None) -> StoryResult:
    """Play the story on ``client`` with six funded ``signers`` (regulator first); local state
    (address book, code store, audit index) goes under ``home``. A seventh signer plays the
    provincial procurement platform of the procurement act (bid, order, deliveries, invoices, a
    payment, an overdue check, and on a dev chain a late payment after moving its clock 30 days on)."""
    if units < 10:
        raise ValueError("the story needs at least 10 units")
    if len(signers) < len(ACTORS):
        raise ValueError(f"the story needs {len(ACTORS)} signers, got {len(signers)}")
    book = AddressBook.in_home(home)
    regulator = TraceService(client, signers[0], book, home=home)
    cast = {a.role: a for a in ACTORS}

    # 1. the regulator deploys the suite and onboards the market ----------------------------
    nmpa = cast["regulator"]
    deployment = regulator.deploy(nmpa.credit_code, region=nmpa.region, name=nmpa.name)
    narrate("The regulator deploys the suite", f"OrgRegistry at {deployment.address('OrgRegistry')}, "
            f"{len(deployment.contracts)} contracts linked")
    services: dict[str, TraceService] = {"regulator": regulator}
    for actor, signer in zip(ACTORS[1:], signers[1:]):
        regulator.register_org(actor.credit_code, actor.kind, actor.region, name=actor.name,
                               details_hash=text_hash(f"licence of {actor.name}"))
        regulator.bind_account(signer.address, actor.credit_code)
        services[actor.role] = regulator.with_signer(signer)
        narrate(f"Onboarded {actor.name}", f"{actor.kind.name.lower()}, account {signer.address}")
    man, dist, logi = services["manufacturer"], services["distributor"], services["logistics"]
    hosp, pharm = services["hospital"], services["pharmacy"]
    ids = {role: a.org_id for role, a in cast.items()}

    # 2. product and batch ---------------------------------------------------------------------
    product = regulator.register_product(PRODUCT_APPROVAL, PRODUCT_SPEC, ids["manufacturer"], min_temp=20,
                                         max_temp=80, details_hash=text_hash(PRODUCT_DETAILS),
                                         drug_code=DRUG_PREFIX)
    man.import_product_details(PRODUCT_DETAILS)  # checked against the detailsHash just committed
    narrate("The regulator registers the product", f"阿莫西林片 (Amoxicillin Tablets), {PRODUCT_APPROVAL}, "
            f"{PRODUCT_SPEC}, store at 2-8 °C, drug identifier code {DRUG_PREFIX} bound to it on chain; its details "
            "document (names) hashes to the product's detailsHash and is kept in the home")
    process = text_hash("process definition v1: weighing, granulation, tableting, coating, packaging")
    man.define_process(product.product_id, PROCESS_STEPS, process)
    regulator.approve_process(product.product_id, process)
    narrate("The manufacturer's process is approved",
            f"{PROCESS_STEPS} steps; no batch can be released against any other process")
    codes = story_codes(units)
    produced = man.now_ms()
    reg = man.register_batch(product.product_id, "L2026-0042", codes, production_date=produced,
                             expiry_date=produced + 730 * DAY_MS, expected_prefix=DRUG_PREFIX,
                             on_progress=on_progress or (lambda *_: None))
    batch = reg.batch.batch_id
    narrate("The manufacturer commits batch L2026-0042",
            f"{reg.batch.unit_count} unit codes, Merkle root {id_hex(reg.batch.unit_root)[:18]}…")
    for step in range(PROCESS_STEPS):
        man.record_process_step(batch, step, evidence_hash=text_hash(f"batch record L2026-0042 step {step}"))
    man.record_release_test(batch, passed=True, evidence_hash=text_hash("QC release certificate L2026-0042"))
    released = man.release_batch(batch, evidence_hash=text_hash("release decision L2026-0042"))
    narrate("The manufacturer releases the batch (T0b)",
            f"all {PROCESS_STEPS} process steps recorded, release test OK: {released.state.name}, "
            f"{released.unit_count} units to its stock")
    result = StoryResult(services, product.product_id, batch, codes)

    # 3. stock moves down the chain ------------------------------------------------------------
    to_dist, to_each = units * 6 // 10, units * 2 // 10
    s1 = man.dispatch(batch, ids["distributor"], ids["logistics"], to_dist, manifest_hash=text_hash("DN-0001"))
    dist.receive(s1.shipment_id, evidence_hash=text_hash("GRN-0001"))
    s2 = dist.dispatch(batch, ids["hospital"], ids["logistics"], to_each, manifest_hash=text_hash("DN-0002"))
    s3 = dist.dispatch(batch, ids["pharmacy"], ids["logistics"], to_each, manifest_hash=text_hash("DN-0003"))
    result.shipments.update(to_distributor=s1.shipment_id, to_hospital=s2.shipment_id, to_pharmacy=s3.shipment_id)
    narrate("Shipments", f"{to_dist} units to the distributor (received); {to_each} each on the way to the "
            f"hospital (#{s2.shipment_id}) and the pharmacy (#{s3.shipment_id})")
    excursion = logi.observe(ObservationPoint.TRANSPORT, batch, ObservationResult.DEVIATION,
                             shipment_id=s2.shipment_id, min_value=31, max_value=142,
                             evidence_hash=text_hash("logger file TRK-2"))
    result.excursion_id = excursion.observation_id
    narrate("Transport excursion", f"the carrier's logger shows 3.1-14.2 °C on shipment #{s2.shipment_id}; "
            f"the chain flags it: {', '.join(excursion.triggered)}")
    hosp.receive(s2.shipment_id, evidence_hash=text_hash("GRN-H-0002"))
    pharm.receive(s3.shipment_id, evidence_hash=text_hash("GRN-P-0003"))
    held = hosp.holding(batch, ids["hospital"])
    narrate("Hospital and pharmacy receive", f"the hospital's {held.quantity} units arrive quarantined "
            f"({held.quarantined}); the pharmacy's {to_each} are sellable")

    # 4. the pharmacy dispenses; one box is presented twice ------------------------------------
    # the pharmacy's own boxes: custody is per code (D9), the shipments took them first-in
    # first-out (the RangeLedger says which: here units to_each .. 2 * to_each - 1)
    own = pharm.held_indices(batch, ids["pharmacy"], limit=3)
    start = own[0]
    for index in own:
        pharm.dispense(codes[index])
        result.dispensed_codes.append(codes[index])
    again = pharm.dispense(codes[start])
    result.duplicate_code = codes[start]
    narrate("The pharmacy dispenses", f"3 boxes sold; box {codes[start]} presented again -> "
            f"{'refused, DuplicateDispense alert on chain' if not again.dispensed else 'accepted?!'}")

    # 4b. procurement (issue 17 B): bid -> order -> deliveries -> invoices -> payment ----------------
    if len(signers) > len(ACTORS):
        _procurement_act(result, regulator, signers[len(ACTORS)], ids, batch, narrate)

    # 5. inspection fails: automatic stop ----------------------------------------------------------
    inspection = regulator.observe(ObservationPoint.INSPECTION, batch, ObservationResult.FAIL,
                                   evidence_hash=text_hash("sampling report QC-2026-117: dissolution fails"))
    result.inspection_id = inspection.observation_id
    state = regulator.get_batch(batch).state
    narrate("Regulator inspection fails", f"observation #{inspection.observation_id}; the batch is now "
            f"{state.name} (automatic)")

    # 6. level I recall --------------------------------------------------------------------------
    case = man.open_recall(RecallLevel.I, batch=batch, reason_hash=text_hash("dissolution out of spec"))
    result.recall_id = case.recall_id
    man.issue_notice(case.recall_id, text_hash("recall notice RN-2026-01"))
    narrate("Level I recall", f"case #{case.recall_id} opened and notified within the 1-day limit")
    returns = []
    for role, svc in (("pharmacy", pharm), ("hospital", hosp), ("distributor", dist)):
        h = svc.holding(batch, ids[role])
        # the holder declares what it secured (bounded on chain by its holding), then returns it
        svc.record_recovery(case.recall_id, h.quantity, text_hash(f"recovery receipt {role}"))
        ret = svc.dispatch_return(batch, ids["manufacturer"], ids["logistics"], h.quantity,
                                  manifest_hash=text_hash(f"return note {role}"))
        result.recovered[role] = h.quantity
        returns.append(ret.shipment_id)
    for sid in returns:
        man.receive(sid, evidence_hash=text_hash(f"return GRN {sid}"))
    man.report_progress(case.recall_id, text_hash("progress report 1"))
    back = man.holding(batch, ids["manufacturer"])
    result.shipments.update({f"return_{i}": sid for i, sid in enumerate(returns)})
    narrate("Stock returned", f"{sum(result.recovered.values())} units back at the manufacturer "
            f"({back.quantity} held, {back.quarantined} quarantined)")

    # 7. closing, then destruction under supervision (T4 needs the summary accepted and no stock left)
    figures = regulator.recall_figures(case.recall_id)
    man.complete_recall(case.recall_id, text_hash("summary report"))
    closed = regulator.evaluate_recall(case.recall_id, True, text_hash("evaluation: effective"))
    narrate("Recall closed", f"case #{closed.recall_id} is {closed.status.name}: {figures.recovered} of "
            f"{figures.in_market_at_open} units on the market recovered ({figures.percent:.1f} %, on chain)")
    destruction = man.record_destruction(case.recall_id, back.quantity, final=True,
                                         evidence_hash=text_hash("destruction record D-01"))
    confirmed = regulator.countersign_destruction(destruction.destruction_id)
    result.destruction_id = confirmed.destruction_id
    narrate("Destruction counter-signed", f"{confirmed.quantity} units destroyed under the regulator's "
            f"supervision; batch is {regulator.get_batch(batch).state.name}")

    # 8. the auditor --------------------------------------------------------------------------------
    with regulator.open_audit_index() as index:
        synced = regulator.audit_sync(index)
    # the recall figures in the report are the chain's (checked against the index's replay)
    report = regulator.audit_report(sync=False)
    labels = book.labels(*regulator.chain_key)
    result.report = report
    result.report_markdown = report_to_markdown(report, names=labels)
    result.index_path = regulator.audit_path()
    narrate("The auditor's report", f"indexed {synced.events} events up to block {synced.to_block}; "
            f"{len(report.recalls)} recall case(s), {len(report.alerts)} alert(s)")
    assert_state = regulator.get_batch(batch).state
    if assert_state is not LifecycleState.DESTROYED:  # pragma: no cover - the story's own sanity check
        narrate("Unexpected", f"batch ended {assert_state.name}")
    return result


def _procurement_act(result: StoryResult, regulator: TraceService, signer: Any, ids: Mapping[str, bytes],
                     batch: bytes, narrate: Callable[[str, str], None]) -> None:
    """The platform publishes a winning bid; the hospital orders under it; the distributor delivers
    in two custody shipments and invoices each; the hospital pays the first; an overdue check on
    the second is refused by the chain (its 30 days have not passed). Then, on a dev chain, the
    clock moves past the second's deadline: the regulator's overdue check raises the chain's
    ``SettlementOverdue`` alert and the hospital's late payment a second one."""
    services = result.services
    dist, hosp = services["distributor"], services["hospital"]
    regulator.register_org(PLATFORM.credit_code, PLATFORM.kind, PLATFORM.region, name=PLATFORM.name,
                           details_hash=text_hash(f"licence of {PLATFORM.name}"))
    regulator.bind_account(signer.address, PLATFORM.credit_code)
    platform = regulator.with_signer(signer)
    services["platform"] = platform  # type: ignore[index]  # the dict play_story built
    held = dist.holding(batch, ids["distributor"]).quantity
    quantity = max(2, held // 4)
    now = platform.now_ms()
    bid = platform.publish_bid(result.product_id, BID_PRICE, now - DAY_MS, now + 365 * DAY_MS, [ids["distributor"]],
                               tender_ref=text_hash("tender GD-2026-VBP-07, lot 3"),
                               volumes={ids["hospital"]: quantity * 4})
    order = hosp.place_order(bid.bid_id, ids["distributor"], quantity, order_ref=text_hash("PO-H-2026-0815"))
    dist.accept_order(order.order_id)
    result.bid_id, result.order_id = bid.bid_id, order.order_id
    narrate("Procurement: a winning bid and an order",
            f"the platform's bid #{bid.bid_id} at {BID_PRICE / 100:.2f} yuan a box, {quantity * 4} boxes agreed for "
            f"the hospital; it orders {quantity} (order #{order.order_id}), the distributor accepts")
    first = quantity // 2
    for part, qty in enumerate((first, quantity - first), start=1):
        ship = dist.dispatch(batch, ids["hospital"], ids["logistics"], qty, manifest_hash=text_hash(f"DN-PO-{part}"))
        dist.record_delivery(order.order_id, ship.shipment_id)
        hosp.receive(ship.shipment_id, evidence_hash=text_hash(f"GRN-PO-{part}"))
        hosp.confirm_receipt(ship.shipment_id)
        dist.invoice(ship.shipment_id, invoice_ref=text_hash(f"INV-2026-{part:04d}"))
        result.deliveries.append(ship.shipment_id)
    paid = hosp.record_payment(result.deliveries[0], payment_ref=text_hash("bank transfer 2026-0815-01"))
    second = result.deliveries[1]
    try:
        regulator.flag_overdue(second)
        check = "flagged?!"
    except ContractRevert as exc:
        check = f"refused by the chain ({exc.error_name})"
    narrate("Procurement: delivered, invoiced, settled",
            f"deliveries #{result.deliveries[0]} and #{second} received and invoiced at exactly "
            f"accepted x bid price; the first paid ({paid.amount} fen, on time), the second due within 30 days of "
            f"the hospital's receipt: an overdue check now is {check}")
    # the second is paid late: the dev chain's clock moves past its deadline (a real node's cannot)
    due = hosp.get_delivery(second).due_at
    try:
        DevControls(regulator.client).increase_time(max(0, due - regulator.now_ms()) + HOUR_MS)
    except NotADevChain:
        narrate("Procurement: late payment skipped", "not a dev chain: its clock cannot be moved past the deadline")
        return
    flagged = regulator.flag_overdue(second)
    late = hosp.record_payment(second, payment_ref=text_hash("bank transfer 2026-0916-02"))
    result.late_delivery = second
    narrate("Procurement: a late payment",
            f"{(late.paid_at - due) // HOUR_MS} h past the deadline of delivery #{second}: the regulator's "
            f"overdue check {'raises' if flagged.overdue_flagged else 'misses?!'} the chain's SettlementOverdue "
            f"alert, and the hospital's payment of {late.amount} fen "
            f"{'raises a second one (paid late)' if late.paid_late else 'is on time?!'}")

