"""Numeric constraints of one item: variable mention -> comparison -> canonical bounds.

The extractor finds every catalogue alias in the item, groups mentions that share one
comparison ("AST, ALT ≤ 2.5 × ULN", "ALT/AST"), reads the comparison after the group
(skipping filler such as "level", "of", "(ECOG)", "must be"), then looks for a
conditional variant ("(≤ 5 × ULN if liver metastases)") and a restatement in other
units ("(≥ 100,000/mm³)"), which is consumed, not repeated. Age also comes as "18
years or older"; counts ("≤ 5 liver metastases", "at least 2 prior lines") put the
number before the noun, so count variables only yield a constraint with a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from trialscope.criteria.catalogue import BY_ID, Variable, variable_lexicon
from trialscope.criteria.comparison import (
    NUMBER,
    PRE_OPERATOR,
    PRE_OPS,
    Comparison,
    Op,
    ValueKind,
    read_comparison,
)
from trialscope.criteria.event_age import about_an_event
from trialscope.criteria.lexicon import Hit
from trialscope.criteria.model import Bound, Constraint, Joiner, Span
from trialscope.criteria.units import assumed_unit, to_canonical

_FILLER = re.compile(
    r"\s*(?:\((?:[^()\d<>≤≥=;]{0,60})\)|[)\]]|(?:levels?|category|physiological|cardiac|function|goal|counts?|values?|concentrations?|scores?"
    r"|status|grade|class(?:ification)?|of|is|are|was|were|must|should|shall|will|be|been|has"
    r"|have|to|serum|plasma|blood|total|absolute|results?|measured|calculated|estimated|by"
    r"|according|cockcroft[\s-]*gault|formula|fraction|rating|scale|index|the|a|an|baseline"
    r"|screening|at|ratio|range|tests?|ps|physical|functional|measurement|documented|need|needs"
    r"|required|requires|performance|subjects?|patients?|participants?|kps|ecog|who|using|on"
    r"|echocardiogram|echo|muga|scan|per|mdrd|ckd[\s-]*epi|equation|score:?|time|status:"
    r"|adequate|sufficient|number|within|limit|preoperative|expected|estimated|evaluation"
    r"|assessment|for|period)(?![A-Za-z])|\((?=[ \t]*[<>≤≥]|[ \t]*\d)"
    r"|,(?=[ \t]*[<>≤≥=])|(?::|\s-)(?=[ \t]*(?:[<>≤≥=\d]|[A-Za-z ]{0,30}?\d))|-(?=[ \t]*[A-Za-z]))",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"^[\s,/&+]*(?:(?:and/or|and|or|as\s+well\s+as|plus)[\s,/&]*)?$", re.I)
_PAREN_SAME = re.compile(r"^\s*\(\s*$")
_CLOSE = re.compile(r"\s*\)")
_OR_GAP = re.compile(r"\bor\b|\bunless\b", re.IGNORECASE)  # "and/or" is an or
_JOINT = re.compile(r"\s*(?:,\s*)?(?:and/or|or|and|but)\s+|\s*[,&]\s*(?=[<>≤≥])", re.IGNORECASE)
_RESTATE = re.compile(r"[ \t]*[,;]?[ \t]*\(?[ \t]*(?:or[ \t]+|i\.e\.,?[ \t]*)?")
_CONDITION_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:if|when|in\s+case\s+of|in\s+(?:the\s+)?(?:presence|setting|case)\s+of"
    r"|(?:in|for)\s+(?:patients|subjects|participants|those|cases|people|individuals|women"
    r"|men|males|females)(?:\s+(?:with|who|having))?|in|for|with|due\s+to|where)\s+"
    r"(?P<cond>[^;()]{1,80}?)[ \t]*"
    r"(?=\)|;|$|\.(?:\s|$)|,\s*(?:and\s+|or\s+)?[A-Za-z/ ]{1,30}?[<>≤≥])",
    re.IGNORECASE,
)
_CONDITION_BEFORE = re.compile(
    r"[ \t]*[,;]?[ \t]*\(?[ \t]*(?:or[ \t]+)?(?:if|in\s+case\s+of|in\s+the\s+presence\s+of"
    r"|(?:in|for)\s+(?:patients|subjects|participants|those)\s+(?:with|who\s+have))\s+"
    r"(?P<cond>[^;():≤≥<>=]{1,60}?)[ \t]*[:,]?[ \t]*(?=[<>≤≥=]|(?:less|greater|more|no|not|at)\s)",
    re.IGNORECASE,
)
_AGE_TAIL = re.compile(
    r"(?<![A-Za-z])(?:(?:years?|yrs?)(?![A-Za-z])[ \t]*(?:\(\s*inclusive\s*\)\s*)?(?:of\s+"
    r"age|old|or\s+(?:older|above|over|younger)(?!\s*than)|and\s+(?:older|above|over|younger"
    r"|up))|(?:months?|weeks?|days?)\s+(?:of\s+age|old)|y\.?o\.?(?![A-Za-z])|y/o)"
    r"|(?<=\d)\s*(?:or|and)\s+(?:older|younger)(?![A-Za-z])",
    re.IGNORECASE,
)
# an item that begins by denying a bound on whoever it names: "No patients over age 70",
# "No high risk patient (under age 40) for whom ..."
_DENIED_ITEM = re.compile(
    r"\W*(?:(?:patients?|subjects?|participants?)\s+)?(?:(?:must|should|shall|may)\s+)?"
    r"(?:no|not)\s+(?:(?:have|has|be)\s+)?(?:an?\s+)?(?:(?:high[\s-]+risk|patients?|subjects?|participants?|persons?|people"
    r"|individuals?|children|adults?|women|men|candidates?|with|aged?|baseline|serum|plasma"
    r"|blood)[\s(,]*)*\Z",
    re.IGNORECASE,
)
_DENIED_BEFORE = re.compile(r"\b(?:no|not)\s+(?:be\s+)?\Z", re.IGNORECASE)
# "older than 14", "over 50 years" after a person: age without the word age
_AGE_WORDS = re.compile(
    r"(?:older|younger)\s+than\s+(?=\d)|(?<![A-Za-z])(?:patients?|subjects?|participants?"
    r"|adults?|men|women|males?|females?|children|adolescents?|volunteers?|individuals?|people"
    r"|persons?|boys|girls|infants|neonates|pregnant\s+women|smokers)(?:\s+(?:must\s+be|"
    r"are|who\s+are|aged|of|with\s+an?\s+age\s+of|between|from))?\s*[,:(]?\s*(?=(?:"
    + PRE_OPERATOR.pattern
    + r")?\s*\d{1,3}(?:\s*(?:-|to|and)\s*\d{1,3})?\s*(?:years?|yrs?))",
    re.IGNORECASE,
)
# an item that is only an age range: "18-65 years", "Over 18 years."
_DIGIT = re.compile(r"\d")
_AGE_ALONE = re.compile(
    r"\s*((?:"
    + PRE_OPERATOR.pattern
    + r")?\s*\d{1,3}(?:\s*(?:-|to|~)\s*\d{1,3})?\s*(?:years?|yrs?)"
    r"(?:\s+old)?)\s*[.;,]?\s*$",
    re.IGNORECASE,
)
_BEFORE_NOUN = re.compile(
    r"(?:(?:between|from)\s+|(?:"
    + PRE_OPERATOR.pattern
    + r")\s*)?\d{1,3}(?:\s*(?:-|to)\s*\d{1,3})?"
    r"\s*(?:weeks?|wks?|days?)'?\s*(?:of\s+)?$",
    re.IGNORECASE,
)
_NOT_AGE_AFTER = re.compile(
    r"\s*(?:of\s+(?:treatment|therapy|disease|diagnosis|follow|experience|smoking|education)|"
    r"prior|before|after|since|ago|duration|history|post|from\s+diagnosis)",
    re.IGNORECASE,
)
_PRE = PRE_OPERATOR.pattern
_BACK_NUMBER = re.compile(
    r"(?:(?:between|from)\s+|(?:"
    + _PRE
    + r")\s*)?(?:"
    + NUMBER
    + r")(?:\s*(?:-|to|~|and)\s*(?:"
    + NUMBER
    + r"))?\s*$",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(
    # a TNM category ("T4 lesion") is no count: the digit may not follow a letter
    r"(?:(?:between|from)\s+|(?:" + _PRE + r")\s*)?"
    r"(?:(?<![A-Za-z])\d{1,2}|(?i:one|two|three|four|five|six"
    r"|seven|eight|nine|ten|a\s+single|single))(?:\s*(?:-|to|or)\s*(?:\d{1,2}|(?i:one|two|three"
    r"|four|five|six|seven|eight|nine|ten)))?(?:\s*\(?\s*or\s+(?:fewer|less|more)\s*\)?)?\s+"
    r"(?:(?:measurable|metastatic|target|evaluable|prior|previous|systemic|distinct|separate|new"
    r"|active|untreated|treated|discrete|radiographically|independent|different|or\s+more|or"
    r"\s+fewer|or\s+less|lines?\s+of|cytotoxic|chemotherapy|standard|liver|hepatic|brain|lung"
    r"|pulmonary|bone|of|the|prior\s+systemic|objective|tumou?r|visible|detectable|unresectable|resectable|synchronous|bilobar)\s+){0,3}$",
    re.IGNORECASE,
)
_PRE_BEFORE = re.compile(
    r"\b((?:over|above|under|below|older\s+than|younger\s+than|greater\s+than|more\s+than"
    r"|less\s+than|at\s+least|at\s+most|up\s+to|minimum|maximum|[<>≤≥]=?))\s*(?:the\s+)?$",
    re.IGNORECASE,
)
_BETWEEN_BEFORE = re.compile(r"\b(?:between|from)\s+(?:the\s+)?$", re.IGNORECASE)
_NUMBER_OF = re.compile(r"(?:number|count|total)\s+of\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_SLASH_SECOND = re.compile(r"[ \t]*/[ \t]*(\d{2,3})")
# "number of liver metastases before chemotherapy was more than 5": a short time or
# imaging qualifier between a count's noun and its comparison (words only, no number)
_COUNT_QUALIFIER = re.compile(
    r"[ \t]+(?:before|after|prior\s+to|at|on|during|following|since|from)[ \t]+"
    r"(?:[A-Za-z][A-Za-z-]*[ \t]*){1,4}?(?=(?:was|were|is|are|must|should|shall|will|:"
    r"|[<>≤≥=]|(?:more|less|fewer|greater|higher|lower|no|not|at\s+(?:least|most)|up\s+to"
    r"|over|under|above|below|exceed\w*)(?![A-Za-z])))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Found:
    variable: Variable
    comparison: Comparison
    mention: Span
    condition: str | None = None
    joiner: Joiner | None = None


def _kind(variable: Variable) -> ValueKind:
    if variable.id in ("nyha", "asa"):
        return "roman"
    if variable.id == "child_pugh":
        return "letter"
    return "integer" if variable.kind in ("ordinal", "count") else "number"


def _read(
    text: str, pos: int, end: int, variable: Variable, *, between: bool = False
) -> Comparison | None:
    kind = _kind(variable)
    found = read_comparison(text, pos, end, kind, between=between)
    if found is None and kind == "letter":
        found = read_comparison(text, pos, end, "integer", between=between)
    return found


def _operator(phrase: str) -> Op | None:
    m = PRE_OPERATOR.fullmatch(phrase.strip())
    if m is None or m.lastgroup is None:
        return None
    op = PRE_OPS[m.lastgroup]
    return None if op == "=" else op


def _with_operator(cmp: Comparison, op: Op, start: int) -> Comparison:
    value = cmp.low if cmp.low is not None else cmp.high
    lower = op in (">", ">=")
    return Comparison(
        op,
        value if lower else None,
        op == ">=",
        None if lower else value,
        op == "<=",
        cmp.raw_value,
        cmp.raw_unit,
        cmp.unit,
        start,
        cmp.end,
    )


_SCALES = frozenset({"ecog", "who_ps", "karnofsky", "lansky"})
_SCALE_WORDS = re.compile(r"\b(?:performance|ecog|kps|status:)", re.I)


def _read_after(
    text: str, pos: int, end: int, variable: Variable, *, between: bool = False
) -> Comparison | None:
    """Skip filler after a mention, then read a comparison (at most 8 filler steps)."""
    at = pos
    for _ in range(8):
        found = _read(text, at, end, variable, between=between)
        if found is not None:
            return found
        filler = _FILLER.match(text, at, end)
        if filler is None or filler.end() == at:
            return None
        if variable.id not in _SCALES and _SCALE_WORDS.search(filler.group()):
            return None  # "Age: Any age Performance status: ECOG 0-4" is no age bound
        at = filler.end()
    return None


def _groups(hits: list[Hit[str]], text: str) -> list[list[Hit[str]]]:
    """Mentions that share one comparison: separated only by commas, slashes, and/or."""
    groups: list[list[Hit[str]]] = []
    skip_until = -1
    for hit in hits:
        if hit.start < skip_until:
            continue
        if groups:
            last = groups[-1][-1]
            gap = text[last.end : hit.start]
            if hit.value == last.value and _PAREN_SAME.match(gap):
                close = _CLOSE.match(text, hit.end)
                if close:  # "AST (SGOT)": the same variable restated in brackets
                    groups[-1][-1] = Hit(last.start, close.end(), last.value, last.text)
                    continue
            if (
                len(groups[-1]) == 1
                and last.value in _SCALES
                and hit.value in _SCALES
                and not gap.strip(" :\t")
            ):
                # "Performance status: ECOG 0-2": the scale named after the label is the one
                # (read twice, the value made two constraints and tied the next "or" to one)
                groups[-1] = [hit]
                continue
            listed = _LIST_GAP.match(gap) and len(gap) < 12 and hit.value != last.value
            if listed and BY_ID[hit.value].kind == BY_ID[last.value].kind != "count":
                groups[-1].append(hit)
                continue
        groups.append([hit])
    return groups


def _constraint(
    text: str, to_source: Callable[[int, int], Span], found: _Found, joiner: Joiner
) -> Constraint | None:
    variable, cmp = found.variable, found.comparison
    label = cmp.unit
    probe = cmp.low if cmp.low is not None else cmp.high
    if label is None and probe is not None:
        label = assumed_unit(variable, probe)
    unit: str | None = label

    def bound(value: float | None, inclusive: bool) -> Bound | None:
        nonlocal unit
        if value is None:
            return None
        converted, unit = to_canonical(value, label, variable)
        return Bound(converted, inclusive)

    if label == "points":
        label = unit = None  # a score's points are its plain number
    low = bound(cmp.low, cmp.low_inclusive)
    high = bound(cmp.high, cmp.high_inclusive)
    if label not in (None, "x ULN", "x LLN") and variable.unit != unit:
        return None  # "body weight for one hour": a unit the variable cannot have
    if variable.plausible and unit == variable.unit:
        lo, hi = variable.plausible
        for b in (low, high):
            if b is not None and not (lo * 0.5 <= b.value <= hi * 2):
                return None
    start = min(found.mention[0], cmp.start)
    end = max(found.mention[1], cmp.end)
    return Constraint(
        variable=variable.id,
        operator=cmp.operator,
        low=low,
        high=high,
        unit=unit,
        raw_value=cmp.raw_value,
        raw_unit=cmp.raw_unit,
        span=to_source(start, end),
        text=text[start:end],
        joiner=found.joiner or joiner,
        condition=found.condition,
    )


def _variants(text: str, at: int, end: int, variable: Variable) -> tuple[list[_Found], int]:
    """After a comparison: restatements (consumed) and conditional variants."""
    out: list[_Found] = []
    for _ in range(3):
        joint = _JOINT.match(text, at, end)
        if joint:
            # "< 110 or > 180 mmHg": an alternative bound; "≥ 19 and ≤ 50 years": a second
            # bound (annotators count these as two comparisons, so they stay two)
            second = _read(text, joint.end(), end, variable)
            if second is not None and second.operator not in ("=", "range"):
                joiner: Joiner = "or" if "or" in joint.group().lower() else "and"
                out.append(_Found(variable, second, (second.start, second.end), None, joiner))
                at = second.end
                continue
        lead = _RESTATE.match(text, at, end)
        pos = lead.end() if lead else at
        before = _CONDITION_BEFORE.match(text, at, end)
        if before:
            cmp = _read(text, before.end(), end, variable)
            if cmp is not None:
                close = _CLOSE.match(text, cmp.end, end)
                out.append(_Found(variable, cmp, (cmp.start, cmp.end), before.group("cond"), "or"))
                at = close.end() if close else cmp.end
                continue
        cmp = _read(text, pos, end, variable)
        if cmp is None or (cmp.operator == "=" and not cmp.raw_unit):
            break
        cond = _CONDITION_AFTER.match(text, cmp.end, end)
        if cond:
            out.append(
                _Found(variable, cmp, (cmp.start, cmp.end), cond.group("cond").strip(), "or")
            )
            close = _CLOSE.match(text, cond.end(), end)
            at = close.end() if close else cond.end()
            continue
        close = _CLOSE.match(text, cmp.end, end)
        if lead and "(" in lead.group() and close:
            at = close.end()  # "(≥ 100,000/mm³)": the same bound in other units
            continue
        break
    return out, at


def extract_constraints(
    text: str, start: int, end: int, to_source: Callable[[int, int], Span]
) -> list[Constraint]:
    """Constraints of the item ``text[start:end]`` (cleaned text), spans in the source."""
    hits = [h for h in variable_lexicon().finditer(text, start, end) if not _in_ratio(text, h)]
    found: list[_Found] = []
    used: list[Span] = []
    for group in _groups(hits, text):
        last = group[-1]
        variable = BY_ID[last.value]
        if variable.kind == "count":
            found.extend(_count(text, start, end, last, variable))
            continue
        opened = _BETWEEN_BEFORE.search(text, max(start, group[0].start - 12), group[0].start)
        cmp = _read_after(text, last.end, end, variable, between=opened is not None)
        if cmp is None and variable.id == "gestational_age":
            cmp = _read_before(text, start, last.start)  # "more than 34 weeks gestation"
        if cmp is None or _ABOVE_LIMIT.match(text, cmp.end):
            # "Creatinine no greater than 0.3 mg/dL above ULN": a margin over the upper
            # limit, not a value (it was read as creatinine <= 0.3 mg/dL)
            continue
        if cmp.operator == "=":
            # "under the age of 18", "over age 18": the operator comes before the noun
            pre = _PRE_BEFORE.search(text, max(start, group[0].start - 30), group[0].start)
            op = _operator(pre.group(1)) if pre else None
            named = group[0].text.lower()  # "Minimum Age: 18 Years"
            if op is None and named.startswith(("min", "max")):
                op = ">=" if named.startswith("min") else "<="
            if op is not None and cmp.low is not None:
                cmp = _with_operator(cmp, op, pre.start() if pre else cmp.start)
        if variable.id == "ecog" and (cmp.high or cmp.low or 0) > 5:
            variable = BY_ID["karnofsky"]
        for hit in group:
            member = BY_ID[hit.value] if variable.id != "karnofsky" else variable
            if member.id == "blood_pressure":
                found.extend(_blood_pressure(text, cmp, hit, end))
                continue
            found.append(_Found(member, cmp, (hit.start, hit.end)))
        variants, _ = _variants(text, cmp.end, end, variable)
        for variant in variants:
            for hit in group:
                found.append(_Found(BY_ID[hit.value], variant.comparison, (hit.start, hit.end),
                                    variant.condition, variant.joiner))  # fmt: skip
        used.append((last.start, cmp.end))
    found.extend(_age_phrases(text, start, end, found))
    found.sort(key=lambda f: (f.comparison.start, f.mention[0]))
    out: list[Constraint] = []
    previous_end = start
    for item in found:
        gap = text[previous_end : item.comparison.start]
        joiner: Joiner = "or" if out and _OR_GAP.search(gap) else "and"
        built = _constraint(text, to_source, item, joiner)
        lead = min(item.mention[0], item.comparison.start)
        # (a comparator that took the "not" itself, "must not be older than", is turned)
        at = item.comparison.start
        denied_here = _DENIED_BEFORE.search(text, max(start, at - 12), at)
        if built is not None and not denied_here and _DENIED_ITEM.match(text, start, lead):
            built = _denied(built)  # "No patients over age 70" asks age <= 70
        if built is not None and built.variable == "age":
            lo, hi = min(lead, item.comparison.start), item.comparison.end
            if about_an_event(text, start, lo, hi):
                continue  # "Age 3 to 21 at diagnosis" is not the age now
        if built is not None:
            out.append(built)
            previous_end = max(previous_end, item.comparison.end)
    return out


# "urine protein:creatinine ratio < 1.0", "albumin-to-creatinine ratio": a urine ratio,
# not the serum reading the variable means
_RATIO_AFTER = re.compile(r"[\s-]*ratio\b", re.IGNORECASE)
_RATIO_BEFORE = re.compile(
    r"\b(?:protein|albumin|microalbumin|calcium|urea|bun)\s*(?:[:/]|-?\s*to\s*-?)\s*\Z",
    re.IGNORECASE,
)


# "LV end diastolic pressure", "pulmonary artery systolic pressure": a pressure inside
# the heart or lungs, not the blood pressure the variable means
_NOT_ARTERIAL = re.compile(
    r"\b(?:end|ventricular|LV|RV|LVEDP|wedge|pulmonary(?:\s+artery)?|PA|atrial|intracranial)"
    r"[\s-]*\Z",
    re.IGNORECASE,
)


# "Bone age no greater than 11 years", "mental age": not how old the patient is
_NOT_AGE_BEFORE = re.compile(r"\b(?:bone|skeletal|mental|developmental|reading)[\s-]*\Z", re.I)


_ABOVE_LIMIT = re.compile(
    r"\s*(?:above|over|greater\s+than|more\s+than|beyond|\+)\s+(?:the\s+)?(?:institutional\s+)?"
    r"(?:ULN|upper\s+limits?|LLN|lower\s+limits?|normal|baseline)\b",
    re.I,
)


def _in_ratio(text: str, hit: Hit[str]) -> bool:
    """The hit names something else: a urine ratio, a pressure that is no blood
    pressure, an age that is not the patient's."""
    variable = BY_ID[hit.value].id
    if variable == "age":
        return _NOT_AGE_BEFORE.search(text, max(0, hit.start - 16), hit.start) is not None
    if variable in ("sbp", "dbp", "blood_pressure"):
        return _NOT_ARTERIAL.search(text, max(0, hit.start - 24), hit.start) is not None
    if variable in ("pf_ratio", "inr"):
        return False
    if _RATIO_AFTER.match(text, hit.end):
        return True
    return _RATIO_BEFORE.search(text, max(0, hit.start - 20), hit.start) is not None


