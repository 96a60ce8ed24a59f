"""``fit_rows``: the rows whose types do not fit are set aside with a reason that names no value."""

from __future__ import annotations

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.batch import fit_rows
from sluice.errors import DatasetError


def test_the_odd_row_out_is_set_aside_whatever_its_position() -> None:
    rows = [{"id": 1, "name": 12345, "phone": "1"}, {"id": 2, "name": "Bravo AS"}, {"id": 3, "name": "Charlie AS"}]
    fitted = fit_rows(rows, "company")
    assert [r.position for r in fitted.rejected] == [0]  # the majority decides, not the first row
    assert fitted.table.column("name").to_pylist() == ["Bravo AS", "Charlie AS"]
    [reject] = fitted.rejected
    assert "'name'" in reject.reason and "BIGINT" in reject.reason and "VARCHAR" in reject.reason
    assert "12345" not in reject.reason and "Bravo" not in reject.reason


def test_a_row_that_clashes_with_the_dataset_is_set_aside_even_alone() -> None:
    fitted = fit_rows([{"id": 7, "name": 5}], "company", {"id": "BIGINT", "name": "VARCHAR"})
    assert [r.position for r in fitted.rejected] == [0] and fitted.table.num_rows == 0
    assert "the dataset's type" in fitted.rejected[0].reason
    widened = fit_rows([{"id": 7, "name": "ok", "score": 1.5}], "company", {"id": "BIGINT", "score": "BIGINT"})
    assert widened.rejected == [] and widened.table.num_rows == 1  # a wider number is not a clash


def test_a_row_that_cannot_be_typed_at_all_names_its_field() -> None:
    fitted = fit_rows([{"id": 1, "tags": ["a", 2]}, {"id": 2, "tags": ["b"]}], "company")
    assert [(r.position, "'tags'" in r.reason) for r in fitted.rejected] == [(0, True)]


def test_a_store_write_of_clashing_dicts_names_the_row_not_another_rows_value(store: DatasetStore) -> None:
    rows = [{"id": 1, "name": "Hemmelig Kunde AS"}, {"id": 2, "name": "Også Hemmelig AS"}, {"id": 3, "name": 42}]
    with pytest.raises(DatasetError) as caught:
        store.write("company", rows, key="id")
    assert "row 2: column 'name'" in str(caught.value)
    assert "Hemmelig" not in str(caught.value) and "42" not in str(caught.value)


def test_a_full_write_spares_the_ids_it_was_told_to(store: DatasetStore, companies) -> None:
    store.write("company", companies(4), key="id", id_prefix="c")
    stats = store.write("company", companies(2), key="id", id_prefix="c", full=True, spare=frozenset({"c:3"}))
    assert stats.deleted == 1
    assert sorted(store.current_arrow("company").column("_id").to_pylist()) == ["c:0", "c:1", "c:3"]
