import math

import pytest
from sacrebleu.metrics import CHRF

from lad.eval import fidelity
from lad.eval.stats import (
    Bootstrap,
    chrf,
    decide,
    diversity,
    l_out,
    metrics,
    q2t,
    response_shares,
    seed_summary,
    top1,
)


def _recs(agree, lang="en", seed=None, l_out=1.0, responses=None, prefix="u"):
    """One record per utterance u0, u1, ...; top1_agree from ``agree``."""
    out = []
    for i, a in enumerate(agree):
        r = dict(utt_id=f"{prefix}{i}", lang=lang, top1_agree=bool(a), l_out=l_out, kl=0.0)
        r["response"] = responses[i] if responses else f"answer {i}"
        if seed is not None:
            r["seed"] = seed
        out.append(r)
    return out


def test_top1_80_of_100_against_50_is_better():
    a = _recs([i < 80 for i in range(100)])
    b = _recs([i % 2 == 0 for i in range(100)])
    c = Bootstrap().compare(a, b, top1)
    assert c.n == 100
    assert c.diff == pytest.approx(30.0)
    assert 0 < c.lower < 30 < c.upper
    assert decide(c.lower, c.upper, higher_is_better=True) == "better"
    assert decide(-c.upper, -c.lower, higher_is_better=True) == "worse"


def test_identical_systems_are_not_distinguishable():
    a = _recs([i % 3 == 0 for i in range(60)])
    c = Bootstrap().compare(a, [dict(r) for r in a], top1)
    assert (c.diff, c.lower, c.upper) == (0.0, 0.0, 0.0)
    assert decide(c.lower, c.upper, higher_is_better=True) == "not distinguishable"


def test_constant_shift_of_l_out_gives_a_point_interval():
    b = _recs([True] * 50)
    for i, r in enumerate(b):
        r["l_out"] = 3.0 + 0.37 * i
    a = [dict(r, l_out=r["l_out"] - 1.0) for r in b]
    c = Bootstrap().compare(a, b, l_out)
    assert c.diff == pytest.approx(-1.0, abs=1e-9)
    assert c.lower == pytest.approx(-1.0, abs=1e-9) and c.upper == pytest.approx(-1.0, abs=1e-9)
    assert decide(c.lower, c.upper, higher_is_better=False) == "better"  # lower L_OUT


def test_seeds_are_pooled_per_utterance():
    # a's two seeds agree on complementary halves: every utterance has exactly one agreeing
    # record, so every resample of utterance ids gives a 50 %; resampling records would not
    a = _recs([i % 2 == 0 for i in range(40)], seed=0) + _recs(
        [i % 2 == 1 for i in range(40)], seed=1
    )
    b = _recs([False] * 40)
    c = Bootstrap().compare(a, b, top1)
    assert (c.diff, c.lower, c.upper, c.n) == (50.0, 50.0, 50.0, 40)


def test_mismatched_utterances_are_refused():
    a = _recs([True] * 5)
    b = _recs([True] * 4) + _recs([True], prefix="x")
    with pytest.raises(ValueError, match=r"1 only in a \['u4'\], 1 only in b \['x0'\]"):
        Bootstrap().compare(a, b, top1)


def test_interval_shrinks_as_utterances_grow():
    def width(n):
        a = _recs([i % 10 < 7 for i in range(n)])
        b = _recs([i % 2 == 0 for i in range(n)])
        c = Bootstrap().compare(a, b, top1)
        assert c.diff == pytest.approx(20.0)
        return c.upper - c.lower

    small, large = width(50), width(800)
    assert large < 0.5 * small  # about 1/4: the width goes as 1/sqrt(n)


def test_fixed_seed_is_reproducible():
    a = _recs([i % 3 == 0 for i in range(70)])
    b = _recs([i % 4 == 0 for i in range(70)])
    assert Bootstrap(seed=3).compare(a, b, top1) == Bootstrap(seed=3).compare(a, b, top1)
    assert Bootstrap(seed=3).compare(a, b, top1) != Bootstrap(seed=4).compare(a, b, top1)


