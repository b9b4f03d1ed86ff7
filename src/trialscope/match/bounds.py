"""Numeric bounds of a criterion against the patient: age, labs with units and ×ULN,
performance status (ECOG / WHO / Karnofsky, with the Oken crosswalk), lesion counts,
lines of therapy, BMI from weight and height.

Each bound gives MET / NOT_MET / UNKNOWN with the evidence used and, when a fact is
missing, the question that would settle it; a ×ULN bound against a reading without its
reference range is decided only when every usual adult upper limit (``usual_uln`` in
criteria_variables.yaml) gives the same answer, else UNKNOWN plus a question.
"""

from __future__ import annotations

import math
from dataclasses import replace

from trialscope.criteria import VARIABLES, Constraint
from trialscope.criteria.catalogue import Variable
from trialscope.criteria.model import Bound
from trialscope.criteria.units import assumed_unit, to_canonical
from trialscope.match.facts import PatientFacts
from trialscope.match.lesions import tally
from trialscope.match.patient import Lab
from trialscope.match.verdicts import Basis, Evidence, Question, Verdict

Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]
#: a count, whether it is only a floor, and where it comes from (count None: not given)
_Counted = tuple[int | None, bool, Evidence]

# Karnofsky bands per ECOG grade (Oken et al. 1982 crosswalk)
_KARNOFSKY_TO_ECOG = ((90, 0), (70, 1), (50, 2), (30, 3), (0, 4))
_SCALES = ("ecog", "who_ps", "karnofsky", "lansky")
#: therapy classes whose explicit absence means no prior line of therapy
_SYSTEMIC = ("chemotherapy", "systemic_therapy")


def judge_bounds(
    constraints: tuple[Constraint, ...], facts: PatientFacts
) -> tuple[Verdict, str, Basis, list[Evidence], list[Question]]:
    evidence: list[Evidence] = []
    questions: list[Question] = []
    results: list[tuple[Verdict, str, str]] = []  # verdict, reason, joiner
    for constraint in constraints:
        if constraint.condition is not None:
            continue  # conditional variants need the condition judged; base bound decides
        if constraint.variable == "age" and constraint.operator == "=":
            continue  # "75 years old" as a criterion is a lost bound; the record's limits rule
        verdict, reason, ev, question = _constraint(constraint, facts)
        results.append((verdict, reason, constraint.joiner))
        evidence.extend(ev)
        if question is not None:
            questions.append(question)
    if not results:
        return Verdict.UNKNOWN, "conditional bounds only", Basis.NONE, evidence, questions
    # fold left honouring "and"/"or" between consecutive constraints
    verdict, reason, _ = results[0]
    for nxt, nxt_reason, joiner in results[1:]:
        if joiner == "or":
            if nxt is Verdict.MET or verdict is Verdict.MET:
                verdict, reason = Verdict.MET, reason if verdict is Verdict.MET else nxt_reason
            elif nxt is Verdict.UNKNOWN or verdict is Verdict.UNKNOWN:
                verdict, reason = Verdict.UNKNOWN, nxt_reason if nxt is Verdict.UNKNOWN else reason
        else:
            if Verdict.NOT_MET in (verdict, nxt):
                reason = reason if verdict is Verdict.NOT_MET else nxt_reason
                verdict = Verdict.NOT_MET
            elif Verdict.UNKNOWN in (verdict, nxt):
                reason = reason if verdict is Verdict.UNKNOWN else nxt_reason
                verdict = Verdict.UNKNOWN
            else:
                reason = f"{reason}; {nxt_reason}"
    basis = Basis.NONE if verdict is Verdict.UNKNOWN else Basis.FACT
    return verdict, reason, basis, evidence, questions


def _within(value: float, constraint: Constraint) -> bool:
    low, high = constraint.low, constraint.high
    if constraint.operator in ("<", "<=") and high is None:
        low, high = None, low  # a bare upper bound may be stored in low
    if constraint.operator == "=" and low is not None:
        return abs(value - low.value) < 1e-9
    if low is not None and (value < low.value or (value == low.value and not low.inclusive)):
        return False
    return not (
        high is not None and (value > high.value or (value == high.value and not high.inclusive))
    )


