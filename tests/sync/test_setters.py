"""``apply_setters``: the body every flow's ``write_back`` shares (one setter per field going back)."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.errors import PermanentError
from sluice.sync.dataflow import apply_setters


def _name(carrier: dict[str, Any], value: Any, prefix: str = "") -> None:
    carrier["Name"] = prefix + str(value)


def _phone(carrier: dict[str, Any], value: Any, prefix: str = "") -> None:
    carrier["Phones"][0]["Value"] = str(value)


def test_each_field_goes_through_its_setter_into_a_copy() -> None:
    carrier = {"Name": "Old", "Phones": [{"Value": "1"}], "Other": 7}
    updated = apply_setters(carrier, {"name": "New", "phone": "2"}, {"name": _name, "phone": _phone})
    assert updated == {"Name": "New", "Phones": [{"Value": "2"}], "Other": 7}
    assert carrier == {"Name": "Old", "Phones": [{"Value": "1"}], "Other": 7}  # a deep copy: the pull is untouched


def test_extra_arguments_reach_every_setter() -> None:
    assert apply_setters({"Name": ""}, {"name": "AS"}, {"name": _name}, "Firma ")["Name"] == "Firma AS"


def test_a_field_without_a_setter_is_a_permanent_error_naming_it() -> None:
    with pytest.raises(PermanentError, match="'email' is not written back"):
        apply_setters({"Name": ""}, {"name": "x", "email": "a@b.no"}, {"name": _name})
