"""State shared by the service's concern modules: client, signer, address book, suite, code store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fisco_drugtrace.drugtrace.addressbook import AddressBook, Deployment
from fisco_drugtrace.drugtrace.codestore import CodeStore
from fisco_drugtrace.drugtrace.sqldb import StoreLocation, is_postgres_url, schema_name
from fisco_drugtrace.drugtrace.suite import Suite
from fisco_drugtrace.errors import ContractError

__all__ = ["ServiceBase"]


class ServiceBase:
    """Holds the connections; the concern mixins (registry, custody, ...) build on it."""

    def __init__(self, client: Any, signer: Any, address_book: AddressBook, *, home: str | Path | None = None,
                 clock: Any = None, database: str = "", schema_prefix: str = "fdt") -> None:
        self.client = client
        #: where the code store and audit index live: "" = SQLite files under ``home``, or a
        #: ``postgresql://`` DSN (one schema per store, named ``<schema_prefix>_<kind>_<deployment>``)
        self.database = database
        self.schema_prefix = schema_prefix or "fdt"
        self.signer = signer
        self.address_book = address_book
        self.home = Path(home) if home is not None else address_book.path.parent
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._suite: Suite | None = None
        self._codes: CodeStore | None = None
        self._hasher: Any = None

    # -- where ---------------------------------------------------------------------------
    @property
    def chain_key(self) -> tuple[str, str]:
        ident = self.client.identity()
        return str(ident.chain_id), str(ident.group_id)

    @property
    def deployment(self) -> Deployment:
        """The suite recorded for this chain/group (``AddressBookError`` when there is none)."""
        return self.address_book.get(*self.chain_key)

    @property
    def suite(self) -> Suite:
        if self._suite is None:
            self._suite = Suite(self.client, self.deployment, self.signer)
        return self._suite

    def _scope_name(self) -> str:
        chain, group = self.chain_key
        org = self.deployment.address("OrgRegistry")[2:10]
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{chain}_{group}_{org}")
        return safe

    @property
    def chain_hash(self) -> Any:
        """The hash the chain's contracts compute as ``keccak256``: SM3 on an sm_crypto chain
        (:mod:`hashing`), learnt from the node once."""
        if self._hasher is None:
            from fisco_drugtrace.drugtrace.hashing import chain_hasher

            self._hasher = chain_hasher(self.client)
        return self._hasher

    @property
    def codes(self) -> CodeStore:
        """This deployment's local code store (``<home>/codes/<chain>_<group>_<suite>.sqlite``, or
        the schema ``<prefix>_codes_<chain>_<group>_<suite>`` of the PostgreSQL ``database``)."""
        if self._codes is None:
            self._codes = CodeStore(self.store_location("codes"), hasher=self.chain_hash)
        return self._codes

    def store_location(self, kind: str) -> StoreLocation:
        """Where this deployment's ``kind`` store (``codes``, ``audit``) lives."""
        if is_postgres_url(self.database):
            return StoreLocation(url=self.database, schema=schema_name(self.schema_prefix, kind, self._scope_name()))
        return StoreLocation(self.home / kind / f"{self._scope_name()}.sqlite")

    def audit_path(self) -> Path:
        """This deployment's audit index file (``<home>/audit/<chain>_<group>_<suite>.sqlite``);
        with a PostgreSQL ``database`` the index is :meth:`store_location` ``("audit")`` instead."""
        return self.home / "audit" / f"{self._scope_name()}.sqlite"

    def now_ms(self) -> int:
        return int(self._clock())

    def _need_signer(self) -> Any:
        if self.signer is None:
            raise ContractError("this operation sends a transaction: give the service a signer (--account)")
        from fisco_drugtrace.drugtrace.hashing import check_signer_suite

        check_signer_suite(self.client, self.signer)
        return self.signer

    def close(self) -> None:
        if self._codes is not None:
            self._codes.close()
            self._codes = None
        self._suite = None
