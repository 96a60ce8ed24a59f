"""SuperOffice-shaped errors: ``{Error, ErrorType, ErrorMessage, ErrorSource}`` with the matching HTTP status.

Rule: every failure the simulator answers, its own or injected, uses this body, as the real service does.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

ERROR_SOURCE = "SuperOffice.Services.Implementation"
_TYPES = {
    400: "SoArgumentException",
    401: "SoAuthenticationException",
    404: "SoNotFoundException",
    409: "SoConflictException",
    412: "SoPreconditionFailedException",
    421: "SoMisdirectedRequestException",
    429: "SoThrottledException",
    503: "SoServiceUnavailableException",
}


class SoError(Exception):
    """Raised by handlers; turned into the error body with ``status`` (and ``headers``, e.g. WWW-Authenticate)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_json(status: int, message: str) -> dict[str, Any]:
    return {
        "Error": True,
        "ErrorType": _TYPES.get(status, "SoException"),
        "ErrorMessage": message,
        "ErrorSource": ERROR_SOURCE,
    }


def error_body(status: int, message: str) -> tuple[str, bytes]:
    """The ``faults.install`` hook: injected 429/503s look like the service's own errors."""
    return "application/json; charset=utf-8", json.dumps(error_json(status, message)).encode()


async def handle_so_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SoError)
    return JSONResponse(error_json(exc.status, exc.message), status_code=exc.status, headers=exc.headers)
