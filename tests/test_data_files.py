"""The curated data files: every file checks, and a malformed row is a precise error."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialscope.data import (
    Document,
    Row,
    data_files,
    load_document,
    load_rows,
    parse_document,
    parse_rows,
)
from trialscope.data.schema import (
    MODELS,
    DrugRow,
    FhirCodeRow,
    LoincLabRow,
    MeshConceptRow,
    RankingConfig,
    UcumUnitRow,
    VariableRow,
)
from trialscope.errors import DataFileError
from trialscope.match import fhir, run
from trialscope.terminology import drugs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "trialscope" / "data"


def test_every_data_file_has_a_model_and_every_model_a_file() -> None:
    assert data_files() == sorted(model.data_file for model in MODELS)
    assert len({model.data_file for model in MODELS}) == len(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.data_file)
def test_every_data_file_validates(model: type[Row]) -> None:
    rows = (load_document(model),) if issubclass(model, Document) else load_rows(model)
    assert rows, f"{model.data_file} has no rows"
    assert all(isinstance(row, model) and row.line > 0 for row in rows)
    # lines point at the row's own text
    text = (DATA / model.data_file).read_text("utf-8").splitlines()
    first = rows[0]
    fields = (model.unique,) if isinstance(model.unique, str) else model.unique or ()
    for field in fields:
        assert str(getattr(first, field)) in text[first.line - 1]


_FROM_THE_WHEEL = """
import trialscope
from trialscope.data import Document, load_document, load_rows
from trialscope.data.schema import MODELS
import trialscope.criteria.catalogue, trialscope.terminology.drugs, trialscope.match.fhir
import trialscope.match.run, trialscope.terminology.curated
assert trialscope.__file__.startswith(SITE), trialscope.__file__
for model in MODELS:
    loaded = load_document(model) if issubclass(model, Document) else load_rows(model)
    assert loaded, model.data_file