def _constraint(
    constraint: Constraint, facts: PatientFacts
) -> tuple[Verdict, str, list[Evidence], Question | None]:
    variable = VARIABLES.get(constraint.variable)
    label = variable.label if variable else constraint.variable
    wanted = constraint.describe()
    patient = facts.patient
    if constraint.variable == "age":
        age = patient.age_years()
        if age is None:
            return Verdict.UNKNOWN, f"age not known ({wanted})", [], ask("age", "Age?", "number")
        ok = _within(age, constraint)
        ev = [Evidence(f"age {age:g}", facts.source_of("age"))]
        return verdict_of(ok), f"age {age:g} {'meets' if ok else 'fails'} {wanted}", ev, None
    if constraint.variable in _SCALES:
        return _performance(constraint, facts, wanted)
    if variable is not None and variable.kind == "count":
        counted = _count(constraint.variable, facts)
        question = ask(f"count:{constraint.variable}", f"{label}?", "number")
        if counted is None:
            return Verdict.UNKNOWN, f"{label} not known ({wanted})", [], question
        count, floor, evidence = counted
        if count is None:
            return Verdict.UNKNOWN, f"{label} not known ({wanted})", [evidence], question
        ok = _within(float(count), constraint)
        if floor and not (ok and _open_above(constraint)):
            # "at least 3" meets "> 2" whatever the rest; any other bound needs the rest
            return Verdict.UNKNOWN, f"{label} at least {count} ({wanted})", [evidence], question
        shown = f"at least {count}" if floor else f"{count}"
        return verdict_of(ok), f"{label} {shown} vs {wanted}", [evidence], None
    lab = patient.lab(constraint.variable) if variable is not None else None
    if constraint.variable == "bmi" and lab is None:
        lab = _bmi(facts)
    if lab is None:
        unit = variable.unit if variable else None
        return (
            Verdict.UNKNOWN,
            f"{label} not known ({wanted})",
            [],
            ask(f"lab:{constraint.variable}", f"{label}?", "number", unit),
        )
    if constraint.unit in ("x ULN", "x LLN"):
        ratio = lab.times_limit(constraint.unit)  # type: ignore[arg-type]
        limit = "upper" if constraint.unit == "x ULN" else "lower"
        usual = _usual_limit_outcome(constraint, lab, variable) if ratio is None else None
        if usual is not None:
            # 30 U/L is under 2.5 x ULN whatever the lab's limit in the usual adult range
            low, high = variable.usual_uln  # type: ignore[union-attr, misc]
            written = f"{lab.value:g} {lab.unit or ''}".strip()
            word = "meets" if usual is Verdict.MET else "fails"
            reason = (
                f"{label} {written} {word} {wanted} for any usual upper limit of normal "
                f"({low:g}-{high:g} {variable.unit})"  # type: ignore[union-attr]
            )
            return usual, reason, [Evidence(f"{label} {written}", lab.source)], None
        if ratio is None:
            return (
                Verdict.UNKNOWN,
                f"{label} {lab.value:g} {lab.unit or ''} but no {limit} limit of normal to "
                f"compare with {wanted}",
                [Evidence(f"{label} {lab.value:g} {lab.unit or ''}".strip(), lab.source)],
                ask(
                    f"ref:{constraint.variable}",
                    f"{label}: the lab's {limit} limit of normal (reference range)?",
                    "number",
                    lab.unit,
                ),
            )
        ok = _within(ratio, constraint)
        written = f"{lab.value:g} {lab.unit or ''}".strip()
        ev = [Evidence(f"{label} {written} = {ratio:.2f} x {limit.upper()[0]}LN", lab.source)]
        return verdict_of(ok), f"{label} {ratio:.2f} x {limit} limit vs {wanted}", ev, None
    value, unit = lab.canonical()
    guess: str | None = None
    if unit is None and constraint.unit and variable is not None and variable.unit:
        # a bare number ("Glucose: 95"): its size may tell the unit, else it is not compared
        guess = assumed_unit(variable, lab.value)
        if guess is None:
            return (
                Verdict.UNKNOWN,
                f"{label} {lab.value:g} has no unit to compare with {wanted}",
                [Evidence(f"{label} {lab.value:g}", lab.source)],
                ask(f"lab:{constraint.variable}", f"{label}?", "number", variable.unit),
            )
        value, unit = to_canonical(lab.value, guess, variable)
    if constraint.unit is None and variable is not None and variable.unit is not None:
        return _bare_bound(constraint, lab, value, unit, variable, wanted)
    if constraint.unit and unit and constraint.unit != unit:
        return (
            Verdict.UNKNOWN,
            f"{label} {lab.value:g} {lab.unit} cannot be compared with {wanted}",
            [Evidence(f"{label} {lab.value:g} {lab.unit}", lab.source)],
            None,
        )
    ok = _within(value, constraint)
    shown = _shown(lab.value, lab.unit or guess, value, unit)
    if guess is not None:
        shown += " (no unit given; read by its size)"
    ev = [Evidence(f"{label} {shown}", lab.source)]
    given = as_written(constraint)
    if given is not None and guess is not None and _same_unit(guess, constraint.raw_unit):
        # "Glucose 100 (no unit given ...) fails glucose < 100 mg/dL", not "5.551 mmol/L
        # fails < 5.551 mmol/L"
        shown, wanted = f"{lab.value:g} {guess} (no unit given; read by its size)", given
    elif given is not None and _same_unit(lab.unit, constraint.raw_unit):
        # "Glucose 100 mg/dL meets glucose <= 100 mg/dL": both as written, no conversion
        shown, wanted = f"{lab.value:g} {lab.unit or ''}".strip(), given
    elif given is not None:
        wanted = f"{given} ({constraint.canonical().removeprefix(constraint.variable).strip()})"
    return verdict_of(ok), f"{label} {shown} {'meets' if ok else 'fails'} {wanted}", ev, None


