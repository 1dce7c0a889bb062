import dataclasses

import pytest

from mobench.core import PROTOCOLS, BenchConfig, config_key, protocol
from mobench.core.errors import UsageError


def test_protocols_match_their_definitions():
    mb = protocol("modelbench")
    assert (mb.rounds, mb.inferences, mb.warmup, mb.trim, mb.reload_per_round) == (20, 50, 1, 10, True)
    assert mb.headline == "trimmed_mean"
    paper = protocol("paper")
    assert (paper.rounds, paper.inferences, paper.warmup, paper.reload_per_round) == (1, 1000, 1, False)
    assert paper.headline == "min"
    study = protocol("study")
    assert study.time_budget_s and study.min_inferences > 0
    assert set(PROTOCOLS) >= {"modelbench", "paper", "quick", "study"}
    assert all(c.name == n for n, c in PROTOCOLS.items())


def test_frozen_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol("quick").rounds = 5
    for bad in (
        dict(rounds=0),
        dict(inferences=4, trim=2),
        dict(warmup=-1),
        dict(headline="p50"),
        dict(time_budget_s=0),
        dict(input_kind="video"),
    ):
        with pytest.raises(UsageError):
            BenchConfig(**bad)


def test_unknown_protocol_lists_names():
    with pytest.raises(UsageError, match="modelbench"):
        protocol("fast")


def test_config_key_and_custom_name():
    q = protocol("quick")
    assert config_key(q, threads=2) == config_key(BenchConfig.from_dict(q.to_dict()), threads=2)
    assert config_key(q, threads=2) != config_key(q, threads=1)
    c = q.with_(rounds=5)
    assert c.name == "quick+custom" and c.rounds == 5
    assert config_key(c) != config_key(q)


def test_customize_rescales_trim_when_only_inferences_shrink():
    from mobench.core.configs import customize

    mb = protocol("modelbench")
    small = customize(mb, inferences=5)
    assert (small.inferences, small.trim, small.name) == (5, 1, "modelbench+custom")  # 10 of 50 -> 1 of 5
    assert customize(mb, inferences=2).trim == 0  # nothing fits: no trim
    assert customize(mb, inferences=40).trim == 10  # still fits: unchanged
    with pytest.raises(UsageError, match="2 \\* trim < inferences"):
        customize(mb, inferences=5, trim=3)  # an explicit trim is kept
    assert customize(mb) is mb
    image = customize(mb, input_kind="image")
    assert image.name == "modelbench" and image.input_kind == "image"  # not a protocol change
