"""An adverse-reaction threshold alert raised on the dev chain — serious reports on one batch
reaching the product's threshold within its window — appears on the alerts page and in the API."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.drugtrace import ObservationPoint, ObservationResult
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes
from fisco_drugtrace.web import create_app

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def adr_batch(world):
    """A product of its own (so the story's product keeps no ADR policy) with a threshold of 2
    serious reports a day, a released batch, and two counted serious reports on it."""
    reg, man = world.story.services["regulator"], world.story.services["manufacturer"]
    mah = next(a for a in ACTORS if a.role == "manufacturer").credit_code
    product = reg.register_product("国药准字H20269902", "ADR alerts 10 mg x 10", mah, min_temp=20,
                                   max_temp=80).product_id
    reg.set_adr_policy(product, 2, False, window_ms=DAY_MS)
    man.define_process(product, 1, b"\x9e" * 32)
    reg.approve_process(product, b"\x9e" * 32)
    now = man.now_ms()
    batch = man.register_batch(product, "ADR-WEB-1", story_codes(5, "8160350"), production_date=now - DAY_MS,
                               expiry_date=now + 365 * DAY_MS).batch.batch_id
    man.pass_release_gate(batch)
    man.release_batch(batch)
    first = man.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.SERIOUS)
    assert "AdverseReactionThresholdReached" not in first.triggered
    second = reg.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.SERIOUS)
    assert "AdverseReactionThresholdReached" in second.triggered  # the chain raised it: 2 of 2 in a day
    return batch, second


def test_the_threshold_alert_is_on_the_alerts_page_and_in_the_api(world, make_backend, adr_batch) -> None:
    batch, second = adr_batch
    batch_hex = "0x" + batch.hex()
    backend = make_backend()
    backend.sync_once()
    secret, _ = backend.tokens.issue("adr-inspector", "read")
    with TestClient(create_app(backend, start_sync=False)) as http:
        alerts = http.get("/api/v1/audit_alerts", headers={"Authorization": f"Bearer {secret}"})
        assert alerts.status_code == 200
        reached = [a for a in alerts.json() if a["kind"] == "AdverseReactionThresholdReached"]
        assert [a["batch_id"] for a in reached] == [batch_hex]
        args = reached[0]["args"]
        assert int(args["observationId"]) == second.observation_id and (int(args["seriousCount"]), int(args["threshold"])) == (2, 2)
        page = http.get("/board/alerts?lang=en", headers={"cookie": f"dt_token={secret}"})
        assert page.status_code == 200
        row_start = page.text.index('<tr class="alert-AdverseReactionThresholdReached"')
        row = page.text[row_start:page.text.index("</tr>", row_start)]
        assert f'href="/board/batch/{batch_hex}' in row
        assert "reached the product&#39;s threshold" in row or "reached the product's threshold" in row
        assert page.text.count('class="alert-SeriousAdverseReactionReported"') >= 2  # each counted report too
        chinese = http.get("/board/alerts?lang=zh", headers={"cookie": f"dt_token={secret}"}).text
        row_start = chinese.index('<tr class="alert-AdverseReactionThresholdReached"')
        assert "严重不良反应达到该药品的预警阈值" in chinese[row_start:chinese.index("</tr>", row_start)]
