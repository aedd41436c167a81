"""Statistical checks of random generators: mean and variance bands, and chi-square
goodness of fit (the latter needs scipy, which is optional)."""
from __future__ import annotations

import numpy as np


def _scipy_stats():
    try:
        import scipy.stats
    except ImportError as err:
        raise ImportError("scipy is not available. Please check if the scipy python bindings are installed "
                          "(pip install scipy); chi_square_check and verify_generator need scipy.stats") from err
    return scipy.stats


def gen_buckets_probs_with_ppf(ppf, nbuckets: int):
    """``nbuckets`` equal-probability buckets [(ppf(i/n), ppf((i+1)/n)), ...] and their
    probabilities (1/n each), from a quantile function ``ppf``."""
    assert nbuckets > 0
    edges = [ppf(i / float(nbuckets)) for i in range(nbuckets + 1)]
    return list(zip(edges[:-1], edges[1:])), [1.0 / nbuckets] * nbuckets


def mean_check(generator, mu, sigma, nsamples=1000000) -> bool:
    """True when the mean of ``generator(nsamples)`` lies within mu +- 3 sigma / sqrt(n)."""
    mean = np.array(generator(nsamples)).mean()
    band = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - band < mean < mu + band)


def var_check(generator, sigma, nsamples=1000000) -> bool:
    """True when the sample variance of ``generator(nsamples)`` lies within
    sigma^2 +- 3 sqrt(2 sigma^4 / (n - 1))."""
    var = np.array(generator(nsamples)).var(ddof=1)
    band = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - band < var < sigma ** 2 + band)


def _observed(samples, buckets):
    """Counts per bucket: (low, high) ranges for a continuous law, values for a discrete one."""
    samples = np.asarray(samples)
    if isinstance(buckets[0], (list, tuple)):
        edges = np.zeros(2 * len(buckets), dtype=np.float32)
        for i, (low, high) in enumerate(buckets):
            assert low <= high
            if i + 1 < len(buckets):
                assert high <= buckets[i + 1][0], "buckets must be ascending and disjoint"
            edges[2 * i], edges[2 * i + 1] = low, high
        ids = np.searchsorted(edges, samples, side="right") // 2
        return np.array([(ids == i).sum() for i in range(len(buckets))], dtype=np.int64)
    return np.array([(samples == b).sum() for b in buckets], dtype=np.int64)


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Chi-square test of ``generator(nsamples)`` against bucket probabilities ``probs``.
    Returns (p value, observed counts, expected counts)."""
    stats = _scipy_stats()
    assert isinstance(buckets, list)
    assert len(probs) == len(buckets)
    samples = generator(nsamples)
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    observed = _observed(samples, buckets)
    # scipy insists on equal totals; truncation (and samples outside every bucket) break that
    scaled = expected * (observed.sum() / max(expected.sum(), 1))
    _, p = stats.chisquare(f_obs=observed, f_exp=scaled)
    return p, observed, expected


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5, success_rate=0.2, alpha=0.05):
    """Repeat chi_square_check ``nrepeat`` times; raise AssertionError unless at least a
    ``success_rate`` share of the p values exceeds ``alpha``. Returns the p values."""
    runs = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    pvals = [r[0] for r in runs]
    if (np.array(pvals) > alpha).sum() < nrepeat * success_rate:
        raise AssertionError("Generator test fails, Chi-square p=%s, obs_freq=%s, expected_freq=%s.\n"
                             "buckets=%s, probs=%s" % (pvals, [r[1] for r in runs], [r[2] for r in runs],
                                                      buckets, probs))
    return pvals
