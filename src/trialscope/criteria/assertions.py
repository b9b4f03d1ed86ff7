"""ConText-style assertions: is a mention negated, historical, hypothetical, familial?

The semantics of ConText (Harkema et al. 2009) as medspaCy implements them: trigger
phrases with a direction (forward, backward or both) open a scope that runs to the end
of the clause, or to the first termination phrase ("but", "except", "however",
"other than", ...) or a semicolon; pseudo-triggers ("not only", "no change") are
skipped. medspaCy itself installs and runs offline here, but its pipeline parses about
25 eligibility texts a second (we need 200) and its default rules let a negation run
across a semicolon, so the rules are kept here with those semantics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from trialscope.criteria.lexicon import Lexicon

Direction = Literal["forward", "backward", "both", "terminate", "pseudo"]
Category = Literal["negated", "historical", "hypothetical", "family", "optional", "none"]

# (phrase, category, direction)
_RULES: tuple[tuple[str, Category, Direction], ...] = (
    # negation, forward
    (r"no|not|without|non|nor|neither|absence\s+of|absent|free\s+of|lack\s+of|negative\s+for"
     r"|denies|denied|rule\s+out|ruled\s+out\s+for|never|cannot\s+have|must\s+not\s+have"
     r"|may\s+not\s+have|should\s+not\s+have|does\s+not\s+have|do\s+not\s+have|did\s+not\s+have"
     r"|has\s+not\s+had|have\s+not\s+had|not\s+have|no\s+evidence\s+of|no\s+history\s+of"
     r"|no\s+known|no\s+prior|no\s+previous|no\s+active|no\s+sign\s+of|no\s+signs\s+of|not\s+received|have"
     r"\s+not\s+received|has\s+not\s+received|did\s+not\s+receive|naive\s+to|naïve\s+to"
     r"|excluding|not\s+previously|unable\s+to\s+have|no\s+clinical\s+evidence\s+of"
     r"|free\s+from|not\s+eligible\s+for"
     # "Previously untreated with any systemic anticancer therapy"
     r"|untreated\s+with|untreated\s+by|untreated\s+for|na[iï]ve\s+for", "negated", "forward"),
    (r"is\s+negative|are\s+negative|negative|not\s+present|ruled\s+out|excluded|free|naive"
     r"|naïve|not\s+allowed|not\s+permitted|is\s+not\s+allowed|are\s+not\s+allowed|absent"
     r"|not\s+detected|undetectable|resolved|-ve|test\s+result\s+negative|test\s+results\s+negative"
     r"|result\s+negative|results\s+negative|test\s+negative", "negated", "backward"),
    # historical
    (r"history\s+of|h/o|previous|previously|prior|past|former|had|received|underwent|undergone"
     r"|treated\s+with|previously\s+treated\s+with|pretreated\s+with|pre-treated\s+with"
     r"|status\s+post|s/p|recovered\s+from|since", "historical", "forward"),
    (r"in\s+the\s+past|in\s+the\s+last|previously|before|ago|within\s+the\s+last|within\s+the\s+past",
     "historical", "backward"),
    # hypothetical
    (r"if|in\s+case\s+of|should|would|could|risk\s+of|at\s+risk\s+for|planned|scheduled"
     r"|plan\s+to|planning|likely\s+to|expected\s+to|suspected|possible|potential|may"
     r"|intends\s+to|intending\s+to|intend\s+to|willing\s+to", "hypothetical", "forward"),
    # family
    (r"family\s+history\s+of|family\s+member|first\s+degree\s+relative|first\s+degree\s+relatives|mother|father"
     r"|sibling|siblings|parent|parents"
     # someone the person cares for or lives with: the condition named is theirs
     r"|caregiver\s+of|caregivers\s+of|care\s+giver\s+of|carer\s+of|carers\s+of|spouse\s+of"
     r"|spouses\s+of|partner\s+of|partners\s+of|children\s+of|offspring\s+of|relative\s+of"
     r"|relatives\s+of|family\s+members\s+of", "family", "forward"),
    # optional: "T2DM with or without hypertension" neither requires nor excludes it
    (r"with\s+or\s+without|with/without|with\s+and\s+without|regardless\s+of"
     r"|irrespective\s+of|whether\s+or\s+not"
     # "No time limit between cytotoxic therapy and protocol treatment": a limit lifted;
     # "the presence or absence of macular edema": either way
     r"|no\s+time\s+limit|no\s+limit|no\s+limits|no\s+restriction|no\s+restrictions"
     r"|no\s+limit\s+on|presence\s+or\s+absence", "optional", "forward"),
    # "Pregnancy will not be considered as exclusion criteria", "Patients with brain
    # metastases will not be excluded": allowed, not required
    (r"will\s+not\s+be\s+considered\s+as\s+exclusion\s+criteria"
     r"|will\s+not\s+be\s+considered\s+as\s+an\s+exclusion\s+criterion"
     r"|will\s+not\s+be\s+considered\s+an\s+exclusion\s+criterion"
     r"|is\s+not\s+an\s+exclusion\s+criterion|is\s+not\s+an\s+exclusion\s+criteria"
     r"|are\s+not\s+exclusion\s+criteria|is\s+not\s+considered\s+an\s+exclusion"
     r"|will\s+not\s+be\s+excluded|are\s+not\s+excluded|is\s+not\s+excluded",
     "optional", "backward"),
    # termination: ends any scope
    (r"but|however|except|except\s+for|apart\s+from|aside\s+from|although|though|unless"
     r"|other\s+than|with\s+the\s+exception\s+of|which|who|yet|still|whereas|nevertheless"
     r"|as\s+long\s+as|provided\s+that|if\s+they|if\s+it|are\s+allowed|are\s+eligible"
     r"|are\s+permitted|is\s+allowed|is\s+eligible|is\s+permitted|allowed|permitted|eligible",
     "none", "terminate"),
    # pseudo-triggers: look like triggers, are not
    # "Pregnant women are excluded from this study because ...": the reason for an
    # exclusion, not a denial ("PE was excluded" in a note is one)
    (r"excluded\s+from|are\s+excluded\s+from|is\s+excluded\s+from|be\s+excluded\s+from"
     # "able to father a child" is no relative
     r"|father\s+a\s+child|father\s+children|fathering"
     r"|not\s+only|no\s+increase|no\s+change|not\s+necessarily|without\s+difficulty"
     r"|gram\s+negative|not\s+certain\s+if|no\s+further|not\s+cause|not\s+been\s+able"
     r"|negative\s+pregnancy\s+test|pregnancy\s+test\s+negative|pregnancy\s+test\s+is\s+negative"
     r"|non-?small|non-?hodgkin|non-?melanoma|non-?muscle|non-?invasive|not\s+limited\s+to"
     r"|if\s+applicable|no\s+more\s+than|no\s+less\s+than|not\s+more\s+than|not\s+less\s+than"
     r"|no\s+greater\s+than|not\s+greater\s+than|not\s+exceed"
     # "not achieving a CR after 2 cycles of chemotherapy": the response is denied,
     # not the chemotherapy
     r"|not\s+achieving|not\s+achieve|not\s+achieved|not\s+attaining|not\s+attain"
     r"|not\s+attained|not\s+reaching|not\s+reach|not\s+reached|not\s+responding"
     r"|not\s+respond|not\s+responded|no\s+response|failed\s+to\s+achieve"
     r"|failure\s+to\s+achieve|not\s+in\s+remission"
     # "Not responded (no CR) to induction chemotherapy": no remission, not no chemotherapy
     r"|no\s+cr|no\s+pr|no\s+complete\s+remission|no\s+complete\s+response"
     r"|no\s+partial\s+response|no\s+objective\s+response", "none", "pseudo"),
)  # fmt: skip

_PRIORITY = {"pseudo": 0, "terminate": 1, "forward": 2, "backward": 2, "both": 2}
# Clause ends: semicolon, sentence end, colon; a negation never crosses them.
_CLAUSE_END = re.compile(r";|:|\.(?=\s|$)|\n")
_MAX_WORDS = 12
#: "with or without" reaches a short list ("hypertension and dyslipidemia"), no further
_OPTIONAL_WORDS = 5
_WORD = re.compile(r"\S+")
# "non-" is a prefix: it negates only the word it is attached to ("non-smoker"), never
# the disease name that word qualifies ("non-squamous NSCLC", "non-clear cell RCC").
# A free-standing "non" ("Cases non vaccinated with ...") keeps a clause scope.
_PREFIX_NEGATION = "non"
_PREFIX_GAP = re.compile(r"[\s\-]*")
# "non M3 AML" is AML other than M3: "non" before a subtype code is a prefix of the code
_CODE_AFTER = re.compile(r"\s+[A-Z]{1,2}\d{1,2}\b")


@dataclass(frozen=True, slots=True)
class Trigger:
    start: int
    end: int
    category: Category
    direction: Direction


def _phrases(pattern: str) -> list[str]:
    """The rule's alternatives as lexicon phrases (``\\s+`` becomes a space)."""
    return [
        p.replace(r"\s+", " ").replace("-?", "-").replace(r"\.", ".") for p in pattern.split("|")
    ]


