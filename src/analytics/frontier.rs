//! The efficient frontier: long-only mean-variance portfolios of a few assets, each weight kept
//! within its bounds. Every portfolio is a convex program solved by `clarabel` (an interior-point
//! solver): the minimum-variance and the maximum-return ends, the points between them (least
//! variance at a target return), the maximum-Sharpe portfolio (Charnes-Cooper / Tobin transform)
//! and where a given mix stands against the curve. Pure, in f64: means and covariances come in
//! annualised, weights are fractions that sum to 1.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use nalgebra::DMatrix;

use crate::analytics::anomaly::cross::ledoit_wolf;
use crate::analytics::risk::YEAR;

/// Weights this far outside a bound (or a sum this far from 1) are solver noise, not a mix.
const TOL: f64 = 1e-9;

/// What the frontier is built from. All slices have one entry per asset.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Annualised mean returns.
    pub means: &'a [f64],
    /// Annualised covariance of the returns (symmetric, positive semi-definite).
    pub cov: &'a DMatrix<f64>,
    /// Least weight of each asset (0 for none).
    pub lower: &'a [f64],
    /// Greatest weight of each asset (1 for none).
    pub upper: &'a [f64],
    /// Annual risk-free rate, for the Sharpe ratios.
    pub risk_free: f64,
}

/// A mix of the assets and what it is expected to give.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// Expected annual return, w'mu.
    pub ret: f64,
    /// Annual volatility, sqrt(w' Sigma w).
    pub volatility: f64,
    /// (return - risk-free) / volatility; None at zero volatility.
    pub sharpe: Option<f64>,
    /// One per asset, within the bounds, summing to 1.
    pub weights: Vec<f64>,
}

/// The curve and its landmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    pub min_variance: Portfolio,
    /// Err: why there is none (no mix within the bounds beats the risk-free rate).
    pub max_sharpe: Result<Portfolio, String>,
    pub max_return: Portfolio,
    /// From the minimum-variance return to the maximum return, evenly spaced in return; the
    /// first is the minimum-variance portfolio and the last the maximum-return one.
    pub points: Vec<Portfolio>,
}

/// Where a mix stands against the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The mix itself (its weights as given, which may lie outside the bounds).
    pub current: Portfolio,
    /// The best expected return at no more than the mix's volatility; None when the mix is less
    /// volatile than any mix within the bounds.
    pub best_return_at_volatility: Option<Portfolio>,
    /// The least volatility for at least the mix's expected return; None when no mix within the
    /// bounds is expected to return as much.
    pub least_volatility_at_return: Option<Portfolio>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrontierError {
    /// The inputs do not describe a problem (sizes, non-finite numbers, too few assets).
    #[error("{0}")]
    Input(String),
    /// No mix satisfies the bounds.
    #[error("{0}")]
    Infeasible(String),
    /// The solver stopped without an answer.
    #[error("the optimiser could not find the {what}: {status}")]
    Solver { what: String, status: String },
}

/// Annualised means and Ledoit-Wolf shrunk covariance of daily returns (`rows`: one slice per
/// day, one return per asset): mean x 252, covariance x 252.
pub fn estimate(rows: &[&[f64]]) -> (Vec<f64>, DMatrix<f64>) {
    let (mean, cov) = ledoit_wolf(rows);
    (mean.iter().map(|m| m * YEAR).collect(), cov * YEAR)
}

/// Checks that the inputs fit together and that some mix lies within the bounds.
pub fn check(inp: &Inputs) -> Result<(), FrontierError> {
    let n = inp.means.len();
    if n < 2 {
        return Err(FrontierError::Input(format!(
            "a frontier needs at least two assets; there {}",
            if n == 1 { "is one" } else { "are none" }
        )));
    }
    if inp.cov.nrows() != n || inp.cov.ncols() != n || inp.lower.len() != n || inp.upper.len() != n
    {
        return Err(FrontierError::Input(format!(
            "{n} means, a {}x{} covariance, {} lower and {} upper bounds: one of each per asset",
            inp.cov.nrows(),
            inp.cov.ncols(),
            inp.lower.len(),
            inp.upper.len()
        )));
    }
    if !inp
        .means
        .iter()
        .chain(inp.cov.iter())
        .all(|x| x.is_finite())
        || !inp.risk_free.is_finite()
    {
        return Err(FrontierError::Input(
            "the means and covariance must be finite numbers".into(),
        ));
    }
    for (i, (&lo, &hi)) in inp.lower.iter().zip(inp.upper).enumerate() {
        for (what, b) in [("least", lo), ("greatest", hi)] {
            if !(0.0..=1.0).contains(&b) {
                return Err(FrontierError::Infeasible(format!(
                    "asset {}: a {what} weight of {b} is outside 0 to 1 (long only)",
                    i + 1
                )));
            }
        }
        if lo > hi {
            return Err(FrontierError::Infeasible(format!(
                "asset {}: the least weight {lo} is above the greatest {hi}",
                i + 1
            )));
        }
    }
    let (lo, hi): (f64, f64) = (inp.lower.iter().sum(), inp.upper.iter().sum());
    if lo > 1.0 + TOL {
        return Err(FrontierError::Infeasible(format!(
            "the least weights add up to {lo:.4}, more than 1: no mix fits them"
        )));
    }
    if hi < 1.0 - TOL {
        return Err(FrontierError::Infeasible(format!(
            "the greatest weights add up to {hi:.4}, less than 1: no mix fits them"
        )));
    }
    Ok(())
}

