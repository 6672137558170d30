"""Logging: one line per event, logfmt with stable keys, and secrets redacted on the way out.

Stable keys (``source_id``, ``release_id``, ``partner_id``, ``stage``, ``error``) are passed as ``extra=`` and
printed as key=value pairs, so logs can be grepped and parsed without a schema. Whatever reaches a handler is
scrubbed of API keys, webhook secrets and bearer tokens first: a secret must not end up in a log even when a
message quotes a request or an exception carelessly.
"""

from __future__ import annotations

import logging
import re
import sys

KEYS = (
    "release_id",
    "version",
    "source_id",
    "partner_id",
    "delivery_id",
    "stage",
    "provider",
    "language",
    "status",
    "error",
    "path",
    "seconds",
)

SECRET = re.compile(
    r"(syn_[A-Za-z0-9_\-]{8,}|whsec_[A-Za-z0-9+/=]{8,}|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,}"
    r"|(?i:(?:api[_-]?key|secret|password|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,]{4,})"
)


def redact(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        value = match.group(0)
        for prefix in ("syn_", "whsec_"):
            if value.startswith(prefix):
                return prefix + "[redacted]"
        head = re.match(r"(?i:bearer\s+|(?:api[_-]?key|secret|password|token)[\"']?\s*[:=]\s*[\"']?)", value)
        return (head.group(0) if head else "") + "[redacted]"

    return SECRET.sub(hide, text)


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        parts = [
            self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"msg={_quote(message)}",
        ]
        for key in KEYS:
            value = record.__dict__.get(key)
            if value is not None:
                parts.append(f"{key}={_quote(str(value))}")
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def _quote(value: str) -> str:
    if value and not any(ch in value for ch in ' "=\n'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def configure(level: str = "INFO") -> None:
    """Route every logger (Celery's and uvicorn's included) through one redacting logfmt handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task", "celery.worker"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