def _denied(constraint: Constraint) -> Constraint | None:
    """The bound an item that begins by denying it asks for: "No patients over 70" is
    age <= 70. A range or an equality has no single opposite bound: dropped."""
    op, low, high = constraint.operator, constraint.low, constraint.high
    if op in (">", ">=") and low is not None and high is None:
        flipped = Bound(low.value, not low.inclusive)
        return replace(constraint, operator="<" if op == ">=" else "<=", low=None, high=flipped)
    if op in ("<", "<=") and (high or low) is not None and not (high and low):
        bound = high or low
        assert bound is not None
        flipped = Bound(bound.value, not bound.inclusive)
        return replace(constraint, operator=">" if op == "<=" else ">=", low=flipped, high=None)
    return None


def _read_before(text: str, start: int, at: int) -> Comparison | None:
    """A comparison ending just before a noun: "< 70 days' gestation", "37 weeks of"."""
    window = text[max(start, at - 50) : at]
    back = _BEFORE_NOUN.search(window)
    if back is None:
        return None
    return read_comparison(text, at - len(window) + back.start(), at)


def _blood_pressure(text: str, cmp: Comparison, hit: Hit[str], end: int) -> list[_Found]:
    """ "BP ≥ 140/90 mmHg" -> systolic ≥ 140 or diastolic ≥ 90."""
    second = _SLASH_SECOND.match(
        text, cmp.end - len(cmp.raw_unit or "") if cmp.raw_unit else cmp.end, end
    )
    sbp, dbp = BY_ID["sbp"], BY_ID["dbp"]
    if second is None:
        return [_Found(sbp, cmp, (hit.start, hit.end))]
    value = float(second.group(1))
    dia = Comparison(
        cmp.operator,
        value if cmp.low is not None else None,
        cmp.low_inclusive,
        value if cmp.high is not None else None,
        cmp.high_inclusive,
        second.group(1),
        cmp.raw_unit,
        cmp.unit,
        second.start(1),
        second.end(),
    )
    return [
        _Found(sbp, cmp, (hit.start, hit.end)),
        _Found(dbp, dia, (hit.start, hit.end), None, "or"),
    ]


