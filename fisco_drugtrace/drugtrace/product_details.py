"""A product's details document: the names a patient reads, checked against the chain.

The chain's product record holds the approval number (批准文号), the package specification, the
MAH and ``detailsHash`` — no name. NMPAB/T 1012-2022 shows a consumer the product's name, so the
name travels off chain in a **product details document** whose keccak256 is the product's
on-chain ``detailsHash`` (the hash ``product register --details @FILE`` commits: the file's exact
bytes). A server keeps a document only after checking it (:meth:`ProductDetailsOps.import_product_details`):

- it parses (JSON object, ``format`` :data:`DETAILS_FORMAT`, ``approval_number`` and
  ``package_spec`` strings, a ``generic_name``);
- its approval number and specification give the product id (as the contract computes it, with
  the chain's hash) of a product whose ``ProductRegistered`` event is in the audit index;
- the event's ``detailsHash`` is the document's keccak256.

Otherwise nothing is stored. Each name is a string, or ``{"zh": …, "en": …}``::

    {"format": "fisco-drugtrace/product-details/1",
     "approval_number": "国药准字H20263001", "package_spec": "0.25 g x 12 tablets / box",
     "generic_name": {"zh": "阿莫西林片", "en": "Amoxicillin Tablets"},
     "trade_name": {"zh": "安莫", "en": "Anmo"},
     "dosage_form": {"zh": "片剂", "en": "tablet"},
     "strength": "0.25 g"}
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Mapping

from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.ids import id_hex
from fisco_drugtrace.drugtrace.ids import product_id as make_product_id
from fisco_drugtrace.errors import DomainError, EncodingError, NotFound

__all__ = ["DETAILS_FORMAT", "MAX_DETAILS", "ProductDetails", "ProductDetailsImport", "ProductDetailsFormatError",
           "ProductDetailsMismatch", "ProductDetailsOps", "details_document", "parse_product_details",
           "registered_details_hash"]

DETAILS_FORMAT = "fisco-drugtrace/product-details/1"
#: largest document accepted (a details document is a few hundred bytes)
MAX_DETAILS = 64 * 1024
_NAMES = ("generic_name", "trade_name", "dosage_form", "strength")


class ProductDetailsFormatError(EncodingError):
    """The bytes are not a product details document."""


class ProductDetailsMismatch(DomainError):
    """A details document is not the one the chain's product record commits to (its keccak256
    is not the product's ``detailsHash``)."""


def _names(value: Any, key: str, required: bool) -> dict[str, str]:
    if value is None or value == "":
        if required:
            raise ProductDetailsFormatError(f"the details document has no {key}")
        return {}
    if isinstance(value, str):
        return {"zh": value.strip(), "en": value.strip()}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ProductDetailsFormatError(f"{key} must be a string or an object of strings by language (zh, en)")
    out = {str(lang): text.strip() for lang, text in value.items() if lang in ("zh", "en") and text.strip()}
    if required and not out:
        raise ProductDetailsFormatError(f"{key} names the product in neither Chinese (zh) nor English (en)")
    return out


@dataclass(frozen=True)
class ProductDetails:
    """A details document held here, checked against the product's on-chain ``detailsHash``."""

    product_id: bytes
    details_hash: bytes
    approval_number: str
    package_spec: str
    #: 通用名称, by language (``zh``, ``en``; at least one)
    generic_name: Mapping[str, str]
    #: 商品名称 (may be empty)
    trade_name: Mapping[str, str]
    dosage_form: Mapping[str, str]
    strength: Mapping[str, str]

    def text(self, field: str, lang: str) -> str:
        """A name in ``lang``, else in the other language ("" if the document has none)."""
        names: Mapping[str, str] = getattr(self, field)
        return names.get(lang) or names.get("en" if lang == "zh" else "zh") or ""

    def name(self, lang: str) -> str:
        """The name a patient reads: the generic name, with the trade name beside it."""
        generic, trade = self.text("generic_name", lang), self.text("trade_name", lang)
        if not trade or trade == generic:
            return generic
        return f"{generic}（{trade}）" if lang == "zh" else f"{generic} ({trade})"


def parse_product_details(data: bytes, *, hasher: Any = keccak256) -> ProductDetails:
    """Parse a details document (not yet checked against the chain); ``hasher`` is the chain's
    hash for the product id (SM3 on sm_crypto chains). Its ``details_hash`` is keccak256 of
    ``data``, as ``product register --details @FILE`` computes it on every chain.

    :raises ProductDetailsFormatError: not a details document.
    """
    if len(data) > MAX_DETAILS:
        raise ProductDetailsFormatError(f"a details document is at most {MAX_DETAILS} bytes, got {len(data)}")
    try:
        doc = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProductDetailsFormatError(f"the details document is not UTF-8 JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ProductDetailsFormatError("a details document is a JSON object")
    if doc.get("format") != DETAILS_FORMAT:
        raise ProductDetailsFormatError(f"the details document's format is {doc.get('format')!r}, "
                                        f"not {DETAILS_FORMAT!r}")
    approval, spec = doc.get("approval_number"), doc.get("package_spec")
    if not isinstance(approval, str) or not approval or not isinstance(spec, str) or not spec:
        raise ProductDetailsFormatError("the details document names no approval_number and package_spec")
    names = {key: _names(doc.get(key), key, key == "generic_name") for key in _NAMES}
    return ProductDetails(make_product_id(approval, spec, hasher=hasher), keccak256(bytes(data)), approval, spec,
                          **names)


def details_document(approval_number: str, package_spec: str, *, generic_name: str | Mapping[str, str],
                     trade_name: str | Mapping[str, str] | None = None,
                     dosage_form: str | Mapping[str, str] | None = None,
                     strength: str | Mapping[str, str] | None = None) -> bytes:
    """A details document's bytes (UTF-8 JSON, keys sorted): its keccak256 is what
    ``register_product(details_hash=…)`` should commit."""
    doc: dict[str, Any] = {"format": DETAILS_FORMAT, "approval_number": approval_number,
                           "package_spec": package_spec, "generic_name": generic_name}
    for key, value in (("trade_name", trade_name), ("dosage_form", dosage_form), ("strength", strength)):
        if value:
            doc[key] = value
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n"


def registered_details_hash(db: Any, product: bytes, upto: int | None = None) -> bytes | None:
    """The ``detailsHash`` of the product's ``ProductRegistered`` event in an audit index's
    events table (``None``: the index has no such event, at or below block ``upto``)."""
    sql = "SELECT args FROM events WHERE product_id = ? AND name = 'ProductRegistered'"
    params: tuple[Any, ...] = (product,)
    if upto is not None:
        sql += " AND block_number <= ?"
        params += (int(upto),)
    row = db.execute(sql + " ORDER BY seq LIMIT 1", params).fetchone()
    if row is None:
        return None
    value = json.loads(row[0]).get("detailsHash")
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value) if value is not None else None


