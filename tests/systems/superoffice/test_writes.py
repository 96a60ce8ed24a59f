"""Creates, updates, preconditions and deletes against the simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice.errors import PreconditionFailed
from sluice.systems.superoffice import SuperOfficeClient
from sluice.systems.superoffice.watermark import parse_timestamp


def test_create_update_delete_contact(so: SuperOfficeClient) -> None:
    created = so.create("contact", {"Name": "Sluice Testbolaget AB", "Department": "QA"})
    key = created["ContactId"]
    assert key > 0 and created["Name"] == "Sluice Testbolaget AB"
    patched = so.update("contact", key, {"Department": "Ops"})
    assert patched["Department"] == "Ops" and patched["Name"] == "Sluice Testbolaget AB"
    put = so.update("contact", key, {"Description": "via PUT"}, method="PUT")
    assert put["Description"] == "via PUT" and put["Department"] == "Ops"
    assert so.get_carrier("contact", key)["Description"] == "via PUT"  # type: ignore[index]
    assert so.delete("contact", key) is True
    assert key not in so.ids("contact")


def test_stale_update_raises_precondition_failed_and_changes_nothing(so: SuperOfficeClient) -> None:
    key = min(so.ids("contact"))
    before = so.get_carrier("contact", key)
    assert before is not None
    read_at = parse_timestamp(before["UpdatedDate"])
    assert read_at is not None
    so.update("contact", key, {"Department": "someone else"})  # another writer moves it on
    stale = read_at - timedelta(seconds=5)
    with pytest.raises(PreconditionFailed) as info:
        so.update("contact", key, {"Department": "mine"}, unmodified_since=stale)
    assert "412" in str(info.value)
    with pytest.raises(PreconditionFailed):
        so.update("contact", key, {"Department": "mine"}, unmodified_since=stale, method="PUT")
    assert so.get_carrier("contact", key)["Department"] == "someone else"  # type: ignore[index]


def test_sale_status_patch_and_product_put(so: SuperOfficeClient) -> None:
    sale = min(so.ids("sale"))
    assert so.set_sale_status(sale, "Stalled")["Status"] == "Stalled"
    assert so.get_carrier("sale", sale)["Status"] == "Stalled"  # type: ignore[index]
    product = min(so.ids("product"))
    updated = so.update("product", product, {"Description": "Updated by Sluice"})
    assert updated["Description"] == "Updated by Sluice"
    with pytest.raises(ValueError, match="PUT"):
        so.update("product", product, {"Name": "x"}, method="PATCH")


def test_delete_of_a_missing_record_is_false(so: SuperOfficeClient) -> None:
    assert so.delete("sale", 987654321) is False
