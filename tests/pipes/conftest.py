"""Pipe fixtures, small and chained: ``store(dataset_root)``, ``pipes_dir(tmp_path)``, ``write_pipe``, row factories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore
from sluice.pipes import PipeEngine

REPO = Path(__file__).resolve().parents[2]
REPO_PIPES = REPO / "pipes"


@pytest.fixture
def store(dataset_root: Path) -> DatasetStore:
    with DatasetStore(dataset_root) as store:
        yield store


@pytest.fixture
def pipes_dir(tmp_path: Path) -> Path:
    path = tmp_path / "pipes"
    path.mkdir()
    return path


@pytest.fixture
def write_pipe(pipes_dir: Path) -> Callable[[str, str], Path]:
    """``write_pipe("crm/contact.sql", sql)`` writes a pipe file (folders made as needed)."""

    def write(rel: str, sql: str) -> Path:
        path = pipes_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
        return path

    return write


@pytest.fixture
def engine(pipes_dir: Path, store: DatasetStore) -> PipeEngine:
    return PipeEngine(pipes_dir, store)


def contact(contact_id: int, **changes: Any) -> dict[str, Any]:
    """A ``superoffice_contact`` row shaped like a ContactEntity carrier (PascalCase, nested)."""
    row: dict[str, Any] = {
        "_id": str(contact_id),
        "ContactId": contact_id,
        "Name": f"Company {contact_id} AS",
        "OrgNr": f"9{contact_id:08d}",
        "Department": "",
        "Description": "",
        "Emails": [{"Value": f"post{contact_id}@example.no", "StrippedValue": "", "Description": ""}],
        "Phones": [{"Value": "+47 22 00 00 00", "StrippedValue": "4722000000", "Description": ""}],
        "Urls": [],
        "Address": {
            "Postal": {"Address1": f"Postboks {contact_id}", "Address2": "", "City": "Oslo", "Zipcode": "0101"},
            "Street": {"Address1": "Storgata 1", "Address2": "", "City": "Oslo", "Zipcode": "0155"},
        },
        "Country": {"CountryId": 578, "Name": "Norway", "TwoLetterISOCountry": "NO"},
        "Category": {"Id": 1, "Value": "Customer"},
        "NoMailing": False,
        "Deleted": 0,
        "UpdatedDate": "2026-11-20T10:00:00Z",
    }
    row.update(changes)
    return row


def contacts(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [contact(i) for i in range(start, start + n)]
