"""RFC 9457 problem details: the one shape of every error the shop answers.

Rule: handlers raise ``ProblemError``; only ``app`` turns it into an ``application/problem+json`` response.
"""

from __future__ import annotations

import json
from typing import Any

PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """An error answer: status, a short title, a detail, field errors and extension members."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        title: str | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.title = title or TITLES.get(status, "Error")
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        slug = self.title.lower().replace(" ", "-")
        problem: dict[str, Any] = {
            "type": f"https://customwebshop.example/problems/{slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            problem["errors"] = self.errors
        problem.update(self.extensions)
        return problem


def field_error(field: str, message: str) -> ProblemError:
    """A 422 naming one field."""
    return ProblemError(422, f"{field}: {message}", errors=[{"field": field, "message": message}])


def error_body(status: int, message: str) -> tuple[str, bytes]:
    """The fault injector's error body (a simulated 429/503) in the shop's own format."""
    return PROBLEM_TYPE, json.dumps(ProblemError(status, message).body()).encode()
