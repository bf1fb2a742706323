//! Quote feeds and price history. So far: the seeded price simulator behind the demo.

pub mod sim;
