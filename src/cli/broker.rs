//! What the commands that talk to the broker share: symbol arguments, per-symbol errors and
//! their exit status, and an async runtime for the call.

use std::collections::BTreeMap;

use serde::Serialize;

use super::BadInput;
use crate::domain::parse_symbol;

/// Upper-cased, checked and de-duplicated ticker arguments.
pub fn symbols(args: &[String]) -> Result<Vec<String>, BadInput> {
    let mut out = Vec::new();
    for s in args {
        let s =
            parse_symbol(s).map_err(|e| BadInput(format!("{e}: give tickers such as VTI AAPL")))?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// A symbol the broker could not serve, and why.
#[derive(Debug, Serialize)]
pub struct SymbolError {
    pub symbol: String,
    pub message: String,
}

pub fn symbol_errors(errors: &BTreeMap<String, String>) -> Vec<SymbolError> {
    errors
        .iter()
        .map(|(symbol, message)| SymbolError {
            symbol: symbol.clone(),
            message: message.clone(),
        })
        .collect()
}

/// Exit status after per-symbol work: a symbol the broker does not know is bad input (2);
/// any other failure is a runtime failure (1).
pub fn finish(errors: &BTreeMap<String, String>, total: usize, what: &str) -> anyhow::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let msg = format!("{} of {total} symbol(s) without {what}", errors.len());
    let unknown = |m: &String| m.contains("error 200") || m.contains("does not know this symbol");
    if errors.values().any(unknown) {
        Err(BadInput(msg).into())
    } else {
        Err(anyhow::anyhow!(msg))
    }
}

pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
