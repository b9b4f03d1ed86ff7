"""What part of a criterion the matcher did not judge.

An item is often several requirements in one ("Age 45-75 Live within IHS Clinton
Service Unit catchment area Fluent in English ... Self report as American Indian"):
the age bound being met says nothing about the rest. The words of an item that no
bound and no named concept covers, less the words every criterion uses ("patients
with histologically confirmed ..."), are its unjudged part; when there is enough of
it, a met item is only as good as UNKNOWN.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trialscope.criteria import Item

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:st|nd|rd|th)\b")
#: words that carry no requirement of their own in a criterion
_FILLER_WORDS = """
    a an the with without of or and in on to for by as at from into per via than then
    that which who whom whose this these those their there it its is are be been being
    was were has have having had must should shall will would can could may might do
    does did not no nor any all each both either other others such also only least
    more most less greater older younger over under above below between within after
    before prior previous previously since until during while when where if unless
    patient patients subject subjects participant participants person persons people
    individual individuals adult adults man men woman women male males female females
    child children pediatric study trial years year old aged age ages months month
    weeks week days day time times current currently ongoing active history known
    diagnosed diagnosis confirmed confirmation documented histologically cytologically
    pathologically histological histologic pathological cytological proven
    biopsy-proven evidence presence present disease diseases condition conditions
    criteria criterion following include including included includes defined
    definition according based per using use used equal equals level levels value
    values grade grades stage score scores status type types new newly recent recently
    clinically clinical significant severe mild moderate stable adequate normal
    function functions acceptable eligible eligibility enrolled enrollment
    enrolment entry screening baseline visit visits day treatment treatments
    therapy therapies therapeutic agent agents drug drugs medication medications
    due because including e.g i.e etc ie eg documented record records medical
    investigator investigators opinion judgment judgement signed sign written
    informed consent willing able ability comply compliance provide
    imaging radiologically radiological radiographically radiographic
    pcr rt-pcr rt qpcr rt-qpcr polymerase chain reaction rapid antigen test tests tested
    testing assay positive naat serology serological
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*)\s*$")
_ASIDE = re.compile(r"\([^()]{0,120}\)")
#: this many words no bound or concept covers make an unjudged part
UNJUDGED_WORDS = 4


# "at least two of the following: cough, purulent sputum ...": alternatives, one is enough
_ALTERNATIVES = re.compile(r"\b(?:one|two|three|any|either)\s+(?:or\s+more\s+)?of\b", re.I)


def recognised_spans(item: Item) -> list[tuple[int, int]]:
    """Where the parser read something in ``item``: bounds, names, time windows."""
    spans = [c.span for c in item.constraints] + [m.span for m in item.mentions]
    return spans + [w.span for w in item.windows]


@lru_cache(maxsize=100_000)
def unjudged_words(item: Item) -> tuple[str, ...]:
    """The content words of ``item`` that nothing the parser recognised covers (none
    when the item lists alternatives)."""
    text = item.text
    if _ALTERNATIVES.search(text):
        return ()
    covered = bytearray(len(text))
    base = item.span[0]
    for start, end in recognised_spans(item):
        for i in range(max(0, start - base), min(len(text), end - base)):
            covered[i] = 1
    for mention in item.mentions:
        # the words right before a name narrow it and are judged with it
        # ("colorectal liver metastases", "prolymphocytic T leukemia")
        start = at = mention.span[0] - base
        for _ in range(3):
            previous = _WORD_BEFORE.search(text, 0, at)
            if previous is None or previous.group(1).lower() in _FILLER:
                break
            at = previous.start()
        covered[at:start] = b"\x01" * (start - at)
    for aside in _ASIDE.finditer(text):
        # "(synchronous or heterochronous)", "(including those with ...)": an aside
        covered[aside.start() : aside.end()] = b"\x01" * (aside.end() - aside.start())
    words = []
    for match in _WORD.finditer(text):
        if any(covered[match.start() : match.end()]):
            continue
        word = match.group().lower()
        if word in _FILLER or len(word) < 3:
            continue
        words.append(match.group())
    return tuple(words)


# "Previously untreated OR recurrent or refractory following 1 induction regimen": an
# upper-case OR between clauses offers another way in
_UPPER_OR = re.compile(r"\s+OR\s+")


