//! Pure functions over domain data: the tax year and its report, the harvest scan and the
//! similarity of securities. No IO.

pub mod anomaly;
pub mod frontier;
pub mod harvest;
pub mod montecarlo;
pub mod performance;
pub mod rebalance;
pub mod risk;
pub mod similarity;
pub mod stress;
pub mod tax;
