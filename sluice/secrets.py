"""Secrets: values that must never reach a log, an artifact, a dead letter or an error.

Rule: a ``Secret`` hides its value from ``repr``/``str``/formatting; code that needs
the value asks for it with ``reveal()`` at the last moment (building a header).
"""

from __future__ import annotations

import os

from sluice.errors import ConfigError


class Secret:
    """A string that prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # pickles for Prefect, still never printed
        return (Secret, (self._value,))


def secret_from_env(name: str, *, required: bool = True, default: str | None = None) -> Secret | None:
    """Read a secret from the environment variable ``name``.

    Raises ConfigError naming the variable (never a value) when it is required and unset.
    """
    value = os.environ.get(name, default)
    if value is None or value == "":
        if required:
            raise ConfigError(f"the environment variable {name} is not set")
        return None
    return Secret(value)