trialscope.terminology.drugs.drug_classes("cisplatin")
print(len(MODELS))
"""


def test_an_installed_wheel_finds_every_data_file(tmp_path: Path) -> None:
    """Build the real wheel (setuptools, no network), check it holds every file of the
    package, unpack it as site-packages would hold it, and load every table from there in
    a fresh interpreter."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
         "-w", str(wheels), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("trialscope-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    # every file of the package ships, not only the data files (templates, migrations, ...)
    package = ROOT / "src"
    wanted = {str(p.relative_to(package)) for p in (package / "trialscope").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip
    assert wanted <= set(names), sorted(wanted - set(names))
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = f"SITE = {str(site)!r}\n{_FROM_THE_WHEEL}"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(MODELS))


def test_the_wheel_ships_every_data_file() -> None:
    """pyproject's package-data globs cover each file (a wheel built from it has them)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["trialscope"]
    for name in data_files():
        assert any(fnmatch.fnmatch(f"data/{name}", glob) for glob in globs), name


_VARIABLE = """\
# a comment
- id: age
  label: Age
  kind: numeric
  unit: year
  plausible: [0, 120]
  aliases:
    - age
    - aged
"""


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        (_VARIABLE.replace("kind: numeric", "kind: numerik"), 4, "kind", "'numeric'"),
        (_VARIABLE.replace("id: age", "id: Age"), 2, "id", "should match pattern"),
        (_VARIABLE.replace("[0, 120]", "[120, 0]"), 2, None, "low > high"),
        (_VARIABLE.replace("[0, 120]", "[0, lots]"), 6, "plausible.1", "valid number"),
        (_VARIABLE.replace("    - aged", "    - aged; old"), 9, "aliases.1", "pattern"),
        (_VARIABLE.replace("    - aged", "    - no"), 9, "aliases.1", "valid string"),
        (_VARIABLE.replace("  label: Age\n", ""), 2, "label", "Field required"),
        (_VARIABLE.replace("  unit: year", "  units: year"), 5, "units", "Extra inputs"),
        (_VARIABLE.replace("  unit: year", "  unit: year\n  unit: y"), 6, "unit", "repeats"),
        (_VARIABLE + _VARIABLE.replace("# a comment\n", ""), 10, "id", "repeats line 2"),
        (
            _VARIABLE.replace("  aliases:\n    - age\n    - aged\n", "  aliases: []\n"),
            7,
            "aliases",
            "at least 1",
        ),
        # YAML's parser names the line where it gave up
        (_VARIABLE.replace("label: Age", "label: [Age"), 4, None, "not valid YAML"),
        ("id: age\n", 1, None, "expected a list"),
        ("# nothing\n", 1, None, "empty"),
    ],
)
def test_a_malformed_variable_names_file_line_and_field(
    text: str, line: int, field: str | None, problem: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_rows(text, "criteria_variables.yaml", VariableRow)
    error = caught.value
    assert (error.file, error.line, error.field) == ("criteria_variables.yaml", line, field)
    assert problem in error.problem
    assert str(error).startswith(f"criteria_variables.yaml, line {line}")


def test_a_valid_variable_parses_to_typed_values() -> None:
    (row,) = parse_rows(_VARIABLE, "criteria_variables.yaml", VariableRow)
    assert row.plausible == (0.0, 120.0) and row.aliases == ("age", "aged")
    assert row.line == 2 and row.unit == "year" and row.molar_mass is None


def test_loading_is_cached() -> None:
    assert load_rows(VariableRow) is load_rows(VariableRow)


_DRUGS = "# drugs\nname\tclasses\taliases\ncisplatin\tplatinum\tcis-platinum; cddp\n"


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        (_DRUGS.replace("; cddp", "\tcddp"), 3, None, "found 4"),
        (_DRUGS.replace("\tplatinum\t", "\tplatinum "), 3, None, "expected 3 tab-separated"),
        (_DRUGS.replace("\t", "    "), 2, None, "header must name the columns"),
        (_DRUGS.replace("\tplatinum", "\tPlatinum"), 3, "classes.0", "pattern"),
        (_DRUGS.replace("\tplatinum", "\t"), 3, "classes", "Field required"),
        (_DRUGS.replace("\tplatinum", "\t-"), 3, "classes", "valid tuple"),
        (_DRUGS.replace("\tplatinum", "\t@"), 3, "classes.0", "pattern"),
        (_DRUGS + "\n# again\ncisplatin\tplatinum\t\n", 6, "name", "repeats line 3"),
    ],
)
def test_a_malformed_tsv_row_names_file_line_and_field(
    text: str, line: int, field: str | None, problem: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_rows(text, "drugs.tsv", DrugRow)
    error = caught.value
    assert (error.file, error.line, error.field) == ("drugs.tsv", line, field)
    assert problem in error.problem


def test_tsv_cells_split_into_lists() -> None:
    (row,) = parse_rows(_DRUGS.replace("cddp", "cddp;  platinol ;"), "drugs.tsv", DrugRow)
    assert row.classes == ("platinum",) and row.aliases == ("cis-platinum", "cddp", "platinol")
    (bare,) = parse_rows(_DRUGS.replace("cis-platinum; cddp", ""), "drugs.tsv", DrugRow)
    assert bare.aliases == () and bare.line == 3


@pytest.mark.parametrize(
    ("classes", "problem"),
    [("platinum; platinium", "unknown class 'platinium'"), ("@cisplatinum", "no drug of that")],
)
def test_a_drug_naming_an_unknown_class_or_component_is_an_error(
    classes: str, problem: str
) -> None:
    text = _DRUGS + f"regimen\t{classes}\t\n"
    rows = parse_rows(text, "drugs.tsv", DrugRow)
    with pytest.raises(DataFileError) as caught:
        drugs._check_references(rows, drugs.CLASS_LABELS)
    assert (caught.value.line, caught.value.field) == (4, "classes")
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("model", "text", "line", "field", "problem"),
    [
        (UcumUnitRow, "ucum\tlabel\n{score}\t\n", 2, "label", "Field required"),
        (LoincLabRow, "loinc\tvariable\tunit\n777 3\tplatelets\t10*3/uL\n", 2, "loinc", "pattern"),
        (
            MeshConceptRow,
            "ui\tname\tparent\tterms\nD009369\tNeoplasms\tneoplasm\tcancer\n",
            2,
            "parent",
            "pattern",
        ),
        (
            MeshConceptRow,
            "ui\tname\tparent\tterms\nD009369\tNeoplasms\t-\t;\n",
            2,
            "terms",
            "at least 1",
        ),
    ],
)
def test_other_tables_reject_malformed_rows(
    model: type[Row], text: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_rows(text, model.data_file, model)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert problem in caught.value.problem


_CODES = "kind\tcode\tmeans\necog_answer\tLA9622-7\t0\n"


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        (_CODES.replace("\t0", "\t6"), 2, None, "one of 0, 1, 2, 3, 4, 5, not '6'"),
        (_CODES.replace("ecog_answer", "ecog"), 2, "kind", "'code_system'"),
        (_CODES + "smoking_status\t77176002\tcurrent\n", 3, None, "active, history, absent"),
        (_CODES + "code_system\thttp://loinc.org\tloinc\n", 3, None, "upper case"),
        (_CODES + "ecog_answer\tLA9622-7\t1\n", 3, "code", "repeats line 2"),
    ],
)
def test_a_malformed_fhir_code_names_line_and_problem(
    text: str, line: int, field: str | None, problem: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_rows(text, "fhir_codes.tsv", FhirCodeRow)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert problem in caught.value.problem


def test_the_same_code_may_mean_things_in_two_kinds() -> None:
    text = _CODES + "answer\tLA9622-7\tyes\n"
    assert len(parse_rows(text, "fhir_codes.tsv", FhirCodeRow)) == 2


def test_a_dash_cell_is_none() -> None:
    (row,) = parse_rows("ucum\tlabel\n{score}\t-\n", "ucum_units.tsv", UcumUnitRow)
    assert row.label is None


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [("777-3\tplatelet\t10*3/uL", "variable", "'platelet' is not in"),
     ("777-3\tplatelets\t10*3/ul", "unit", "'10*3/ul' is not in ucum_units.tsv")],
)  # fmt: skip
def test_a_loinc_code_must_name_a_known_variable_and_unit(
    row: str, field: str, problem: str
) -> None:
    rows = parse_rows(f"loinc\tvariable\tunit\n{row}\n", "loinc_labs.tsv", LoincLabRow)
    with pytest.raises(DataFileError) as caught:
        fhir._loinc_labs(rows, fhir.UCUM_UNITS)
    assert (caught.value.line, caught.value.field) == (2, field)
    assert problem in caught.value.problem


_RANKING = (DATA / "ranking.yaml").read_text("utf-8")


def _ranking_line(fragment: str) -> int:
    return next(n for n, text in enumerate(_RANKING.splitlines(), 1) if text.startswith(fragment))


@pytest.mark.parametrize(
    ("edit", "fragment", "field", "problem"),
    [
        (("relevance: 0.4", "relevance: 0.5"), "  weights:", "score.weights", "sum to 1"),
        (("ineligible_factor: 0.7", "ineligible_factor: 7"), "  ineligible_factor: 7",
         "score.ineligible_factor", "less than or equal to 1"),
        # a missing setting: the line of the section it belongs in
        (("  narrower: 0.6", "  narrow: 0.6"), "topical:", "topical.narrower", "Field required"),
        (("possibly_span: 0.6", "possibly_span: 0.8"), "eligibility:", "eligibility",
         "at most 1"),
        # a config that does not state its tuning cohort does not load
        (("tuned_on: >-", "tuned: >-"), "tuned:", "tuned_on", "Field required"),
    ],
)  # fmt: skip
def test_a_malformed_ranking_config_names_line_and_setting(
    edit: tuple[str, str], fragment: str, field: str, problem: str
) -> None:
    assert edit[0] in _RANKING
    text = _RANKING.replace(*edit)
    with pytest.raises(DataFileError) as caught:
        parse_document(text, "ranking.yaml", RankingConfig)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(fragment))
    assert (caught.value.line, caught.value.field) == (line, field)
    assert problem in caught.value.problem


def test_the_ranking_config_states_its_tuning_cohort_and_drives_the_matcher() -> None:
    config = load_document(RankingConfig)
    assert "TREC Clinical Trials 2021" in config.tuned_on
    assert "held out" in config.tuned_on
    assert "docs/accuracy.md" in config.tuning_record
    assert config.score.weights.model_dump() == run.WEIGHTS
    assert run.RANKING is config
    assert _ranking_line("tuned_on:") < _ranking_line("score:")


# a cell of only "-" means none, so no word is "-" alone
_WORD = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-/'+ ", min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda word: word not in ("", "-"))
)


@given(
    st.lists(
        st.tuples(
            _WORD,
            st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=3),
            st.lists(_WORD, max_size=4),
        ),
        max_size=6,
        unique_by=lambda row: row[0],
    )
)
def test_tsv_rows_round_trip(rows: list[tuple[str, list[str], list[str]]]) -> None:
    text = "name\tclasses\taliases\n" + "".join(
        f"{name}\t{'; '.join(classes)}\t{'; '.join(aliases)}\n" for name, classes, aliases in rows
    )
    parsed = parse_rows(text, "drugs.tsv", DrugRow)
    assert [(r.name, list(r.classes), list(r.aliases)) for r in parsed] == rows
    assert [r.line for r in parsed] == list(range(2, len(rows) + 2))


@settings(max_examples=300)
@given(st.text(max_size=300), st.sampled_from([("drugs.tsv", DrugRow), ("x.yaml", VariableRow)]))
def test_any_text_loads_or_is_a_data_file_error(text: str, target: tuple[str, type[Row]]) -> None:
    """Whatever is in the file, the loader answers rows or a DataFileError, nothing else."""
    name, model = target
    try:
        parse_rows(text, name, model)
    except DataFileError as error:
        assert error.file == name and error.line >= 0


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("- id: age\n  label: \x1f\n", 2, "not allowed"),
        ("- id: age\n  label: 2024-13-45\n", 1, "month must be in 1..12"),
        ("- !!python/object:os.system\n  id: age\n", 1, "could not determine a constructor"),
        ("- ? [a]\n  : b\n", 1, "unhashable"),
        ("- id: age\n  label: 2024-01-05\n", 2, "valid string"),
    ],
)
def test_broken_yaml_is_a_data_file_error(text: str, line: int, problem: str) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_rows(text, "criteria_variables.yaml", VariableRow)
    assert caught.value.line == line
    assert problem in caught.value.problem