def checked_details(data: bytes | None, on_chain: bytes | None, hasher: Any) -> ProductDetails | None:
    """A stored document, if it still parses and hashes to the product's on-chain ``detailsHash``."""
    if data is None or on_chain is None or keccak256(bytes(data)) != on_chain:
        return None
    try:
        return parse_product_details(bytes(data), hasher=hasher)
    except ProductDetailsFormatError:
        return None


@dataclass(frozen=True)
class ProductDetailsImport:
    """What :meth:`ProductDetailsOps.import_product_details` checked and kept."""

    product_id: bytes
    details_hash: bytes
    details: ProductDetails
    #: ``False``: this home already held the same document
    stored: bool
    #: the audit index's block the check rests on
    as_of_block: int


class ProductDetailsOps(ServiceBase):
    """Keep and read products' details documents (checked against the chain's ``detailsHash``)."""

    def import_product_details(self, data: bytes, *, sync: bool = True) -> ProductDetailsImport:
        """Check a details document against the chain and keep it here: the verification of that
        product's codes then shows its name. Nothing is stored unless every check passes.

        ``sync``: bring the audit index to the chain's head first (``False``: as of its last
        block, as a server whose background sync keeps it in step does).

        :raises ProductDetailsFormatError: not a details document.
        :raises NotFound: the audit index has no ``ProductRegistered`` for its approval number and
            specification.
        :raises ProductDetailsMismatch: the product's on-chain ``detailsHash`` is not the document's keccak256.
        """
        details = parse_product_details(data, hasher=self.chain_hash)
        with self.open_audit_index() as index:  # type: ignore[attr-defined]
            if sync:
                self.audit_sync(index)  # type: ignore[attr-defined]
            block = int(index.last_block)
            on_chain = registered_details_hash(index.db, details.product_id)
        if on_chain is None:  # not in the index (yet): the chain's own event, if the node answers
            on_chain = self.registered_details_hash(details.product_id)
        if on_chain is None:
            raise NotFound("product", f"{id_hex(details.product_id)} ({details.approval_number}, "
                                      f"{details.package_spec}) on chain (the audit index is at block {block})")
        self._check_details(details, on_chain)
        held = self.codes.product_details(details.product_id)
        stored = held != bytes(data)
        if stored:
            self.codes.put_product_details(details.product_id, details.details_hash, bytes(data),
                                           stored_ms=int(time.time() * 1000))
        return ProductDetailsImport(details.product_id, details.details_hash, details, stored, block)

    def registered_details_hash(self, product: bytes) -> bytes | None:
        """The ``detailsHash`` of the product's ``ProductRegistered`` event, read from the chain
        (``None``: no such product). The registry keeps no copy of it in storage: it is in the event."""
        events = self.suite.drugs.get_events(self.deployment.block_number, self.client.block_number(),  # type: ignore[attr-defined]
                                             "ProductRegistered", [bytes(product)])
        return bytes(events[0].args["detailsHash"]) if events else None

    @staticmethod
    def _check_details(details: ProductDetails, on_chain: bytes) -> None:
        if on_chain != details.details_hash:
            raise ProductDetailsMismatch(
                f"product {id_hex(details.product_id)}'s detailsHash on chain is {id_hex(on_chain)}, this "
                f"document's keccak256 is {id_hex(details.details_hash)}: it is not the registered document")

    def product_details(self, product: bytes, *, sync: bool = False) -> ProductDetails | None:
        """The product's details document held here, checked against its on-chain ``detailsHash``
        as the audit index has it (``None``: none held, or it does not match)."""
        data = self.codes.product_details(product)
        if data is None:
            return None
        with self.open_audit_index() as index:  # type: ignore[attr-defined]
            if sync:
                self.audit_sync(index)  # type: ignore[attr-defined]
            on_chain = registered_details_hash(index.db, product)
        return checked_details(data, on_chain, self.chain_hash)

    def export_product_details(self, product: bytes) -> bytes:
        """The details document held here, as it was uploaded (its bytes are what the hash covers).

        :raises NotFound: none held for the product."""
        data = self.codes.product_details(product)
        if data is None:
            raise NotFound("product details document", id_hex(product))
        return data
