"""Cancer stage as criteria and notes write it: "Stage IIB-III", "stage III or IV",
"locally advanced or metastatic", "early-stage", "non-metastatic", "T2N1M0".

One reader serves criteria and notes. A finding is a :class:`Stage`: the stages it
allows as ranges on one ordinal scale (stage I = 10-19, IIB = 22, IV = 40-49), and
whether it also names something that is no stage ("unresectable", "recurrent"), which
a stage alone can never rule out. Its ``concept`` (``stage=22-39``,
``stage=30-39,40-49|open``) is what a criteria Mention of category ``stage`` carries.

Words map to ranges the way staging manuals use them: metastatic = IV; non-metastatic
= 0-III; locally advanced = IIB-III; advanced = IIIB-IV; early = 0-IIIA; localized
= 0-II.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Range = tuple[int, int]

METASTATIC: Range = (40, 49)
_WORDS: dict[str, Range | None] = {
    "metastatic": METASTATIC,
    "non-metastatic": (0, 39),
    "locally advanced": (22, 39),
    "advanced": (32, 49),
    "early": (0, 31),
    "localized": (0, 29),
    "unresectable": None,  # no stage: an unresectable stage III and a stage IV both are
    "recurrent": None,
}
_ROMAN = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ONE = r"(?:IV|III|II|I|0|[1-4](?![\d.]))[A-Da-d]?\d?(?![A-Za-z])"
_SEP = r"\s*(?:-|–|—|to|through|or|and/or|and|/|,)\s*"
_STAGE = re.compile(
    r"(?<![A-Za-z])(?i:stages?)\s*(?:(?i:AJCC|clinical|pathologic(?:al)?|TNM|FIGO|Ann\s+Arbor)"
    rf"\s*)?(?P<list>{_ONE}(?:{_SEP}(?:(?i:stage)\s*)?{_ONE})*)"
)
_TERM = (
    r"non[\s-]?metastatic|metastatic|locally[\s-]+advanced|advanced|early[\s-]+stage|early"
    r"|locali[sz]ed|unresectable|inoperable|recurrent|relapsed"
)
_TERMS = re.compile(
    rf"(?<![A-Za-z-])(?P<list>(?i:{_TERM})(?:(?:\s*(?:,|/|or|and/or|and)\s*)+(?i:{_TERM}))*)"
    # stage words speak of a cancer: "advanced heart failure" and "early pregnancy" do not
    r"(?=(?P<gap>[\s-]+(?:[\w()/+,-]+[\s-]+){0,5}?)(?i:cancers?|carcinomas?|tumou?rs?|malignan\w+|neoplasm"
    r"\w*|adenocarcinomas?|melanomas?|sarcomas?|lymphomas?|myelomas?|nsclc|sclc|crc|mcrc|hcc"
    r"|pdac|rcc|mcrpc|crpc|tnbc|mbc|gbm)\b|[\s-]+(?i:disease|setting|stage)\b)"
)
# "early" and "advanced" qualify the next word or two, never across a list
# ("early onset colorectal cancer" is no early stage)
_NEAR_ONLY = re.compile(r"(?i:early|advanced)\Z")
_NOT_STAGE_AFTER = re.compile(r"[\s-]*(?i:onset|age|phase|detection|diagnosis|death)\b")
_TNM = re.compile(
    r"(?<![A-Za-z])[cpy]?T[0-4is][a-d]?(?:-[0-4])?\s*N[0-3X][a-c]?\s*M(?P<m>[01X])[a-c]?\b"
)

_M_ALONE = re.compile(r"(?<![A-Za-z0-9])[cp]?M(?P<m>[01])(?![A-Za-z0-9])")
_T_OR_N = re.compile(r"(?<![A-Za-z0-9])[cpy]?(?:T[0-4]|N[0-3])[a-c]?(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class Stage:
    ranges: tuple[Range, ...]
    #: names something no stage decides ("unresectable"): never ruled out by stage alone
    open: bool
    start: int
    end: int

    #: how the text says it ("stage IIB-III", "locally advanced or metastatic")
    words: str = ""

    @property
    def concept(self) -> str:
        ranges = ",".join(f"{lo}-{hi}" for lo, hi in self.ranges)
        return f"stage={ranges}" + ("|open" if self.open else "") + f";{self.words}"


def parse_concept(concept: str) -> Stage:
    body, _, words = concept.removeprefix("stage=").partition(";")
    open_ = body.endswith("|open")
    body = body.removesuffix("|open")
    ranges = tuple(
        (int(lo), int(hi)) for lo, hi in (part.split("-") for part in body.split(",") if part)
    )
    return Stage(ranges, open_, 0, 0, words)


def _one(text: str) -> Range:
    """ "IIB" -> (22, 22); "III" -> (30, 39); "3" -> (30, 39)."""
    match = re.fullmatch(r"(IV|III|II|I|0|[1-4])([A-Da-d]?)\d?", text.strip())
    if match is None:
        raise ValueError(text)
    major = _ROMAN[match.group(1).upper()] * 10
    if major == 0:
        return (0, 9)
    sub = match.group(2)
    if sub:
        at = major + "abcd".index(sub.lower()) + 1
        return (at, at)
    return (major, major + 9)


def _stage_list(text: str) -> tuple[Range, ...]:
    parts = re.split(r"\s*(-|–|—|to|through|or|and/or|and|/|,)\s*", text)
    values = [re.sub(r"(?i)stage\s*", "", p) for p in parts[0::2]]
    joins = parts[1::2]
    ranges: list[Range] = []
    index = 0
    while index < len(values):
        lo = _one(values[index])
        if index < len(joins) and joins[index] in ("-", "–", "—", "to", "through"):
            hi = _one(values[index + 1])
            ranges.append((lo[0], max(hi[1], lo[1])))
            index += 2
        else:
            ranges.append(lo)
            index += 1
    return tuple(ranges)


def find_stages(text: str, lo: int = 0, hi: int | None = None) -> list[Stage]:
    """Every stage statement in ``text[lo:hi]``, in order."""
    hi = len(text) if hi is None else hi
    found: list[Stage] = []
    for match in _STAGE.finditer(text, lo, hi):
        try:
            listed = _stage_list(match.group("list"))
        except ValueError:
            continue
        written = re.sub(r"\s+", " ", match.group("list"))
        found.append(Stage(listed, False, *match.span(), words=f"stage {written}"))
    for match in _TERMS.finditer(text, lo, hi):
        if any(s.start < match.end() and match.start() < s.end for s in found):
            continue
        if _NEAR_ONLY.search(match.group("list")) and (
            len((match.group("gap") or "").split()) > 2 or _NOT_STAGE_AFTER.match(text, match.end())
        ):
            continue
        words = re.findall(_TERM, match.group("list"), re.I)
        ranges: list[Range] = []
        open_ = False
        for word in words:
            key = re.sub(r"[\s-]+", " ", word.lower()).replace("non metastatic", "non-metastatic")
            key = {"early stage": "early", "localised": "localized", "inoperable": "unresectable",
                   "relapsed": "recurrent"}.get(key, key)  # fmt: skip
            value = _WORDS.get(key)
            if value is None:
                open_ = True
            else:
                ranges.append(value)
        if ranges:
            written = re.sub(r"\s+", " ", match.group("list").lower())
            found.append(Stage(tuple(ranges), open_, *match.span(), words=written))
    for match in _TNM.finditer(text, lo, hi):
        m = match.group("m")
        if m != "X":
            said = "metastatic (M1)" if m == "1" else "non-metastatic (M0)"
            found.append(Stage((METASTATIC if m == "1" else (0, 39),), False, *match.span(), said))
    for match in _M_ALONE.finditer(text, lo, hi):
        if any(s.start <= match.start() < s.end for s in found):
            continue
        # "T1 or T2 or T3, N0 or N1, ... (all M0)": M alone only beside T or N categories
        # (an "M1" elsewhere is a FAB leukaemia class or a macrophage)
        if not _T_OR_N.search(text, max(lo, match.start() - 120), match.start()):
            continue
        m = match.group("m")
        said = "metastatic (M1)" if m == "1" else "non-metastatic (M0)"
        found.append(Stage((METASTATIC if m == "1" else (0, 39),), False, *match.span(), said))
    found.sort(key=lambda s: s.start)
    return found


def label(stage: Stage) -> str:
    """How the stage was written, else from its ranges ("stage IIB-III")."""
    if stage.words:
        return stage.words
    return " or ".join(_roman(r) for r in stage.ranges)


def _roman(value: Range) -> str:
    def one(n: int, whole: bool) -> str:
        major = ["0", "I", "II", "III", "IV"][n // 10]
        return major if whole or n % 10 == 0 else major + "ABCD"[n % 10 - 1]

    lo, hi = value
    if lo // 10 == hi // 10 and (lo % 10 == 0 and hi % 10 == 9):
        return f"stage {one(lo, True)}"
    if lo == hi:
        return f"stage {one(lo, False)}"
    return f"stage {one(lo, lo % 10 == 0)}-{one(hi, hi % 10 == 9)}"