def as_written(constraint: Constraint) -> str | None:
    """The bound in the criterion's own unit ("glucose <= 100 mg/dL") when it was
    converted to another (5.551 mmol/L), else None."""
    if not constraint.raw_unit or constraint.raw_unit == constraint.unit:
        return None
    bound = constraint.raw_value.strip()
    text = bound if constraint.operator == "range" else f"{constraint.operator} {bound}"
    text = f"{constraint.variable} {text}"
    return text if constraint.condition is None else f"{text} if {constraint.condition}"


def _same_unit(written: str | None, criterion: str | None) -> bool:
    if not written or not criterion:
        return False
    return written.replace(" ", "").lower() == criterion.replace(" ", "").lower()


#: a multiple of the limit of normal a criterion can name
_RATIO_RANGE = (0.5, 20.0)


def _bare_readings(constraint: Constraint, variable: Variable) -> list[tuple[str, Constraint]]:
    """Each unit a criterion's number written without one may be in, with the bound in
    the canonical unit (or as a multiple of ULN): "creatinine < 1.7" is 150 umol/L or
    1.7 x ULN, never 1.7 umol/L. A unit is kept when the bound it makes is one a criterion
    on this lab can name: inside the plausible range and, for labs with a usual ULN,
    between half the lowest and 20 times the highest ULN."""
    readings = []
    canonical = (variable.unit,) if variable.unit else ()
    for label in variable.bare_units or canonical:
        if label in ("x ULN", "x LLN"):
            bounds = [b for b in (constraint.low, constraint.high) if b is not None]
            if all(_RATIO_RANGE[0] <= b.value <= _RATIO_RANGE[1] for b in bounds):
                readings.append((label, constraint))
            continue
        low, high = (
            _moved(constraint.low, label, variable),
            _moved(constraint.high, label, variable),
        )
        if all(b is None or _bound_plausible(b.value, variable) for b in (low, high)):
            readings.append((label, replace(constraint, low=low, high=high, unit=variable.unit)))
    return readings


def _bound_plausible(value: float, variable: Variable) -> bool:
    if math.isnan(value):
        return False  # a unit the variable's does not convert to
    if variable.plausible is not None:
        low, high = variable.plausible
        if not low <= value <= high:
            return False
    if variable.usual_uln is not None:
        low, high = variable.usual_uln
        return low * _RATIO_RANGE[0] <= value <= high * _RATIO_RANGE[1]
    return True


def _moved(bound: Bound | None, label: str, variable: Variable) -> Bound | None:
    """``bound`` read in ``label``, in the canonical unit; a unit that does not convert
    gives a bound of no plausible size (never compared)."""
    if bound is None:
        return None
    value, unit = to_canonical(bound.value, label, variable)
    return Bound(value if unit == variable.unit else float("nan"), bound.inclusive)


