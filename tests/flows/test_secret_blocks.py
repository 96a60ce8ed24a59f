"""Secrets may come from Prefect Secret blocks when the worker's environment lacks them."""

from __future__ import annotations

import os

import pytest

from flows.secret_blocks import block_name, export_secret_blocks


def test_unset_secret_variables_are_filled_from_blocks_of_the_same_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SUPEROFFICE_CLIENT_SECRET", "from-env")
    blocks = {"sluice-customwebshop-api-key": "from-block", "sluice-superoffice-client-secret": "ignored"}
    filled = export_secret_blocks(blocks.get)
    assert filled == ["SLUICE_CUSTOMWEBSHOP_API_KEY"]
    assert os.environ["SLUICE_CUSTOMWEBSHOP_API_KEY"] == "from-block"
    assert os.environ["SLUICE_SUPEROFFICE_CLIENT_SECRET"] == "from-env"  # the environment wins
    monkeypatch.delenv("SLUICE_CUSTOMWEBSHOP_API_KEY")


def test_block_names_are_the_variables_in_kebab_case() -> None:
    assert block_name("SLUICE_SUPEROFFICE_PRIVATE_KEY") == "sluice-superoffice-private-key"
