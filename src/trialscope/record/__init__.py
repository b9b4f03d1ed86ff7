"""The study record: the typed v2 model and the parsers for its age and date strings."""

from trialscope.record.ages import Age, AgeUnit, age_in_years, parse_age
from trialscope.record.dates import PartialDate, format_partial_date, parse_partial_date
from trialscope.record.model import DerivedSection, ProtocolSection, Study

__all__ = [
    "Age",
    "AgeUnit",
    "DerivedSection",
    "PartialDate",
    "ProtocolSection",
    "Study",
    "age_in_years",
    "format_partial_date",
    "parse_age",
    "parse_partial_date",
]
