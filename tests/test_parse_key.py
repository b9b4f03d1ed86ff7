"""A stored criteria parse carries the parser version and a hash of the data files the
parser reads: editing a data file makes stored parses stale and the next run re-parses."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import trialscope.data as data
from tests.conftest import FIXTURES
from trialscope.criteria import PARSER_VERSION
from trialscope.criteria.parser import PARSER_DATA_FILES, parse_key
from trialscope.criteria.store import load_parse, parse_counts, parse_pending
from trialscope.importer import import_paths
from trialscope.store import Store

LATER = FIXTURES / "NCT04416854.2026.v2.json"


def test_the_key_is_the_version_and_a_data_hash() -> None:
    version, digest = parse_key().split("-")
    assert int(version) == PARSER_VERSION and len(digest) == 16
    assert digest == data.data_digest(PARSER_DATA_FILES)[:16]


def test_a_data_edit_makes_stored_parses_stale_and_they_are_reparsed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_paths(store, [LATER])
    before = load_parse(store, "NCT04416854", parse_if_missing=False)
    assert before.parse_key == parse_key() and not before.stale
    assert parse_pending(store) == 0

    real_read = data._read
    monkeypatch.setattr(
        data,
        "_read",
        lambda name: real_read(name) + ("\n# reviewed\n" if name in PARSER_DATA_FILES else ""),
    )
    parse_key.cache_clear()
    try:
        assert parse_key() != before.parse_key
        assert load_parse(store, "NCT04416854", parse_if_missing=False).stale
        assert parse_counts(store)["stale"] == 1
        assert parse_pending(store) == 1
        after = load_parse(store, "NCT04416854", parse_if_missing=False)
        assert after.parse_key == parse_key() and not after.stale
        assert parse_counts(store) == {"studies": 1, "unparsed": 0, "stale": 0, "current": 1}
    finally:
        parse_key.cache_clear()


def test_the_parser_reads_no_data_file_the_key_leaves_out() -> None:
    """In a fresh process (the loader caches), every data file a parse reads is in
    PARSER_DATA_FILES: a new table the parser depends on must be added to the key."""
    code = textwrap.dedent(
        """
        import trialscope.data as data
        read = []
        real_read = data._read
        data._read = lambda name: read.append(name) or real_read(name)
        from trialscope.criteria import parse_criteria
        parse_criteria('''Inclusion Criteria:
        - Age >= 18 years; ECOG 0-1; ANC >= 1.5 x 10^9/L; creatinine <= 1.5 x ULN
        - histologically confirmed NSCLC or colorectal cancer with liver metastases
        - tumor size < 3 cm, temperature < 38 °C
        Exclusion Criteria:
        - prior cisplatin or pembrolizumab within 4 weeks; pregnant; HIV; hepatitis B''')
        print("\\n".join(sorted(set(read))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    read = set(done.stdout.split())
    assert "criteria_variables.yaml" in read
    assert read <= set(PARSER_DATA_FILES)
