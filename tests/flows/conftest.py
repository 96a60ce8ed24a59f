"""One Prefect test server for every Prefect test (it takes 20-60 s to start on a busy machine).

The harness runs a temporary server on a throwaway SQLite database under a throwaway
PREFECT_HOME, so tests never touch a developer's Prefect profile or .demo/prefect.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.demo import environment

PREFECT_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The harness's API URL; every flow run and client call in the session goes there."""
    home = tmp_path_factory.mktemp("prefect-home")
    with environment({**PREFECT_ENV, "PREFECT_HOME": str(home)}):
        from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
        from prefect.testing.utilities import prefect_test_harness

        with temporary_settings(updates={PREFECT_HOME: Path(home)}), prefect_test_harness(server_startup_timeout=180):
            yield str(PREFECT_API_URL.value())
