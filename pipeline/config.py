"""Pipeline configuration: configs/default.yaml validated once at load (pydantic).

Unknown keys are refused so that typos do not silently fall back to defaults.
``apply_overrides`` implements the CLI's ``--set section.key=value``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import CONFIG_DIR
from pipeline.errors import ConfigError

DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SegmentConfig(_Section):
    max_chars: int = Field(1500, ge=100)
    min_chars: int = Field(20, ge=0)


class ModelConfig(_Section):
    backend: str = "tfidf"  # configs/default.yaml chooses the project default (ladder)
    seed: int = 13
    C: float = Field(4.0, gt=0)
    actor_C: float = Field(4.0, gt=0)
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    use_char: bool = True
    char_mode: Literal["char_wb", "affix"] = "char_wb"
    min_df: int = Field(2, ge=1)
    max_features: int = Field(200000, ge=100)
    calibration: Literal["sigmoid", "isotonic", "none"] = "sigmoid"
    ordinal_blend: float = Field(0.0, ge=0, le=1)
    actor_threshold: float = Field(0.5, gt=0, lt=1)
    epochs: int = Field(10, ge=1)
    learning_rate: float = Field(5e-5, gt=0)
    max_length: int = Field(256, ge=8)
    batch_size: int = Field(16, ge=1)
    checkpoint: str | None = None
    # ladder backend: design switches (all on by default; off only for ablations)
    pool_sentences: bool = True   # stage 2 sees the max over sentences of P(rung >= k)
    cue_features: bool = True     # codebook cue matches (negation, demotion, participation) as features
    compounds: bool = True        # parts of unknown compounds as features
    drop_function_words: bool = True  # function words (and "kommune") never become features
    concreteness: bool = False    # stage 2 sees dense signs of a concrete case vs generic talk
    augment_long: float = Field(0.5, ge=0, le=3)  # synthetic long items (a segment among rung-0 ones), share of n


class ClassifyConfig(_Section):
    batch_size: int = Field(2048, ge=1)
    evidence_k: int = Field(3, ge=0)
    min_rung_proba: float = Field(0.5, gt=0, le=1)


class TrendsConfig(_Section):
    period: Literal["year", "quarter", "term"] = "year"
    min_support: int = Field(5, ge=1)
    threshold: float = Field(0.5, ge=0, le=1)
    bootstrap: int = Field(500, ge=0)
    seed: int = 13


class Config(_Section):
    segment: SegmentConfig = SegmentConfig()
    model: ModelConfig = ModelConfig()
    classify: ClassifyConfig = ClassifyConfig()
    trends: TrendsConfig = TrendsConfig()


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Apply ``section.key=value`` strings (values parsed as YAML) to a raw config dict."""
    raw = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    for item in overrides or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise ConfigError(path="--set", detail=f"{item!r} is not of the form section.key=value (e.g. model.C=2.0)")
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        raw.setdefault(section, {})[name] = _parse_value(value)
    return raw


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as e:
        raise ConfigError(path=str(path), detail="file not found") from e
    except yaml.YAMLError as e:
        raise ConfigError(path=str(path), detail=f"not valid YAML ({e})") from e
    raw = apply_overrides(raw, overrides)
    if isinstance(raw, dict) and "nlp" in raw:
        raise ConfigError(path=str(path), detail=(
            "the nlp: section is no longer read (a model's text analysis is fixed when it is trained); delete it"))
    try:
        return Config.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(path=str(path), detail=f"{where}: {first['msg']}") from e