/// The curve: the minimum-variance portfolio, `points` portfolios (at least 2) evenly spaced in
/// return up to the maximum-return one, and the maximum-Sharpe portfolio.
pub fn frontier(inp: &Inputs, points: usize) -> Result<Frontier, FrontierError> {
    check(inp)?;
    let points = points.max(2);
    let min_variance = min_variance(inp)?;
    let max_return = max_return(inp)?;
    let (lo, hi) = (min_variance.ret, max_return.ret);
    // A flat curve (every asset expected to return the same) is one point.
    let flat = hi - lo <= TOL * hi.abs().max(1.0);
    // The points are independent programs: solved on rayon's threads, beside the
    // maximum-Sharpe one.
    let (inner, max_sharpe) = rayon::join(
        || {
            use rayon::prelude::*;
            (1..points - 1)
                .into_par_iter()
                .map(|k| {
                    if flat {
                        return Ok(min_variance.clone());
                    }
                    at_return(inp, lo + (hi - lo) * k as f64 / (points - 1) as f64)
                })
                .collect::<Result<Vec<_>, _>>()
        },
        || max_sharpe(inp, hi),
    );
    let mut curve = Vec::with_capacity(points);
    curve.push(min_variance.clone());
    curve.extend(inner?);
    curve.push(max_return.clone());
    Ok(Frontier {
        max_sharpe: max_sharpe?,
        min_variance,
        max_return,
        points: curve,
    })
}

/// The least-variance mix within the bounds.
pub fn min_variance(inp: &Inputs) -> Result<Portfolio, FrontierError> {
    let n = inp.means.len();
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.bounds(inp);
    let x = solve(
        upper_triangle(inp.cov, n),
        &vec![0.0; n],
        c,
        "minimum-variance portfolio",
    )?;
    Ok(portfolio(inp, tidy(inp, &x)))
}

/// The highest-return mix within the bounds, and of those the least volatile: the end of the
/// curve.
pub fn max_return(inp: &Inputs) -> Result<Portfolio, FrontierError> {
    let n = inp.means.len();
    // The highest return: a linear program.
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.bounds(inp);
    let q: Vec<f64> = inp.means.iter().map(|m| -m).collect();
    let x = solve(CscMatrix::zeros((n, n)), &q, c, "maximum-return portfolio")?;
    let best = portfolio(inp, tidy(inp, &x));
    // The least variance at (nearly) that return: the same mix unless assets tie on return.
    let floor = best.ret - 1e-10 * best.ret.abs().max(1.0);
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.at_least(inp.means, floor);
    c.bounds(inp);
    match solve(
        upper_triangle(inp.cov, n),
        &vec![0.0; n],
        c,
        "maximum-return portfolio",
    ) {
        Ok(x) => {
            let p = portfolio(inp, tidy(inp, &x));
            Ok(if p.ret >= floor - TOL { p } else { best })
        }
        Err(_) => Ok(best),
    }
}

/// The least-variance mix within the bounds that is expected to return exactly `target`.
pub fn at_return(inp: &Inputs, target: f64) -> Result<Portfolio, FrontierError> {
    let n = inp.means.len();
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.equal(inp.means, target);
    c.bounds(inp);
    let x = solve(
        upper_triangle(inp.cov, n),
        &vec![0.0; n],
        c,
        &format!("frontier portfolio at a {:.2}% return", target * 100.0),
    )?;
    Ok(portfolio(inp, tidy(inp, &x)))
}

/// The least-variance mix within the bounds expected to return at least `target` (None: no mix
/// within the bounds does).
pub fn least_volatility_for(inp: &Inputs, target: f64) -> Result<Option<Portfolio>, FrontierError> {
    let n = inp.means.len();
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.at_least(inp.means, target);
    c.bounds(inp);
    solve_or_infeasible(
        upper_triangle(inp.cov, n),
        &vec![0.0; n],
        c,
        "least-volatility portfolio at the same return",
    )
    .map(|x| x.map(|x| portfolio(inp, tidy(inp, &x))))
}

