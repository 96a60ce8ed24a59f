"""The write-back setters against the pipe they invert: a carrier the setters wrote, read back by
``pipes/contact_customer/superoffice.sql``, shows exactly the values written, for every field written
back, clears included; and the elements of a list the shop does not see are never touched.

Hypothesis runs the pipe's SQL unchanged in DuckDB over carriers fetched from the SuperOffice
simulator and edited by the setters; the slow test takes the whole real path (the sink's PUT over
HTTP, a pull into Parquet, the pipe run by the engine).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.sync.engine import load_side
from sluice.sync.merge import flatten
from sluice.sync.model import Change
from sluice.sync.registry import import_flow
from sluice.sync.targets import SuperOfficeSink
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import Systems, start_systems

REPO = Path(__file__).resolve().parents[2]
FLOW = import_flow(REPO / "pipes" / "contact_customer" / "flow.py")
COUNTRY_IDS, SETTERS, Lookups, apply_to_contact = FLOW.COUNTRY_IDS, FLOW.SETTERS, FLOW.Lookups, FLOW.apply_to_contact
PIPE_SQL = (REPO / "pipes/contact_customer/superoffice.sql").read_text(encoding="utf-8")
CATEGORIES = {"Customer": 1, "Prospect": 2, "Partner": 3}  # the simulator's category list
LISTS = {"email": "Emails", "phone": "Phones", "website": "Urls"}
TEXTS = sorted(set(SETTERS) - {"billing_address.country_code", "customer_group", "accepts_marketing"})


@pytest.fixture(scope="module")
def carriers() -> Iterator[list[dict[str, Any]]]:
    """A few real ``ContactEntity`` carriers, as the SuperOffice client reads them (noise stripped)."""
    simulator = SuperOfficeSimulator(contacts=6, seed=3, auth="basic")
    server = ServerThread(simulator.app).start()
    try:
        client = SuperOfficeClient(
            f"{server.url}/{simulator.tenant}", BasicAuth(DEMO.username, Secret(DEMO.password)), workers=1
        )
        with client:
            found = [client.get_carrier("contact", key) for key in sorted(client.ids("contact"))]
        yield [c for c in found if c is not None]
    finally:
        server.stop()


def pipe_output(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The pipe over these carriers, as the sync loads it: flat fields per ContactId."""
    con = duckdb.connect(":memory:")
    try:
        con.register("superoffice_contact", pa.Table.from_pylist(rows))
        out = con.sql(PIPE_SQL).to_arrow_table().to_pylist()
    finally:
        con.close()
    return {row["_id"]: flatten({k: v for k, v in row.items() if not k.startswith(("_", "sync_"))}) for row in out}


def blank(element: dict[str, Any]) -> bool:
    return not (element.get("Value") or "").strip()


# -- what the merge hands the setters: trimmed texts, or None for a clear ----------------------------

text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30).map(str.strip)
cleared_or_text = st.one_of(st.none(), st.just(""), text)
element = st.fixed_dictionaries(
    {"Value": st.one_of(st.just(""), text), "StrippedValue": st.just(""), "Description": st.sampled_from(["", "Main"])}
)
field_values = {
    **{name: cleared_or_text for name in TEXTS},
    "billing_address.country_code": st.sampled_from(sorted(COUNTRY_IDS)) | st.none(),
    "customer_group": st.sampled_from(sorted(CATEGORIES)) | st.none(),
    "accepts_marketing": st.booleans(),
}
changes = st.fixed_dictionaries({}, optional=field_values)


@settings(max_examples=120, deadline=None)
@given(
    pick=st.integers(0, 5),
    lists=st.fixed_dictionaries({}, optional={name: st.lists(element, max_size=3) for name in LISTS.values()}),
    edit=changes,
)
def test_the_pipe_reads_back_what_the_setters_wrote(carriers, pick, lists, edit) -> None:
    """Every field written back reads back as written (a clear as empty), whatever the carrier held."""
    original = copy.deepcopy(carriers[pick % len(carriers)])
    original.update(copy.deepcopy(lists))
    updated = apply_to_contact(original, edit, Lookups(CATEGORIES))
    rows = [updated if c["ContactId"] == original["ContactId"] else c for c in carriers]
    shown = pipe_output(rows)[str(original["ContactId"])]

    for name, value in edit.items():
        assert shown[name] == (value if value not in ("", None) else None), name
    if "billing_address.country_code" in edit:  # one country per contact: the shipping one follows
        assert shown["shipping_address.country_code"] == shown["billing_address.country_code"]
    before = pipe_output([original if c["ContactId"] == original["ContactId"] else c for c in carriers])
    untouched = set(shown) - set(edit) - {"shipping_address.country_code"}
    assert {k: shown[k] for k in untouched} == {k: before[str(original["ContactId"])][k] for k in untouched}


