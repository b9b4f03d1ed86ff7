"""The curated tables shipped with trialscope, and their one loader.

The tables (criteria variables, drug names and classes, LOINC codes, UCUM units, the
built-in vocabulary, the ranking weights) are data files in this package, so a clinician
can review a change as a diff of rows rather than of Python. ``docs/data-files.md``
describes each file. Two formats:

- **TSV** for flat tables: a header line naming the columns, one row a line, cells
  separated by one tab. ``#`` starts a comment line, blank lines are skipped. A list cell
  separates its items with ``;``; a cell holding only ``-`` means "none"; an empty cell
  is absent (the column's default, or an error if the column is required).
- **YAML** where a row has nested parts (a variable with many aliases, the ranking
  config): a list of mappings, or one mapping.

Every row is checked by a pydantic model (:mod:`.schema`); a malformed row is a
:class:`~trialscope.errors.DataFileError` naming the file, the line and the field. Files
are read with :mod:`importlib.resources`, so an installed wheel finds them, and each is
read and checked once per process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any, ClassVar, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from trialscope.errors import DataFileError

__all__ = [
    "DataFileError",
    "Document",
    "Row",
    "data_digest",
    "data_files",
    "load_document",
    "load_rows",
    "parse_document",
    "parse_rows",
    "split_list",
]

NONE_CELL = "-"
LIST_SEPARATOR = ";"


class Row(BaseModel):
    """One row of a data file; subclasses name the file in ``data_file``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the file in this package the rows come from
    data_file: ClassVar[str]
    #: a field (or fields) whose value must not repeat across rows (None: no such check)
    unique: ClassVar[str | tuple[str, ...] | None] = None
    # where the row was read; no defaults: pydantic would copy them into every row
    _file: str
    _line: int

    @property
    def line(self) -> int:
        """The line of the data file the row starts on (0: not read from a file)."""
        return int((self.__pydantic_private__ or {}).get("_line", 0))

    def error(self, field: str | None, problem: str) -> DataFileError:
        """An error about this row, for checks that need more than one row or file."""
        where = self.__pydantic_private__ or {}
        return DataFileError(where.get("_file", "?"), self.line, field, problem)


class Document(Row):
    """A data file that is one mapping (a config), not a list of rows."""


R = TypeVar("R", bound=Row)
D = TypeVar("D", bound=Document)


def data_files() -> list[str]:
    """The names of every data file in this package."""
    root = resources.files(__name__)
    return sorted(p.name for p in root.iterdir() if p.name.endswith((".tsv", ".yaml")))


def data_digest(names: Sequence[str]) -> str:
    """A SHA-256 of these data files' names and contents: it changes when one is edited."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode() + b"\0" + _read(name).encode() + b"\0")
    return digest.hexdigest()


def load_rows(model: type[R]) -> tuple[R, ...]:
    """The rows of ``model.data_file``, checked (cached: read once per process)."""
    return cast(tuple[R, ...], _load_rows(model))


def load_document(model: type[D]) -> D:
    """The one mapping of ``model.data_file``, checked (cached)."""
    return cast(D, _load_document(model))


# functools.cache keeps no type variables, hence the typed wrappers above
@cache
def _load_rows(model: type[Row]) -> tuple[Row, ...]:
    return parse_rows(_read(model.data_file), model.data_file, model)


@cache
def _load_document(model: type[Document]) -> Document:
    return parse_document(_read(model.data_file), model.data_file, model)


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text("utf-8")


def parse_rows(text: str, file: str, model: type[R]) -> tuple[R, ...]:
    """Rows from a data file's text; ``file`` names it in errors (TSV or YAML by suffix)."""
    rows = _tsv_rows(text, file, model) if file.endswith(".tsv") else _yaml_rows(text, file, model)
    if model.unique is not None:
        fields = (model.unique,) if isinstance(model.unique, str) else model.unique
        seen: dict[Any, int] = {}
        for row in rows:
            value = tuple(getattr(row, field) for field in fields)
            if value in seen:
                shown = " ".join(map(str, value))
                raise row.error(fields[-1], f"{shown!r} repeats line {seen[value]}")
            seen[value] = row.line
    return rows