/// The highest-return mix within the bounds whose volatility is at most `volatility` (a
/// second-order cone program; None: every mix within the bounds is more volatile).
pub fn best_return_for(inp: &Inputs, volatility: f64) -> Result<Option<Portfolio>, FrontierError> {
    let n = inp.means.len();
    if !volatility.is_finite() || volatility < 0.0 {
        return Ok(None);
    }
    // ||L'w|| <= volatility with Sigma = L L' (a shrunk covariance is positive definite; a
    // tiny ridge covers a singular one).
    let chol = nalgebra::Cholesky::new(inp.cov.clone()).or_else(|| {
        let ridge = 1e-12 * inp.cov.trace().max(1e-12);
        nalgebra::Cholesky::new(inp.cov + DMatrix::identity(n, n) * ridge)
    });
    let Some(chol) = chol else {
        return Err(FrontierError::Input(
            "the covariance is not positive semi-definite".into(),
        ));
    };
    let lt = chol.l().transpose();
    let mut c = Constraints::new(n);
    c.budget(inp);
    c.bounds(inp);
    // s = (volatility, L'w) in the second-order cone.
    c.row(vec![0.0; n], volatility);
    for i in 0..n {
        c.row(lt.row(i).iter().map(|v| -v).collect(), 0.0);
    }
    c.cones.push(SupportedConeT::SecondOrderConeT(n + 1));
    let q: Vec<f64> = inp.means.iter().map(|m| -m).collect();
    solve_or_infeasible(
        CscMatrix::zeros((n, n)),
        &q,
        c,
        "best-return portfolio at the same volatility",
    )
    .map(|x| x.map(|x| portfolio(inp, tidy(inp, &x))))
}

/// The mix within the bounds with the highest Sharpe ratio. Charnes-Cooper: with y = kappa w,
/// minimise y' Sigma y subject to (mu - rf)'y = 1, 1'y = kappa, lower kappa <= y <= upper kappa,
/// kappa >= 0; then w = y / kappa. `max_ret` is the highest return within the bounds: unless
/// it beats the risk-free rate, no mix has a positive Sharpe ratio and there is none (the
/// error says why).
pub fn max_sharpe(inp: &Inputs, max_ret: f64) -> Result<Result<Portfolio, String>, FrontierError> {
    let n = inp.means.len();
    if max_ret <= inp.risk_free + TOL {
        return Ok(Err(format!(
            "no mix within the bounds is expected to beat the risk-free rate of {:.2}% (the best expects {:.2}%)",
            inp.risk_free * 100.0,
            max_ret * 100.0
        )));
    }
    let m = n + 1;
    let mut c = Constraints::new(m);
    let mut excess: Vec<f64> = inp.means.iter().map(|r| r - inp.risk_free).collect();
    excess.push(0.0);
    c.eq_row(excess, 1.0);
    let mut budget = vec![1.0; n];
    budget.push(-1.0);
    c.eq_row(budget, 0.0);
    for i in 0..n {
        let mut up = vec![0.0; m];
        up[i] = 1.0;
        up[n] = -inp.upper[i];
        c.row(up, 0.0);
        let mut down = vec![0.0; m];
        down[i] = -1.0;
        down[n] = inp.lower[i];
        c.row(down, 0.0);
    }
    let mut kappa = vec![0.0; m];
    kappa[n] = -1.0;
    c.row(kappa, 0.0);
    c.cones.push(SupportedConeT::NonnegativeConeT(2 * n + 1));
    let mut p = DMatrix::zeros(m, m);
    p.view_mut((0, 0), (n, n)).copy_from(inp.cov);
    let x = solve(
        upper_triangle(&p, m),
        &vec![0.0; m],
        c,
        "maximum-Sharpe portfolio",
    )?;
    let kappa = x[n];
    if kappa.is_nan() || kappa <= 0.0 {
        return Err(FrontierError::Solver {
            what: "maximum-Sharpe portfolio".into(),
            status: format!("the scale came out as {kappa}"),
        });
    }
    let w: Vec<f64> = x[..n].iter().map(|y| y / kappa).collect();
    Ok(Ok(portfolio(inp, tidy(inp, &w))))
}

