"""The questionnaire's answers as facts: each question the matcher asks has a key
(``lab:platelets``, ``when:myocardial_infarction``, ``vaccination:covid19``, ...) and
:func:`apply_answers` turns a value for it into what the record would have said."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from trialscope.criteria import VARIABLES
from trialscope.errors import UsageError
from trialscope.match.care_setting import answered_setting
from trialscope.match.facts import PatientFacts
from trialscope.match.lesions import TOTALS
from trialscope.match.patient import (
    Condition,
    Lab,
    Patient,
    Performance,
    Provenance,
    Therapy,
    Vaccination,
)


def apply_answers(patient: Patient, answers: Mapping[str, Any]) -> Patient:
    """A copy of ``patient`` with the questionnaire's answers added as facts.

    Keys are question keys (``lab:platelets``, ``performance:ecog``, ``pregnant``,
    ``count:liver_metastases_count``, ``when:myocardial_infarction`` (a date),
    ``condition:lex:hiv``, ``prior_therapy:chemotherapy``, ``vaccination:covid19``,
    ``criterion:...``); values are
    numbers (in the question's unit), yes/no booleans or their strings."""
    updated = patient.model_copy(deep=True)
    for key, raw in answers.items():
        if raw is None or raw == "":
            continue
        source = Provenance(kind="answer", ref=key, text=str(raw))
        kind, _, rest = key.partition(":")
        if kind == "lab":
            updated.labs.append(Lab(test=rest, value=_number(key, raw), source=source))
        elif kind == "ref":
            lab = updated.lab(rest)
            if lab is None:
                raise UsageError(f"No {rest} reading to attach a reference limit to.")
            lab.reference_high = _number(key, raw)
        elif kind == "performance":
            updated.performance.append(
                Performance(scale=rest, value=_number(key, raw), source=source)
            )
        elif kind in ("age",):
            updated.age = _number(key, raw)
        elif kind == "sex":
            updated.sex = str(raw).lower()  # type: ignore[assignment]
        elif kind == "ventilation":
            updated.mechanically_ventilated = _yes_no(key, raw)
            updated.provenance["mechanically_ventilated"] = source
        elif kind in ("pregnant", "breastfeeding", "will_consent"):
            setattr(updated, kind, _yes_no(key, raw))
            updated.provenance[kind] = source
        elif kind in ("condition", "pregnancy"):
            has = _yes_no(key, raw)
            code = rest if kind == "condition" else key
            updated.conditions.append(
                Condition(
                    name=rest.split(":")[-1].replace("_", " "),
                    codes=[code],
                    status="active" if has else "absent",
                    source=source,
                )
            )
        elif kind == "prior_therapy":
            updated.therapies.append(
                Therapy(
                    name=rest.replace("_", " "),
                    classes=[rest],
                    status="completed" if _yes_no(key, raw) else "absent",
                    source=source,
                )
            )
        elif kind == "care_setting":
            updated.care_setting = answered_setting(key, _yes_no(key, raw), updated.care_setting)
            updated.provenance["care_setting"] = source
        elif kind == "count":
            _count_the(updated, rest, _whole(key, raw), source)
        elif kind == "when":
            _date_the(updated, rest, _when(key, raw), source)
        elif kind == "vaccination":
            yes = _yes_no(key, raw)
            updated.vaccinations.append(
                Vaccination(against=rest, name=str(raw), doses=None if yes else 0, source=source)
            )
        elif kind == "vaccination_doses":
            count = _whole(key, raw)
            updated.vaccinations.append(
                Vaccination(against=rest, name=f"{count} doses", doses=count, source=source)
            )
        elif kind in ("criterion", "biomarker", "stage", "setting"):
            updated.answers[key] = _yes_no(key, raw)
        else:
            raise UsageError(
                f"Unknown question {key!r}.", hint="Use a key from the questions list."
            )
    return Patient.model_validate(updated.model_dump())


def _count_the(patient: Patient, variable: str, count: int, source: Provenance) -> None:
    """The answer to "Number of liver metastases?" / "Prior lines of therapy?": a count
    on the record (0 is none: an absent condition or therapy that says so)."""
    known_variable = VARIABLES.get(variable)
    if known_variable is None or known_variable.kind != "count":
        raise UsageError(
            f"Unknown question 'count:{variable}'.", hint="Use a key from the questions list."
        )
    if variable == "prior_lines":
        if count == 0:
            patient.therapies.append(
                Therapy(
                    name="systemic therapy",
                    classes=["systemic_therapy"],
                    status="absent",
                    source=source,
                )
            )
        else:
            name = f"{count} prior line{'s' if count > 1 else ''} of therapy"
            # lines of therapy are counted for advanced disease
            patient.therapies.append(
                Therapy(
                    name=name,
                    classes=["systemic_therapy"],
                    line=count,
                    setting="advanced",
                    source=source,
                )
            )
        return
    if variable in TOTALS:
        name, sites = ("metastases" if variable == "metastases_count" else "lesions"), []
    else:
        site = variable.removesuffix("_count").removesuffix("_metastases")
        name, sites = f"{site} metastases", [site]
        known = [
            c for c in patient.conditions if c.status != "absent" and c.metastasis_sites == sites
        ]
        if known and count:
            for condition in known:
                condition.lesion_count = count
            return
    patient.conditions.append(
        Condition(
            name=name,
            metastasis_sites=sites,
            lesion_count=count,
            status="active" if count else "absent",
            source=source,
        )
    )


def _date_the(patient: Patient, concept: str, when: dt.date, source: Provenance) -> None:
    """The answer to "When was the <condition or therapy>?": the date it began (a
    condition) or was last given (a therapy), on every record of it still undated."""
    facts = PatientFacts.of(patient)
    dated = False
    for fact in facts.has(concept if ":" in concept else f"lex:{concept}"):
        if fact.condition.onset is None:
            fact.condition.onset, dated = when, True
    for therapy in patient.therapies:
        if therapy.status != "absent" and concept in therapy.classes and therapy.end is None:
            therapy.end, dated = when, True
    if not dated:
        raise UsageError(
            f"Nothing on record to date for {concept!r}.",
            hint="Answer the question only for something the patient has or had.",
        )
    del source  # the record keeps where it was said; the date is the answer's


def _when(key: str, raw: Any) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    found = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", str(raw))
    try:
        if found is None:
            raise ValueError(raw)
        year, month, day = (int(g) if g else 1 for g in found.groups())
        return dt.date(year, month, day)
    except ValueError as exc:
        raise UsageError(
            f"Answer to {key!r} must be a date, not {raw!r}.",
            hint="Write it as 2024, 2024-03 or 2024-03-15.",
        ) from exc


def _whole(key: str, raw: Any) -> int:
    number = _number(key, raw)
    if number != int(number) or number < 0:
        raise UsageError(f"Answer to {key!r} must be a whole number, not {raw!r}.")
    return int(number)


def _number(key: str, raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"Answer to {key!r} must be a number, not {raw!r}.") from exc


def _yes_no(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("yes", "y", "true", "1", "on"):
        return True
    if text in ("no", "n", "false", "0", "off"):
        return False
    raise UsageError(f"Answer to {key!r} must be yes or no, not {raw!r}.")
