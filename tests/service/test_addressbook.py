"""The per-chain/group address book."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.drugtrace.addressbook import AddressBook, Deployment
from fisco_drugtrace.errors import AddressBookError


def test_put_then_get_per_chain_and_group(tmp_path) -> None:
    book = AddressBook.in_home(tmp_path)
    dep = Deployment("chain0", "group0", {"OrgRegistry": "0x" + "11" * 20}, block_number=3, deployer="0xab")
    book.put(dep)
    book.put(Deployment("chain0", "group1", {"OrgRegistry": "0x" + "22" * 20}))
    assert book.get("chain0", "group0") == dep
    assert book.get("chain0", "group1").address("OrgRegistry") == "0x" + "22" * 20
    assert {d.group_id for d in book.all()} == {"group0", "group1"}
    assert json.loads((tmp_path / "addressbook.json").read_text())["version"] == 1


def test_missing_deployment_and_contract_raise(tmp_path) -> None:
    book = AddressBook.in_home(tmp_path)
    with pytest.raises(AddressBookError) as info:
        book.get(1, 1)
    assert info.value.user_message and "contracts attach" in info.value.user_message
    assert "contracts deploy" not in info.value.user_message  # a newcomer must not start a parallel suite
    book.put(Deployment("1", "1", {}))
    with pytest.raises(AddressBookError):
        book.get(1, 1).address("RecallManager")


def test_unreadable_book_raises(tmp_path) -> None:
    (tmp_path / "addressbook.json").write_text("{not json")
    with pytest.raises(AddressBookError):
        AddressBook.in_home(tmp_path).find("a", "b")
