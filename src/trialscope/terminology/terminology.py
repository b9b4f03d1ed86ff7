"""The loaded vocabulary: dictionary tagging of free text and the is-a hierarchy.

The phrase tables (a few MB) are loaded whole for tagging speed; hierarchy, synonyms and
MeSH lookups are read from the SQLite file by index when asked for.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs

from trialscope.data import data_digest
from trialscope.errors import VocabularyError
from trialscope.terminology import build, curated, normalise, sources
from trialscope.terminology.build import MAX_TOKENS
from trialscope.terminology.normalise import tokens
from trialscope.terminology.sources import SourceFiles, find_sources

_MESH_UI = re.compile(r"^(?:MESH:)?([DC])0*(\d+)$", re.IGNORECASE)
# CT.gov pads old 7-character UIs to 10: D000054198 is D054198. The last old-style UI is
# D066331; real 10-character UIs start at D000066388.
_LAST_SHORT_UI = 66331


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    concept: str  # canonical id, e.g. "MESH:D015179" or "DOID:9256"
    name: str
    start: int
    end: int
    text: str  # the span as written in the input


# "Candidates who satisfy ALL of the following", "DOES NOT": an abbreviation that is also an
# English word (ALL, PAD, DOES, FACE) written in capitals for emphasis
_AFTER_TEXT = """of the these those other patients subjects participants criteria must are will
    who that following inclusion exclusion study eligibility ages not"""
_AS_A_WORD_AFTER = frozenset(_AFTER_TEXT.split())
_BEFORE_TEXT = "satisfy satisfies meet meets fulfil fulfill fulfills at for"
_AS_A_WORD_BEFORE = frozenset(_BEFORE_TEXT.split())


#: the abbreviations that are English words: of the exact (capitals-only) terms, those whose
#: lowercase form is frequent in the corpus's criteria ("all" 1,169 times, "does" 226,
#: "face" 28, "cold" 25; "mm" and "ms" are units there, and "MM", "MS" stay names)
_ENGLISH_WORDS = frozenset({"ALL", "DOES", "FACE", "COLD", "PAD"})


def _capitals_as_a_word(words: list[normalise.Token], i: int) -> bool:
    if words[i].raw not in _ENGLISH_WORDS:
        return False
    after = words[i + 1].raw if i + 1 < len(words) else ""
    before = words[i - 1].raw if i else ""
    if after.lower() in _AS_A_WORD_AFTER or before.lower() in _AS_A_WORD_BEFORE:
        return True
    # a run of capitals ("PATIENTS WITH ALL OF THE FOLLOWING") is shouting, not a name
    return any(len(w) >= 3 and w.isalpha() and w.isupper() for w in (before, after))


class Terminology:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # a forked worker (import pools) opens its own connection, never the parent's
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forget_connections(me))
        try:
            blobs = dict(self._db().execute("SELECT key, value FROM meta"))
            self._ids: list[str] = marshal.loads(blobs["ids"])
            self._names: list[str] = marshal.loads(blobs["names"])
            self._phrases: dict[str, int] = marshal.loads(blobs["phrases"])
            self._prefixes: set[str] = marshal.loads(blobs["prefixes"])
            self._exact: dict[str, int] = marshal.loads(blobs["exact"])
            self.counts: dict[str, int] = marshal.loads(blobs["counts"])
        except (sqlite3.Error, KeyError, ValueError, EOFError) as exc:
            raise VocabularyError(
                f"The terminology cache {path} is unreadable ({exc}).",
                hint="Rebuild it: trialscope terms --build",
            ) from exc
        self._index = {cid: i for i, cid in enumerate(self._ids)}
        self.ancestors = lru_cache(maxsize=65536)(self._ancestors)  # type: ignore[method-assign]

    def _forget_connections(self) -> None:
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._local.conn = conn
        return conn

    def _row(self, concept: str) -> tuple[Any, ...] | None:
        canonical = self.canonical(concept)
        if canonical is None:
            return None
        cursor = self._db().execute(
            "SELECT depth, ancestors, synonyms FROM concepts WHERE idx = ?",
            (self._index[canonical],),
        )
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row

    # ---- tagging -------------------------------------------------------------------

    def find(self, text: str) -> list[ConceptMatch]:
        """Concept mentions: longest match first, left to right, never overlapping."""
        words = list(tokens(text))
        phrases, prefixes, exact = self._phrases, self._prefixes, self._exact
        found: list[ConceptMatch] = []
        i = 0
        while i < len(words):
            hit, hit_end = exact.get(words[i].raw), i
            if hit is not None and _capitals_as_a_word(words, i):
                hit = None
            key = words[i].key
            j = i
            while True:
                index = phrases.get(key)
                if index is not None:
                    hit, hit_end = index, j
                j += 1
                if j >= len(words) or j - i >= MAX_TOKENS or key not in prefixes:
                    break
                key = f"{key} {words[j].key}"
            if hit is None:
                i += 1
                continue
            start, end = words[i].start, words[hit_end].end
            cid = self._ids[hit]
            found.append(ConceptMatch(cid, self._names[hit], start, end, text[start:end]))
            i = hit_end + 1
        return found

    # ---- hierarchy -----------------------------------------------------------------

    def canonical(self, concept: str) -> str | None:
        """The canonical id of any known id (DOID:…, MESH:…, ONCOTREE:…, TS:…)."""
        if concept in self._index:
            return concept
        row = self._db().execute("SELECT id FROM aliases WHERE alias = ?", (concept,)).fetchone()
        return str(row[0]) if row else None

    def _ancestors(self, concept: str) -> frozenset[str]:
        row = self._row(concept)
        return frozenset(row[1].split(" ")) if row else frozenset()

    def ancestors(self, concept: str) -> frozenset[str]:  # replaced by a cached copy
        """The concept itself, its equivalents and everything above it (canonical ids)."""
        return self._ancestors(concept)

    def subsumes(self, general: str, specific: str) -> bool:
        """True when ``specific`` is ``general`` or sits under it."""
        target = self.canonical(general)
        return target is not None and target in self.ancestors(specific)

    def depth(self, concept: str) -> int:
        """Specificity: 0 for a top category (Neoplasms, Infections), more below. -1 if
        unknown. A matcher can ignore shared ancestors with depth < 2 or so."""
        row = self._row(concept)
        return int(row[0]) if row else -1

    def name(self, concept: str) -> str:
        canonical = self.canonical(concept)
        return self._names[self._index[canonical]] if canonical else concept

    def synonyms(self, concept: str) -> list[str]:
        row = self._row(concept)
        return str(row[2]).split("\n") if row and row[2] else []

    def __contains__(self, concept: object) -> bool:
        return isinstance(concept, str) and self.canonical(concept) is not None

    # ---- MeSH as CT.gov writes it --------------------------------------------------

    def from_mesh_id(self, ui: str) -> str | None:
        """D000054198, D054198, MESH:D054198 or C535837 → canonical id (None if no
        condition concept has it)."""
        match = _MESH_UI.match(ui.strip())
        if not match:
            return None
        letter, number = match.group(1).upper(), int(match.group(2))
        forms = [f"MESH:{letter}{number:06d}", f"MESH:{letter}{number:09d}"]
        if letter == "D" and number > _LAST_SHORT_UI:
            forms.reverse()
        for form in forms:
            if (found := self.canonical(form)) is not None:
                return found
        return None

    def from_mesh_term(self, term: str) -> str | None:
        """A MeSH heading or entry term (any case) → canonical id."""
        row = (
            self._db()
            .execute("SELECT id FROM mesh_terms WHERE term = ?", (term.strip().casefold(),))
            .fetchone()
        )
        if row:
            return self.canonical(str(row[0]))
        matches = self.find(term)
        whole = [m for m in matches if m.start == 0 and m.end == len(term.strip())]
        return whole[0].concept if whole else None


# ---- building and loading ------------------------------------------------------------


def _fingerprint(files: SourceFiles) -> str:
    digest = hashlib.sha256(f"v{build.FORMAT_VERSION}".encode())
    for module in (build, curated, normalise, sources):
        digest.update(Path(str(module.__file__)).read_bytes())
    # the curated concepts live in data files: an edited term list must rebuild the cache
    digest.update(data_digest(curated.DATA_FILES).encode())
    for path in files.present():
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _forget_connections(ref: weakref.ref[Terminology]) -> None:
    found = ref()
    if found is not None:
        found._forget_connections()


def cache_path(files: SourceFiles) -> Path:
    folder = Path(platformdirs.user_cache_dir("trialscope"))
    return folder / f"terminology-{_fingerprint(files)}.sqlite"


def build_terminology(vocab_dir: Path | None, *, force: bool = False) -> Path:
    """Build the cache file for these sources unless it exists; returns its path."""
    files = find_sources(vocab_dir)
    path = cache_path(files)
    if force or not path.exists():
        graph = build.build_graph(files)
        try:
            build.write(path, graph, {"source_files": len(files.present())})
        except (OSError, sqlite3.Error) as exc:
            raise VocabularyError(
                f"Cannot write the vocabulary cache {path} ({exc}).",
                hint="Free some disk space or make the folder writable (XDG_CACHE_HOME moves it).",
            ) from exc
    return path


@lru_cache(maxsize=8)
def _load(vocab_dir: Path | None) -> Terminology:
    return Terminology(build_terminology(vocab_dir))


#: server threads asking at once wait for one build: a build's temporary file is named by
#: process, so two threads of one process would write the same file
_LOADING = threading.Lock()


def load_terminology(vocab_dir: str | Path | None = None) -> Terminology:
    """The process-wide vocabulary: from ``vocab_dir`` (default: the configured
    ``vocab_dir`` setting), or the built-in table when there is none. A folder or file
    that cannot be read is a :class:`~trialscope.errors.VocabularyError` with a hint,
    never a silent fallback."""
    if vocab_dir is None:
        from trialscope.config import default_vocab_dir

        chosen = default_vocab_dir()
    else:
        chosen = Path(vocab_dir)
    with _LOADING:
        return _load(chosen.resolve() if chosen else None)
