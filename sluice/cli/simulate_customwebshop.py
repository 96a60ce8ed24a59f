"""``sluice simulate customwebshop``: the Customwebshop reference server in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer

from sluice.cli.console import console
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.faults import FaultConfig
from sluice.simulators.runner import serve_forever


def command(
    port: int = typer.Option(8082, help="Port on 127.0.0.1"),
    db: Path | None = typer.Option(None, help="SQLite file (kept between runs); in memory when omitted"),
    api_key: str = typer.Option(DEMO_API_KEY, help="The API key clients must send (default: the demo key)"),
    customers: int = typer.Option(0, help="Seed this many customers (plus products and orders) into an empty shop"),
    seed: int = typer.Option(0, help="Seed of the demo data (same seed as the SuperOffice simulator = matches)"),
    products: int | None = typer.Option(None, help="Seed this many products (some with SuperOffice codes as SKU)"),
    fail_rate_429: float = typer.Option(0.0, help="Share of requests answered 429 with Retry-After"),
    fail_rate_503: float = typer.Option(0.0, help="Share of requests answered 503 with Retry-After"),
    latency_ms: float = typer.Option(0.0, help="Added latency per request"),
    drop_rate: float = typer.Option(0.0, help="Share of answers dropped after the work was done"),
    maintenance: bool = typer.Option(False, help="Answer every request 503 (maintenance window)"),
) -> None:
    """Run the Customwebshop reference server (API under /api/v1, OpenAPI at /openapi.json)."""
    faults = FaultConfig(
        rate_429=fail_rate_429,
        rate_503=fail_rate_503,
        latency_ms=latency_ms,
        drop_rate=drop_rate,
        maintenance=maintenance,
        retry_after=1.0 if fail_rate_429 or fail_rate_503 else 0.0,
    )
    sim = CustomwebshopSimulator(
        db_path=str(db) if db else None,
        api_key=api_key,
        customers=customers,
        seed=seed,
        faults=faults,
        products=products,
    )
    key_note = "the demo key" if api_key == DEMO_API_KEY else "the key given with --api-key"
    console(stderr=True).print(
        f"Customwebshop on http://127.0.0.1:{port}/api/v1 (OpenAPI: /openapi.json), auth: Bearer {key_note}"
    )
    serve_forever(sim.app, port)
