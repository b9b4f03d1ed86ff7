"""Parse "since" expressions: a relative window (``30d``, ``12h``, ``2w``) or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from trialscope.errors import UsageError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdwm])\s*$", re.IGNORECASE)
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30d`` → 30 days before ``now``; ``2026-05-01`` → that day at 00:00 UTC."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(days=amount * _UNIT_DAYS[unit])
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"Cannot read the time window {text!r}.",
            hint="Use a relative window like 30d, 12h, 2w, 3m, or a date like 2026-05-01.",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """The timestamp format the store writes, so string comparison orders correctly."""
    utc = moment.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
