"""Weak supervision: rule votes weighted by precision, combined with model probabilities."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.labelling.weak import combine, rule_precision, silver_experiment, silver_labels


def _rule(rung: int, actors: list[str] | None = None, rule_id: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(rung=rung, actors=actors or [], rule_id=rule_id or ("default_none" if rung == 0 else f"r{rung}_cue"))


def test_rule_precision_is_smoothed(codebook):
    gold = [{"rung": 3, "actors": ["citizens"]}, {"rung": 3, "actors": []}, {"rung": 4, "actors": []}, {"rung": 0, "actors": []}]
    rules = [_rule(3, ["citizens"]), _rule(3, ["citizens"]), _rule(3), _rule(0)]
    p = rule_precision(gold, rules, codebook=codebook)
    assert p["rung"][3] == pytest.approx((1 + 2) / (2 + 3))  # 2 of 3 right, Laplace (1, 2)
    assert p["rung"][0] == pytest.approx(0.5)  # the default 'none' is an abstention, never scored
    assert p["actors"][codebook.actor_ids.index("citizens")] == pytest.approx((1 + 1) / (2 + 2))


def test_combine_rule_vote_and_model(codebook):
    precision = {"rung": [0.5, 0.5, 0.5, 0.9, 0.5], "actors": [0.8] * 6}
    model = np.array([[0.4, 0.0, 0.0, 0.3, 0.3], [0.4, 0.0, 0.0, 0.3, 0.3]])
    actors = np.array([[0.2] * 6, [0.2] * 6])
    voted, abstained = combine([_rule(3, ["citizens"]), _rule(0)], model, actors, precision=precision, codebook=codebook)
    # (0.3 + 0.9) / 2 = 0.6 for rung 3; the abstaining rule leaves the model's 0.4 for rung 0
    assert (voted["rung"], voted["confidence"], voted["rule_rung"]) == (3, 0.6, 3)
    assert voted["actors"] == ["citizens"]  # 0.5 x 0.2 + 0.5 x 0.8 = 0.5
    assert (abstained["rung"], abstained["confidence"], abstained["rule_rung"], abstained["actors"]) == (0, 0.4, None, [])


def test_silver_labels_and_experiment(gold, segments, tiny_model):
    precision = {"rung": [0.5] * 5, "actors": [0.5] * 6}
    silver = silver_labels(segments, tiny_model, precision=precision, min_confidence=0.0)
    assert len(silver) == len(segments) and all(s["source"] == "silver" and 0 <= s["rung"] <= 4 for s in silver)
    assert len(silver_labels(segments, tiny_model, precision=precision, min_confidence=1.01)) == 0

    from pipeline.config import ModelConfig

    result = silver_experiment(gold[::2] + gold[1::4], segments, gold[3::4], min_confidence=0.3,
                               config=ModelConfig(use_char=False, calibration="none", min_df=1))
    assert result["n_gold"] == 23 and result["n_unlabelled"] == len(segments)
    assert set(result["change"]) == {"rung_accuracy", "rung_macro_f1", "actors_micro_f1"}
    assert result["change"]["rung_macro_f1"] == pytest.approx(
        result["gold_plus_silver"]["rung_macro_f1"] - result["gold_only"]["rung_macro_f1"])