@settings(max_examples=80, deadline=None)
@given(
    field=st.sampled_from(sorted(LISTS)),
    elements=st.lists(element, max_size=4),
    value=cleared_or_text,
    pick=st.integers(0, 5),
)
def test_a_list_setter_touches_only_the_element_the_shop_sees(carriers, field, elements, value, pick) -> None:
    """Edits and clears land on the first element; every other filled element keeps its place and content."""
    original = {**copy.deepcopy(carriers[pick % len(carriers)]), LISTS[field]: copy.deepcopy(elements)}
    written = apply_to_contact(original, {field: value}, Lookups())[LISTS[field]]
    for position, old in enumerate(elements[1:], start=1):
        if not blank(old):
            assert written[position] == old
    if written:
        assert not blank(written[-1])  # no empty element left dangling at the end
    if elements and written:
        assert written[0]["Description"] == elements[0]["Description"]  # the element keeps what it is
    if value:
        assert written[0]["Value"] == value
    else:
        assert not written or blank(written[0])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Systems, Project]]:
    systems, _ = start_systems(contacts=20, customers=3)
    try:
        with systems.project(tmp_path / "datasets") as project:
            yield systems, project
    finally:
        systems.stop()


@pytest.mark.slow
@pytest.mark.parametrize("clear", [False, True], ids=["set", "clear"])
def test_every_written_field_round_trips_through_superoffice_and_the_pipe(
    live: tuple[Systems, Project], clear: bool
) -> None:
    """The real path: the sink PUTs the carrier over HTTP, a pull stores it in Parquet, the engine runs the pipe."""
    systems, project = live
    project.pull("superoffice_contact")
    contact_id = "15"
    systems.edit_contact(
        contact_id,
        Phones=[
            {"Value": "+47 22 00 00 01", "StrippedValue": "4722000001", "Description": "Main"},
            {"Value": "+47 22 00 00 02", "StrippedValue": "4722000002", "Description": "Mobile"},
        ],
    )
    written: dict[str, Any] = {
        "company_name": "Tilbakeskrevet AS",
        "organization_number": "987654321",
        "department": "Økonomi",
        "email": "faktura@tilbake.example",
        "phone": "+47 99 88 77 66",
        "website": "https://tilbake.example",
        "billing_address.line1": "Postboks 42",
        "billing_address.line2": "Avd. Regnskap",
        "billing_address.postal_code": "0101",
        "billing_address.city": "Oslo",
        "billing_address.country_code": "SE",
        "shipping_address.line1": "Lagerveien 7",
        "shipping_address.line2": "Port 3",
        "shipping_address.postal_code": "2000",
        "shipping_address.city": "Lillestrøm",
        "customer_group": "Partner",
        "accepts_marketing": False,
        "note": "Ringer før levering: 🚚",
    }
    if clear:
        written = {name: (False if name == "accepts_marketing" else None) for name in written}
    sink = SuperOfficeSink(
        project.client("superoffice"), "contact", lambda c, f: apply_to_contact(c, f, Lookups(CATEGORIES))
    )
    [outcome] = sink.push([Change("update", "a", contact_id, None, written)])
    assert outcome.ok, outcome.error

    for dataset in ("superoffice_contact", "customwebshop_customer"):
        project.pull(dataset)
    project.run_pipes()
    shown = load_side(project.store, "contact_customer_superoffice")[contact_id].fields
    assert {name: shown[name] for name in written} == written
    assert shown["shipping_address.country_code"] == shown["billing_address.country_code"]
    second_phone = [(e["Value"], e["Description"]) for e in systems.contact(contact_id)["Phones"][1:]]
    assert second_phone == [("+47 22 00 00 02", "Mobile")]  # the number the shop never saw is untouched
