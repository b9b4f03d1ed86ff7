"""What the MCP tools do, on the same library calls as the CLI commands they mirror.

Each public method of :class:`TrialTools` named in ``TOOLS`` is one MCP tool: its
parameters (with their ``Field`` descriptions) become the tool's input schema and its
docstring the tool's description. A ``TrialscopeError`` becomes a tool error carrying the
message and hint (see ``server.tool_errors``). Adding a tool is a method and its name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from inspect import Parameter
from typing import Annotated, Any, Literal

from pydantic import Field

from trialscope.criteria import parse_criteria
from trialscope.criteria.store import load_parse
from trialscope.errors import UsageError
from trialscope.record.ids import normalise_nct_id
from trialscope.search import SearchEngine, SortOrder
from trialscope.search.request import SearchRequest
from trialscope.service import (
    Backend,
    MatchScope,
    agent_page,
    build_patient,
    field_changes,
    no_patient_in_logs,
    run_match,
)
from trialscope.store import Store

#: the tools the server offers, in the order clients list them
TOOLS = ("search_trials", "get_trial", "trial_changes", "explain_criteria", "match_patient")


def search_signature(*extra: Parameter) -> inspect.Signature:
    """``search_trials``'s parameters: one per :class:`SearchRequest` field, named and
    described as the request declares (``Surface.mcp``), then ``extra``."""
    params: list[Parameter] = []
    for _, info, surface in SearchRequest.surfaces():
        listed = info.annotation == tuple[str, ...]
        annotation = list[str] | None if listed else info.annotation
        # bounds (ge, le) only: the request's own validators run in SearchRequest.from_mcp
        checks = [m for m in info.metadata if type(m).__module__ == "annotated_types"]
        params.append(
            Parameter(
                surface.mcp,
                Parameter.KEYWORD_ONLY,
                default=None if listed else info.default,
                annotation=Annotated[annotation, *checks, Field(description=info.description)],
            )
        )
    return inspect.Signature([*params, *extra], return_annotation=dict[str, Any])


def nct(value: str) -> str:
    """An NCT id as stored (``nct04416854`` → ``NCT04416854``), or a clear error."""
    return normalise_nct_id(value)


#: the MCP tool's own parameters after the request's: paging and order
_SEARCH_EXTRA = (
    Parameter(
        "sort",
        Parameter.KEYWORD_ONLY,
        default="relevance",
        annotation=Annotated[
            Literal["relevance", "distance", "last_update", "start_date"],
            Field(description="Order of the hits."),
        ],
    ),
    Parameter(
        "limit",
        Parameter.KEYWORD_ONLY,
        default=10,
        annotation=Annotated[int, Field(ge=1, le=50, description="How many hits.")],
    ),
)


class SignedMethod:
    """A tool method taking ``**arguments`` whose parameters (the tool's input schema, as
    the MCP SDK reads it from the signature) are built from :class:`SearchRequest`."""

    def __init__(self, method: Callable[..., dict[str, Any]]) -> None:
        self.method = method
        self.signature = search_signature(*_SEARCH_EXTRA)

    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., Any]:
        method = self.method
        if instance is None:
            return method

        @functools.wraps(method)
        def bound(**arguments: Any) -> dict[str, Any]:
            return method(instance, **arguments)

        bound.__signature__ = self.signature  # type: ignore[attr-defined]
        return bound


class TrialTools:
    """The tools over one database; every call uses its thread's own connection."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def store(self) -> Store:
        return self.backend.store()

    @property
    def engine(self) -> SearchEngine:
        return self.backend.engine()

    @SignedMethod
    def search_trials(self, **arguments: Any) -> dict[str, Any]:
        """Search the mirror of ClinicalTrials.gov: ranked full text with filters and distance
        (like `trialscope search`). Returns the number of matches and the hits: NCT id,
        title, status, phases, conditions, sponsor, and the nearest site with its distance
        when `near` is given. Read a hit in full with get_trial."""
        sort = SortOrder(arguments.pop("sort", "relevance"))
        limit = int(arguments.pop("limit", 10))
        request = SearchRequest.from_mcp({k: v for k, v in arguments.items() if v is not None})
        search = request.to_query(sort=sort, limit=limit, with_facets=False)
        result = self.engine.search(search)
        return {
            "total": result.total,
            "near": None
            if search.geo is None
            else {"place": search.geo.label, "radius_km": round(search.geo.radius_km, 1)},
            "hits": [h.to_json() for h in result.hits],
        }

    def get_trial(
        self, nct_id: Annotated[str, Field(description="NCT id, e.g. NCT04416854.")]
    ) -> str:
        """One trial as its agent markdown page (like `trialscope show`): YAML frontmatter,
        key facts, summary, eligibility, arms, interventions, outcomes, locations and the
        field changes of the last 30 days."""
        return agent_page(self.store, nct(nct_id), base_url=self.backend.settings.base_url)

    def trial_changes(
        self,
        nct_id: Annotated[
            str | None, Field(description="One trial's NCT id; leave out for every trial.")
        ] = None,
        since: Annotated[
            str, Field(description="30d, 12h, 2w, 3m or a date (YYYY-MM-DD).")
        ] = "30d",
        field: Annotated[
            str | None, Field(description="Shell pattern over change paths, e.g. 'status.*'.")
        ] = None,
        first_sight: Annotated[
            bool, Field(description="Also list a trial's first version as its fields added.")
        ] = False,
        limit: Annotated[int, Field(ge=1, le=500, description="At most this many.")] = 100,
    ) -> dict[str, Any]:
        """Field-level changes between stored versions, newest first (like `trialscope
        changes`): path (status.overallStatus, eligibility.criteria, locations.<site>, ...),
        kind (added, removed, changed), old and new values, when the mirror saw it."""
        ids = [nct(nct_id)] if nct_id else []
        found = field_changes(self.store, ids, since=since, field=field, first_sight=first_sight)
        return {
            "since": found.since,
            "total": len(found.changes),
            "changes": [c.to_json() for c in found.changes[:limit]],
        }

    def explain_criteria(
        self,
        nct_id: Annotated[
            str | None, Field(description="A trial's NCT id: its stored criteria parse.")
        ] = None,
        text: Annotated[
            str | None, Field(description="Or an eligibility criteria text to parse.")
        ] = None,
    ) -> dict[str, Any]:
        """Eligibility criteria as items (like `trialscope criteria --json`): each item's kind
        (inclusion, exclusion), nesting and text, with the computable constraints read from
        it (variable, operator, bounds in canonical units), time windows, mentions (negated,
        historical, ...) and why an item is not computable. Give nct_id or text."""
        if (nct_id is None) == (text is None):
            raise UsageError("Give either nct_id or text, not both or neither.")
        if text is not None:
            if len(text) > 100_000:
                raise UsageError("The criteria text is longer than 100,000 characters.")
            return {"nct_id": None, **parse_criteria(text).to_json()}
        stored = load_parse(self.store, nct(nct_id or ""))
        return {
            "nct_id": stored.nct_id,
            "version_id": stored.version_id,
            "parsed_at": stored.parsed_at,
            "stale": stored.stale,
            **stored.parsed.to_json(),
        }

    def match_patient(
        self,
        note: Annotated[
            str | None,
            Field(max_length=50_000, description="A free-text clinical note about the patient."),
        ] = None,
        patient: Annotated[
            dict[str, Any] | None,
            Field(
                description="Or a structured patient: age, sex, pregnant, hospitalized, ecog,"
                " conditions"
                " (names), labs ({test: 'value unit'}), therapies, biomarkers, location;"
                " or a FHIR R4 Bundle. With a note too, these fields win."
            ),
        ] = None,
        trials: Annotated[
            list[str] | None,
            Field(max_length=50, description="Judge these NCT ids only (else a search)."),
        ] = None,
        near: Annotated[
            str | None, Field(description="A place ('Lyon, France') or 'lat,lon'.")
        ] = None,
        radius_km: Annotated[
            float | None, Field(gt=0, le=20_000, description="Distance from near, km.")
        ] = None,
        answers: Annotated[
            dict[str, str | float | bool] | None,
            Field(description="Answers to earlier questions by key, e.g. {'lab:wbc': 12}."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Trials in the ranking.")] = 10,
    ) -> dict[str, Any]:
        """Match one patient to trials (like `trialscope match --json`): each trial ELIGIBLE,
        POSSIBLY_ELIGIBLE or INELIGIBLE with a score, every criterion's verdict (MET,
        NOT_MET, UNKNOWN, NOT_APPLICABLE), reason and evidence (the patient fact and where
        it came from, e.g. a note sentence), deciding criteria first; and `questions`: the
        unknown facts ranked by how many verdicts each decides. Call again with `answers`
        to settle them. Candidates are open trials for the patient's conditions unless
        `trials` is given. The patient is not stored or logged."""
        scope = MatchScope(trials=tuple(trials or ()), near=near, radius_km=radius_km, limit=limit)
        with no_patient_in_logs():
            found = build_patient(patient, note, None, answers)
            return run_match(self.store, found, scope, engine=self.engine).to_json()
