"""The product's name on the verify page: a details document whose keccak256 is the product's
on-chain ``detailsHash``, uploaded through the API (checked, refused otherwise) or kept by the
story's home, shown marked as checked — and a plain line when no checked document is held."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.drugtrace.product_details import (
    DETAILS_FORMAT,
    ProductDetailsFormatError,
    details_document,
    parse_product_details,
)
from fisco_drugtrace.drugtrace.story import PRODUCT_APPROVAL, PRODUCT_DETAILS, PRODUCT_SPEC
from fisco_drugtrace.web import create_app


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _name_cell(html: str) -> str:
    start = html.index('id="product-name"')
    return html[start:html.index("</td>", start)]


def _header(manifest: bytes) -> tuple[dict, bytes]:
    head, _, body = manifest.partition(b"\n")
    return json.loads(head), body


def _with_header(header: dict, body: bytes) -> bytes:
    return json.dumps(header, ensure_ascii=False, sort_keys=True).encode() + b"\n" + body


def _without_details(manifest: bytes) -> bytes:
    """The manifest as a home without the product's details document exports it."""
    header, body = _header(manifest)
    assert header.pop("product_details").encode() == PRODUCT_DETAILS  # the story's home holds it
    return _with_header(header, body)


@pytest.fixture
def fresh_server(world, tmp_path, store_backend):
    """A server on another organisation's home: attached, the listed batch's manifest imported,
    no details document held."""
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.web import Backend

    regulator = world.story.services["regulator"]
    org = TraceService(world.client, None, AddressBook.in_home(tmp_path), home=tmp_path,
                       database=store_backend.database, schema_prefix=store_backend.schema_prefix)
    org.attach(regulator.deployment.address("OrgRegistry"))
    done = org.import_manifest(_without_details(regulator.export_manifest(world.listed_batch)))
    assert done.details_stored is False
    org.close()
    backend = Backend(world.client, tmp_path, sync_interval=0, database=store_backend.database,
                      schema_prefix=store_backend.schema_prefix)
    backend.sync_once()
    tokens = {"mah": backend.tokens.issue("mah", "write", "manufacturer")[0],
              "reader": backend.tokens.issue("reader", "read")[0]}
    try:
        with TestClient(create_app(backend, start_sync=False)) as http:
            yield http, tokens, backend
    finally:
        backend.close()


def test_upload_checked_against_the_chain_then_the_page_names_the_product(fresh_server, world) -> None:
    http, tokens, backend = fresh_server
    code = world.listed_codes[7]
    product = "0x" + world.story.product_id.hex()

    before = http.get(f"/v/{code}?lang=en")
    assert 'data-verdict="genuine"' in before.text
    assert 'data-checked="false"' in _name_cell(before.text)
    assert "holds no product details checked against the chain" in before.text
    assert "Amoxicillin" not in before.text
    assert http.get("/api/v1/verify_code", params={"code": code}).json()["details"] is None

    # refused, nothing stored: no token, a read token, not a document, a tampered copy, an unknown product
    assert http.post("/api/v1/product-details", content=PRODUCT_DETAILS).status_code == 401
    assert http.post("/api/v1/product-details", content=PRODUCT_DETAILS,
                     headers=_auth(tokens["reader"])).status_code == 403
    garbage = http.post("/api/v1/product-details", content=b"<html>", headers=_auth(tokens["mah"]))
    assert garbage.status_code == 400 and garbage.json()["error"] == "ProductDetailsFormatError"
    tampered_doc = PRODUCT_DETAILS.replace("阿莫西林片".encode(), "头孢克肟片".encode())
    tampered = http.post("/api/v1/product-details", content=tampered_doc, headers=_auth(tokens["mah"]))
    assert tampered.status_code == 422, tampered.json()
    assert tampered.json()["error"] == "ProductDetailsMismatch" and "detailsHash" in tampered.json()["message"]
    unknown = details_document("国药准字H29999999", PRODUCT_SPEC, generic_name="无此药")
    assert http.post("/api/v1/product-details", content=unknown, headers=_auth(tokens["mah"])).status_code == 404
    huge = http.post("/api/v1/product-details", content=b" " * (64 * 1024 + 1), headers=_auth(tokens["mah"]))
    assert huge.status_code == 413
    assert backend.service().codes.product_details(world.story.product_id) is None
    still = http.get(f"/v/{code}?lang=en")
    assert 'data-checked="false"' in _name_cell(still.text) and "头孢克肟" not in still.text
    assert http.get(f"/api/v1/product-details/{product}", headers=_auth(tokens["reader"])).status_code == 404

    stored = http.post("/api/v1/product-details", content=PRODUCT_DETAILS, headers=_auth(tokens["mah"]))
    assert stored.status_code == 200, stored.json()
    assert stored.json()["product_id"] == product and stored.json()["stored"] is True
    again = http.post("/api/v1/product-details", content=PRODUCT_DETAILS, headers=_auth(tokens["mah"]))
    assert again.status_code == 200 and again.json()["stored"] is False

    english = http.get(f"/v/{code}?lang=en")
    cell = _name_cell(english.text)
    assert 'data-checked="true"' in cell and "Amoxicillin Tablets" in cell
    assert "checked against the chain&#39;s product record" in cell or "checked against the chain's product record" in cell
    assert "<th>Dosage form</th><td>tablet</td>" in english.text
    chinese = http.get(f"/v/{code}?lang=zh")
    cell = _name_cell(chinese.text)
    assert "阿莫西林片" in cell and "已与链上登记信息核对" in cell
    assert "<th>剂型</th><td>片剂</td>" in chinese.text

    served = http.get("/api/v1/verify_code", params={"code": code}).json()
    assert served["details"]["generic_name"] == {"zh": "阿莫西林片", "en": "Amoxicillin Tablets"}
    record = http.get("/api/v1/product_details", params={"product": product}, headers=_auth(tokens["reader"]))
    assert record.status_code == 200 and record.json()["approval_number"] == PRODUCT_APPROVAL
    back = http.get(f"/api/v1/product-details/{product}", headers=_auth(tokens["reader"]))
    assert back.status_code == 200 and back.content == PRODUCT_DETAILS
    assert any(w["operation"] == "import_product_details" for w in backend.store.writes())