/// Where `weights` (one per asset, summing to 1) stand against `curve` (the frontier of the
/// same inputs). At the curve's ends the answer is the end itself: a mix as calm as the
/// minimum-variance one, or expecting as much as the maximum-return one, leaves the solver no
/// room.
pub fn place(inp: &Inputs, curve: &Frontier, weights: &[f64]) -> Result<Placement, FrontierError> {
    check(inp)?;
    if weights.len() != inp.means.len() {
        return Err(FrontierError::Input(format!(
            "{} weights for {} assets",
            weights.len(),
            inp.means.len()
        )));
    }
    let current = portfolio(inp, weights.to_vec());
    let (calm, top) = (&curve.min_variance, &curve.max_return);
    let best_return_at_volatility = if current.volatility < calm.volatility * (1.0 - 1e-9) {
        None
    } else if current.volatility <= calm.volatility * (1.0 + 1e-6) {
        Some(calm.clone())
    } else if current.volatility >= top.volatility {
        Some(top.clone())
    } else {
        best_return_for(inp, current.volatility)?
    };
    let room = 1e-9 * top.ret.abs().max(1.0);
    let least_volatility_at_return = if current.ret > top.ret + room {
        None
    } else if current.ret >= top.ret - room {
        Some(top.clone())
    } else if current.ret <= calm.ret {
        Some(calm.clone())
    } else {
        least_volatility_for(inp, current.ret)?
    };
    Ok(Placement {
        best_return_at_volatility,
        least_volatility_at_return,
        current,
    })
}

/// The expected return, volatility and Sharpe ratio of `weights`.
pub fn portfolio(inp: &Inputs, weights: Vec<f64>) -> Portfolio {
    let ret: f64 = weights.iter().zip(inp.means).map(|(w, m)| w * m).sum();
    let w = nalgebra::DVector::from_column_slice(&weights);
    let var = (w.transpose() * inp.cov * &w)[(0, 0)].max(0.0);
    let volatility = var.sqrt();
    Portfolio {
        ret,
        volatility,
        sharpe: (volatility > 0.0).then(|| (ret - inp.risk_free) / volatility),
        weights,
    }
}

/// A solver's weights made exact: clipped into the bounds (tiny negatives to 0), then the
/// remainder spread over the assets with room, so they sum to 1 and stay within the bounds.
fn tidy(inp: &Inputs, x: &[f64]) -> Vec<f64> {
    let mut w: Vec<f64> = x
        .iter()
        .zip(inp.lower.iter().zip(inp.upper))
        .map(|(v, (lo, hi))| v.clamp(*lo, *hi))
        .collect();
    let rest = 1.0 - w.iter().sum::<f64>();
    let room: Vec<f64> = w
        .iter()
        .zip(inp.lower.iter().zip(inp.upper))
        .map(|(v, (lo, hi))| if rest > 0.0 { hi - v } else { v - lo })
        .collect();
    let total: f64 = room.iter().sum();
    if total > 0.0 {
        for (v, r) in w.iter_mut().zip(&room) {
            *v = (*v + rest * r / total).clamp(0.0, 1.0);
        }
    }
    w
}

