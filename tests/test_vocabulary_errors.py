"""A disease vocabulary that cannot be loaded is an error with a hint, never a silent
fallback: broken copies of the real vocabulary files, loaded directly and through the
command line (the criteria parser and the matcher needed it, and once dropped it quietly);
and threads that ask for it at once share one build."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.conftest import SHARED_DATA
from trialscope.errors import ConfigError, VocabularyError
from trialscope.terminology import load_terminology

VOCAB = SHARED_DATA / "vocab"
pytestmark = pytest.mark.skipif(
    not VOCAB.is_dir(), reason=f"vocabulary files not found at {VOCAB} (clone ../shared beside)"
)
HINT = "TRIALSCOPE_VOCAB_DIR"


def _mesh_without_tree_numbers(folder: Path) -> Path:
    path = next((folder / "mesh").glob("mesh*_descriptors.tsv"))
    lines = path.read_text("utf-8").splitlines()[:50]
    lines[0] = lines[0].replace("tree_numbers", "trees")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _mesh_not_utf8(folder: Path) -> Path:
    path = next((folder / "mesh").glob("mesh*_descriptors.tsv"))
    head = path.read_bytes()[:20_000]
    path.write_bytes(head + b"\nD999\t\xff\xfe broken\n")
    return path


def _obo_truncated(folder: Path) -> Path:
    path = next((folder / "doid").glob("doid_*.obo.gz"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _obo_not_gzip(folder: Path) -> Path:
    path = next((folder / "doid").glob("doid_*.obo.gz"))
    with gzip.open(path, "rb") as handle:
        head = handle.read(5000)
    path.write_bytes(head)  # plain text under a .gz name
    return path


def _oncotree_not_json(folder: Path) -> Path:
    path = next((folder / "oncotree").glob("oncotree_*.json"))
    path.write_text(path.read_text("utf-8")[:300], "utf-8")
    return path


BREAKAGES: dict[str, Callable[[Path], Path]] = {
    "mesh-columns": _mesh_without_tree_numbers,
    "mesh-encoding": _mesh_not_utf8,
    "obo-truncated": _obo_truncated,
    "obo-not-gzip": _obo_not_gzip,
    "oncotree-json": _oncotree_not_json,
}


@pytest.fixture(params=sorted(BREAKAGES))
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the vocabulary folder with one file broken: (folder, the broken file)."""
    folder = tmp_path / "vocab"
    shutil.copytree(VOCAB, folder)
    return folder, BREAKAGES[request.param](folder)


def test_a_broken_file_is_a_vocabulary_error_naming_it(broken: tuple[Path, Path]) -> None:
    folder, bad = broken
    with pytest.raises(VocabularyError) as caught:
        load_terminology(folder)
    assert str(bad) in caught.value.message
    assert caught.value.hint and HINT in caught.value.hint
    assert isinstance(caught.value, ConfigError)  # callers catching config errors still do
    assert caught.value.code == "vocabulary_error"


def test_a_missing_folder_is_a_vocabulary_error(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError) as caught:
        load_terminology(tmp_path / "nowhere")
    assert "does not exist" in caught.value.message
    assert caught.value.hint and HINT in caught.value.hint


@pytest.mark.parametrize(
    "args",
    [
        ("terms", "metastatic colon adenocarcinoma"),
        # the criteria parser used to drop the vocabulary silently and parse without it
        ("criteria", "--text", "Exclusion Criteria:\n\n* History of myocardial infarction"),
    ],
    ids=["terms", "criteria"],
)
def test_the_cli_reports_a_broken_vocabulary_with_a_hint(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    folder = tmp_path / "vocab"
    shutil.copytree(VOCAB, folder)
    bad = _obo_truncated(folder)
    done = run_cli(*args, db=tmp_path / "t.db", env={"TRIALSCOPE_VOCAB_DIR": str(folder)}, code=1)
    assert "Traceback" not in done.stderr
    assert bad.name in done.stderr
    assert "Hint" in done.stderr and HINT in done.stderr
    assert done.stdout == ""


def test_the_cli_reports_a_missing_vocabulary_folder(tmp_path: Path) -> None:
    done = run_cli(
        "criteria",
        "--text",
        "Inclusion Criteria:\n\n* Adults with asthma",
        env={"TRIALSCOPE_VOCAB_DIR": str(tmp_path / "nowhere")},
        code=1,
    )
    assert "does not exist" in done.stderr and "Hint" in done.stderr


_CONCURRENT_LOAD = """
import sys, threading
from pathlib import Path
from trialscope.terminology import load_terminology
start = threading.Barrier(8)
got = []
def load():
    start.wait()
    got.append(load_terminology(Path(sys.argv[1])))
threads = [threading.Thread(target=load) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(got), len({id(t) for t in got}), got[0].counts["concepts"])
"""


def test_threads_loading_at_once_share_one_build(tmp_path: Path) -> None:
    """Eight threads of a fresh server ask for the vocabulary together (built-in table, an
    empty cache folder): one build, one object, one intact cache file, no leftovers."""
    cache = tmp_path / "cache"
    empty = tmp_path / "no-vocab"
    empty.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _CONCURRENT_LOAD, str(empty)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    loaded, distinct, concepts = map(int, done.stdout.split())
    assert (loaded, distinct) == (8, 1)
    assert concepts > 100
    files = sorted(p.name for p in cache.rglob("*") if p.is_file())
    assert len(files) == 1 and files[0].startswith("terminology-"), files
