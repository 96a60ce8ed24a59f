"""The project configuration: ``sluice.toml`` says what to sync; the environment overrides it.

Rule: configuration holds no secrets. Credentials are read from the environment by each
system's settings (see ``docs/superoffice.md`` and ``docs/customwebshop.md``) or from Prefect
Secret blocks named here. Imports nothing from Sluice but its errors.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sluice.errors import ConfigError

CONFIG_FILE = "sluice.toml"


@dataclass(frozen=True)
class SystemConfig:
    """One external system: where it is, how hard Sluice may push it."""

    url: str | None = None
    auth: str | None = None
    rate_limit: float | None = None
    concurrency: int = 4
    batch_size: int = 100
    """Shop creates per batch request (at most 100); 1 sends one request per record."""


ON_TARGET_DELETED = ("close", "recreate")


@dataclass(frozen=True)
class FlowConfig:
    """Per-flow policies: which side wins ties, the sinks' circuit breakers, and what a SuperOffice edit does
    after its shop record was deleted (``close``: reported and dropped; ``recreate``: a new shop record).
    ``options`` holds the settings a flow declares for itself (the flow registry checks them)."""

    enabled: bool | None = None  # None: as the flow declares (a flow may ship disabled)
    tie_winner: str = "superoffice"
    max_update_share: float = 0.5
    max_deactivate_share: float = 0.2
    min_target: int = 20
    on_target_deleted: Literal["close", "recreate"] = "close"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedules:
    """Deployment schedules: an incremental sync every few minutes, a full one nightly."""

    incremental_seconds: int = 300
    full_cron: str = "0 2 * * *"
    timezone: str = "UTC"


@dataclass(frozen=True)
class Config:
    project_dir: Path
    datasets: Path | str
    """A folder, or ``s3://bucket/prefix`` kept as text (a ``Path`` would fold its ``//``)."""
    pipes: Path
    systems: dict[str, SystemConfig] = field(default_factory=dict)
    flows: dict[str, FlowConfig] = field(default_factory=dict)
    schedules: Schedules = field(default_factory=Schedules)

    def system(self, name: str) -> SystemConfig:
        return self.systems.get(name, SystemConfig())

    def flow(self, name: str) -> FlowConfig:
        return self.flows.get(name, FlowConfig())


def load_config(project_dir: str | Path = ".", datasets: str | Path | None = None) -> Config:
    """Read ``sluice.toml`` (when present) and apply environment overrides.

    ``SLUICE_DATASETS`` (or the ``datasets`` argument) sets the dataset root, a folder (relative to the
    project) or ``s3://bucket/prefix`` (endpoint, region and credentials from the AWS variables);
    ``SLUICE_SUPEROFFICE_URL`` and ``SLUICE_CUSTOMWEBSHOP_URL`` the systems' URLs.
    """
    project = Path(project_dir).resolve()
    raw = _read_toml(project / CONFIG_FILE)
    paths = raw.get("paths", {})
    root = datasets or os.environ.get("SLUICE_DATASETS") or paths.get("datasets", "datasets")
    systems = {name: _system(name, values) for name, values in raw.get("systems", {}).items()}
    for name in ("superoffice", "customwebshop"):
        env_url = os.environ.get(f"SLUICE_{name.upper()}_URL")
        base = systems.get(name, SystemConfig())
        if env_url:
            base = replace(base, url=env_url)
        systems[name] = base
    flows = {name: _flow(name, values) for name, values in raw.get("flows", {}).items()}
    return Config(
        project_dir=project,
        datasets=_resolve_root(project, root),
        pipes=_resolve(project, paths.get("pipes", "pipes")),
        systems=systems,
        flows=flows,
        schedules=_build(Schedules, raw.get("schedules", {}), "schedules"),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _resolve_root(project: Path, value: str | Path) -> Path | str:
    """An object-storage URL as it is (``s3://``, or ``s3:/`` from a ``Path`` that folded it); else a folder."""
    text = str(value)
    if text.startswith(("s3://", "s3:/")):
        return "s3://" + text.split(":/", 1)[1].lstrip("/")
    if "://" in text:
        raise ConfigError(f"the dataset root {text!r}: only local folders and s3://bucket/prefix are supported")
    return _resolve(project, value)


def _resolve(project: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else project / path


def _system(name: str, values: dict[str, Any]) -> SystemConfig:
    system: SystemConfig = _build(SystemConfig, values, f"systems.{name}")
    size = system.batch_size
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
        raise ConfigError(f"{CONFIG_FILE} [systems.{name}]: batch_size must be a whole number 1-100, not {size!r}")
    return system


def _flow(name: str, values: dict[str, Any]) -> FlowConfig:
    """The common policies; every other key is the flow's own option (checked against its declaration)."""
    common = {k: v for k, v in values.items() if k in FlowConfig.__dataclass_fields__ and k != "options"}
    flow = FlowConfig(**common, options={k: v for k, v in values.items() if k not in common})
    if flow.on_target_deleted not in ON_TARGET_DELETED:
        raise ConfigError(
            f"{CONFIG_FILE} [flows.{name}]: on_target_deleted must be one of {list(ON_TARGET_DELETED)}, "
            f"not {flow.on_target_deleted!r}"
        )
    return flow


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = set(cls.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"{CONFIG_FILE} [{where}]: unknown settings {sorted(unknown)}; known: {sorted(known)}")
    return cls(**values)
