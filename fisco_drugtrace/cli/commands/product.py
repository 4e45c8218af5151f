"""``fisco-drugtrace product``: register products (approvals) and read them back."""

from __future__ import annotations

from pathlib import Path

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["product"]


@click.group()
def product() -> None:
    """Products (approval number + package spec), registered by the national regulator."""


@product.command("register")
@click.option("--approval", required=True, help="Approval number (批准文号).")
@click.option("--spec", required=True, help="Package specification.")
@click.option("--mah", required=True, help="Marketing-authorisation holder (ORG).")
@click.option("--min-temp", type=int, required=True, help="Lowest storage temperature, 0.1 °C (20 = 2.0 °C).")
@click.option("--max-temp", type=int, required=True, help="Highest storage temperature, 0.1 °C.")
@click.option("--drug-code", metavar="NNNNNNN",
              help="Also bind the product to its 7-digit drug identifier code (药品标识码) on chain.")
@evidence_option("details", "approval documents")
@json_option
@pass_app
def register(app: AppContext, approval: str, spec: str, mah: str, min_temp: int, max_temp: int,
             drug_code: str | None, details: str | None, as_json: bool) -> None:
    """Register a product; prints its id. With --drug-code the national regulator also binds it to
    its drug identifier code (a second transaction), without which `verify` never calls a code of
    that prefix counterfeit."""
    record = write_service(app).register_product(approval, spec, mah, min_temp=min_temp, max_temp=max_temp,
                                                 details_hash=evidence_hash(details), drug_code=drug_code)
    show(record, as_json)


@product.command("assign-code")
@click.argument("product_id", type=id_arg, metavar="PRODUCT_ID")
@click.argument("drug_code", metavar="NNNNNNN")
@json_option
@pass_app
def assign_code(app: AppContext, product_id: bytes, drug_code: str, as_json: bool) -> None:
    """Bind a product to its 7-digit drug identifier code on chain (national regulator; once per
    product, unique across products). `verify` then proves a code of that prefix counterfeit when
    every batch of the product is held and none lists it."""
    svc = write_service(app)
    tx = svc.assign_drug_code(product_id, drug_code)
    show({"product_id": product_id, "drug_code": svc.drug_code_of(product_id), "tx": tx}, as_json)


@product.command("code-owner")
@click.argument("drug_code", metavar="NNNNNNN")
@json_option
@pass_app
def code_owner(app: AppContext, drug_code: str, as_json: bool) -> None:
    """The product the chain binds to a drug identifier code (exit 1 if none)."""
    from fisco_drugtrace.errors import NotFound

    owner = read_service(app).product_of_drug_code(drug_code)
    if owner is None:
        raise NotFound("product with drug identifier code", drug_code)
    show({"drug_code": drug_code, "product_id": owner}, as_json)


@product.command("show")
@click.argument("product_id", type=id_arg, metavar="PRODUCT_ID")
@json_option
@pass_app
def show_cmd(app: AppContext, product_id: bytes, as_json: bool) -> None:
    """Show a product, with the drug identifier code the chain binds to it (null: none)."""
    from fisco_drugtrace.cli.render import to_jsonable

    svc = read_service(app)
    show({**to_jsonable(svc.get_product(product_id)), "drug_code": svc.drug_code_of(product_id)}, as_json)


@product.command("id")
@click.option("--approval", required=True)
@click.option("--spec", required=True)
@json_option
def id_cmd(approval: str, spec: str, as_json: bool) -> None:
    """Compute a product id offline (keccak256(abi.encode(approval, spec)))."""
    from fisco_drugtrace.drugtrace.ids import id_hex, product_id

    show({"product_id": id_hex(product_id(approval, spec))}, as_json)


@product.command("import-details")
@click.argument("details_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def import_details(app: AppContext, details_file: Path, as_json: bool) -> None:
    """Keep a product's details document (its names: JSON, format fisco-drugtrace/product-details/1)
    here, once checked: its keccak256 must be the detailsHash the product was registered with
    (`product register --details @FILE`). Verification then shows the product's name."""
    done = read_service(app).import_product_details(details_file.read_bytes())
    show({"product_id": done.product_id, "details_hash": done.details_hash, "stored": done.stored,
          "generic_name": dict(done.details.generic_name), "as_of_block": done.as_of_block}, as_json)


@product.command("details")
@click.argument("product_id", type=id_arg, metavar="PRODUCT_ID")
@json_option
@pass_app
def details_cmd(app: AppContext, product_id: bytes, as_json: bool) -> None:
    """The product's details document held here, checked against its on-chain detailsHash (exit 1: none)."""
    from fisco_drugtrace.cli.render import to_jsonable
    from fisco_drugtrace.errors import NotFound

    found = read_service(app).product_details(product_id, sync=True)
    if found is None:
        raise NotFound("checked details document of product", "0x" + product_id.hex())
    show(to_jsonable(found), as_json)


@product.command("adr-policy")
@click.argument("product_id", type=id_arg, metavar="PRODUCT_ID")
@click.option("--threshold", type=click.IntRange(0, 65535), required=True, help="Serious reports per batch that raise the alert (0 = off).")
@click.option("--window-ms", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True,
              help="Count only reports within this many ms of the latest (0 = no window, cumulative).")
@click.option("--auto-stop/--no-auto-stop", default=False, help="Also stop the batch at the threshold.")
@json_option
@pass_app
def adr_policy(app: AppContext, product_id: bytes, threshold: int, window_ms: int, auto_stop: bool,
               as_json: bool) -> None:
    """Set a product's adverse-reaction policy (regulators): THRESHOLD serious reports on one batch
    within the window raise an alert (at most 32; 0 = off)."""
    show(write_service(app).set_adr_policy(product_id, threshold, auto_stop, window_ms=window_ms), as_json)
