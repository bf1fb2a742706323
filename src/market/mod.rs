//! Quote feeds and price history: the feed interface, Interactive Brokers, the simulated feed
//! of the demo, and the seeded daily-price simulator behind the demo's history.

pub mod feed;
pub mod http;
pub mod ibkr;
pub mod returns;
pub mod sim;
pub mod simfeed;
