"""The project facade: one sync of a dataset root at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.errors import ConfigError
from sluice.project import Project, SyncBusyError

REPO = Path(__file__).resolve().parents[1]


def test_a_second_sync_of_the_same_root_waits_then_fails_clearly(tmp_path: Path) -> None:
    first, second = Project.open(REPO, datasets=tmp_path), Project.open(REPO, datasets=tmp_path)
    with first.sync_lock(), pytest.raises(SyncBusyError, match="another sync"), second.sync_lock(timeout=0.1):
        pass
    with second.sync_lock(timeout=0.1):  # released when the first finished
        pass


def test_syncs_of_different_roots_do_not_wait_for_each_other(tmp_path: Path) -> None:
    a, b = Project.open(REPO, datasets=tmp_path / "a"), Project.open(REPO, datasets=tmp_path / "b")
    with a.sync_lock(), b.sync_lock(timeout=0.1):
        pass


def test_system_urls_may_come_from_sluice_toml_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sluice.toml").write_text(
        '[systems.superoffice]\nurl = "https://online.superoffice.com/Cust999"\nauth = "basic"\n'
        '[systems.customwebshop]\nurl = "https://shop.example"\n'
    )
    monkeypatch.setenv("SLUICE_SUPEROFFICE_USERNAME", "u")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_PASSWORD", "p")
    monkeypatch.setenv("SLUICE_CUSTOMWEBSHOP_API_KEY", "k")
    project = Project.open(tmp_path)
    assert project.client("superoffice").base_url == "https://online.superoffice.com/Cust999/api/v1"
    assert project.client("customwebshop").root_url == "https://shop.example"
    monkeypatch.setenv("SLUICE_CUSTOMWEBSHOP_URL", "https://other.example")
    assert Project.open(tmp_path).client("customwebshop").root_url == "https://other.example"


def test_a_missing_shop_key_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    (tmp_path / "sluice.toml").write_text('[systems.customwebshop]\nurl = "https://shop.example"\n')
    with pytest.raises(ConfigError, match="SLUICE_CUSTOMWEBSHOP_API_KEY"):
        _ = Project.open(tmp_path).client("customwebshop")


def test_the_shop_batch_size_comes_from_sluice_toml_and_survives_an_environment_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sluice.toml").write_text('[systems.customwebshop]\nurl = "https://shop.example"\nbatch_size = 7\n')
    monkeypatch.setenv("SLUICE_CUSTOMWEBSHOP_URL", "https://other.example")
    shop = Project.open(tmp_path).config.system("customwebshop")
    assert (shop.url, shop.batch_size) == ("https://other.example", 7)


@pytest.mark.parametrize("size", [0, 101, "10", True])
def test_a_batch_size_outside_1_to_100_is_a_config_error(tmp_path: Path, size: object) -> None:
    value = f'"{size}"' if isinstance(size, str) else str(size).lower()
    (tmp_path / "sluice.toml").write_text(f"[systems.customwebshop]\nbatch_size = {value}\n")
    with pytest.raises(ConfigError, match="batch_size must be a whole number 1-100"):
        Project.open(tmp_path)


def test_an_s3_root_stays_a_url_from_sluice_toml_the_environment_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluice.config import load_config

    monkeypatch.delenv("SLUICE_DATASETS", raising=False)
    (tmp_path / "sluice.toml").write_text('[paths]\ndatasets = "s3://acme/prod/datasets"\n')
    assert load_config(tmp_path).datasets == "s3://acme/prod/datasets"
    monkeypatch.setenv("SLUICE_DATASETS", "s3://acme/staging/")
    assert load_config(tmp_path).datasets == "s3://acme/staging/"
    assert load_config(tmp_path, Path("s3://acme/cli")).datasets == "s3://acme/cli"  # --root, folded by Path
    assert load_config(tmp_path, "relative").datasets == tmp_path / "relative"
    with pytest.raises(ConfigError, match="only local folders and s3://"):
        load_config(tmp_path, "gs://acme/datasets")