def test_by_language_macro_is_the_mean_of_the_language_differences():
    a = _recs([i < 80 for i in range(100)], lang="en") + _recs([True] * 30, "de", prefix="d")
    b = _recs([i < 50 for i in range(100)], lang="en") + _recs([True] * 30, "de", prefix="d")
    out = Bootstrap().compare_by_lang(a, b, top1)
    assert list(out) == ["de", "en", "avg"]
    en, de, avg = out["en"], out["de"], out["avg"]
    assert (de.diff, de.lower, de.upper, de.n) == (0.0, 0.0, 0.0, 30)
    assert en.diff == pytest.approx(30.0) and en.lower > 0
    assert avg.n == 130
    assert avg.diff == pytest.approx(15.0)  # (30 + 0) / 2, not 30 * 100 / 130
    # the macro resamples are the mean of the per-language resamples
    assert (avg.lower, avg.upper) == pytest.approx((en.lower / 2, en.upper / 2))


def test_a_metric_of_none_gives_no_comparison():
    a = _recs([True] * 10)
    assert q2t(a) is None
    assert Bootstrap().compare(a, a, q2t) is None
    with_q2t = [dict(r, q2t_acc=0.25) for r in a]
    assert q2t(with_q2t) == 25.0
    assert q2t(with_q2t[:1] + a[1:]) == 25.0  # as fidelity: over the records that have it
    by_lang = Bootstrap().compare_by_lang(a, a, q2t)
    assert by_lang == {"en": None, "avg": None}


def test_diversity_counts_within_each_seed():
    seed0 = _recs([True] * 4, seed=0, responses=["a", "a", "b", "b"])
    seed1 = _recs([True] * 4, seed=1, responses=["a", "a", "b", "b"])
    assert diversity(seed0) == 50.0 == fidelity.diversity(["a", "a", "b", "b"])
    assert diversity(seed0 + seed1) == 50.0  # pooled: 2 distinct of 8 records would be 25
    other = _recs([True] * 4, seed=1, responses=["c", "d", "e", "f"])
    assert diversity(seed0 + other) == 75.0  # (50 + 100) / 2, not 6 / 4 utterances
    shared = response_shares(seed0)
    assert [r["response_share"] for r in shared] == [0.5] * 4
    assert diversity(shared[:2]) == 50.0  # shares of the whole set: a mean over utterances


def test_diversity_resamples_are_centred_on_the_estimate():
    # a: one stock answer for 30 utterances, 5 others for 30 (6 distinct in 60, 10 %); b: one
    # answer (1.7 %). Counted within each resample, about 38 distinct utterances are drawn, all
    # 6 answers among them: the resampled difference would be ~13, above the estimate's interval
    a = _recs([True] * 60, responses=["stock"] * 30 + [f"answer {i % 5}" for i in range(30)])
    b = _recs([True] * 60, responses=["other stock"] * 60)
    c = Bootstrap().compare(a, b, diversity)
    assert c.diff == pytest.approx(100 * 6 / 60 - 100 / 60)
    assert c.lower < c.diff < c.upper < 12.0


def test_chrf_is_sacrebleus_corpus_score():
    text = {"u0": "the cat sat on the mat", "u1": "guten Tag", "u2": "hello world"}
    recs = _recs([True] * 3, responses=["the cat sat on a mat", "xyz", "hello world"])
    metric = chrf(text)
    for sample in (recs[1:], [recs[0], recs[0], recs[2]], recs):  # new pairs, then cached
        hyps = [r["response"] for r in sample]
        refs = [text[r["utt_id"]] for r in sample]
        assert metric(sample) == pytest.approx(CHRF().corpus_score(hyps, [refs]).score)
    assert list(metrics(text)) == ["l_out", "kl", "top1", "chrf", "diversity", "q2t"]
    assert "chrf" not in metrics()


def test_seed_summary():
    assert seed_summary([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert seed_summary([5.0]) == (5.0, None)
    mean, sd = seed_summary([None, 4.0, 6.0])
    assert mean == 5.0 and sd == pytest.approx(math.sqrt(2.0))
    assert seed_summary([None]) == (None, None)


@pytest.mark.parametrize(
    "lower, upper, higher, expected",
    [
        (0.5, 2.0, True, "better"),
        (0.5, 2.0, False, "worse"),
        (-2.0, -0.5, True, "worse"),
        (-2.0, -0.5, False, "better"),
        (-1.0, 1.0, True, "not distinguishable"),
        (0.0, 1.0, True, "not distinguishable"),
        (-1e-17, -1e-17, False, "not distinguishable"),  # rounding of equal means
    ],
)
def test_decide(lower, upper, higher, expected):
    assert decide(lower, upper, higher) == expected
