"""The flow registry: flows discovered from ``pipes/<flow>/flow.py``, checked at load, run in reference order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sluice.config import load_config
from sluice.errors import ConfigError
from sluice.project import Project
from sluice.sync.registry import FlowRegistry, load_flows

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A copy of this project's sluice.toml and pipes, to break on purpose."""
    shutil.copy(REPO / "sluice.toml", tmp_path / "sluice.toml")
    shutil.copytree(REPO / "pipes", tmp_path / "pipes")
    return tmp_path


def load(project_dir: Path) -> FlowRegistry:
    config = load_config(project_dir, datasets=project_dir / "datasets")
    return load_flows(config.pipes, config.flows)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_the_contact_flow_is_declared_once_and_resolved_from_its_pipe_header(project_dir: Path) -> None:
    flow = load(project_dir).flows["contact_customer"]
    assert (flow.a_system, flow.a_entity, flow.b_system, flow.b_entity) == (
        "superoffice", "contact", "customwebshop", "customers",
    )  # fmt: skip
    one_way = {f.name for f in flow.fields if not f.to_a}
    assert one_way == {"active", "shipping_address.country_code", "external_refs.superoffice_contact_id"}
    assert {f.name: f.follows for f in flow.fields if f.follows} == {
        "shipping_address.country_code": "billing_address.country_code"
    }
    assert flow.sources == ("superoffice_contact", "customwebshop_customer")
    assert flow.ref_key == "superoffice_contact_id"
    assert flow.outputs == ("link_contact_customer", "agreed_contact_customer")


def test_a_field_going_back_without_a_setter_is_a_one_line_config_error(project_dir: Path) -> None:
    edit(project_dir / "pipes/contact_customer/superoffice.sql", "    direction: to shop only\n    description: A deac",
         "    description: A deac")  # fmt: skip
    with pytest.raises(ConfigError, match=r"field 'active' goes back to superoffice.contact but has no setter") as e:
        load(project_dir)
    assert "\n" not in str(e.value)


def test_only_a_one_way_field_may_follow_and_only_a_two_way_one(project_dir: Path) -> None:
    pipe = project_dir / "pipes/contact_customer/superoffice.sql"
    edit(pipe, "follows: billing_address.country_code", "follows: active")
    with pytest.raises(ConfigError, match=r"'shipping_address.country_code' follows 'active'; only a 'to shop only'"):
        load(project_dir)


def test_a_missing_side_pipe_is_a_config_error(project_dir: Path) -> None:
    (project_dir / "pipes/contact_customer/customwebshop.sql").unlink()
    with pytest.raises(ConfigError, match=r"no pipe pipes/contact_customer/customwebshop.sql for side b"):
        load(project_dir)


def test_an_unknown_dataset_is_a_config_error_naming_file_and_line(project_dir: Path) -> None:
    edit(project_dir / "pipes/contact_customer/customwebshop.sql", "FROM customwebshop_customer AS s",
         "FROM customwebshop_customr AS s")  # fmt: skip
    with pytest.raises(ConfigError, match=r"customwebshop.sql:\d+: unknown dataset 'customwebshop_customr'"):
        load(project_dir)


def test_an_unknown_entity_and_an_unknown_toml_table_are_config_errors(project_dir: Path) -> None:
    edit(project_dir / "sluice.toml", "[flows.contact_customer]", "[flows.contact_custommer]")
    with pytest.raises(ConfigError, match=r"\[flows.contact_custommer\]: no flow"):
        load(project_dir)
    edit(project_dir / "sluice.toml", "[flows.contact_custommer]", "[flows.contact_customer]\nprice_list = 3")
    with pytest.raises(ConfigError, match=r"\[flows.contact_customer\]: unknown settings \['price_list'\]"):
        load(project_dir)


def copy_flow(project_dir: Path, name: str, reads: str | None = None) -> None:
    """A second flow, a copy of the contact flow whose shop pipe also reads ``reads``."""
    shutil.copytree(project_dir / "pipes/contact_customer", project_dir / f"pipes/{name}")
    if reads:
        edit(project_dir / f"pipes/{name}/customwebshop.sql", "FROM shop\n",
             f"FROM shop\nWHERE j->>'id' NOT IN (SELECT b_id FROM {reads})\n  AND 1 = 1\n")  # fmt: skip
        edit(project_dir / f"pipes/{name}/customwebshop.sql", "  AND 1 = 1\nWHERE", "  AND")


