"""Seeds and paired-bootstrap decisions for stage 9's RESULTS.md (is LAD better than ML-DiVA?).

A record is one system's stage-8 answer to one utterance (lad.bin.lad_inference's jsonl). A
system trained with several seeds has one record per utterance and seed; records may carry
``seed`` (which run they come from, any label). A metric maps a list of records to one number,
as lad.eval.fidelity defines it, so corpus-level metrics (chrF, diversity) resample correctly:

    l_out, kl   mean over records                                  (lower is better)
    top1        100 x mean top1_agree                              (higher)
    chrf        corpus chrF against the text-only LLM's responses  (higher)
    diversity   100 x distinct responses / utterances, per seed and language, averaged over
                seeds; as a mean over utterances of response_shares  (higher)
    q2t         100 x mean q2t_acc where given; None when none is  (higher)

The paired bootstrap (Koehn 2004) resamples utterance ids with replacement, the same ids for
both systems, and gathers every record (all seeds) of the drawn ids. Distinct responses are
counted once on the whole test set (response_shares): counted within a resample, an utterance
drawn twice would repeat its answer and the resamples would not be centred on the estimate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np
from sacrebleu.metrics import CHRF

Metric = Callable[[list[dict]], Optional[float]]

HIGHER_IS_BETTER = {
    "l_out": False,
    "kl": False,
    "top1": True,
    "chrf": True,
    "diversity": True,
    "q2t": True,
}


class Comparison(NamedTuple):
    """metric(a) - metric(b) on all records and its percentile interval over resamples."""

    diff: float
    lower: float
    upper: float
    n: int  # utterances (ids), not records


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)  # plain Python: resamples are short lists, numpy is slower


def l_out(records: list[dict]) -> float:
    return _mean([r["l_out"] for r in records])


def kl(records: list[dict]) -> float:
    return _mean([r["kl"] for r in records])


def top1(records: list[dict]) -> float:
    return 100.0 * _mean([float(r["top1_agree"]) for r in records])


def q2t(records: list[dict]) -> Optional[float]:
    values = [r["q2t_acc"] for r in records if r.get("q2t_acc") is not None]
    return 100.0 * _mean(values) if values else None


def response_shares(records: list[dict]) -> list[dict]:
    """Copies of ``records`` with ``response_share``: 1 / the number of records of the same seed and
    language (the group fidelity scores) with the same response. A group's shares sum to its
    distinct responses, so diversity becomes a mean over utterances: a bootstrap resample, in
    which an utterance may be drawn twice or not at all, estimates it without bias."""
    key = lambda r: (r.get("seed"), r["lang"], r["response"])  # noqa: E731
    counts = Counter(key(r) for r in records)
    return [dict(r, response_share=1.0 / counts[key(r)]) for r in records]


def diversity(records: list[dict]) -> float:
    """100 x distinct responses / utterances within each seed, averaged over seeds (pooling
    seeds would count one utterance's different answers across seeds as diversity): the mean
    ``response_share`` (computed once on the whole test set by the bootstrap, else here on
    ``records``). On all records of one seed and language it is fidelity.diversity."""
    if any("response_share" not in r for r in records):
        records = response_shares(records)
    by_seed: dict[object, list[float]] = defaultdict(list)
    for r in records:
        by_seed[r.get("seed")].append(r["response_share"])
    return _mean([100.0 * _mean(shares) for shares in by_seed.values()])


def chrf(text_response: dict[str, str]) -> Metric:
    """Corpus chrF of the responses against the text-only response of each utterance.

    sacrebleu's corpus score is a function of summed per-sentence statistics (its own bootstrap
    works this way), so each (response, reference) pair is scored once and resamples only sum.
    """
    scorer = CHRF()
    rows: dict[tuple[str, str], int] = {}  # (response, reference) -> its row of ``stats``
    stats = np.zeros((0, 0), dtype=np.int64)  # (pairs, chrF statistics)

    def metric(records: list[dict]) -> float:
        nonlocal stats
        pairs = [(r["response"], text_response[r["utt_id"]]) for r in records]
        new = list(dict.fromkeys(p for p in pairs if p not in rows))
        if new:
            hyps, refs = zip(*new, strict=True)
            more = np.array(scorer._extract_corpus_statistics(list(hyps), [list(refs)]))
            stats = np.concatenate([stats, more]) if rows else more
            rows.update({p: len(rows) + i for i, p in enumerate(new)})
        total = stats[[rows[p] for p in pairs]].sum(0)
        return scorer._compute_score_from_stats(total.tolist()).score

    return metric


def metrics(text_response: Optional[dict[str, str]] = None) -> dict[str, Metric]:
    """The metric functions by key; chrf only when the text-only responses are given."""
    out: dict[str, Metric] = dict(l_out=l_out, kl=kl, top1=top1)
    if text_response is not None:
        out["chrf"] = chrf(text_response)
    out.update(diversity=diversity, q2t=q2t)
    return out


def _by_utt(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        out[r["utt_id"]].append(r)
    return out


def _check_same_ids(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> None:
    only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    if only_a or only_b:
        raise ValueError(
            "the two systems do not cover the same utterances: "
            f"{len(only_a)} only in a {only_a[:5]}, {len(only_b)} only in b {only_b[:5]}"
        )
    if not a:
        raise ValueError("no records to compare")


def _draws(
    a: dict[str, list[dict]],
    b: dict[str, list[dict]],
    metric: Metric,
    n_boot: int,
    rng: np.random.Generator,
) -> Optional[tuple[float, np.ndarray]]:
    """Point difference and ``n_boot`` resampled differences (None when the metric is None)."""
    ids = sorted(a)
    point_a = metric([r for i in ids for r in a[i]])
    point_b = metric([r for i in ids for r in b[i]])
    if point_a is None or point_b is None:
        return None
    diffs = np.empty(n_boot)
    for k, pick in enumerate(rng.integers(0, len(ids), size=(n_boot, len(ids)))):
        drawn = [ids[j] for j in pick]
        value_a = metric([r for i in drawn for r in a[i]])
        value_b = metric([r for i in drawn for r in b[i]])
        none = value_a is None or value_b is None  # a resample without any q2t_acc, say
        diffs[k] = np.nan if none else value_a - value_b
    return point_a - point_b, diffs


def _interval(point: float, diffs: np.ndarray, n: int, alpha: float) -> Comparison:
    lower, upper = np.nanpercentile(diffs, [50.0 * alpha, 100.0 - 50.0 * alpha])
    return Comparison(float(point), float(lower), float(upper), n)


def _paired(records_a: list[dict], records_b: list[dict]) -> tuple[dict, dict]:
    """Both systems' records by utterance id (response shares added); the same ids or
    ValueError."""
    a, b = _by_utt(response_shares(records_a)), _by_utt(response_shares(records_b))
    _check_same_ids(a, b)
    return a, b


@dataclass(frozen=True)
class Bootstrap:
    """The paired bootstrap of metric(a) - metric(b): ``n`` resamples of the utterance ids
    drawn with ``seed``, and (1 - ``alpha``) percentile intervals. Comparing systems that do
    not cover the same utterance ids raises ValueError."""

    n: int = 1000
    seed: int = 0
    alpha: float = 0.05

    def compare(
        self, records_a: list[dict], records_b: list[dict], metric: Metric
    ) -> Optional[Comparison]:
        """The difference over all utterances, or None when the metric is None for either."""
        a, b = _paired(records_a, records_b)
        drawn = _draws(a, b, metric, self.n, np.random.default_rng(self.seed))
        return None if drawn is None else _interval(*drawn, len(a), self.alpha)

    def compare_by_lang(
        self, records_a: list[dict], records_b: list[dict], metric: Metric
    ) -> dict[str, Optional[Comparison]]:
        """{lang: Comparison, ..., "avg": macro} from one bootstrap stratified by language:
        each resample draws utterances within each language, and its macro difference is the
        mean over languages of its per-language differences (languages where the metric is
        None left out)."""
        a, b = _paired(records_a, records_b)
        langs: dict[str, list[str]] = defaultdict(list)
        for utt, rs in a.items():
            langs[rs[0]["lang"]].append(utt)
        rng = np.random.default_rng(self.seed)
        out: dict[str, Optional[Comparison]] = {}
        points, draws = [], []
        for lang in sorted(langs):
            ids = langs[lang]
            drawn = _draws({i: a[i] for i in ids}, {i: b[i] for i in ids}, metric, self.n, rng)
            out[lang] = None if drawn is None else _interval(*drawn, len(ids), self.alpha)
            if drawn is not None:
                points.append(drawn[0])
                draws.append(drawn[1])
        n = sum(len(langs[lang]) for lang, c in out.items() if c is not None)
        avg = _interval(np.mean(points), np.mean(draws, 0), n, self.alpha) if points else None
        out["avg"] = avg
        return out


def seed_summary(values: list[Optional[float]]) -> tuple[Optional[float], Optional[float]]:
    """Mean and sample standard deviation (ddof 1) over per-seed scores, None values left out;
    the deviation is None with fewer than two values."""
    present = [v for v in values if v is not None]
    if not present:
        return None, None
    sd = float(np.std(present, ddof=1)) if len(present) > 1 else None
    return float(np.mean(present)), sd


def decide(lower: float, upper: float, higher_is_better: bool, tol: float = 1e-9) -> str:
    """Better or worse for system a when the interval of a - b excludes 0, else
    "not distinguishable"; ``higher_is_better`` says which side of 0 is better. Bounds within
    ``tol`` of 0 count as 0 (floating-point sums of equal values differ in the last bits)."""
    if lower > tol:
        return "better" if higher_is_better else "worse"
    if upper < -tol:
        return "worse" if higher_is_better else "better"
    return "not distinguishable"
