"""The curated catalogue of variables a criterion can constrain.

Each variable has one canonical unit; extracted values are converted to it (see
``units.py``). The variables, their units, plausible ranges and aliases (phrase syntax
of ``lexicon.py``) are the data file ``trialscope/data/criteria_variables.yaml``, whose
header explains each field. Kind ``count`` variables yield constraints only with a
number attached ("≤ 5 liver metastases"), since the same words also name a condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from trialscope.criteria.lexicon import Lexicon
from trialscope.data import load_rows
from trialscope.data.schema import VariableRow

VariableKind = Literal["numeric", "ordinal", "count"]


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    label: str
    kind: VariableKind
    #: canonical unit label, or None for unitless scores and ratios
    unit: str | None
    aliases: tuple[str, ...]
    molar_mass: float | None = None
    valence: int = 1
    plausible: tuple[float, float] | None = None
    ctp: tuple[str, ...] = ()
    bare_units: tuple[str, ...] = ()
    usual_uln: tuple[float, float] | None = None


def _variables() -> tuple[Variable, ...]:
    return tuple(
        Variable(
            id=row.id,
            label=row.label,
            kind=row.kind,
            unit=row.unit,
            aliases=row.aliases,
            molar_mass=row.molar_mass,
            valence=row.valence,
            plausible=row.plausible,
            ctp=row.ctp,
            bare_units=row.bare_units,
            usual_uln=row.usual_uln,
        )
        for row in load_rows(VariableRow)
    )


VARIABLES: tuple[Variable, ...] = _variables()
BY_ID: dict[str, Variable] = {v.id: v for v in VARIABLES}


@cache
def variable_lexicon() -> Lexicon[str]:
    """Every alias of every variable, longest first (built once, on first use)."""
    return Lexicon((alias, v.id) for v in VARIABLES for alias in v.aliases)
