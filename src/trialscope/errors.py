"""One exception tree for the whole library.

Lower layers translate sqlite3 / lxml / OS errors into these at their boundary
(``raise ... from exc``) so callers, the CLI and the web layer only ever catch
``TrialscopeError``.
"""

from __future__ import annotations


class TrialscopeError(Exception):
    """Base of every error trialscope raises on purpose."""

    #: short machine-readable code, used by the CLI's --json output and the API envelope
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nHint: {self.hint}"


class ConfigError(TrialscopeError):
    code = "config_error"


class VocabularyError(ConfigError):
    """The disease vocabulary (MeSH, DO, OncoTree files or its cache) cannot be loaded."""

    code = "vocabulary_error"


class UsageError(TrialscopeError):
    """The user asked for something that cannot be done as asked."""

    code = "usage_error"


class NotAnNctId(UsageError):
    """Text given as a trial id is not ``NCT`` and eight digits."""


class PlaceNotFound(UsageError):
    """A place name the offline gazetteer does not know; ``suggestions`` are close names."""

    code = "place_not_found"

    def __init__(self, message: str, *, hint: str | None, suggestions: list[str]) -> None:
        super().__init__(message, hint=hint)
        self.suggestions = suggestions


class NotFoundError(TrialscopeError):
    code = "not_found"


class StudyNotFound(NotFoundError):
    def __init__(self, nct_id: str) -> None:
        super().__init__(
            f"No study {nct_id} in this mirror.",
            hint="Import or sync it first, e.g. `trialscope import FILE`.",
        )
        self.nct_id = nct_id


class StoreError(TrialscopeError):
    """The database could not be opened, migrated, read or written."""

    code = "store_error"


class StoreConflict(StoreError):
    """Two writers' transactions crossed (a deadlock or serialisation failure): this one
    was rolled back and can be run again as it was."""

    code = "store_conflict"


class RecordError(TrialscopeError):
    """One input record is malformed; the importer quarantines it and goes on."""

    code = "bad_record"


class SyncError(TrialscopeError):
    """Talking to the CT.gov API failed in a way retries could not fix."""

    code = "sync_error"


class FetchError(SyncError):
    """One request failed for good: names the URL and what happened."""

    code = "fetch_failed"

    def __init__(self, url: str, problem: str, *, attempts: int = 1, hint: str | None = None):
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"GET {url} failed{tries}: {problem}", hint=hint)
        self.url = url
        self.problem = problem


class StudyGone(FetchError):
    """CT.gov answered 404 for a study id."""

    code = "study_not_found"


class PatientError(TrialscopeError):
    """Patient input (file, FHIR bundle, form) is malformed: names the field at fault."""

    code = "bad_patient"

    def __init__(self, field: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"Patient field {field!r}: {problem}", hint=hint)
        self.field = field
        self.problem = problem


class DataFileError(TrialscopeError):
    """A curated table shipped with trialscope (``trialscope/data``) is malformed: names
    the file, the line and the field at fault."""

    code = "bad_data_file"

    def __init__(self, file: str, line: int, field: str | None, problem: str) -> None:
        where = f"{file}, line {line}" + (f", field {field!r}" if field else "")
        super().__init__(
            f"{where}: {problem}",
            hint="See docs/data-files.md for the format of trialscope's data files.",
        )
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
