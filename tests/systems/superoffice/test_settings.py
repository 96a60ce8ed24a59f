from __future__ import annotations

from pathlib import Path

import pytest

from sluice.errors import ConfigError
from sluice.secrets import Secret
from sluice.systems.superoffice.settings import SuperOfficeSettings, api_url, context_identifier, login_root


def test_urls_follow_the_tenant_url_as_superoffice_gives_it() -> None:
    for url in ("https://online.superoffice.com/Cust12345", "https://online.superoffice.com/Cust12345/api/v1/"):
        assert api_url(url) == "https://online.superoffice.com/Cust12345/api/v1"
        assert context_identifier(url) == "Cust12345"
        assert login_root(url) == "https://online.superoffice.com"
    assert login_root("https://online2.superoffice.com/Cust1", "https://online.superoffice.com/") == (
        "https://online.superoffice.com"
    )


def test_from_env_reads_every_variable_and_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SUPEROFFICE_URL", "https://sod.superoffice.com/Cust1")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_CLIENT_ID", "app-id")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_CLIENT_SECRET", "very-secret-value")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_REFRESH_TOKEN", "refresh-secret-value")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_LOGIN_URL", "https://login.example/")
    settings = SuperOfficeSettings.from_env()
    assert settings.auth == "oauth"
    assert settings.client_secret == Secret("very-secret-value")
    assert settings.login_root == "https://login.example"
    assert "secret-value" not in repr(settings)


def test_missing_credentials_name_the_variables_not_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SUPEROFFICE_URL", "https://sod.superoffice.com/Cust1")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_AUTH", "system_user")
    monkeypatch.setenv("SLUICE_SUPEROFFICE_CLIENT_SECRET", "very-secret-value")
    with pytest.raises(ConfigError) as info:
        SuperOfficeSettings.from_env()
    message = str(info.value)
    assert "SLUICE_SUPEROFFICE_SYSTEM_USER_TOKEN" in message and "SLUICE_SUPEROFFICE_PRIVATE_KEY" in message
    assert "very-secret-value" not in message


def test_bad_url_and_unknown_auth_kind_fail_at_start() -> None:
    with pytest.raises(ConfigError, match="http"):
        SuperOfficeSettings(url="online.superoffice.com/Cust1", auth="ticket", ticket=Secret("t"))
    with pytest.raises(ConfigError, match="auth must be one of"):
        SuperOfficeSettings(url="https://x/Cust1", auth="magic")
    with pytest.raises(ConfigError, match="SLUICE_SUPEROFFICE_URL"):
        SuperOfficeSettings.from_env({})


def test_private_key_is_read_from_a_file_or_taken_as_pem(tmp_path: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    path = tmp_path / "key.pem"
    path.write_text(pem)
    env = {
        "SLUICE_SUPEROFFICE_URL": "https://sod.superoffice.com/Cust1",
        "SLUICE_SUPEROFFICE_AUTH": "system_user",
        "SLUICE_SUPEROFFICE_CLIENT_SECRET": "s",
        "SLUICE_SUPEROFFICE_SYSTEM_USER_TOKEN": "App-123",
        "SLUICE_SUPEROFFICE_PRIVATE_KEY": str(path),
    }
    assert SuperOfficeSettings.from_env(env).private_key == Secret(pem)
    env["SLUICE_SUPEROFFICE_PRIVATE_KEY"] = pem.replace("\n", "\\n")
    assert SuperOfficeSettings.from_env(env).private_key == Secret(pem)
    env["SLUICE_SUPEROFFICE_PRIVATE_KEY"] = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="PRIVATE_KEY"):
        SuperOfficeSettings.from_env(env)