def test_flows_run_after_the_flows_whose_links_they_read(project_dir: Path) -> None:
    copy_flow(project_dir, "a_first_by_name", reads="link_contact_customer")
    registry = load(project_dir)
    assert registry.names == [
        "contact_customer",
        "a_first_by_name",
        "product_product",
        "sale_order",
        "quoteline_orderline",
    ]  # else by name
    assert registry.flows["a_first_by_name"].references == ("contact_customer",)
    assert "link_contact_customer" in registry.outputs()
    project = Project.open(project_dir, datasets=project_dir / "datasets")
    steps = [(s.kind, s.names) for s in project.steps(["a_first_by_name", "contact_customer"])]
    assert steps[-4:] == [
        ("pipes", ("contact_customer_superoffice", "contact_customer_customwebshop")),
        ("flow", ("contact_customer",)),  # commits its links before the pipes that read them run
        ("pipes", ("a_first_by_name_superoffice", "a_first_by_name_customwebshop")),
        ("flow", ("a_first_by_name",)),
    ]


def test_pipes_no_flow_needs_run_first_or_after_the_flows_when_they_read_links(project_dir: Path) -> None:
    (project_dir / "pipes/reports").mkdir()
    (project_dir / "pipes/reports/linked.sql").write_text("SELECT a_id AS _id, b_id FROM link_contact_customer\n")
    (project_dir / "pipes/reports/names.sql").write_text("SELECT _id, Name FROM superoffice_contact\n")
    project = Project.open(project_dir, datasets=project_dir / "datasets")
    steps = [(s.kind, s.names) for s in project.steps(["contact_customer"])]
    assert steps[2:] == [
        ("pipes", ("contact_customer_superoffice", "contact_customer_customwebshop", "reports_names")),
        ("flow", ("contact_customer",)),
        ("pipes", ("reports_linked",)),
    ]


def test_a_cycle_of_flows_is_a_config_error(project_dir: Path) -> None:
    copy_flow(project_dir, "other", reads="link_contact_customer")
    edit(project_dir / "pipes/contact_customer/customwebshop.sql", "FROM shop\nWHERE",
         "FROM shop\nWHERE j->>'id' NOT IN (SELECT b_id FROM agreed_other) AND")  # fmt: skip
    with pytest.raises(ConfigError, match=r"cycle: contact_customer -> other -> contact_customer"):
        load(project_dir)


def test_a_sync_run_is_pulls_then_each_flow_after_its_pipes(project_dir: Path) -> None:
    project = Project.open(project_dir, datasets=project_dir / "datasets")
    steps = [(s.kind, s.names) for s in project.steps(project.flow_names())]
    assert steps == [
        ("pull", ("superoffice_contact",)),
        ("pull", ("customwebshop_customer",)),
        ("pipes", ("contact_customer_superoffice", "contact_customer_customwebshop")),
        ("flow", ("contact_customer",)),
    ]  # the disabled product flow's pipes do not run
    both = [(s.kind, s.names) for s in project.steps(["product_product", "contact_customer"])]
    assert both[-3:] == [
        ("pipes", ("contact_customer_superoffice", "contact_customer_customwebshop",
                   "product_product_superoffice", "product_product_customwebshop")),
        ("flow", ("contact_customer",)),
        ("flow", ("product_product",)),
    ]  # fmt: skip
    orders = [(s.kind, s.names) for s in project.steps(["sale_order", "contact_customer"])]
    assert orders[-3:] == [
        ("flow", ("contact_customer",)),  # the order pipe reads its links: it runs after they are committed
        ("pipes", ("sale_order_superoffice", "sale_order_customwebshop")),
        ("flow", ("sale_order",)),
    ]


def test_adding_a_flow_touches_only_its_folder_and_one_toml_table(project_dir: Path) -> None:
    copy_flow(project_dir, "second")
    (project_dir / "sluice.toml").write_text((project_dir / "sluice.toml").read_text() + "\n[flows.second]\n")
    project = Project.open(project_dir, datasets=project_dir / "datasets")
    assert project.flow_names() == ["contact_customer", "second"]  # product_product is disabled in sluice.toml
    assert project.flow("second").a_dataset == "second_superoffice"


def test_a_flow_may_ship_disabled_until_its_table_enables_it(project_dir: Path) -> None:
    """The product flow needs a price-list decision: without ``enabled`` in its table it does not run."""
    toml = project_dir / "sluice.toml"
    text = toml.read_text()
    start = text.index("[flows.product_product]")
    toml.write_text(text[:start] + text[text.index("[schedules]") :])  # no product table at all
    assert Project.open(project_dir, datasets=project_dir / "d").flow_names() == ["contact_customer"]
    toml.write_text(toml.read_text() + "\n[flows.product_product]\nenabled = true\n")
    assert Project.open(project_dir, datasets=project_dir / "d").flow_names() == ["contact_customer", "product_product"]
