"""The Customwebshop reference server: FastAPI + SQLite implementing ``customwebshop-api.md``."""

from sluice.simulators.customwebshop.simulator import DEMO_API_KEY, CustomwebshopSimulator

__all__ = ["DEMO_API_KEY", "CustomwebshopSimulator"]
