"""Units as criteria write them, and conversion to each variable's canonical unit.

:data:`UNIT_PATTERN` recognises a unit right after a number, including the mangled
forms records really contain: ``1.5*109/L`` (10^9/L whose superscript was lost),
``100,000/mm3``, ``1,500/uL``, ``x ULN``, ``(UNL)``. :func:`unit_label` turns the
matched text into one spelling per unit; :func:`to_canonical` converts a value with
pint, using the variable's molar mass for mg/dL <-> umol/L and its valence for mEq/L.
Multiples of the upper / lower limit of normal stay in their own units (``x ULN``,
``x LLN``): they cannot be converted without the lab's reference range.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from trialscope.criteria.catalogue import BY_ID, Variable

_X = r"(?:[x×*✕]|times|-?\s*fold)"
_ULN = (
    r"(?:(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?(?:\(\s*)?"
    r"(?:I?ULN|UNL|upper\s+limits?\s+(?:of\s+)?(?:the\s+)?(?:institutional\s+)?normal"
    r"(?:\s+(?:range|value|limits?))?(?:\s*\(\s*ULN\s*\))?|upper\s+normal\s+(?:limits?|values?|range)"
    r"|normal\s+upper\s+limits?|(?<=[x×*✕])\s*N(?![A-Za-z])"
    # "2 times normal", "3 x normal": the normal meant is its upper limit
    r"|(?<=times\s)(?:the\s+)?normal\b|(?<=[x×]\s)normal\b)(?:\s*\))?)"
)
_LLN = (
    r"(?:(?:the\s+)?(?:institutional\s+)?(?:\(\s*)?(?:LLN|lower\s+limits?\s+(?:of\s+)?"
    r"(?:the\s+)?normal(?:\s+range)?|lower\s+normal\s+limits?)(?:\s*\))?)"
)
_PER_VOLUME_SMALL = (
    r"(?:mm\s*\^?\s*3|mm³|cmm|cumm|cu\.?\s*mm|cubic\s+millimet(?:er|re)s?|u\s*[lL]|mc\s*[lL]"
    r"|microlit(?:er|re)s?|mmc|mm(?![A-Za-z]))"
)
_COUNT = (
    r"(?:(?:[x×*✕]\s*)?10\s*(?:\^|\*\*|[eE]|x)?\s*(?:9|12|6|3)\s*(?:cells\s*)?/\s*(?:[lL]|lit(?:er|re))"
    r"|(?:[x×*✕]\s*)?10\s*(?:\^|\*\*|[eE])?\s*3\s*(?:cells\s*)?(?:/|per)\s*"
    + _PER_VOLUME_SMALL
    + r"|[kK]\s*(?:cells\s*)?/\s*(?:u|mc)\s*[lL]|thou(?:sand)?\s*/\s*(?:u|mc)\s*[lL]"
    r"|(?:cells\s*)?(?:/|per)\s*" + _PER_VOLUME_SMALL + r"|cells\s*/\s*m[lL]|/\s*m[lL]"
    r"|[GT]\s*/\s*[lL](?![a-z]))"
)
_MASS = r"(?:g|gm|gr|grams?|mg|ug|mcg|ng|pg)"
_VOL = r"(?:d[lL]|deciliter|decilitre|[lL](?![a-z])|liter|litre|m[lL]|100\s*m[lL])"
_CONC = (
    r"(?:" + _MASS + r"\s*/\s*" + _VOL + r"|g\s*%|mg\s*%"
    r"|(?:m|u|n|p|mc|micro)?mol\s*/\s*(?:[lL](?![a-z])|liter|litre|mol)|(?-i:mM|uM)(?![a-zA-Z])"
    r"|(?:micro|milli)?moles?\s+per\s+lit(?:er|re)|m[eE]q\s*/\s*[lL]|(?:I?U|UI|iu|units?)\s*/\s*(?:[lL]|m[lL])(?![a-z]))"
)
_CLEARANCE = (
    r"(?:(?:m[lL]|cc)\s*/\s*m(?:i)?n(?:ute)?(?:\s*(?:/|per)\s*1[.,]73\s*(?:m\s*\^?\s*2|m²|m2|sq\.?\s*m)"
    r"(?:\s*(?:BSA|body\s+surface\s+area))?|\s*/\s*m\s*\^?\s*2)?)"
)
_OTHER = (
    r"(?:mm\s*\.?\s*/?\s*hg|mmhg|cm\s*h2o|kg\s*[./·]\s*m\s*(?:\^?\s*-?\s*2|²)|kg\s*/\s*m\s*\^?\s*2|kg\s*/\s*m²|kg\s*/\s*sq\.?\s*m"
    r"|kg\s*/\s*m(?![a-z])|%|percent|per\s*cent|msecs?|milliseconds?|ms(?![a-z])|seconds?|secs?"
    r"|s(?![a-zA-Z])|kilograms?|kgs?|lbs?|pounds?|cm(?![a-z])|centimet(?:er|re)s?|mm(?![a-zA-Z])"
    r"|millimet(?:er|re)s?|inch(?:es)?|°\s*[CF]|º\s*[CF]|deg\s*[CF](?![a-z])|degrees?\s+(?:celsius|centigrade|C|F|"
    r"fahrenheit)|bpm|beats?\s*(?:/|per)\s*min(?:ute)?|breaths?\s*(?:/|per)\s*min(?:ute)?"
    r"|/\s*min(?:ute)?|points?|lines?)"
)
_TIME = (
    r"(?:years?|yrs?|y(?![a-z])|months?|mos?(?![a-z])|weeks?|wks?|days?|d(?![a-z])|hours?|hrs?"
    r"|h(?![a-z]))"
)

#: a unit right after a number (the caller skips spaces first)
UNIT_PATTERN = re.compile(
    r"(?:"
    + _X
    + r"\s*)?"
    + _ULN
    + r"|(?:"
    + _X
    + r"\s*)?"
    + _LLN
    + "|"
    + _COUNT
    + "|"
    + _CONC
    + "|"
    + _CLEARANCE
    + "|"
    + _OTHER
    + "|"
    + _TIME
    + r"(?:\s+(?:of\s+age|old))?",
    re.IGNORECASE,
)

# unit label -> (pint expression, scale); None: not converted by pint
_PINT: dict[str, tuple[str, float] | None] = {
    "10^9/L": ("1/L", 1e9),
    "10^12/L": ("1/L", 1e12),
    "10^6/L": ("1/L", 1e6),
    "10^3/uL": ("1/uL", 1e3),
    "/uL": ("1/uL", 1.0),
    "/mL": ("1/mL", 1.0),
    "g/L": ("g/L", 1.0),
    "g/dL": ("g/dL", 1.0),
    "mg/dL": ("mg/dL", 1.0),
    "mg/L": ("mg/L", 1.0),
    "ug/L": ("ug/L", 1.0),
    "ug/dL": ("ug/dL", 1.0),
    "ng/mL": ("ng/mL", 1.0),
    "ng/dL": ("ng/dL", 1.0),
    "ng/L": ("ng/L", 1.0),
    "pg/mL": ("pg/mL", 1.0),
    "mg/mL": ("mg/mL", 1.0),
    "mmol/L": ("mmol/L", 1.0),
    "umol/L": ("umol/L", 1.0),
    "nmol/L": ("nmol/L", 1.0),
    "pmol/L": ("pmol/L", 1.0),
    "mol/L": ("mol/L", 1.0),
    "mEq/L": ("mmol/L", 1.0),  # divided by the valence in to_canonical
    "mmol/mol": None,
    "U/L": None,
    "U/mL": None,
    "%": None,
    "ms": ("ms", 1.0),
    "s": ("s", 1.0),
    "mmHg": None,
    "cmH2O": None,
    "kg/m^2": None,
    "mL/min": None,
    "mL/min/1.73m^2": None,
    "kg": ("kg", 1.0),
    "lb": ("lb", 1.0),
    "cm": ("cm", 1.0),
    "mm": ("mm", 1.0),
    "m": ("m", 1.0),
    "inch": ("inch", 1.0),
    "degC": ("degC", 1.0),
    "degF": ("degF", 1.0),
    "year": ("year", 1.0),
    "month": ("month", 1.0),
    "week": ("week", 1.0),
    "day": ("day", 1.0),
    "hour": ("hour", 1.0),
}

_LABEL_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), label)
    for p, label in (
        (r"^(?:" + _X + r"\s*)?" + _ULN + "$", "x ULN"),
        (r"^(?:" + _X + r"\s*)?" + _LLN + "$", "x LLN"),
        (r"10\s*(?:\^|\*\*|e|x)?\s*12\s*(?:cells\s*)?/\s*(?:l|lit)", "10^12/L"),
        (r"10\s*(?:\^|\*\*|e|x)?\s*9\s*(?:cells\s*)?/\s*(?:l|lit)", "10^9/L"),
        (r"10\s*(?:\^|\*\*|e|x)?\s*6\s*(?:cells\s*)?/\s*(?:l|lit)", "10^6/L"),
        (r"10\s*(?:\^|\*\*|e)?\s*3\s*(?:cells\s*)?(?:/|per)", "10^3/uL"),
        (r"^10\s*(?:\^|\*\*|e|x)?\s*3\s*(?:cells\s*)?/\s*(?:l|lit)", "10^3/L"),
        (r"^[k]\s*(?:cells\s*)?/|^thou", "10^3/uL"),
        (r"^g\s*/\s*l$", "10^9/L"),  # 'G/L' (giga per litre); g/L is caught below first
        (r"^t\s*/\s*l$", "10^12/L"),
        (r"(?:/|per)\s*(?:mm|cmm|cumm|cu|cubic|u\s*l|mc\s*l|micro|mmc)", "/uL"),
        (r"^/\s*ml$|cells\s*/\s*ml", "/mL"),
        (r"^(?:g|gm|gr|grams?)\s*/\s*d(?:l|eci)|^g\s*%", "g/dL"),
        (r"^(?:g|gm|gr|grams?)\s*/\s*(?:l|lit)", "g/L"),
        (r"^mg\s*/\s*d(?:l|eci)|^mg\s*%|^mg\s*/\s*100\s*ml", "mg/dL"),
        (r"^mg\s*/\s*(?:l|lit)", "mg/L"),
        (r"^mg\s*/\s*ml", "mg/mL"),
        (r"^(?:ug|mcg)\s*/\s*d", "ug/dL"),
        (r"^(?:ug|mcg)\s*/\s*(?:l|lit)", "ug/L"),
        (r"^(?:ng)\s*/\s*ml", "ng/mL"),
        (r"^(?:ng)\s*/\s*dl", "ng/dL"),
        (r"^(?:ng)\s*/\s*l", "ng/L"),
        (r"^(?:pg)\s*/\s*ml", "pg/mL"),
        (r"^mmol\s*/\s*mol", "mmol/mol"),
        (r"^millimoles?\s+per", "mmol/L"),
        (r"^micromoles?\s+per", "umol/L"),
        # 'mM' is millimolar, 'mm' millimetres (the rules are case-blind, these two are not)
        (r"^mmol|(?-i:^mM$)", "mmol/L"),
        (r"^(?:u|mc|micro)mol|(?-i:^uM$)", "umol/L"),
        (r"^nmol", "nmol/L"),
        (r"^pmol", "pmol/L"),
        (r"^mol", "mol/L"),
        (r"^meq", "mEq/L"),
        (r"^(?:i?u|ui|units?)\s*/\s*l", "U/L"),
        (r"^(?:i?u|ui|units?)\s*/\s*ml", "U/mL"),
        (r"^(?:ml|cc)\s*/\s*mi?n(?:ute)?\s*(?:/|per)\s*1", "mL/min/1.73m^2"),
        (r"^(?:ml|cc)\s*/\s*mi?n", "mL/min"),
        (r"^mm\s*\.?\s*/?\s*hg|^mmhg", "mmHg"),
        (r"^cm\s*h2o", "cmH2O"),
        (r"^kg\s*[/.·]\s*(?:m|sq)", "kg/m^2"),
        (r"^%|^per\s*cent", "%"),
        (r"^(?:msecs?|milliseconds?|ms)$", "ms"),
        (r"^(?:seconds?|secs?|s)$", "s"),
        (r"^(?:kilograms?|kgs?)$", "kg"),
        (r"^(?:lbs?|pounds?)$", "lb"),
        (r"^(?:cm|centimet)", "cm"),
        (r"^(?:mm|millimet)", "mm"),
        (r"^(?:m|met(?:er|re)s?)$", "m"),
        (r"^inch", "inch"),
        (r"[°º]\s*c|celsius|centigrade|degrees?\s+c|^deg\s*c$", "degC"),
        (r"[°º]\s*f|fahrenheit|degrees?\s+f|^deg\s*f$", "degF"),
        (r"^bpm|^beats", "bpm"),
        (r"^breaths|^/\s*min", "/min"),
        (r"^points?", "points"),
        (r"^lines?", "lines"),
        (r"^(?:years?|yrs?|y)\b", "year"),
        (r"^(?:months?|mos?)\b", "month"),
        (r"^(?:weeks?|wks?)\b", "week"),
        (r"^(?:days?|d)\b", "day"),
        (r"^(?:hours?|hrs?|h)\b", "hour"),
    )
)

# Labels that are the same unit under another name, no conversion needed.
_SAME: dict[tuple[str, str], float] = {
    ("mL/min", "mL/min/1.73m^2"): 1.0,  # trials use the two interchangeably
    ("mL/min/1.73m^2", "mL/min"): 1.0,
    ("10^3/uL", "10^9/L"): 1.0,
    ("10^9/L", "10^3/uL"): 1.0,
    ("U/mL", "U/L"): 1000.0,
    ("/min", "bpm"): 1.0,  # a heart rate "< 140/min"
}


@lru_cache(maxsize=2048)
def unit_label(text: str) -> str | None:
    """One spelling per unit (``'x 10^9/L'``, ``'*109/L'`` -> ``'10^9/L'``)."""
    squeezed = text.strip()
    for pattern, label in _LABEL_RULES:
        if pattern.search(squeezed):
            if label == "10^9/L" and squeezed.lower().startswith("g/l") and squeezed[0] == "g":
                return "g/L"  # lower-case g/l is grams, G/L is giga
            return label
    return None


@cache
def _registry() -> Any:
    """The pint registry, built on first use (it costs ~0.1 s)."""
    import pint

    return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def _factor(source: str, target: str, variable_id: str) -> tuple[float, float] | None:
    """(scale, offset) so that canonical = value * scale + offset, or None."""
    if source == target:
        return (1.0, 0.0)
    if (source, target) in _SAME:
        return (_SAME[(source, target)], 0.0)
    variable = BY_ID[variable_id]
    if variable_id == "hba1c" and source == "mmol/mol" and target == "%":
        return (1 / 10.929, 2.15)  # IFCC -> NGSP master equation
    src, dst = _PINT.get(source), _PINT.get(target)
    if src is None or dst is None:
        return None
    ureg = _registry()
    try:
        target_unit = ureg.Unit(dst[0])
        molar = None if variable.molar_mass is None else ureg.Quantity(variable.molar_mass, "g/mol")

        def convert(value: float) -> float:
            quantity = ureg.Quantity(value * src[1], src[0])
            if source == "mEq/L":
                quantity = quantity / variable.valence
            if quantity.dimensionality != target_unit.dimensionality:
                if molar is None:
                    raise ValueError("no molar mass")
                by_mass = quantity * molar
                quantity = (
                    by_mass
                    if by_mass.dimensionality == target_unit.dimensionality
                    else quantity / molar
                )
            return float(quantity.to(target_unit).magnitude) / dst[1]

        # two points give scale and offset (offset only for temperatures)
        zero = convert(0.0)
        return (convert(1.0) - zero, zero)
    except Exception:  # pint raises several unrelated types for incompatible units
        return None


def to_canonical(value: float, label: str | None, variable: Variable) -> tuple[float, str | None]:
    """``value`` in ``label`` converted to the variable's unit; unconvertible units (and
    multiples of ULN/LLN) come back unchanged with their own label."""
    if label is None or variable.unit is None or label in ("x ULN", "x LLN"):
        return value, label
    factor = _factor(label, variable.unit, variable.id)
    if factor is None:
        return value, label
    scale, offset = factor
    return round(value * scale + offset, 6), variable.unit


def assumed_unit(variable: Variable, value: float) -> str | None:
    """The unit a bare number most likely means, judged by its size (None: can't tell).

    Only where the readings cannot be confused: a platelet count of 100000 is per uL,
    of 100 is 10^9/L; a hemoglobin of 9 is g/dL, of 90 is g/L; a glucose of 95 is mg/dL,
    of 5.5 mmol/L. Bilirubin, creatinine and
    transaminases are left alone: a bare 1.5 there is as often x ULN as mg/dL.
    """
    vid = variable.id
    if vid in ("anc", "wbc", "lymphocytes", "platelets"):
        return "/uL" if value >= 300 else "10^9/L"
    if vid == "hemoglobin":
        return "g/dL" if value < 25 else "g/L"
    if vid == "albumin":
        return "g/dL" if value < 10 else "g/L"
    if vid == "temperature":  # a body temperature of 39 is Celsius, of 102 Fahrenheit
        return "degC" if 25 <= value <= 45 else ("degF" if 77 <= value <= 113 else None)
    if vid == "glucose":  # mmol/L readings stay under 35, mg/dL ones over 40
        return "mmol/L" if value < 35 else ("mg/dL" if value >= 40 else None)
    if vid == "age":
        return "year"
    if vid == "prior_lines":
        return "lines"
    if vid in ("bmi", "lvef", "karnofsky", "lansky", "hba1c", "future_liver_remnant", "spo2"):
        return variable.unit
    if vid in ("sbp", "dbp", "blood_pressure", "qtc", "crcl", "egfr"):
        return variable.unit
    # one unit in clinical use: "Intraocular pressure: 22." is mmHg, a pulse of 90 per minute
    if vid in ("iop", "heart_rate", "respiratory_rate"):
        return variable.unit
    return None


# a number and the unit written after it: "0.8 mg/dL", "180,000/uL", "3.0 x10^9/L"
_READING = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*((?:[x×*]\s*)?10\s*\^?\s*\d+\s*/\s*[a-zµμ]+"
    r"|[a-zµμ%/][a-zµμ0-9%/.^²]*)",
    re.IGNORECASE,
)


def as_written(text: str, value: float, variable: Variable) -> tuple[float, str] | None:
    """The number and unit in ``text`` that ``value`` (in the variable's unit) was
    converted from, so a reading can be shown as the person wrote it ("bilirubin 0.8
    mg/dL", not "13.6832 umol/L"); None when no written reading converts to it."""
    for match in _READING.finditer(text):
        label = unit_label(match.group(2))
        if label is None:
            continue
        number = float(match.group(1).replace(",", ""))
        converted, unit = to_canonical(number, label, variable)
        if unit == variable.unit and abs(converted - value) <= 1e-6 * max(1.0, abs(value)):
            return number, label
    # a bare number ("Fasting glucose: 100") in the unit its size says: shown as 100 mg/dL,
    # not as the 5.55 mmol/L it was compared in
    for match in _BARE_NUMBER.finditer(text):
        number = float(match.group().replace(",", ""))
        guess = assumed_unit(variable, number)
        if guess is None or guess == variable.unit:
            continue
        converted, unit = to_canonical(number, guess, variable)
        if unit == variable.unit and abs(converted - value) <= 1e-6 * max(1.0, abs(value)):
            return number, guess
    return None


_BARE_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\w.])")