/// The upper triangle of a symmetric matrix, as clarabel wants P.
fn upper_triangle(m: &DMatrix<f64>, n: usize) -> CscMatrix<f64> {
    let mut colptr = Vec::with_capacity(n + 1);
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    colptr.push(0);
    for j in 0..n {
        for i in 0..=j {
            let v = m[(i, j)];
            if v != 0.0 {
                rowval.push(i);
                nzval.push(v);
            }
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(n, n, colptr, rowval, nzval)
}

/// The constraint rows A x + s = b, s in the cones, built row by row: equalities first (the
/// zero cone), then inequalities (A x <= b, the nonnegative cone), then any other cone.
struct Constraints {
    n: usize,
    rows: Vec<Vec<f64>>,
    b: Vec<f64>,
    cones: Vec<SupportedConeT<f64>>,
}

impl Constraints {
    fn new(n: usize) -> Constraints {
        Constraints {
            n,
            rows: Vec::new(),
            b: Vec::new(),
            cones: Vec::new(),
        }
    }

    fn row(&mut self, a: Vec<f64>, b: f64) {
        debug_assert_eq!(a.len(), self.n);
        self.rows.push(a);
        self.b.push(b);
    }

    /// a'x = b.
    fn eq_row(&mut self, a: Vec<f64>, b: f64) {
        self.row(a, b);
        self.cones.push(SupportedConeT::ZeroConeT(1));
    }

    /// The weights sum to 1.
    fn budget(&mut self, inp: &Inputs) {
        self.eq_row(vec![1.0; inp.means.len()], 1.0);
    }

    /// mu'w = target.
    fn equal(&mut self, means: &[f64], target: f64) {
        self.eq_row(means.to_vec(), target);
    }

    /// mu'w >= target.
    fn at_least(&mut self, means: &[f64], target: f64) {
        self.row(means.iter().map(|m| -m).collect(), -target);
        self.cones.push(SupportedConeT::NonnegativeConeT(1));
    }

    /// lower <= w <= upper.
    fn bounds(&mut self, inp: &Inputs) {
        let n = inp.means.len();
        for i in 0..n {
            let mut up = vec![0.0; self.n];
            up[i] = 1.0;
            self.row(up, inp.upper[i]);
            let mut down = vec![0.0; self.n];
            down[i] = -1.0;
            self.row(down, -inp.lower[i]);
        }
        self.cones.push(SupportedConeT::NonnegativeConeT(2 * n));
    }

    fn matrix(&self) -> CscMatrix<f64> {
        let m = self.rows.len();
        let mut colptr = Vec::with_capacity(self.n + 1);
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        colptr.push(0);
        for j in 0..self.n {
            for (i, r) in self.rows.iter().enumerate() {
                if r[j] != 0.0 {
                    rowval.push(i);
                    nzval.push(r[j]);
                }
            }
            colptr.push(rowval.len());
        }
        CscMatrix::new(m, self.n, colptr, rowval, nzval)
    }
}

/// Minimise x'Px/2 + q'x subject to the constraints; Err unless the solver says solved (or
/// almost: to reduced accuracy).
fn solve(
    p: CscMatrix<f64>,
    q: &[f64],
    c: Constraints,
    what: &str,
) -> Result<Vec<f64>, FrontierError> {
    solve_or_infeasible(p, q, c, what)?.ok_or_else(|| {
        FrontierError::Infeasible(format!("no mix within the bounds fits the {what}"))
    })
}

/// [`solve`], with Ok(None) when the problem is infeasible.
fn solve_or_infeasible(
    p: CscMatrix<f64>,
    q: &[f64],
    c: Constraints,
    what: &str,
) -> Result<Option<Vec<f64>>, FrontierError> {
    let a = c.matrix();
    // The objective scaled to order 1 (annual variances are ~0.01, and the gap tolerances are
    // absolute): the same minimiser, weights accurate to ~1e-8 instead of ~1e-5.
    let scale = p.nzval.iter().chain(q).fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if scale > 0.0 { 1.0 / scale } else { 1.0 };
    let mut p = p;
    p.nzval.iter_mut().for_each(|v| *v *= scale);
    let q: Vec<f64> = q.iter().map(|v| v * scale).collect();
    let q = q.as_slice();
    let failed = |status: String| FrontierError::Solver {
        what: what.to_string(),
        status,
    };
    // Tight tolerances first; a problem they stall on gets the solver's defaults.
    let tight = DefaultSettings {
        verbose: false,
        tol_gap_abs: 1e-10,
        tol_gap_rel: 1e-10,
        tol_feas: 1e-10,
        ..DefaultSettings::default()
    };
    let loose = DefaultSettings {
        verbose: false,
        ..DefaultSettings::default()
    };
    let mut last = String::new();
    for settings in [tight, loose] {
        let mut solver = DefaultSolver::new(&p, q, &a, &c.b, &c.cones, settings)
            .map_err(|e| failed(e.to_string()))?;
        solver.solve();
        match solver.solution.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => {
                let x = std::mem::take(&mut solver.solution.x);
                if x.iter().all(|v| v.is_finite()) {
                    return Ok(Some(x));
                }
                last = "the answer is not a number".into();
            }
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
                return Ok(None);
            }
            other => last = format!("{other:?}"),
        }
    }
    Err(failed(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64, what: &str) {
        assert!((a - b).abs() <= tol, "{what}: {a} != {b} (tolerance {tol})");
    }

    fn close_all(a: &[f64], b: &[f64], tol: f64, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            close(*x, *y, tol, &format!("{what}[{i}]"));
        }
    }

    fn inputs<'a>(
        means: &'a [f64],
        cov: &'a DMatrix<f64>,
        lower: &'a [f64],
        upper: &'a [f64],
        rf: f64,
    ) -> Inputs<'a> {
        Inputs {
            means,
            cov,
            lower,
            upper,
            risk_free: rf,
        }
    }

    /// Two assets: s1 = 20%, s2 = 10%, correlation 0.3 (s12 = 0.006); returns 10% and 5%.
    fn two() -> (Vec<f64>, DMatrix<f64>) {
        let s12 = 0.3 * 0.2 * 0.1;
        (
            vec![0.10, 0.05],
            DMatrix::from_row_slice(2, 2, &[0.04, s12, s12, 0.01]),
        )
    }

    #[test]
    fn two_assets_match_the_closed_form() {
        let (mu, cov) = two();
        let (s1, s2, s12) = (0.04, 0.01, 0.006);
        let inp = inputs(&mu, &cov, &[0.0, 0.0], &[1.0, 1.0], 0.02);
        // Minimum variance: w1 = (s2^2 - s12) / (s1^2 + s2^2 - 2 s12) = 0.004 / 0.038.
        let w1 = (s2 - s12) / (s1 + s2 - 2.0 * s12);
        close(w1, 0.004 / 0.038, 1e-15, "closed form");
        let mv = min_variance(&inp).unwrap();
        close_all(&mv.weights, &[w1, 1.0 - w1], 1e-7, "min-variance weights");
        let var = w1 * w1 * s1 + (1.0 - w1).powi(2) * s2 + 2.0 * w1 * (1.0 - w1) * s12;
        close(mv.volatility, var.sqrt(), 1e-7, "min-variance volatility");
        close(
            mv.ret,
            0.10 * w1 + 0.05 * (1.0 - w1),
            1e-7,
            "min-variance return",
        );
        // With two assets the return fixes the mix: at 8%, w1 = (0.08 - 0.05) / (0.10 - 0.05)
        // = 0.6 and the variance is 0.36 s1^2 + 0.16 s2^2 + 2 (0.6)(0.4) s12 = 0.01888.
        let p = at_return(&inp, 0.08).unwrap();
        close_all(&p.weights, &[0.6, 0.4], 1e-7, "weights at 8%");
        close(p.volatility, 0.01888f64.sqrt(), 1e-7, "volatility at 8%");
        close(p.ret, 0.08, 1e-9, "return at 8%");
        // Tangency: w ∝ Sigma^-1 (mu - rf) = [0.01 x 0.08 - 0.006 x 0.03, -0.006 x 0.08 + 0.04
        // x 0.03] / det = [0.00062, 0.00072] / det: w1 = 0.62 / 1.34.
        let ms = max_sharpe(&inp, 0.10).unwrap().unwrap();
        close_all(
            &ms.weights,
            &[0.62 / 1.34, 0.72 / 1.34],
            1e-6,
            "max-Sharpe weights",
        );
        // The maximum return is all of asset 1.
        let mr = max_return(&inp).unwrap();
        close_all(&mr.weights, &[1.0, 0.0], 1e-7, "max-return weights");
        close(mr.volatility, 0.2, 1e-7, "max-return volatility");
    }

    /// Sigma = [[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.0625]] (volatilities 20%,
    /// 30%, 25%); returns 6%, 11%, 8%.
    fn three() -> (Vec<f64>, DMatrix<f64>) {
        (
            vec![0.06, 0.11, 0.08],
            DMatrix::from_row_slice(
                3,
                3,
                &[0.04, 0.01, 0.0, 0.01, 0.09, 0.02, 0.0, 0.02, 0.0625],
            ),
        )
    }

    #[test]
    fn three_assets_match_the_unconstrained_solution_inside_the_bounds() {
        let (mu, cov) = three();
        let inp = inputs(&mu, &cov, &[0.0; 3], &[1.0; 3], 0.03);
        // Cofactors of Sigma (symmetric): c11 = 0.09 x 0.0625 - 0.02^2 = 0.005225,
        // c12 = -(0.01 x 0.0625 - 0) = -0.000625, c13 = 0.01 x 0.02 - 0 = 0.0002,
        // c22 = 0.04 x 0.0625 = 0.0025, c23 = -(0.04 x 0.02 - 0) = -0.0008,
        // c33 = 0.04 x 0.09 - 0.0001 = 0.0035. Row sums of the adjugate:
        // [0.005225 - 0.000625 + 0.0002, -0.000625 + 0.0025 - 0.0008, 0.0002 - 0.0008 + 0.0035]
        // = [0.0048, 0.001075, 0.0029]; the weights are these over their sum 0.008775.
        let want = [0.0048 / 0.008775, 0.001075 / 0.008775, 0.0029 / 0.008775];
        let mv = min_variance(&inp).unwrap();
        close_all(&mv.weights, &want, 1e-7, "min-variance weights");
        // The same solve through nalgebra's LU: an independent check of the hand algebra.
        let ones = nalgebra::DVector::from_element(3, 1.0);
        let x = cov.clone().lu().solve(&ones).unwrap();
        let numeric: Vec<f64> = x.iter().map(|v| v / x.sum()).collect();
        close_all(&numeric, &want, 1e-12, "hand algebra");
        // Tangency inside the bounds: Sigma^-1 (mu - rf) normalised.
        let ex = nalgebra::DVector::from_iterator(3, mu.iter().map(|m| m - 0.03));
        let y = cov.clone().lu().solve(&ex).unwrap();
        let tangency: Vec<f64> = y.iter().map(|v| v / y.sum()).collect();
        assert!(tangency.iter().all(|w| (0.0..=1.0).contains(w)));
        let ms = max_sharpe(&inp, 0.11).unwrap().unwrap();
        close_all(&ms.weights, &tangency, 1e-7, "max-Sharpe weights");
    }

    #[test]
    fn a_bound_that_binds_gives_the_weights_worked_out_by_hand() {
        // Uncorrelated, volatilities 5%, 10%, 20%: unconstrained weights ∝ 1/s^2 = 400, 100,
        // 25, so w1 = 0.762.
        let cov = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![0.0025, 0.01, 0.04]));
        let mu = [0.03, 0.05, 0.09];
        // At most 50% each: w1 = 0.5 binds, and the other half goes ∝ 100 : 25, so 0.4 and 0.1
        // (KKT: 2 x 0.01 x 0.4 = 2 x 0.04 x 0.1 = 0.008 >= 2 x 0.0025 x 0.5 = 0.0025).
        let inp = inputs(&mu, &cov, &[0.0; 3], &[0.5; 3], 0.0);
        let mv = min_variance(&inp).unwrap();
        close_all(&mv.weights, &[0.5, 0.4, 0.1], 1e-7, "upper bound binds");
        // At least 20% each: w3 = 0.2 binds; the rest ∝ 400 : 100 would give w2 = 0.16 < 0.2,
        // so w2 = 0.2 binds too and w1 = 0.6 (KKT: 2 x 0.0025 x 0.6 = 0.003 <= 0.004, 0.016).
        let inp = inputs(&mu, &cov, &[0.2; 3], &[1.0; 3], 0.0);
        let mv = min_variance(&inp).unwrap();
        close_all(&mv.weights, &[0.6, 0.2, 0.2], 1e-7, "lower bounds bind");
        // The maximum return within at most 50% each: 50% of asset 3, 50% of asset 2.
        let inp = inputs(&mu, &cov, &[0.0; 3], &[0.5; 3], 0.0);
        let mr = max_return(&inp).unwrap();
        close_all(&mr.weights, &[0.0, 0.5, 0.5], 1e-7, "max return");
        close(mr.ret, 0.07, 1e-8, "max return");
    }

    /// Six assets with a factor structure, bounded 5% to 40%.
    fn six() -> (Vec<f64>, DMatrix<f64>) {
        let vols = [0.18, 0.15, 0.22, 0.06, 0.05, 0.30];
        let beta = [1.0, 0.9, 1.1, 0.1, 0.05, 1.3];
        let cov = DMatrix::from_fn(6, 6, |i, j| {
            let f = 0.6 * beta[i] * beta[j] * vols[i] * vols[j];
            if i == j { vols[i] * vols[i] } else { f }
        });
        (vec![0.08, 0.07, 0.09, 0.03, 0.025, 0.11], cov)
    }

    #[test]
    fn every_point_keeps_its_bounds_and_the_curve_rises() {
        let (mu, cov) = six();
        let (lo, hi) = ([0.05; 6], [0.4; 6]);
        let inp = inputs(&mu, &cov, &lo, &hi, 0.03);
        let f = frontier(&inp, 30).unwrap();
        assert_eq!(f.points.len(), 30);
        let ms = f.max_sharpe.clone().unwrap();
        let all = f.points.iter().chain([&f.min_variance, &f.max_return, &ms]);
        for p in all {
            close(p.weights.iter().sum::<f64>(), 1.0, 1e-12, "sum");
            for (w, (l, h)) in p.weights.iter().zip(lo.iter().zip(&hi)) {
                assert!(*w >= *l && *w <= *h, "{w} outside {l}..{h}: {p:?}");
            }
        }
        for w in f.points.windows(2) {
            assert!(w[1].ret > w[0].ret, "returns rise");
            assert!(
                w[1].volatility >= w[0].volatility - 1e-9,
                "volatility rises"
            );
        }
        for p in &f.points {
            assert!(p.volatility >= f.min_variance.volatility - 1e-9);
            assert!(ms.sharpe.unwrap() >= p.sharpe.unwrap() - 1e-7, "{p:?}");
        }
        close(f.points[0].ret, f.min_variance.ret, 0.0, "first point");
        close(f.points[29].ret, f.max_return.ret, 0.0, "last point");
        // The max return within 5%..40%: 5% of each, and the other 70% to the best two up to
        // their 40% (a linear program with box bounds fills greedily).
        let want = 0.4 * 0.11 + 0.4 * 0.09 + 0.05 * 0.08 + 0.05 * 0.07 + 0.05 * 0.03 + 0.05 * 0.025;
        close(f.max_return.ret, want, 1e-8, "max return");
    }

    #[test]
    fn a_mix_is_placed_against_the_curve() {
        let (mu, cov) = six();
        let (lo, hi) = ([0.0; 6], [1.0; 6]);
        let inp = inputs(&mu, &cov, &lo, &hi, 0.03);
        let equal = [1.0 / 6.0; 6];
        let curve = frontier(&inp, 10).unwrap();
        let p = place(&inp, &curve, &equal).unwrap();
        let better = p.best_return_at_volatility.clone().unwrap();
        let calmer = p.least_volatility_at_return.clone().unwrap();
        assert!(better.ret >= p.current.ret - 1e-9);
        assert!(better.volatility <= p.current.volatility + 1e-7);
        assert!(calmer.volatility <= p.current.volatility + 1e-9);
        assert!(calmer.ret >= p.current.ret - 1e-7);
        // The better mix at the same volatility lies on the curve: the least volatility at its
        // return is its own.
        let again = at_return(&inp, better.ret).unwrap();
        close(again.volatility, better.volatility, 1e-5, "on the curve");
        // A mix on the curve cannot be beaten.
        let on = at_return(&inp, 0.08).unwrap();
        let p = place(&inp, &curve, &on.weights).unwrap();
        close(
            p.best_return_at_volatility.unwrap().ret,
            0.08,
            1e-5,
            "no better return",
        );
        close(
            p.least_volatility_at_return.unwrap().volatility,
            on.volatility,
            1e-5,
            "no calmer mix",
        );
        // The curve's ends place on themselves (the solver would have no room there).
        let p = place(&inp, &curve, &curve.min_variance.weights).unwrap();
        assert_eq!(
            p.best_return_at_volatility.as_ref(),
            Some(&curve.min_variance)
        );
        assert_eq!(
            p.least_volatility_at_return.as_ref(),
            Some(&curve.min_variance)
        );
        let p = place(&inp, &curve, &curve.max_return.weights).unwrap();
        assert_eq!(
            p.best_return_at_volatility.as_ref(),
            Some(&curve.max_return)
        );
        assert_eq!(
            p.least_volatility_at_return.as_ref(),
            Some(&curve.max_return)
        );
        // A mix less volatile than anything within bounds has no "better return" answer, and a
        // return no bounded mix reaches has no "least volatility".
        let tight = inputs(&mu, &cov, &[0.1; 6], &[0.3; 6], 0.03);
        let all_bonds = [0.0, 0.0, 0.0, 0.5, 0.5, 0.0];
        let tight_curve = frontier(&tight, 10).unwrap();
        let p = place(&tight, &tight_curve, &all_bonds).unwrap();
        assert_eq!(p.best_return_at_volatility, None);
        let all_best = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let p = place(&tight, &tight_curve, &all_best).unwrap();
        assert_eq!(p.least_volatility_at_return, None);
    }

    #[test]
    fn bounds_no_mix_fits_are_refused() {
        let (mu, cov) = three();
        let cases: [(&[f64], &[f64], &str); 5] = [
            (
                &[0.4, 0.4, 0.4],
                &[1.0; 3],
                "least weights add up to 1.2000",
            ),
            (
                &[0.0; 3],
                &[0.3, 0.3, 0.3],
                "greatest weights add up to 0.9000",
            ),
            (
                &[0.0, 0.5, 0.0],
                &[1.0, 0.4, 1.0],
                "least weight 0.5 is above",
            ),
            (
                &[-0.1, 0.0, 0.0],
                &[1.0; 3],
                "weight of -0.1 is outside 0 to 1",
            ),
            (
                &[0.0; 3],
                &[1.0, 1.2, 1.0],
                "weight of 1.2 is outside 0 to 1",
            ),
        ];
        for (lo, hi, msg) in cases {
            let inp = inputs(&mu, &cov, lo, hi, 0.0);
            let e = frontier(&inp, 10).unwrap_err();
            assert!(matches!(e, FrontierError::Infeasible(_)), "{e:?}");
            assert!(e.to_string().contains(msg), "{e} should say {msg}");
        }
        let one = DMatrix::from_element(1, 1, 0.04);
        let e = frontier(&inputs(&[0.05], &one, &[0.0], &[1.0], 0.0), 10).unwrap_err();
        assert!(e.to_string().contains("at least two assets"), "{e}");
    }

    #[test]
    fn no_max_sharpe_when_nothing_beats_the_risk_free_rate() {
        let (mu, cov) = two();
        let inp = inputs(&mu, &cov, &[0.0; 2], &[1.0; 2], 0.12);
        let f = frontier(&inp, 5).unwrap();
        let why = f.max_sharpe.unwrap_err();
        assert!(why.contains("risk-free rate of 12.00%"), "{why}");
        // Equal means: the curve is a single point, repeated.
        let inp = inputs(&[0.05, 0.05], &cov, &[0.0; 2], &[1.0; 2], 0.0);
        let f = frontier(&inp, 4).unwrap();
        assert_eq!(f.points.len(), 4);
        for p in &f.points {
            close(p.volatility, f.min_variance.volatility, 1e-7, "flat");
        }
    }

    #[test]
    fn estimates_are_annualised_ledoit_wolf() {
        let rows: Vec<Vec<f64>> = (0..100)
            .map(|t| {
                let x = ((t * 37 % 101) as f64 / 101.0 - 0.5) * 0.02;
                let y = ((t * 53 % 97) as f64 / 97.0 - 0.5) * 0.01;
                vec![x + 0.0004, 0.5 * x + y]
            })
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let (mean, cov) = estimate(&refs);
        let (m, c) = ledoit_wolf(&refs);
        close(mean[0], m[0] * 252.0, 1e-15, "mean");
        close(cov[(0, 1)], c[(0, 1)] * 252.0, 1e-15, "cov");
    }
}