def _bare_bound(
    constraint: Constraint,
    lab: Lab,
    value: float,
    unit: str | None,
    variable: Variable,
    wanted: str,
) -> tuple[Verdict, str, list[Evidence], Question | None]:
    """A bound written without a unit, judged in every unit it may be in: decided only
    where all readings agree ("creatinine < 1.7" met by 0.9 mg/dL as mg/dL and as x ULN),
    else UNKNOWN saying why. Comparing the patient's umol/L with a bare 1.7 ruled a
    patient with normal kidneys out."""
    label = variable.label
    shown = _shown(lab.value, lab.unit, value, unit)
    evidence = [Evidence(f"{label} {shown}", lab.source)]
    readings = _bare_readings(constraint, variable)
    if unit != variable.unit or not readings:
        why = "no unit" if readings else "no unit a bound on this lab can have"
        return Verdict.UNKNOWN, f"{label} {shown}: {wanted} gives {why}", evidence, None
    outcomes: list[tuple[str, Verdict]] = []
    question = None
    for written, bound in readings:
        if written == "x ULN" or written == "x LLN":
            outcome = _ratio_outcome(bound, lab, value, variable, written)
            if outcome is Verdict.UNKNOWN:
                which = "upper" if written == "x ULN" else "lower"
                question = ask(
                    f"ref:{variable.id}",
                    f"{label}: the lab's {which} limit of normal (reference range)?",
                    "number",
                    lab.unit,
                )
        else:
            outcome = verdict_of(_within(value, bound))
        outcomes.append((written.replace("x ", "× "), outcome))
    found = {outcome for _, outcome in outcomes}
    names = " and as ".join(written for written, _ in outcomes)
    if len(found) == 1 and Verdict.UNKNOWN not in found:
        verdict = found.pop()
        word = "meets" if verdict is Verdict.MET else "fails"
        return (
            verdict,
            f"{label} {shown} {word} {wanted} (no unit given: as {names})",
            evidence,
            None,
        )
    each = "; ".join(f"as {written} {_WORDS[outcome]}" for written, outcome in outcomes)
    return Verdict.UNKNOWN, f"{label} {shown}: {wanted} gives no unit ({each})", evidence, question


_WORDS = {Verdict.MET: "met", Verdict.NOT_MET: "not met", Verdict.UNKNOWN: "not known"}


def _ratio_outcome(
    bound: Constraint, lab: Lab, value: float, variable: Variable, written: str
) -> Verdict:
    """The reading as a multiple of the lab's own limit, or of every usual adult ULN."""
    ratio = lab.times_limit(written)  # type: ignore[arg-type]
    if ratio is not None:
        return verdict_of(_within(ratio, bound))
    return _usual_span_outcome(bound, value, variable) if written == "x ULN" else Verdict.UNKNOWN


def _usual_span_outcome(bound: Constraint, value: float, variable: Variable) -> Verdict:
    """``value`` (canonical unit) against a x ULN bound for every usual adult upper limit:
    decided only when the whole span falls on one side of the bound."""
    if variable.usual_uln is None:
        return Verdict.UNKNOWN
    low, high = variable.usual_uln
    ends = {_within(value / high, bound), _within(value / low, bound)}
    # the whole span meets a range bound only when both ends do; one end below and the
    # other above its inside may have the middle in it
    if ends == {True} or (ends == {False} and _one_sided(bound)):
        return verdict_of(ends.pop())
    return Verdict.UNKNOWN


def _usual_limit_outcome(
    constraint: Constraint, lab: Lab, variable: Variable | None
) -> Verdict | None:
    """A x ULN bound against a reading without its lab's limit, decided only when every
    usual adult upper limit gives the same answer (None: it does not, or no span)."""
    if constraint.unit != "x ULN" or variable is None:
        return None
    value, unit = lab.canonical()
    if unit != variable.unit:
        return None
    outcome = _usual_span_outcome(constraint, value, variable)
    return None if outcome is Verdict.UNKNOWN else outcome


def _one_sided(constraint: Constraint) -> bool:
    return constraint.low is None or constraint.high is None or constraint.operator != "range"


