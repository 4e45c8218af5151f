"""The standard scene is what conftest.py says it is (guards every other test's assumptions)."""

from world import Scene
from model import Kind, State


def test_scene_holdings_and_states(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    assert w.product_state(scene.product) == State.LISTED
    assert w.batch_state(b.batch_id) == State.LISTED
    assert [w.holding(b.batch_id, n) for n in ("man", "dist", "pharm", "hosp")] == [(24, 0), (20, 0), (10, 0), (10, 0)]
    assert w.drugs.call("getBatch", b.batch_id)[7] == b.tree.root
    for name, actor in w.actors.items():
        kind, status, region, *_ = w.orgs.call("getOrg", actor.org_id)
        assert (Kind(kind), status, region) == (actor.kind, 1, actor.region), name
        assert w.orgs.call("orgOf", actor.account) == actor.org_id


def test_snapshot_isolation_part_one(scene: Scene) -> None:
    scene.w.stop_batch(scene.batch.batch_id)
    scene.w.chain.advance(5_000)
    assert scene.w.batch_state(scene.batch.batch_id) == State.STOPPED


def test_snapshot_isolation_part_two(scene: Scene) -> None:
    # Runs after part one in file order: the stop must have been rolled back, time too.
    assert scene.w.batch_state(scene.batch.batch_id) == State.LISTED
    assert scene.w.chain.timestamp_ms == scene.start_ms
    scene.w.stop_batch(scene.batch.batch_id)
    assert scene.w.drugs.call("getBatch", scene.batch.batch_id)[6] == scene.start_ms  # block env restored too
