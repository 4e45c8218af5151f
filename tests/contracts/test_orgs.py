"""OrgRegistry state changes and their events (name + arguments): onboarding, accounts,
suspension/restoration, licences; and what a suspension does to the organisation's accounts."""

from __future__ import annotations

import pytest

from harness import DAY_MS, Reverted
from model import Kind
from world import Scene

Z32 = bytes(32)
H = b"\x61" * 32
H2 = b"\x62" * 32
NEW = b"\x62" * 32
ACCOUNT = "0x" + "63" * 20


def test_onboarding_events_and_views(scene: Scene) -> None:
    w = scene.w
    count = w.orgs.call("orgCount")
    r = w.orgs.transact("registerOrg", NEW, int(Kind.HOSPITAL), 110000, 123, H, sender=w.acct("prov"))
    assert w.all_events(r) == [("OrgRegistered", {"orgId": NEW, "kind": int(Kind.HOSPITAL), "region": 110000,
                                                   "seq": count + 1, "licenceExpiry": 123, "detailsHash": H,
                                                   "byOrgId": w.org("prov")})]
    assert w.orgs.call("getOrg", NEW) == (int(Kind.HOSPITAL), 1, 110000, count + 1, 123, H)
    assert w.orgs.call("orgIdBySeq", count + 1) == NEW
    r = w.orgs.transact("bindAccount", ACCOUNT, NEW, sender=w.acct("prov"))
    assert w.all_events(r) == [("AccountBound", {"account": ACCOUNT, "orgId": NEW, "byOrgId": w.org("prov")})]
    assert w.orgs.call("orgOf", ACCOUNT) == NEW
    with pytest.raises(Reverted) as info:
        w.orgs.transact("bindAccount", ACCOUNT, w.org("pharm"), sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryAccountAlreadyBound", (ACCOUNT, NEW))
    with pytest.raises(Reverted) as info:
        w.orgs.transact("registerOrg", NEW, int(Kind.HOSPITAL), 110000, 0, H, sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryOrgExists", (NEW,))
    r = w.orgs.transact("unbindAccount", ACCOUNT, sender=w.acct("nat"))
    assert w.all_events(r) == [("AccountUnbound", {"account": ACCOUNT, "orgId": NEW, "byOrgId": w.org("nat")})]
    assert w.orgs.call("orgOf", ACCOUNT) == Z32
    with pytest.raises(Reverted) as info:
        w.orgs.transact("unbindAccount", ACCOUNT, sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryUnknownAccount", (ACCOUNT,))


def test_suspension_blocks_every_account_of_the_org_and_restores(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    second = "0x" + "64" * 20
    w.orgs.transact("bindAccount", second, w.org("dist"), sender=w.acct("nat"))
    r = w.orgs.transact("suspendOrg", w.org("dist"), H, sender=w.acct("prov"))
    assert w.all_events(r) == [("OrgStatusChanged", {"orgId": w.org("dist"), "from": 1, "to": 2, "reasonHash": H,
                                                      "byOrgId": w.org("prov")})]
    for account in (w.acct("dist"), second):
        with pytest.raises(Reverted) as info:
            w.custody.transact("dispatch", b, w.org("pharm"), w.org("log"), 1, Z32, sender=account)
        assert (info.value.name, info.value.args_) == ("OrgRegistryOrgNotActive", (w.org("dist"), 2))
    # nobody can ship TO a suspended organisation either
    with pytest.raises(Reverted) as info:
        w.custody.transact("dispatch", b, w.org("dist"), w.org("log"), 1, Z32, sender=w.acct("man"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryOrgNotActive", (w.org("dist"), 2))
    with pytest.raises(Reverted) as info:
        w.orgs.transact("suspendOrg", w.org("dist"), H, sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryInvalidStatusChange", (w.org("dist"), 2, 2))
    r = w.orgs.transact("restoreOrg", w.org("dist"), H, sender=w.acct("nat"))
    assert w.all_events(r) == [("OrgStatusChanged", {"orgId": w.org("dist"), "from": 2, "to": 1, "reasonHash": H,
                                                      "byOrgId": w.org("nat")})]
    assert w.custody.transact("dispatch", b, w.org("pharm"), w.org("log"), 1, Z32, sender=second).output >= 1


def test_root_is_protected_and_licences_update(scene: Scene) -> None:
    w = scene.w
    with pytest.raises(Reverted) as info:
        w.orgs.transact("suspendOrg", w.org("nat"), H, sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistryRootProtected", (w.org("nat"),))
    with pytest.raises(Reverted) as info:
        w.orgs.transact("unbindAccount", w.acct("nat"), sender=w.acct("nat"))
    assert (info.value.name, info.value.args_) == ("OrgRegistrySelfUnbind", (w.acct("nat"),))
    assert w.orgs.call("rootOrg") == w.org("nat")
    r = w.orgs.transact("updateLicence", w.org("hosp"), 999, H, sender=w.acct("prov"))
    assert w.all_events(r) == [("OrgLicenceUpdated", {"orgId": w.org("hosp"), "licenceExpiry": 999,
                                                       "detailsHash": H, "byOrgId": w.org("prov")})]
    assert w.orgs.call("getOrg", w.org("hosp"))[4:] == (999, H)
    assert w.orgs.call("suite") == (w.drugs.address, w.custody.address, w.obs.address, w.recalls.address)


def test_root_licence_cannot_be_given_an_expiry(scene: Scene) -> None:
    """A lapsed root licence would lock the suite (nobody left to renew it, unpause or register):
    the root accepts only "no expiry"; its details hash may still change; others' expiries may."""
    w = scene.w
    root = w.org("nat")
    details_before = w.orgs.call("getOrg", root)[5]
    for expiry in (1, w.chain.timestamp_ms + DAY_MS, 2**64 - 1):
        with pytest.raises(Reverted) as info:
            w.orgs.transact("updateLicence", root, expiry, H, sender=w.acct("nat"))
        assert (info.value.name, info.value.args_) == ("OrgRegistryRootProtected", (root,))
    assert w.orgs.call("getOrg", root)[4:] == (0, details_before)
    with pytest.raises(Reverted) as info:  # a provincial regulator is outside its remit first
        w.orgs.transact("updateLicence", root, 1, H, sender=w.acct("prov"))
    assert info.value.name == "OrgRegistryOutsideRemit"
    r = w.orgs.transact("updateLicence", root, 0, H2, sender=w.acct("nat"))
    assert w.all_events(r) == [("OrgLicenceUpdated", {"orgId": root, "licenceExpiry": 0, "detailsHash": H2,
                                                       "byOrgId": root})]
    assert w.orgs.call("getOrg", root)[4:] == (0, H2)
    # years later the root still governs: pause/unpause and registrations work
    w.chain.set_time(w.chain.timestamp_ms + 20 * 365 * DAY_MS)
    w.orgs.transact("pause", sender=w.acct("nat"))
    w.orgs.transact("unpause", sender=w.acct("nat"))
    w.orgs.transact("registerOrg", b"\x77" * 32, 5, 110000, 0, H, sender=w.acct("nat"))
    assert w.orgs.call("getOrg", b"\x77" * 32)[0] == 5