def parse_document(text: str, file: str, model: type[D]) -> D:
    """The one mapping of a YAML data file's text, checked; ``file`` names it in errors."""
    node = _yaml_node(text, file)
    if not isinstance(node, yaml.MappingNode):
        raise DataFileError(file, _line_of(node), None, "expected one mapping of settings")
    return _checked(model, _construct(node, text, file), file, _line_of(node), _yaml_locator(node))


# -- TSV


def _tsv_rows(text: str, file: str, model: type[R]) -> tuple[R, ...]:
    columns = list(model.model_fields)
    header: list[str] | None = None
    rows: list[R] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = raw.split("\t")
        if header is None:
            header = [cell.strip() for cell in cells]
            if header != columns:
                raise DataFileError(
                    file, number, None,
                    f"the header must name the columns {', '.join(columns)} (tab-separated),"
                    f" found {', '.join(header)}",
                )  # fmt: skip
            continue
        if len(cells) != len(columns):
            raise DataFileError(
                file, number, None,
                f"expected {len(columns)} tab-separated cells ({', '.join(columns)}),"
                f" found {len(cells)}",
            )  # fmt: skip
        values = {col: _tsv_cell(cell) for col, cell in zip(columns, cells, strict=True)}
        values = {col: value for col, value in values.items() if value != ""}
        rows.append(_checked(model, values, file, number, _at_line(number)))
    return tuple(rows)


def _at_line(number: int) -> Callable[[Sequence[int | str]], int]:
    """A TSV row is one line, whichever of its fields is wrong."""
    return lambda _loc: number


def _tsv_cell(cell: str) -> str | None:
    cell = cell.strip()
    return None if cell == NONE_CELL else cell


def split_list(value: Any) -> Any:
    """A list cell (``a; b; c``) -> its items; lists from YAML pass through. For
    ``BeforeValidator`` on list fields."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(LIST_SEPARATOR) if item.strip())
    return value


# -- YAML


def _yaml_rows(text: str, file: str, model: type[R]) -> tuple[R, ...]:
    node = _yaml_node(text, file)
    if not isinstance(node, yaml.SequenceNode):
        raise DataFileError(file, _line_of(node), None, "expected a list of entries (- ...)")
    data = _construct(node, text, file)
    return tuple(
        _checked(model, item, file, _line_of(item_node), _yaml_locator(item_node))
        for item, item_node in zip(data, node.value, strict=True)
    )


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_node(text: str, file: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, file) from exc
    if node is None:
        raise DataFileError(file, 1, None, "the file is empty")
    _check_duplicate_keys(node, file)
    return node


def _construct(node: yaml.Node, text: str, file: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, file) from exc
    except ValueError as exc:  # a value YAML reads as a date but is none (2024-13-45)
        raise DataFileError(file, _line_of(node), None, f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError, text: str, file: str) -> DataFileError:
    line, problem = 1, str(exc)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = str(exc.problem or exc.context)
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        problem = f"character {exc.character!r} is not allowed"
    return DataFileError(file, line, None, f"not valid YAML: {problem}")


def _check_duplicate_keys(node: yaml.Node, file: str) -> None:
    # YAML keeps the last of two equal keys without a word: a row edited twice would lose one
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):  # other keys fail when constructed
                if key.value in seen:
                    raise DataFileError(file, _line_of(key), key.value, "the key repeats")
                seen.add(key.value)
            _check_duplicate_keys(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, file)


def _line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_locator(root: yaml.Node) -> Callable[[Sequence[int | str]], int]:
    """A pydantic error location (``("aliases", 3)``) -> the line of that entry: the
    line of its key in a mapping, of its item in a list."""

    def locate(loc: Sequence[int | str]) -> int:
        node, line = root, _line_of(root)
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            node, line = found
        return line

    return locate


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value, _line_of(key)
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], _line_of(node.value[part])
    return None


# -- checking


def _checked(
    model: type[R],
    values: Any,
    file: str,
    line: int,
    locate: Callable[[Sequence[int | str]], int],
) -> R:
    if not isinstance(values, dict):
        raise DataFileError(file, line, None, f"expected a mapping of fields, found {values!r}")
    try:
        row = model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or None
        problem = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] not in ("missing", "extra_forbidden"):
            problem += f" (found {first['input']!r})"
        raise DataFileError(file, locate(loc), field, problem) from exc
    row._file, row._line = file, line
    return row
