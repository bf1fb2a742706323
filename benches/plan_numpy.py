#!/usr/bin/env python3
"""The Monte Carlo plan of `benches/plan.rs`, vectorised in NumPy, for the comparison in
BENCHMARKS.md.

What it runs (the same numbers as `spec()` in benches/plan.rs, the same semantics as
src/analytics/montecarlo/{engine,draw,rules}.rs):

- 10,000 paths, 40 years in monthly steps (dt = 1/12), three assets rebalanced every step:
  stocks (weight 0.6, mu 0.085, sigma 0.17), bonds (0.3, 0.045, 0.06), cash (0.1, 0.03, 0.01),
  correlations [[1, 0.1, 0], [0.1, 1, 0.2], [0, 0.2, 1]] through their Cholesky factor L.
  A step's log return of asset i is (mu_i - sigma_i^2 / 2) dt + sigma_i sqrt(dt) (L z)_i, z
  standard normal; the portfolio grows by sum_i w_i exp(log return_i) (no fee).
- Inflation fixed at 2.5% a year: the price level is multiplied by 1.025^(1/12) every step.
- 1,000,000 to start; constant real withdrawals of 4% (40,000 of today's dollars), taken at
  the start of every year in that moment's prices. A path that cannot pay (the same 1e-12
  relative and 1e-9 absolute tolerance as engine.rs) fails: its value is 0 from then on.
- Recorded like engine.rs: the real value (value / price level) at the start and at every
  year end, as 5/25/50/75/95th percentiles over paths; each year's real withdrawal
  percentiles (0 on failed paths); failures by year; the success rate (paths that never
  failed) with its standard error; the terminal percentiles and mean.

Antithetic pairs as in draw.rs: only half the normals are drawn and path p + 5,000 gets the
negated shocks of path p (its log return is drift - L z where path p's is drift + L z, so -z
is never stored). Rust pairs paths within each 256-path chunk (p and p + 128); NumPy pairs
the two halves of the whole batch. The amount of random numbers and exponentials is the
same: 40 x 12 x 3 x 5,000 normals and 40 x 12 x 3 x 10,000 exps.

Vectorised the way NumPy wants it: a year of 12 steps for all paths at once (arrays of
2 x 12 x 3 x 5,000 reused from year to year, in-place ufuncs with out=, a stacked 3 x 3
matmul, np.exp on the whole block), then the year's 12 monthly growth factors multiplied
per path. Withdrawals happen only at year starts, so compounding a year's months before the
next withdrawal is the same model as engine.rs's step loop (up to floating-point rounding).
The price level is one scalar: inflation is fixed, so it is the same on every path. This
layout measured fastest of those tried (a Python loop over the 480 steps; blocks of 2 to 40
years; -z materialised and a full matmul; a (3, 12 x 10,000) BLAS matmul; einsum; explicit
triangular multiply-adds).

Random numbers: numpy.random.default_rng(42), i.e. PCG64 and NumPy's ziggurat normals. Rust
uses Xoshiro256++ per 256-path chunk, so the numbers do not match bit for bit; the success
rate should agree within Monte Carlo error (about 0.005 at 10,000 paths; Rust reports about
0.676 for this plan, seeds 0..29 here average about 0.678). Percentiles here are exact
(np.percentile, linear interpolation); Rust's come from log-spaced histograms (0.45% bins,
interpolated), so they agree to well under a percent, not to the cent.

Threads: NumPy's normal generation and np.exp run on one thread (only the tiny 3 x 3 matmul
goes to BLAS), so this is best compared with the bench's `plan_one_thread`. The script sets
no environment variables and has no thread option.

Timing: one warm-up run, then the median and minimum of --runs runs (default 15) timed with
time.perf_counter; every run starts from the same seed, so every run does the same work.

Run with `python3 benches/plan_numpy.py` (Python 3.11+, NumPy). Options: --runs N, --seed S.
"""

import argparse
import platform
import time

import numpy as np

# The plan (benches/plan.rs, spec()).
PATHS = 10_000
YEARS = 40
STEPS = 12
WEIGHTS = np.array([0.6, 0.3, 0.1])
MU = np.array([0.085, 0.045, 0.03])
SIGMA = np.array([0.17, 0.06, 0.01])
CORR = np.array([[1.0, 0.1, 0.0], [0.1, 1.0, 0.2], [0.0, 0.2, 1.0]])
INFLATION = 0.025
INITIAL = 1_000_000.0
RATE = 0.04
FEE = 0.0
QUANTILES = [5, 25, 50, 75, 95]