def unread_alternative(item: Item) -> str | None:
    """The first clause after an upper-case OR that nothing the parser recognised
    touches and that asks something of its own (a failed first clause then rules no one
    out), as words to show."""
    text, base = item.text, item.span[0]
    # an OR in brackets lists ways to show one thing ("3+ by IHC OR amplification by FISH")
    cuts = [
        m
        for m in _UPPER_OR.finditer(text)
        if text.count("(", 0, m.start()) <= text.count(")", 0, m.start())
    ]
    if not cuts:
        return None
    spans = recognised_spans(item)
    bounds = [0, *(m.end() for m in cuts)]
    ends = [*(m.start() for m in cuts), len(text)]
    for lo, hi in zip(bounds, ends, strict=True):
        if any(lo <= s - base < hi for s, _ in spans):
            continue
        words = [
            w.group()
            for w in _WORD.finditer(text, lo, hi)
            if w.group().lower() not in _FILLER and len(w.group()) >= 3
        ]
        if len(words) >= 2:
            return " ".join(words[:8])
    return None


_ONE_OF_THE_FOLLOWING = re.compile(
    r"\b(?:one|any|1)\s+(?:or\s+more\s+)?of\s+the\s+following\b|\bat\s+least\s+(?:one|1)\s+of\b",
    re.I,
)


def listed_alternatives(item: Item) -> bool:
    """The item lists alternatives, one of which is enough ("with one or more of the
    following: ..."), flattened into its own text."""
    return bool(_ONE_OF_THE_FOLLOWING.search(item.text))


_ESCAPE = re.compile(
    r"\b(?:unless|except\s+(?:if|when|where|in\s+(?:patients|those|subjects|cases))"
    r"|except\s+for\s+(?:patients|those|subjects)|with\s+the\s+exception\s+of\s+(?:patients|those))\b",
    re.I,
)
_ESCAPE_END = re.compile(r"[.;]\s|[.;]$")


def unread_escape(item: Item) -> str | None:
    """The "unless ..." way out of an item when nothing in it was read (no bound,
    name or window after the word) and something before it was: what to show."""
    found = _ESCAPE.search(item.text)
    if found is None:
        return None
    at = item.span[0] + found.start()
    starts = [start for start, _ in recognised_spans(item)]
    # the names after it are no requirement (``escape_spans``): only a bound or window
    # there is read
    read_after = [c.span[0] for c in item.constraints] + [w.span[0] for w in item.windows]
    if not any(start < at for start in starts) or any(start >= at for start in read_after):
        return None
    end = _ESCAPE_END.search(item.text, found.end())
    clause = item.text[found.end() : end.start() if end else len(item.text)].strip()
    if len(clause.split()) < 2:
        return None
    return f"{found.group().lower()} {clause[:80]}{' …' if len(clause) > 80 else ''}"


def escape_spans(text: str) -> list[tuple[int, int]]:
    """Where "unless ..." clauses run in ``text``: the names in one are the way out of
    the item, not requirements ("... <= 1.5 x ULN, unless patient is receiving
    anticoagulant therapy" requires no anticoagulant)."""
    spans = []
    for found in _ESCAPE.finditer(text):
        if _OTHERWISE.match(text, found.end()):
            continue  # "Unless otherwise specified in a substudy, patients must be ..."
        # a leading "Unless contraindicated, ..." ends at its comma: the rule follows
        leading = not re.search(r"\w", text[: found.start()])
        end = (_LEADING_END if leading else _ESCAPE_END).search(text, found.end())
        spans.append((found.start(), end.start() if end else len(text)))
    return spans


_OTHERWISE = re.compile(r"\s+otherwise\b", re.I)
_LEADING_END = re.compile(r",|[.;]\s|[.;]$")


def unread_way_out(item: Item, kind: str) -> str | None:
    """Why a rule-out of ``item`` is only a question: an alternative way in or an
    exception that was not read (None: nothing unread offers one)."""
    if kind != "exclusion":
        other = unread_alternative(item)
        if other is None and listed_alternatives(item):
            # "... with one or more of the following: ... Six or more metastatic lesions"
            other = "the other alternatives listed"
        if other is not None:
            # "Previously untreated OR recurrent ... following 1 induction regimen"
            return f"the other way in is not judged: {other}"
    escape = unread_escape(item)
    # "No relapsed AML unless cells harvested in remission are available"
    return None if escape is None else f"its exception is not judged: {escape}"
