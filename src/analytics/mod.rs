//! Pure functions over domain data: the tax year and its report, the harvest scan and the
//! similarity of securities. No IO.

pub mod harvest;
pub mod montecarlo;
pub mod similarity;
pub mod tax;
