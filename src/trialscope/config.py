"""Configuration in one place: flag > TRIALSCOPE_* environment variable > default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ENV_PREFIX = "TRIALSCOPE_"
DEFAULT_DB_NAME = "trialscope.db"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("trialscope")) / DEFAULT_DB_NAME


def env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value else None


@dataclass(frozen=True)
class Settings:
    db: str
    batch_size: int = 500

    @classmethod
    def resolve(cls, db: str | Path | None = None, batch_size: int | None = None) -> Settings:
        chosen_db = str(db) if db else env("DB") or str(default_db_path())
        chosen_batch = batch_size or int(env("BATCH_SIZE") or 500)
        return cls(db=chosen_db, batch_size=chosen_batch)
