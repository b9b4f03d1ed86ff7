"""What to sync: a selection of CT.gov studies, as API v2 ``/studies`` parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from trialscope.errors import UsageError
from trialscope.record.ids import NCT_ID
from trialscope.vocab import Status

STATUS_VALUES = frozenset(status.value for status in Status)


@dataclass(frozen=True)
class Selection:
    """The studies a sync asks CT.gov for; saved with a profile and re-run by name."""

    cond: str | None = None
    term: str | None = None
    intr: str | None = None
    locn: str | None = None
    status: tuple[str, ...] = ()
    nct_ids: tuple[str, ...] = ()
    everything: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = [s for s in self.status if s not in STATUS_VALUES]
        if bad:
            raise UsageError(
                f"Unknown status {', '.join(bad)}.",
                hint=f"Use CT.gov values: {', '.join(sorted(STATUS_VALUES))}.",
            )
        bad_ids = [n for n in self.nct_ids if NCT_ID.fullmatch(n) is None]
        if bad_ids:
            raise UsageError(
                f"Not an NCT id: {', '.join(bad_ids)}.", hint="NCT ids look like NCT04416854."
            )
        if self.is_empty:
            raise UsageError(
                "Nothing selected to sync.",
                hint="Give --cond, --term, --intr, --locn, --status, --nct ID, or --all.",
            )

    @property
    def is_empty(self) -> bool:
        searched = self.cond or self.term or self.intr or self.locn or self.status
        return not (searched or self.nct_ids or self.everything or self.extra)

    @property
    def by_id(self) -> bool:
        """A list of NCT ids is fetched study by study (following alias redirects)."""
        return bool(self.nct_ids)

    def params(self, since: date | None = None) -> dict[str, str]:
        """``/studies`` parameters; ``since`` adds the incremental LastUpdatePostDate window."""
        params: dict[str, str] = dict(self.extra)
        for key, value in (
            ("query.cond", self.cond),
            ("query.intr", self.intr),
            ("query.locn", self.locn),
        ):
            if value:
                params[key] = value
        terms = [self.term] if self.term else []
        if since is not None:
            terms.append(f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]")
        if terms:
            params["query.term"] = " AND ".join(f"({t})" if " " in t else t for t in terms)
        if self.status:
            params["filter.overallStatus"] = "|".join(self.status)
        return params

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = list(self.status)
        data["nct_ids"] = list(self.nct_ids)
        return {k: v for k, v in data.items() if v not in (None, (), [], {}, False)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        return cls(
            cond=data.get("cond"),
            term=data.get("term"),
            intr=data.get("intr"),
            locn=data.get("locn"),
            status=tuple(data.get("status", ())),
            nct_ids=tuple(data.get("nct_ids", ())),
            everything=bool(data.get("everything")),
            extra=dict(data.get("extra", {})),
        )

    def describe(self) -> str:
        """A short stable text, used to name a selection run without ``--profile``."""
        if self.everything:
            return "all"
        items: list[str] = []
        for key, value in self.to_json().items():
            if key == "extra":
                items += [f"{k}={v}" for k, v in sorted(value.items())]
            else:
                items.append(f"{key}={'|'.join(value) if isinstance(value, list) else value}")
        return ";".join(items)


def incremental_start(watermark: str | None) -> date | None:
    """The day before the watermark: LastUpdatePostDate has no time, so overlap a day."""
    if not watermark:
        return None
    return date.fromisoformat(watermark[:10]) - timedelta(days=1)
