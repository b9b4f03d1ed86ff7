"""The disease vocabulary: tagging, hierarchy, MeSH ids as CT.gov writes them, the built-in
fallback and the ``terms`` command, on the real vocabulary files in ../shared/data/vocab."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli_runner import run_cli
from tests.conftest import CTGOV, SHARED_DATA
from trialscope.errors import ConfigError
from trialscope.terminology import Terminology, build_terminology, load_terminology
from trialscope.terminology.curated import mesh_terms
from trialscope.terminology.normalise import phrase_key, tokens

VOCAB = SHARED_DATA / "vocab"
needs_vocab = pytest.mark.skipif(
    not VOCAB.is_dir(), reason=f"vocabulary files not found at {VOCAB} (clone ../shared beside)"
)
COLORECTAL = "MESH:D015179"
LIVER_NEOPLASMS = "MESH:D008113"
LUNG_NEOPLASMS = "MESH:D008175"
NSCLC = "MESH:D002289"
MYOCARDIAL_INFARCTION = "MESH:D009203"


@pytest.fixture(scope="module")
def term() -> Terminology:
    if not VOCAB.is_dir():
        pytest.skip(f"vocabulary files not found at {VOCAB}")
    return load_terminology(VOCAB)


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> Terminology:
    return load_terminology(tmp_path_factory.mktemp("empty-vocab"))


def only(term: Terminology, text: str) -> str:
    found = term.find(text)
    assert [m.text for m in found] == [text], found
    return found[0].concept


# ---- the normaliser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("tumour", "tumor"),
        ("Wilms tumours", "wilms tumor"),
        ("leukaemia", "leukemia"),
        ("oesophageal cancer", "esophageal cancer"),
        ("diarrhoea", "diarrhea"),
        ("liver metastases", "liver metastasis"),
        ("Sjögren's syndrome", "sjogren syndrome"),
        ("β-thalassemia", "beta thalassemia"),
        ("non-small-cell lung cancer", "Non Small Cell Lung Cancers"),
        ("type II diabetes", "type 2 diabetes"),
        ("HER2+", "HER2-positive"),
        ("infectious diseases", "infectious disease"),
        ("viruses", "virus"),
        ("therapies", "therapy"),
    ],
)
def test_variants_share_a_key(a: str, b: str) -> None:
    assert phrase_key(a) == phrase_key(b)


@pytest.mark.parametrize(("a", "b"), [("stage IV", "IV fluids"), ("colon", "colitis")])
def test_different_words_keep_different_keys(a: str, b: str) -> None:
    assert phrase_key(a) != phrase_key(b)


_TEXT = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéöçαβ0123456789 -,.;'()/+\n"),
    max_size=80,
)


@given(_TEXT)
def test_token_spans_point_into_the_text(text: str) -> None:
    for token in tokens(text):
        assert text[token.start : token.end] == token.raw
        assert token.key and " " not in token.key


@given(_TEXT)
def test_keys_ignore_case_and_separators(text: str) -> None:
    assert phrase_key(text.upper()) == phrase_key(text)
    assert phrase_key(text.replace(" ", "-")) == phrase_key(text.replace("-", " "))


# ---- tagging and hierarchy (real vocabularies) -------------------------------------------


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("colon adenocarcinoma", COLORECTAL),
        ("colon adenocarcinoma", "DOID:9256"),  # DO's colorectal cancer is the same concept
        ("NSCLC", LUNG_NEOPLASMS),
        ("non-small cell lung carcinoma", LUNG_NEOPLASMS),
        ("CRLM", COLORECTAL),
        ("CRLM", LIVER_NEOPLASMS),
        ("hepatocellular carcinoma", LIVER_NEOPLASMS),
        ("heart attack", MYOCARDIAL_INFARCTION),
        ("Lung Adenocarcinoma", NSCLC),
        ("T2DM", "MESH:D003920"),  # Diabetes Mellitus
        # a concept both vocabularies place keeps DO's parents that MeSH has no heading
        # for: DO's thyroid cancer (a trial's "thyroid cancer") above papillary
        ("papillary thyroid cancer", "DOID:1781"),
        ("esophageal squamous cell carcinoma", "DOID:1107"),  # DO's esophageal carcinoma
    ],
)
def test_subsumed(term: Terminology, text: str, general: str) -> None:
    assert term.subsumes(general, only(term, text))


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("breast cancer", COLORECTAL),
        ("colon adenocarcinoma", LUNG_NEOPLASMS),
        ("multiple sclerosis", "MESH:D007153"),  # not an immunodeficiency (DO says so)
        ("Neoplasms", COLORECTAL),  # general is not under specific
        # ... but never DO's links between two headings MeSH places itself
        ("liver cancer", "MESH:D004701"),  # Endocrine Gland Neoplasms
        ("autoimmune disease", "MESH:D007153"),  # Immunologic Deficiency Syndromes
    ],
)
def test_not_subsumed(term: Terminology, text: str, general: str) -> None:
    assert not term.subsumes(general, only(term, text))


def test_spans_longest_match_and_abbreviation_case(term: Terminology) -> None:
    note = "58 yo woman with NSCLC, prior MI and PE; Ms. Smith reports pe exercise and a cold."
    found = [(m.text, m.concept) for m in term.find(note)]
    assert found == [
        ("NSCLC", NSCLC),
        ("MI", MYOCARDIAL_INFARCTION),
        ("PE", "MESH:D011655"),
    ]
    for m in term.find(note):
        assert note[m.start : m.end] == m.text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # an abbreviation that is an English word, in capitals for emphasis: the word
        ("Candidates who satisfy ALL of the following inclusion criteria", []),
        ("ALL patients must sign consent", []),
        ("PATIENTS WITH ALL OF THE ABOVE", []),
        # ... and the disease where it names one
        ("Patients with ALL in first remission", ["ALL"]),
        ("Relapsed or refractory B-cell ALL", ["ALL"]),
        ("PATIENTS WITH AML", ["AML"]),
    ],
)
def test_capitals_that_are_a_word(term: Terminology, text: str, found: list[str]) -> None:
    assert [m.text for m in term.find(text) if m.text.isupper()] == found


def test_tumour_and_tumor(term: Terminology) -> None:
    assert only(term, "Wilms tumour") == only(term, "Wilms tumor") == "MESH:D009396"


def test_heart_attack_is_myocardial_infarction(term: Terminology) -> None:
    assert only(term, "heart attack") == MYOCARDIAL_INFARCTION
    assert term.name(MYOCARDIAL_INFARCTION) == "Myocardial Infarction"
    assert "Heart Attack" in term.synonyms(MYOCARDIAL_INFARCTION)


def test_crlm_relates_to_both_cancers(term: Terminology) -> None:
    crlm = only(term, "CRLM")
    assert {COLORECTAL, LIVER_NEOPLASMS} <= term.ancestors(crlm)
    assert only(term, "colorectal liver metastases") == crlm


def test_doid_ids_resolve_to_mesh(term: Terminology) -> None:
    assert term.canonical("DOID:9256") == COLORECTAL
    assert term.ancestors("DOID:9256") == term.ancestors(COLORECTAL)
    assert term.canonical("DOID:4") is None  # "disease" relates nothing


def test_depth_separates_general_from_specific(term: Terminology) -> None:
    assert term.depth("MESH:D009369") == 0  # Neoplasms
    assert term.depth(COLORECTAL) >= 4
    assert term.depth("nonsense") == -1


@pytest.mark.parametrize(
    ("ui", "expected"),
    [
        ("D000054198", "MESH:D054198"),  # CT.gov's padding of an old 7-character UI
        ("D054198", "MESH:D054198"),
        ("MESH:D054198", "MESH:D054198"),
        ("D000077192", "MESH:D000077192"),  # a real 10-character UI stays
        ("C000591739", "MESH:C000591739"),  # a disease SCR
        ("D000001", None),  # Calcimycin: a chemical, not a condition
        ("not an id", None),
    ],
)
def test_from_mesh_id(term: Terminology, ui: str, expected: str | None) -> None:
    assert term.from_mesh_id(ui) == expected


@pytest.mark.parametrize(
    ("name", "ui"),
    [
        ("Colorectal Neoplasms", "D015179"),
        ("colorectal cancer", "D015179"),
        ("Purpura, Schoenlein-Henoch", "D011695"),  # an older name (SOURCES.md)
        ("Cervical Intraepithelial Neoplasia", "D002578"),
    ],
)
def test_from_mesh_term(term: Terminology, name: str, ui: str) -> None:
    assert term.from_mesh_term(name) == f"MESH:{ui}"


@needs_vocab
def test_ctgov_condition_meshes_resolve_with_their_names(term: Terminology) -> None:
    """Every condition MeSH id in the corpus's v2 records (outside F01's plain behaviours)
    maps to a concept of the same name, and the name maps back to it."""
    seen: dict[str, str] = {}
    for path in sorted((CTGOV / "v2").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                derived = json.loads(line).get("derivedSection") or {}
                browse = derived.get("conditionBrowseModule") or {}
                for mesh in browse.get("meshes", []) + browse.get("ancestors", []):
                    seen[mesh["id"]] = mesh["term"]
    assert len(seen) > 1000
    unresolved = {ui: name for ui, name in seen.items() if term.from_mesh_id(ui) is None}
    assert len(unresolved) <= 15, unresolved
    for ui, name in seen.items():
        if ui not in unresolved:
            concept = term.from_mesh_id(ui)
            assert concept is not None and term.name(concept) == name
            assert term.from_mesh_term(name) == concept


@needs_vocab
def test_curated_table_agrees_with_mesh_2024() -> None:
    with (VOCAB / "mesh" / "mesh2024_descriptors.tsv").open(encoding="utf-8") as handle:
        names = {r["ui"]: r["name"] for r in csv.DictReader(handle, delimiter="\t")}
    rows = mesh_terms()
    assert len(rows) > 100
    for ui, name, parent, _ in rows:
        assert names.get(ui) == name
        assert not parent or parent in names


@needs_vocab
def test_cache_is_built_once(term: Terminology) -> None:
    path = build_terminology(VOCAB)
    assert path == term.path
    before = path.stat().st_mtime_ns
    assert build_terminology(VOCAB) == path
    assert path.stat().st_mtime_ns == before
    assert load_terminology(VOCAB) is term  # process-wide instance


# ---- the built-in fallback ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("NSCLC", LUNG_NEOPLASMS),
        ("heart attack", MYOCARDIAL_INFARCTION),
        ("CRLM", COLORECTAL),
        ("CRLM", LIVER_NEOPLASMS),
        ("colon adenocarcinoma", COLORECTAL),
        ("mCRC", "MESH:D009369"),
    ],
)
def test_builtin_table_without_vocabulary(builtin: Terminology, text: str, general: str) -> None:
    assert builtin.counts["source_files"] == 0
    assert builtin.subsumes(general, only(builtin, text))


def test_builtin_table_keeps_ambiguous_abbreviations_upper_case(builtin: Terminology) -> None:
    assert [m.text for m in builtin.find("MS, ms, PE, pe, RA, ra, TB, tb")] == [
        "MS",
        "PE",
        "RA",
        "TB",
    ]
    assert not builtin.subsumes(COLORECTAL, only(builtin, "breast cancer"))


def test_missing_vocabulary_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_terminology(tmp_path / "nowhere")
    assert caught.value.hint


# ---- the command line ----------------------------------------------------------------------


def run(*args: str, vocab: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {} if vocab is None else {"TRIALSCOPE_VOCAB_DIR": str(vocab)}
    return run_cli(*args, env=env, code=0 if ok else None)


@needs_vocab
def test_cli_terms_json() -> None:
    done = run("terms", "NSCLC with CRLM after a heart attack", "--json", vocab=VOCAB)
    matches = json.loads(done.stdout)["matches"]
    assert [(m["text"], m["concept"]) for m in matches] == [
        ("NSCLC", NSCLC),
        ("CRLM", "TS:colorectal_liver_metastases"),
        ("heart attack", MYOCARDIAL_INFARCTION),
    ]
    assert LUNG_NEOPLASMS in {a["id"] for a in matches[0]["ancestors"]}
    assert matches[2]["start"] == 24 and matches[2]["end"] == 36


@needs_vocab
def test_cli_terms_text() -> None:
    done = run("terms", "metastatic colon adenocarcinoma", vocab=VOCAB)
    assert "colon adenocarcinoma" in done.stdout
    assert "Colorectal Neoplasms" in done.stdout


def test_cli_terms_build_with_builtin_table(tmp_path: Path) -> None:
    done = run("terms", "--build", "--json", vocab=tmp_path)
    summary = json.loads(done.stdout)
    assert summary["source_files"] == 0
    assert 100 < summary["concepts"] < 1000


def test_cli_terms_without_text_is_a_usage_error(tmp_path: Path) -> None:
    done = run("terms", vocab=tmp_path, ok=False)
    assert done.returncode == 2
    assert "Hint" in done.stderr
