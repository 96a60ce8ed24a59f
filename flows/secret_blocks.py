"""Secrets from Prefect Secret blocks, for deployments whose workers have no ``SLUICE_*`` variables.

Rule: the environment wins; a variable it lacks is looked up once as the Secret block of the
same name in kebab case (``SLUICE_SUPEROFFICE_CLIENT_SECRET`` -> block ``sluice-superoffice-client-secret``,
``AWS_SECRET_ACCESS_KEY`` -> ``aws-secret-access-key`` for an ``s3://`` dataset root)
and handed to the engine through the process environment. Values are never logged: only which
variables came from blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable

SECRET_VARIABLES = (
    "SLUICE_SUPEROFFICE_CLIENT_SECRET",
    "SLUICE_SUPEROFFICE_REFRESH_TOKEN",
    "SLUICE_SUPEROFFICE_SYSTEM_USER_TOKEN",
    "SLUICE_SUPEROFFICE_PRIVATE_KEY",
    "SLUICE_SUPEROFFICE_TICKET",
    "SLUICE_SUPEROFFICE_PASSWORD",
    "SLUICE_CUSTOMWEBSHOP_API_KEY",
    # An s3:// dataset root's credentials (boto3 and pyarrow read these variables): workers need no AWS profile.
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def block_name(variable: str) -> str:
    return variable.lower().replace("_", "-")


def _load_block(name: str) -> str | None:
    from prefect.blocks.system import Secret

    try:
        return Secret.load(name, _sync=True).get()
    except ValueError:  # no such block
        return None


def export_secret_blocks(load: Callable[[str], str | None] = _load_block) -> list[str]:
    """Fill unset secret variables from Prefect Secret blocks; returns the variables that were filled."""
    filled = []
    for variable in SECRET_VARIABLES:
        if os.environ.get(variable):
            continue
        value = load(block_name(variable))
        if value:
            os.environ[variable] = value
            filled.append(variable)
    return filled
