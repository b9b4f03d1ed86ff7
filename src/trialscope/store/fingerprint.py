"""Content hashes that ignore what changes without the study changing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson


def content_hash(study: Mapping[str, Any]) -> str:
    """SHA-256 of the study's canonical JSON (sorted keys).

    ``derivedSection.miscInfoModule.versionHolder`` is the date of CT.gov's data
    refresh; it differs on every fetch of an unchanged study, so it is left out.
    """
    derived = study.get("derivedSection")
    misc = derived.get("miscInfoModule") if isinstance(derived, Mapping) else None
    if isinstance(misc, Mapping) and "versionHolder" in misc:
        assert isinstance(derived, Mapping)
        misc = {k: v for k, v in misc.items() if k != "versionHolder"}
        study = {**study, "derivedSection": {**derived, "miscInfoModule": misc}}
    canonical = orjson.dumps(study, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