def _count(text: str, start: int, end: int, hit: Hit[str], variable: Variable) -> list[_Found]:
    """ "≤ 5 liver metastases", "at least one measurable lesion", "number of ... ≤ 5",
    "number of liver metastases before chemotherapy was more than 5"."""
    window = text[max(start, hit.start - 60) : hit.start]
    before = _COUNT_BEFORE.search(window)
    if before:
        at = hit.start - len(window) + before.start()
        cmp = read_comparison(text, at, hit.start, "integer")
        if cmp is not None and (cmp.raw_unit is None or cmp.unit == "lines"):
            return [_Found(variable, cmp, (hit.start, hit.end))]
    cmp = _read_after(text, hit.end, end, variable)
    if cmp is None and (qualifier := _COUNT_QUALIFIER.match(text, hit.end, end)):
        cmp = _read_after(text, qualifier.end(), end, variable)
    if cmp is None or (cmp.raw_unit is not None and cmp.unit != "lines"):
        return []
    number_of = _NUMBER_OF.search(text, max(start, hit.start - 40), hit.start)
    if cmp.operator == "=" and number_of is None:
        return []
    return [_Found(variable, cmp, (hit.start, hit.end))]


def _age_phrases(text: str, start: int, end: int, found: list[_Found]) -> list[_Found]:
    """ "18 years or older", "≥ 18 years of age", "18-75 years old": age without the word."""
    taken = [(f.comparison.start, f.comparison.end) for f in found if f.variable.id == "age"]
    out: list[_Found] = []
    age = BY_ID["age"]
    # both need a number in digits; most items have none
    digits = _DIGIT.search(text, start, end) is not None
    alone = _AGE_ALONE.match(text, start, end) if digits else None
    if alone and not any(a <= alone.start(1) < b for a, b in taken):
        cmp = read_comparison(text, alone.start(1), end)
        if cmp is not None and cmp.unit == "year":
            out.append(_Found(age, cmp, (cmp.start, cmp.end)))
            taken.append((cmp.start, cmp.end))
    for lead in _AGE_WORDS.finditer(text, start, end) if digits else ():
        at = lead.end()
        if any(a <= at < b for a, b in taken):
            continue
        words = lead.group().lower()
        cmp = read_comparison(text, at, end, between="between" in words or "from" in words)
        if cmp is None or cmp.unit not in ("year", None) or _NOT_AGE_AFTER.match(text, cmp.end):
            continue
        if cmp.operator == "=" and ("older" in words or "younger" in words):
            op: Op = ">" if "older" in words else "<"
            if _DENIED_BEFORE.search(text, max(start, lead.start() - 12), lead.start()):
                op = "<=" if op == ">" else ">="  # "must not be older than 70"
            cmp = _with_operator(cmp, op, lead.start())
        out.append(_Found(age, cmp, (lead.start(), lead.end())))
        taken.append((cmp.start, cmp.end))
    for tail in _AGE_TAIL.finditer(text, start, end):
        window = text[max(start, tail.start() - 50) : tail.start()]
        back = _BACK_NUMBER.search(window)
        if back is None:
            continue
        at = tail.start() - len(window) + back.start()
        if any(a <= at < b or a < tail.end() <= b for a, b in taken):
            continue
        cmp = read_comparison(text, at, end)
        older = re.search(r"older|younger", tail.group(), re.IGNORECASE)
        if cmp is None or (cmp.unit not in ("year", "month", "week", "day") and not older):
            continue
        out.append(_Found(age, cmp, (tail.start(), tail.end())))
        taken.append((cmp.start, cmp.end))
    return out
