"""``sluice simulate superoffice``: the SuperOffice simulator in the foreground.

Rule: parse options, build one ``SuperOfficeSimulator``, serve it; all behaviour lives in the simulator package.
"""

from __future__ import annotations

from pathlib import Path

import typer

from sluice.simulators.faults import FaultConfig
from sluice.simulators.runner import serve_forever
from sluice.simulators.superoffice import AUTH_MODES, DEMO, SuperOfficeSimulator

HELP = f"""Run the SuperOffice CRM simulator on 127.0.0.1 (tenant API at http://127.0.0.1:PORT/TENANT/api/v1).

Demo credentials (fixed; they open only this local simulator):

  OAuth client id: {DEMO.client_id}   client secret: {DEMO.client_secret}   redirect uri: {DEMO.redirect_uri}

  System user token: {DEMO.system_user_token}  (sign it with the demo private key
  sluice/simulators/superoffice/demo_key.pem; the SO-AppToken is the client secret)

  Onsite (Basic) user: {DEMO.username} / {DEMO.password}

Auth modes: oauth (Bearer tokens from POST /login/common/oauth/tokens, and SOTicket), ticket (SOTicket +
SO-AppToken from POST /Login/api/PartnerSystemUser/Authenticate), basic (onsite), none (no credentials).

Fault injection (--fail-rate-429, --fail-rate-503, --latency-ms, --drop-rate, --maintenance, and at run time
PUT /_admin/faults) is a SIMULATOR FEATURE: SuperOffice documents no 429 or Retry-After.
"""


def command(
    port: int = typer.Option(8405, help="Port on 127.0.0.1."),
    db: Path | None = typer.Option(None, help="SQLite file (reused if it holds data); default: in memory."),
    seed: int = typer.Option(0, help="Seed of the generated demo data."),
    contacts: int = typer.Option(200, help="Number of companies to generate."),
    products: int = typer.Option(10, help="Number of product codes, each in every price list (NOK, SEK, DKK, EUR)."),
    tenant: str = typer.Option(DEMO.tenant, help="Context identifier served under /TENANT/api/v1."),
    auth: str = typer.Option("oauth", help=f"Credentials required: {'|'.join(AUTH_MODES)}."),
    token_ttl: int = typer.Option(3600, help="Access token lifetime in seconds."),
    fail_rate_429: float = typer.Option(0.0, help="Share of requests answered 429 + Retry-After (simulated)."),
    fail_rate_503: float = typer.Option(0.0, help="Share of requests answered 503 (simulated)."),
    retry_after: float = typer.Option(1.0, help="Retry-After seconds on injected 429/503."),
    latency_ms: float = typer.Option(0.0, help="Extra latency per request."),
    drop_rate: float = typer.Option(0.0, help="Share of requests whose answer is cut after the work is done."),
    maintenance: bool = typer.Option(False, help="Answer every request 503 (a maintenance window)."),
) -> None:
    if auth not in AUTH_MODES:
        raise typer.BadParameter(f"must be one of {', '.join(AUTH_MODES)}", param_hint="--auth")
    faults = FaultConfig(
        rate_429=fail_rate_429,
        rate_503=fail_rate_503,
        retry_after=retry_after,
        latency_ms=latency_ms,
        drop_rate=drop_rate,
        maintenance=maintenance,
    )
    sim = SuperOfficeSimulator(db, seed, contacts, tenant, auth, token_ttl, faults, products=products)
    typer.echo(f"SuperOffice simulator: http://127.0.0.1:{port}/{sim.tenant}/api/v1 (auth: {auth})")
    serve_forever(sim.app, port)


command.__doc__ = HELP
