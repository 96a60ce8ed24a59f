"""``CustomwebshopSimulator``: the reference shop (store, rules, HTTP app and fault switches) in one object.

Rule: one instance owns its own database, clock and fault settings; two simulators in one process share
nothing. It never imports ``sluice.systems`` (the client is checked against it, not built from it).
"""

from __future__ import annotations

from fastapi import FastAPI

from sluice.simulators.customwebshop.app import build_app
from sluice.simulators.customwebshop.problems import error_body
from sluice.simulators.customwebshop.seed import populate
from sluice.simulators.customwebshop.service import ShopService
from sluice.simulators.customwebshop.store import RESOURCES, ShopStore
from sluice.simulators.faults import FaultConfig, FaultInjector, install

DEMO_API_KEY = "cws-demo-key-not-a-secret"
"""The documented demo key (the simulator's default); a real deployment sets its own with ``--api-key``."""


class CustomwebshopSimulator:
    """The shop: ``app`` to serve (``ServerThread(sim.app)``), ``faults`` to switch faults on and off.

    Seeding (``customers > 0`` or ``products`` given) happens only into an empty database, so reopening a
    ``db_path`` keeps what is there. ``products=N`` seeds N products instead of the default catalogue,
    some of them with SuperOffice product codes as SKU (``seed.products``).
    """

    def __init__(
        self,
        db_path: str | None = None,
        api_key: str = DEMO_API_KEY,
        customers: int = 0,
        seed: int = 0,
        faults: FaultConfig | None = None,
        products: int | None = None,
    ) -> None:
        self.store = ShopStore(db_path)
        self.service = ShopService(self.store)
        if (customers > 0 or products is not None) and self._is_empty():
            populate(self.service, seed, customers, products)
        self.faults = FaultInjector(faults)
        self.app: FastAPI = build_app(self.service, api_key)
        install(self.app, self.faults, error_body)

    def _is_empty(self) -> bool:
        with self.store.transaction():
            return all(
                not self.store.feed(r, after=None, since=None, include_deleted=True, external_ref=None, limit=1)
                for r in RESOURCES
            )

    def close(self) -> None:
        self.store.close()