def simulate(seed):
    """One run of the plan; returns what engine.rs's Outcome holds (percentiles unrounded)."""
    rng = np.random.default_rng(seed)
    n, half = len(WEIGHTS), PATHS // 2
    assert PATHS % 2 == 0, "an even number of paths: antithetic pairs"
    dt = 1.0 / STEPS
    # L with row i scaled by sigma_i sqrt(dt), and the drift (mu - sigma^2 / 2) dt (draw.rs).
    factor = np.linalg.cholesky(CORR) * (SIGMA * np.sqrt(dt))[:, None]
    drift = ((MU - SIGMA * SIGMA / 2.0) * dt)[:, None]  # broadcasts over (.., 3, paths)
    weights = WEIGHTS * (1.0 - FEE) ** dt
    step_inflation = (1.0 + INFLATION) ** dt

    value = np.full(PATHS, INITIAL)
    cpi = 1.0
    real = np.empty((YEARS + 1, PATHS))  # real values at the start and every year end
    real[0] = value
    withdrawn = np.empty((YEARS, PATHS))  # each year's real withdrawal (0 once failed)
    failed = np.zeros(PATHS, dtype=bool)
    failures = np.zeros(YEARS, dtype=np.int64)

    # Reused every year. Paths are laid out as (antithetic half, path in half): path p and
    # path p + half get opposite shocks.
    z = np.empty((STEPS, n, half))  # the drawn half of the normals
    x = np.empty((2, STEPS, n, half))  # log returns, then gross returns
    growth = np.empty((2, STEPS, half))  # the portfolio's gross return per step
    year_growth = np.empty((2, half))
    limit = np.empty(PATHS)
    broke = np.empty(PATHS, dtype=bool)

    # Constant real (rules.rs): the first year's 4% of the value, in today's dollars, then
    # that real amount every year. Every path starts at INITIAL with a price level of 1.
    real_withdrawal = RATE * INITIAL / cpi

    for year in range(YEARS):
        # The withdrawal at the start of the year, in the year's prices (engine.rs withdraw).
        w = real_withdrawal * cpi
        np.multiply(value, 1.0 + 1e-12, out=limit)
        limit += 1e-9
        np.less(limit, w, out=broke)
        broke &= ~failed
        failures[year] = np.count_nonzero(broke)
        failed |= broke
        withdrawn[year] = real_withdrawal
        withdrawn[year][failed] = 0.0
        value -= w
        np.maximum(value, 0.0, out=value)  # 0 on failed paths, for good

        # The year's 12 steps for every path (draw.rs step and Kernel; engine.rs rebalance).
        rng.standard_normal(out=z)
        np.matmul(factor, z, out=x[1])  # L z on the drawn half
        np.add(x[1], drift, out=x[0])  # drift + L z
        np.subtract(drift, x[1], out=x[1])  # drift - L z: the antithetic half
        np.exp(x, out=x)
        np.matmul(weights, x, out=growth)  # sum_i w_i gross_i, per step and path
        np.prod(growth, axis=1, out=year_growth)
        value *= year_growth.reshape(PATHS)
        for _ in range(STEPS):
            cpi *= step_inflation
        np.divide(value, cpi, out=real[year + 1])

    values = np.percentile(real, QUANTILES, axis=1).T  # (years + 1, 5)
    withdrawals = np.percentile(withdrawn, QUANTILES, axis=1).T  # (years, 5)
    p = 1.0 - np.count_nonzero(failed) / PATHS
    se = np.sqrt(p * (1.0 - p) / PATHS)
    return {
        "paths": PATHS,
        "success_rate": p,
        "success_se": se,
        "success_ci95": (max(p - 1.96 * se, 0.0), min(p + 1.96 * se, 1.0)),
        "values": values,
        "withdrawals": withdrawals,
        "terminal": values[-1],
        "terminal_mean": real[-1].mean(),
        "failures_by_year": failures,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs (at least 10)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    runs = max(args.runs, 10)

    o = simulate(args.seed)  # the warm-up run, and the numbers to compare with Rust's
    print(
        f"10,000 paths x 40 years monthly x 3 assets: success {o['success_rate']:.4f} "
        f"(se {o['success_se']:.4f}), median terminal {o['terminal'][2]:.0f}"
    )
    t = o["terminal"]
    print(
        "terminal real value p5/p25/p50/p75/p95: "
        + " / ".join(f"{v:,.0f}" for v in t)
        + f"; mean {o['terminal_mean']:,.0f}"
    )
    for y in (0, 10, 20, 30, 40):
        v = o["values"][y]
        print(f"  year {y:2}: p5 {v[0]:>12,.0f}  p50 {v[2]:>12,.0f}  p95 {v[4]:>12,.0f}")
    print(f"failures by year: {o['failures_by_year'].tolist()}")

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        simulate(args.seed)
        times.append(time.perf_counter() - start)
    times = np.array(times) * 1e3
    print(
        f"numpy: median {np.median(times):.1f} ms (min {times.min():.1f} ms) over {runs} runs "
        f"(numpy {np.__version__}, Python {platform.python_version()})"
    )


if __name__ == "__main__":
    main()
