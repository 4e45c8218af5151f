"""``TraceService``: the typed domain API over the contract suite (no printing, no click).

It composes one mixin per concern — :mod:`registry` (organisations, products, batches,
lifecycle), :mod:`release` (the release gate and T0b), :mod:`custody` (shipments, quarantine, dispensing, verification), :mod:`observations`,
:mod:`recall`, :mod:`procurement` (bids, orders, deliveries, settlement) and :mod:`auditing` (the auditor's index and queries) — over
:class:`~fisco_drugtrace.drugtrace._base.ServiceBase`, and adds deploying the suite and its status. Known "unknown id" reverts become
:class:`~fisco_drugtrace.errors.NotFound`; every other revert surfaces as ``ContractRevert``
naming the custom error and its arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from fisco_drugtrace.drugtrace.addressbook import AddressBook, Deployment
from fisco_drugtrace.drugtrace.attach import Attachment, attach_suite
from fisco_drugtrace.drugtrace.auditing import AuditOps
from fisco_drugtrace.drugtrace.custody import CustodyOps
from fisco_drugtrace.drugtrace.ids import org_ref
from fisco_drugtrace.drugtrace.manifest_ops import ManifestOps
from fisco_drugtrace.drugtrace.verification import VerificationOps
from fisco_drugtrace.drugtrace.models import SuiteStatus
from fisco_drugtrace.drugtrace.observations import ObservationOps
from fisco_drugtrace.drugtrace.packing_ops import PackingOps
from fisco_drugtrace.drugtrace.procurement import ProcurementOps
from fisco_drugtrace.drugtrace.product_details import ProductDetailsOps
from fisco_drugtrace.drugtrace.recall import RecallOps
from fisco_drugtrace.drugtrace.registry import RegistryOps
from fisco_drugtrace.drugtrace.release import ReleaseOps
from fisco_drugtrace.drugtrace.suite import ZERO32, deploy_suite
from fisco_drugtrace.errors import AddressBookError

__all__ = ["TraceService"]


class TraceService(RegistryOps, ReleaseOps, CustodyOps, ObservationOps, RecallOps, AuditOps, ManifestOps,
                   VerificationOps, PackingOps, ProcurementOps, ProductDetailsOps):
    """Everything an organisation does on the drug-trace suite, as typed calls.

    :param client: a connected ``FiscoClient`` (either dialect).
    :param signer: who signs transactions (``None`` for read-only use).
    :param address_book: where the suite's addresses per chain/group are kept.
    :param home: directory for the code store and audit index (default: the book's directory).
    """

    @classmethod
    def from_settings(cls, settings: Any, *, client: Any, signer: Any = None) -> "TraceService":
        """The service for ``Settings`` (address book, code store and index under ``settings.home``)."""
        home = Path(settings.home)
        return cls(client, signer, AddressBook.in_home(home), home=home,
                   database=str(getattr(settings, "database", "") or ""),
                   schema_prefix=str(getattr(settings, "database_schema", "") or "fdt"))

    def with_signer(self, signer: Any) -> "TraceService":
        """The same chain and home, acting as another account."""
        return TraceService(self.client, signer, self.address_book, home=self.home, clock=self._clock,
                            database=self.database, schema_prefix=self.schema_prefix)

    # -- the suite -----------------------------------------------------------------------
    def deploy(self, root_org: str | bytes, *, region: int, details_hash: bytes = ZERO32, name: str = "",
               replace: bool = False, on_step: Callable[[str], None] | None = None,
               publish: bool = True) -> Deployment:
        """Deploy and link the suite; the signer becomes the root (national regulator)
        organisation ``root_org`` and the addresses are recorded in the address book.

        With ``publish`` the ``OrgRegistry`` is also published in the chain's name service (BFS
        ``/apps/fisco-drugtrace/<version>`` on 3.x, CNS on 2.x) so that other organisations'
        ``attach()`` finds it without an address; ``Deployment.name_service`` says where ("" when
        the node refused, e.g. for lack of permission, or when the path already names a live
        suite whose root this signer does not act for — it is not taken over; the suite is
        deployed all the same and ``on_step`` hears a line starting with ``!``).

        :raises AddressBookError: the book already names a suite that is live on this chain and
            group, and ``replace`` is not set (a second suite would orphan the first's records).
        """
        chain, group = self.chain_key
        existing = self.address_book.find(chain, group)
        if existing is not None and not replace and "OrgRegistry" in existing.contracts \
                and self.client.get_code(existing.address("OrgRegistry")):
            raise AddressBookError(
                f"a drug-trace suite is already deployed on chain {chain} group {group} "
                f"(OrgRegistry {existing.address('OrgRegistry')})",
                user_message=f"a suite is already deployed on chain {chain} group {group} at "
                             f"{existing.address('OrgRegistry')}; use --replace to deploy another")
        deployment = deploy_suite(self.client, self._need_signer(), root_org_id=org_ref(root_org),
                                  region=region, details_hash=details_hash, chain_id=chain, group_id=group,
                                  on_step=on_step)
        if publish:
            deployment = self._publish(deployment, on_step)
        self.close()
        self.address_book.put(deployment)
        if name:
            from fisco_drugtrace.drugtrace.ids import id_hex

            self.address_book.set_label(chain, group, id_hex(org_ref(root_org)), name)
        return deployment

    def _publish(self, deployment: Deployment, on_step: Callable[[str], None] | None) -> Deployment:
        import dataclasses

        from fisco_drugtrace.drugtrace.discovery import (held_by_another_root, name_service_path,
                                                         published_org_registry, publish_suite)
        from fisco_drugtrace.errors import DrugTraceError

        signer = self._need_signer()
        mine = deployment.address("OrgRegistry")
        try:
            current = published_org_registry(self.client)
            if current is not None and current.lower() != mine.lower() \
                    and held_by_another_root(self.client, current, signer.address):
                if on_step is not None:
                    on_step(f"! not published: {name_service_path(self.client.dialect)} names the live suite at "
                            f"{current}, whose root organisation this account does not act for; left as it is "
                            "(give other organisations this suite's address)")
                return deployment
            where = publish_suite(self.client, signer, mine, deployment.block_number)
        except DrugTraceError:
            return deployment
        if on_step is not None:
            on_step(f"published at {where}")
        return dataclasses.replace(deployment, name_service=where)

    def attach(self, org_registry: str | None = None, *, accept_different_code: bool = False,
               replace: bool = False, source: str = "address") -> Attachment:
        """Join the suite whose ``OrgRegistry`` is at ``org_registry``: read the linked contracts
        from the chain, compare each one's runtime code with this release's artifacts, and record
        the suite in this machine's address book. Sends nothing; needs no signer.

        :raises SuiteCodeMismatch: a contract's code differs (``accept_different_code`` records it anyway).
        :raises AddressBookError: no address was given and none is published in the chain's name
            service, or the book already names another live suite here and ``replace`` is unset.
        """
        chain, group = self.chain_key
        deploy_block = 0
        if org_registry is None:
            from fisco_drugtrace.drugtrace.discovery import discover_org_registry

            org_registry, source, deploy_block = discover_org_registry(self.client)
        attachment = attach_suite(self.client, org_registry, chain_id=chain, group_id=group, source=source,
                                  accept_different_code=accept_different_code, deploy_block=deploy_block)
        existing = self.address_book.find(chain, group)
        new_root = attachment.deployment.address("OrgRegistry")
        if existing is not None and not replace and existing.contracts.get("OrgRegistry") != new_root \
                and "OrgRegistry" in existing.contracts and self.client.get_code(existing.address("OrgRegistry")):
            raise AddressBookError(
                f"the address book already names the suite at {existing.address('OrgRegistry')} here",
                user_message=f"this home already uses the suite at {existing.address('OrgRegistry')} on chain "
                             f"{chain} group {group}; use --replace to switch to {new_root}")
        self.close()
        self.address_book.put(attachment.deployment)
        return attachment
    def watch(self, org: str | bytes | None = None, **options: Any) -> Any:
        """Domain events for ``org`` as they happen (a :class:`~fisco_drugtrace.drugtrace.watch.Watch`:
        iterate it; ``kinds``, ``from_block``, ``to_block``, ``checkpoint``, ``push`` as there)."""
        from fisco_drugtrace.drugtrace.watch import Watch

        return Watch(self, org=org, **options)

    def status(self) -> SuiteStatus:
        """Addresses, whether code is there, and the suite's counters."""
        dep = self.deployment
        present = {name: bool(self.client.get_code(addr)) for name, addr in dep.contracts.items()}
        s = self.suite
        return SuiteStatus(
            chain_id=dep.chain_id, group_id=dep.group_id, contracts=dict(dep.contracts), code_present=present,
            paused=bool(s.call(s.orgs, "paused")), root_org_id=bytes(s.call(s.orgs, "rootOrg")),
            org_count=int(s.call(s.orgs, "orgCount")), shipment_count=int(s.call(s.custody, "shipmentCount")),
            observation_count=int(s.call(s.observations, "observationCount")),
            recall_count=int(s.call(s.recalls, "recallCount")), block_number=self.client.block_number(),
        )
