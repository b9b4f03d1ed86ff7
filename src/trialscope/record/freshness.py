"""Is a record probably out of date? One rule for every view (pages, card, markdown, API).

A record that says people can join (recruiting, not yet recruiting, enrolling by
invitation) while its (primary) completion date has passed, or that has not been
updated for two years, probably no longer tells the truth about who can join. CT.gov
turns such records to ``UNKNOWN`` only after two years without verification; a patient
should hear about it sooner. A record already ``UNKNOWN`` says so itself.

``today`` is injectable so tests do not depend on the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from trialscope.record.dates import parse_partial_date
from trialscope.record.model import Study

#: statuses that say people can (or soon can) join
OPEN_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"})
#: a record untouched this long is called stale (two years, as CT.gov's UNKNOWN rule)
STALE_AFTER_DAYS = 730


class StaleReason(StrEnum):
    #: open status, but the primary completion (or completion) date has passed
    COMPLETION_PASSED = "completion_date_passed"
    #: open status, and no update for two years
    NOT_UPDATED = "not_updated_for_two_years"


@dataclass(frozen=True, slots=True)
class Freshness:
    """What the staleness rule found; ``stale`` when there is any reason."""

    reasons: tuple[StaleReason, ...]
    #: the date that triggered COMPLETION_PASSED, as the record writes it
    completion_date: str | None
    #: the last update date the record gives, as it writes it
    last_update: str | None
    checked_on: date

    @property
    def stale(self) -> bool:
        return bool(self.reasons)

    def to_json(self) -> dict[str, object]:
        return {
            "stale": self.stale,
            "reasons": [str(r) for r in self.reasons],
            "completionDate": self.completion_date,
            "lastUpdatePostDate": self.last_update,
            "checkedOn": self.checked_on.isoformat(),
        }


def _status_verified(study: Study) -> str | None:
    protocol = study.protocol_section
    module = protocol.status_module if protocol else None
    return module.status_verified_date if module else None


def freshness(study: Study, today: date | None = None) -> Freshness:
    """Whether ``study`` is probably stale on ``today`` (default: today in UTC)."""
    today = today or datetime.now(UTC).date()
    status = str(study.overall_status or "")
    reasons: list[StaleReason] = []
    passed: str | None = None
    if status in OPEN_STATUSES:
        for text in (study.primary_completion_date, study.completion_date):
            when = parse_partial_date(text)
            # a partial date ("2025-06") has passed only once its last day has
            if when is not None and when.upper < today:
                passed = text
                reasons.append(StaleReason.COMPLETION_PASSED)
                break
    updated_text = study.last_update_post_date or _status_verified(study)
    updated = parse_partial_date(updated_text)
    if (
        status in OPEN_STATUSES
        and updated is not None
        and (today - updated.upper).days > STALE_AFTER_DAYS
    ):
        reasons.append(StaleReason.NOT_UPDATED)
    return Freshness(tuple(reasons), passed, updated_text, today)
