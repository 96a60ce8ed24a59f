"""The Quote agent (``POST /api/v1/Agents/Quote/...``): being built."""

from __future__ import annotations

from fastapi import APIRouter

from sluice.simulators.superoffice.store import Store


def quote_router(store: Store) -> APIRouter:
    return APIRouter(prefix="/api/v1/Agents")
