"""Sluice's error classes, grouped by what the caller should do next.

Rule: this module imports nothing from Sluice. Every error pickles (Prefect moves
exceptions between processes), so data lives in attributes set through ``__init__``
arguments, and messages never carry secrets.
"""

from __future__ import annotations

from typing import Any


class SluiceError(Exception):
    """Base of every error Sluice raises on purpose."""


class ConfigError(SluiceError):
    """The configuration is wrong or incomplete: fail at start, fix the config."""


class DatasetError(SluiceError):
    """A dataset could not be read or written; nothing was written half-way."""

    def __init__(self, message: str, dataset: str | None = None) -> None:
        super().__init__(message if dataset is None else f"dataset {dataset!r}: {message}")
        self.dataset = dataset

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class DatasetLockedError(DatasetError):
    """Another writer holds the dataset's lock (one writer per dataset)."""


class CircuitBreakerTripped(SluiceError):
    """A write or a push would delete or change more than its configured share.

    ``counts`` holds what would have happened (e.g. ``{"live": 1000, "deleted": 900}``);
    nothing was written or sent. Re-run with ``force`` when the change is intended.
    """

    def __init__(self, message: str, counts: dict[str, int] | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.counts = dict(counts or {})
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class PipeError(SluiceError):
    """A pipe is malformed or failed; the message names the pipe file (and line when known)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = "" if path is None else (f"{path}:{line}: " if line else f"{path}: ")
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ApiError(SluiceError):
    """An external API answered with an error (or not at all).

    ``status`` is the HTTP status (None when no response arrived), ``method`` and
    ``url`` the request (URL already redacted), ``body`` the response text (truncated).
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class TransientError(ApiError):
    """Worth retrying later: 429, 5xx, timeouts, dropped connections."""


class PermanentError(ApiError):
    """Retrying the same request will fail again (4xx validation): dead-letter it."""


class NotFoundError(PermanentError):
    """The record does not exist (404)."""


class PreconditionFailed(PermanentError):
    """The record changed since it was read (412): re-read on the next run, never overwrite."""


class ConflictError(PermanentError):
    """A unique-key clash or a failed patch test (409)."""


class AuthError(PermanentError):
    """Credentials were refused even after a refresh (401/403)."""


def _rebuild(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    """Unpickle an error without calling ``__init__`` again (its message is already built)."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err
