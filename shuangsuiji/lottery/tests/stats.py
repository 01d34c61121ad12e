"""Chi-square p-values without scipy: the regularized upper incomplete gamma Q(a, x)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): series below a+1, Lentz continued fraction above (Numerical Recipes)."""
    if x < 0 or a <= 0:
        raise ValueError("gamma_q needs x >= 0 and a > 0")
    if x == 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_prefix) * h


def chi2_sf(x: float, df: int) -> float:
    """P(χ²_df >= x)."""
    return gamma_q(df / 2, x / 2)


def uniformity_p(counts: Sequence[int], per_trial_variance: float, trials: int) -> tuple[float, float, int]:
    """p-value that exchangeable counts with a fixed total per trial have equal expectations.

    With a fixed total per trial the counts have covariance v·m/(m-1)·(I - J/m), where v is one item's
    per-trial variance, so (m-1)/m · Σ (O - E)² / (trials · v) follows χ² with m-1 degrees of freedom.
    """
    m = len(counts)
    expected = sum(counts) / m
    stat = (m - 1) / m * sum((c - expected) ** 2 for c in counts) / (trials * per_trial_variance)
    return chi2_sf(stat, m - 1), stat, m - 1
