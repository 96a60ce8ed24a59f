"""What the CLI prints when a command fails: one line saying what failed, what to do, and where the details are.

Rule: every exception a command lets escape ends in ``report`` (called by the root command in
``main.py``), so no command prints a traceback. The line goes to stderr; the traceback goes to a log
file the line names (``<dataset root>/.sync/logs``, or the temp dir when there is no root), and to
stderr as well under ``--debug``. Both are redacted: no secret from the environment, no sensitive
URL parameter, no password in a URL.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import os
import re
import tempfile
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from rich.markup import escape

from sluice.cli.console import console
from sluice.errors import ApiError, AuthError, CircuitBreakerTripped, ConfigError, SluiceError, TransientError
from sluice.systems.http import redact_url

LOG_DIR = Path(".sync") / "logs"
KEEP_LOGS = 50
MAX_LINE = 500
SECRET_ENV = re.compile(r"^(SLUICE_\w*(KEY|SECRET|PASSWORD|TOKEN|TICKET)|AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN))$")
SECRET_OPTION = re.compile(r"^--[\w-]*(key|secret|password|token|ticket)[\w-]*$", re.IGNORECASE)
URL = re.compile(r"https?://[^\s'\"<>]+")
URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^@\s/]+@")
EXIT_ERROR, EXIT_BREAKER = 1, 3

# The dataset root of the running command. A context variable, not a module global: each command run
# sets it (``remember_root``) and the root command resets it, so runs in one process never share it.
_root: contextvars.ContextVar[Path | None] = contextvars.ContextVar("sluice_cli_root", default=None)


def remember_root(root: Path | str) -> None:
    """Tell the failure report where this command's datasets live: its log file goes beside them (an
    object-storage root keeps its logs in the temp dir: a log file is for the machine that failed)."""
    _root.set(None if "://" in str(root) else Path(root))


@contextmanager
def command_scope() -> Iterator[None]:
    """One command run: it starts knowing no dataset root, and leaves none behind."""
    token = _root.set(None)
    try:
        yield
    finally:
        _root.reset(token)


def report(exc: Exception, argv: Sequence[str], debug: bool = False) -> int:
    """Log ``exc`` with its traceback, print its one line to stderr, and return the exit code."""
    path = log_exception(exc, argv)
    label, message, code = describe(exc)
    err = console(stderr=True)
    if debug:
        err.print(path.read_text(encoding="utf-8"), markup=False, highlight=False, soft_wrap=True)
    line = f"[red]{label}:[/red] {escape(one_line(redact(message)))} [dim](details: {escape(str(path))})[/dim]"
    err.print(line, highlight=False, soft_wrap=True)
    return code


def log_exception(exc: Exception, argv: Sequence[str] = ()) -> Path:
    """Write the redacted log file (beside the datasets, else in the temp dir) and return its path; a
    command that renders its own error (as JSON) calls this alone."""
    text = redact(_log_text(exc, argv))
    try:
        return write_log(_log_dir(_root.get()), text)
    except OSError:  # a read-only or full dataset disk must not hide the error itself
        return write_log(_log_dir(None), text)


def _unreachable(exc: BaseException | None) -> bool:
    return isinstance(exc, TransientError) or (isinstance(exc, ApiError) and exc.status is None)


def describe(exc: Exception) -> tuple[str, str, int]:
    """``(label, what failed and what to do, exit code)``: Sluice's errors say what to do themselves."""
    if isinstance(exc, CircuitBreakerTripped):
        return "circuit breaker", f"{exc} counts: {json.dumps(exc.counts, sort_keys=True)}", EXIT_BREAKER
    if isinstance(exc, ConfigError):
        return "error", f"{exc} (fix sluice.toml or the SLUICE_* environment variables)", EXIT_ERROR
    if isinstance(exc, AuthError):
        return "error", f"{exc} (check the credentials in the SLUICE_* environment variables)", EXIT_ERROR
    if _unreachable(exc) or _unreachable(exc.__cause__):
        return "error", f"{exc} (no usable answer: is the system up and its URL right? then run again)", EXIT_ERROR
    if isinstance(exc, SluiceError | OSError):
        return "error", str(exc), EXIT_ERROR
    if isinstance(exc, duckdb.Error | pa.ArrowException):
        hint = "a dataset file is damaged or unreadable: restore it, or remove that dataset and pull or run it again"
        return "error", f"cannot read the data: {exc} ({hint})", EXIT_ERROR
    what = f"unexpected {type(exc).__name__}: {exc}"
    return "error", f"{what} (a bug in Sluice: please report it with the log file)", EXIT_ERROR


def one_line(text: str) -> str:
    """Newlines and runs of spaces folded; very long text cut (the log file has all of it)."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` without the values of secret ``SLUICE_*`` and ``AWS_*`` variables, sensitive URL parameters or URL
    passwords."""
    text = URL_PASSWORD.sub(r"\1***@", URL.sub(lambda m: redact_url(m.group(0)), text))
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if SECRET_ENV.match(name):  # the whole value, and each line of a multi-line one (a PEM key)
            for secret in {part.strip() for part in [value, *value.splitlines()]}:
                if len(secret) >= 4:  # shorter ones would mask ordinary text, and are no secret anyway
                    text = text.replace(secret, "***")
    return text


def redact_argv(argv: Sequence[str]) -> list[str]:
    """The command line with the value of every ``--...key/secret/password/token`` option masked."""
    out: list[str] = []
    for arg in argv:
        if out and SECRET_OPTION.match(out[-1]):
            out.append("***")
        elif "=" in arg and SECRET_OPTION.match(arg.split("=", 1)[0]):
            out.append(arg.split("=", 1)[0] + "=***")
        else:
            out.append(arg)
    return out


def write_log(directory: Path, text: str) -> Path:
    """A new log file in ``directory`` (older ones beyond the newest ``KEEP_LOGS`` are removed)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"sluice-{stamp}-{os.getpid()}.log"
    path.write_text(text, encoding="utf-8")
    for old in sorted(directory.glob("sluice-*.log"))[:-KEEP_LOGS]:
        old.unlink(missing_ok=True)
    return path


def _log_dir(root: Path | None) -> Path:
    if root is not None and root.is_dir():
        return root / LOG_DIR
    return Path(tempfile.gettempdir()) / "sluice-logs"


def _log_text(exc: Exception, argv: Sequence[str]) -> str:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    head = f"{stamp} sluice {' '.join(redact_argv(argv))}\n{type(exc).__name__}: {exc}\n\n"
    return head + "".join(traceback.format_exception(exc))
