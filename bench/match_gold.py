"""The TrialGPT criterion-level gold set: 1,015 patient x criterion pairs labelled by
physicians (Jin et al., Nature Communications 15, 2024; HF ncbi/TrialGPT-Criterion-
Annotations; see ../shared/data/criteria/trialgpt_criterion_annotations/SOURCES.md).

Split once 50/50 by patient with a fixed seed (``splits.criterion_split``): ``dev`` for
tuning, ``test`` for the figure we report. The patient notes come with numbered sentences
("0. A 58-year-old ..."); the numbers are stripped before the note reaches the matcher.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from splits import criterion_split

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANNOTATIONS = (
    SHARED / "criteria" / "trialgpt_criterion_annotations" / "trialgpt_criterion_annotations.json"
)
_NUMBERED = re.compile(r"^\d+\.\s*", re.M)

#: expert label -> the matcher's verdict for that criterion kind
LABELS = {
    ("inclusion", "included"): "MET",
    ("inclusion", "not included"): "NOT_MET",
    ("exclusion", "excluded"): "MET",
    ("exclusion", "not excluded"): "NOT_MET",
}


@dataclass(frozen=True)
class Pair:
    annotation_id: int
    patient_id: str
    note: str
    trial_id: str
    kind: str  # inclusion / exclusion
    criterion: str
    expert: str  # the expert's label, as written
    gpt4: str

    @property
    def gold(self) -> str:
        """The expert label as a matcher verdict."""
        if self.expert == "not enough information":
            return "UNKNOWN"
        if self.expert == "not applicable":
            return "NOT_APPLICABLE"
        return LABELS[(self.kind, self.expert)]


def load_pairs() -> list[Pair]:
    rows = json.loads(ANNOTATIONS.read_text())
    return [
        Pair(
            annotation_id=int(row["annotation_id"]),
            patient_id=row["patient_id"],
            note=_NUMBERED.sub("", row["note"]).replace("\n", " "),
            trial_id=row["trial_id"],
            kind=row["criterion_type"],
            criterion=row["criterion_text"] or "",
            expert=row["expert_eligibility"],
            gpt4=row["gpt4_eligibility"],
        )
        for row in rows
    ]


def annotated_patients() -> list[str]:
    """The patient ids of the annotations (read without their labels)."""
    return sorted({row["patient_id"] for row in json.loads(ANNOTATIONS.read_text())})


def split(pairs: list[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(dev, test): half the patients each (``splits.criterion_split``)."""
    dev_ids, _ = criterion_split(p.patient_id for p in pairs)
    dev = [p for p in pairs if p.patient_id in dev_ids]
    test = [p for p in pairs if p.patient_id not in dev_ids]
    return dev, test