@cache
def _lexicon() -> Lexicon[tuple[Category, Direction]]:
    # On the same phrase the earlier rule wins: pseudo-triggers and terminators first,
    # so "no more than" is a comparator, not a negation.
    order = sorted(range(len(_RULES)), key=lambda i: -_PRIORITY[_RULES[i][2]])
    table: dict[str, tuple[Category, Direction]] = {}
    for i in order:
        pattern, category, direction = _RULES[i]
        for phrase in _phrases(pattern):
            table[phrase] = (category, direction)
    return Lexicon(table)


def triggers(text: str, start: int, end: int) -> list[Trigger]:
    """Every trigger in ``text[start:end]``, longest phrase first at each position."""
    return [
        Trigger(hit.start, hit.end, hit.value[0], hit.value[1])
        for hit in _lexicon().finditer(text, start, end)
        # "COVID -ve" is negative, "Hepatitis B +ve" is not (the lexicon folds the sign)
        if hit.text.lower().lstrip("-") != "ve" or "-" in text[max(start, hit.start - 1) : hit.end]
    ]


@dataclass(frozen=True, slots=True)
class Assertion:
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    #: named only as something that may or may not be present: it decides nothing
    optional: bool = False


def assert_span(
    text: str, start: int, end: int, found: list[Trigger], lo: int, hi: int
) -> Assertion:
    """Assertions for the mention ``text[start:end]`` inside the item ``[lo, hi)``."""
    flags = dict.fromkeys(("negated", "historical", "hypothetical", "family", "optional"), False)
    clause_lo = lo
    for m in _CLAUSE_END.finditer(text, lo, start):
        clause_lo = m.end()
    clause_end = _CLAUSE_END.search(text, end, hi)
    clause_hi = clause_end.start() if clause_end else hi
    # forward triggers before the mention, nearest first, until a terminator; one may end
    # inside it ("No prior malignancy": "no prior" and the lexicon's "prior malignancy")
    for trig in reversed([t for t in found if clause_lo <= t.start < start and t.end <= end]):
        if trig.direction == "terminate":
            break
        if trig.direction in ("forward", "both") and trig.category != "none":
            word = text[trig.start : trig.end].lower()
            if text[trig.start : trig.end + 1].lower() == _PREFIX_NEGATION + "-" or (
                word == _PREFIX_NEGATION and _CODE_AFTER.match(text, trig.end)
            ):
                if _PREFIX_GAP.fullmatch(text, trig.end, start):
                    flags[trig.category] = True
                continue
            words = len(_WORD.findall(text, trig.end, start))
            limit = _OPTIONAL_WORDS if trig.category == "optional" else _MAX_WORDS
            if words <= limit:
                flags[trig.category] = True
    for trig in (t for t in found if end <= t.start and t.end <= clause_hi):
        if trig.direction == "terminate":
            break
        near = len(_WORD.findall(text, end, trig.start)) <= 4
        if trig.direction in ("backward", "both") and trig.category != "none" and near:
            flags[trig.category] = True
    return Assertion(**flags)


def clean_triggers(found: list[Trigger]) -> list[Trigger]:
    """Drop triggers overlapped by a pseudo-trigger or a longer trigger."""
    found = sorted(found, key=lambda t: (t.start, -(t.end - t.start), _PRIORITY[t.direction]))
    kept: list[Trigger] = []
    for trig in found:
        if kept and trig.start < kept[-1].end:
            continue
        kept.append(trig)
    return [t for t in kept if t.direction != "pseudo"]