def test_a_stored_document_that_no_longer_matches_is_not_shown(fresh_server, world) -> None:
    """The code store is not trusted alone: a document put there without the check (a damaged or
    hand-edited store) is not shown as the product's name."""
    http, _, backend = fresh_server
    forged = PRODUCT_DETAILS.replace("Amoxicillin".encode(), b"Forgedicillin")
    backend.service().codes.put_product_details(world.story.product_id, b"\x11" * 32, forged, stored_ms=0)
    backend.verifier.forget_details()
    page = http.get(f"/v/{world.listed_codes[8]}?lang=en")
    assert "Forgedicillin" not in page.text and 'data-checked="false"' in _name_cell(page.text)
    assert backend.service().product_details(world.story.product_id) is None


def test_the_storys_home_names_its_product(world, make_backend) -> None:
    """The story registers the product with its details document's hash and keeps the document."""
    backend = make_backend()
    backend.sync_once()
    details = backend.service().product_details(world.story.product_id)
    assert details is not None and details.name("zh") == "阿莫西林片" and details.name("en") == "Amoxicillin Tablets"
    with TestClient(create_app(backend, start_sync=False)) as http:
        page = http.get(f"/v/{world.listed_codes[9]}?lang=zh")
        assert "阿莫西林片" in _name_cell(page.text)


def test_document_format() -> None:
    doc = parse_product_details(PRODUCT_DETAILS)
    assert doc.text("strength", "en") == "0.25 g" and doc.text("trade_name", "zh") == ""
    named = parse_product_details(details_document("A", "B", generic_name={"zh": "通用名"}, trade_name={"zh": "商品名"}))
    assert named.name("zh") == "通用名（商品名）" and named.name("en") == "通用名 (商品名)"  # no English: the Chinese
    bad = [b"\xff", b"[]", json.dumps({"format": "other"}).encode(),
           json.dumps({"format": DETAILS_FORMAT, "approval_number": "A"}).encode(),
           json.dumps({"format": DETAILS_FORMAT, "approval_number": "A", "package_spec": "B"}).encode(),
           json.dumps({"format": DETAILS_FORMAT, "approval_number": "A", "package_spec": "B",
                       "generic_name": {"fr": "x"}}).encode()]
    for data in bad:
        with pytest.raises(ProductDetailsFormatError):
            parse_product_details(data)


def test_the_details_travel_with_the_batch_manifest(world, tmp_path) -> None:
    """A manifest exported where the product's details are held carries them; importing it keeps
    them once they hash to the product's detailsHash — and a manifest carrying another document
    is refused whole (codes included), as for any header claim the chain does not back."""
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.drugtrace.manifest import ManifestMismatch

    regulator = world.story.services["regulator"]
    manifest = regulator.export_manifest(world.listed_batch)
    header, body = _header(manifest)
    forged = dict(header, product_details=PRODUCT_DETAILS.decode().replace("阿莫西林片", "头孢克肟片"))
    home = tmp_path / "pharmacy"
    org = TraceService(world.client, None, AddressBook.in_home(home), home=home)
    try:
        org.attach(regulator.deployment.address("OrgRegistry"))
        with pytest.raises(ManifestMismatch, match="detailsHash"):
            org.import_manifest(_with_header(forged, body))
        assert org.codes.batch(world.listed_batch) is None and org.codes.product_details(world.story.product_id) is None
        done = org.import_manifest(manifest)
        assert done.details_stored is True and org.codes.batch(world.listed_batch) is not None
        assert org.codes.product_details(world.story.product_id) == PRODUCT_DETAILS
        assert org.export_manifest(world.listed_batch) == manifest  # and it travels on from here
    finally:
        org.close()
