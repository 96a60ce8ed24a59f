"""``redact_url`` is what every error and log line passes URLs through: no password survives it."""

from __future__ import annotations

from sluice.systems.http import redact_url


def test_a_password_in_the_url_is_masked_and_the_rest_kept() -> None:
    url = "http://sluice:s3cret-pass@127.0.0.1:8001/Cust1/api/v1/Contact?$top=10"
    redacted = redact_url(url)
    assert "s3cret-pass" not in redacted
    assert redacted == "http://sluice:***@127.0.0.1:8001/Cust1/api/v1/Contact?$top=10"


def test_sensitive_query_values_and_a_password_are_both_masked() -> None:
    redacted = redact_url("https://u:pw@shop.example.com/x?access_token=abc&limit=5")
    assert "pw@" not in redacted and "abc" not in redacted
    assert "limit=5" in redacted


def test_a_plain_url_is_unchanged() -> None:
    assert redact_url("https://shop.example.com/api/v1/customers") == "https://shop.example.com/api/v1/customers"