def _shown(written: float, written_unit: str | None, value: float, unit: str | None) -> str:
    """A reading as the record gives it, then in the criterion's unit when that differs:
    "0.8 mg/dL (13.7 umol/L)", never a converted "13.6832 umol/L" alone."""
    canonical = f"{value:.4g} {unit or ''}".strip()
    if written_unit is None or written_unit == unit:
        return canonical
    return f"{written:g} {written_unit} ({canonical})"


def _performance(
    constraint: Constraint, facts: PatientFacts, wanted: str
) -> tuple[Verdict, str, list[Evidence], Question | None]:
    patient = facts.patient
    scale = constraint.variable
    reading = patient.performance_score(scale)
    converted = ""
    if reading is None and scale in ("ecog", "who_ps"):
        reading = patient.performance_score("who_ps" if scale == "ecog" else "ecog")
        if reading is None:
            kps = patient.performance_score("karnofsky")
            if kps is not None:
                grade = next(g for floor, g in _KARNOFSKY_TO_ECOG if kps.value >= floor)
                ok = _within(float(grade), constraint)
                ev = [Evidence(f"Karnofsky {kps.value:g} (about ECOG {grade})", kps.source)]
                return (
                    verdict_of(ok),
                    f"Karnofsky {kps.value:g} ≈ ECOG {grade} vs {wanted}",
                    ev,
                    None,
                )
    if reading is None:
        name = VARIABLES[scale].label
        return (
            Verdict.UNKNOWN,
            f"{name} not known ({wanted})",
            [],
            ask(f"performance:{scale}", f"{name}?", "number"),
        )
    ok = _within(reading.value, constraint)
    ev = [Evidence(f"{reading.scale.upper()} {reading.value:g}{converted}", reading.source)]
    return verdict_of(ok), f"{reading.scale.upper()} {reading.value:g} vs {wanted}", ev, None


def _count(variable: str, facts: PatientFacts) -> _Counted | None:
    if variable == "prior_lines":
        lines = [t.line for t in facts.patient.therapies if t.line is not None]
        if lines:
            return max(lines), False, Evidence(f"{max(lines)} prior lines of therapy")
        never = [t for c in _SYSTEMIC for t in facts.therapy_absent.get(c, [])]
        had = [t for c in _SYSTEMIC for t in facts.therapy_classes.get(c, [])]
        if never and not had:
            return 0, False, Evidence(f"no {never[0].name}", never[0].source)  # "Prior chemo: no"
        ended = [t for t in had if t.status == "completed"]
        if ended:
            # a systemic therapy given is one line at least; how many is not said (drugs
            # given together or one after another may be one line or several)
            return 1, True, Evidence(f"{ended[0].name}: at least 1 line", ended[0].source)
        if had:
            # the therapy given now is the current line, not a prior one until it ends
            # ("currently on first-line FOLFOX" has no prior line yet, or one at progression)
            now = had[0]
            return None, True, Evidence(f"{now.name} (ongoing): not yet a prior line", now.source)
        return None
    found = tally(facts.patient, variable)
    if not found.conditions:
        return None
    first = found.conditions[0]
    names = ", ".join(dict.fromkeys(c.name for c in found.conditions))
    if found.count is None:
        # the counted thing is there without a number: the count is not known, and a
        # complete history does not make it zero
        return None, True, Evidence(f"{names}: number not given", first.source)
    shown = f"{'at least ' if found.more else ''}{found.count}"
    return found.count, found.more, Evidence(f"{names}: {shown} lesions", first.source)


def _open_above(constraint: Constraint) -> bool:
    """A lower bound only ("> 3", ">= 2"): a larger count meets it too."""
    return constraint.operator in (">", ">=") or (
        constraint.operator == "range" and constraint.high is None
    )


def _bmi(facts: PatientFacts) -> Lab | None:
    weight, height = facts.patient.lab("weight"), facts.patient.lab("height")
    if weight is None or height is None:
        return None
    kg, cm = weight.canonical()[0], height.canonical()[0]
    return Lab(
        test="bmi", value=round(kg / (cm / 100) ** 2, 1), unit="kg/m^2", source=weight.source
    )


def verdict_of(ok: bool) -> Verdict:
    return Verdict.MET if ok else Verdict.NOT_MET


def ask(key: str, text: str, answer: str = "yes_no", unit: str | None = None) -> Question:
    return Question(key=key, text=text, answer=answer, unit=unit)
