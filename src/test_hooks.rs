//! Hooks the integration tests use to reach states a user never should (an import stopped
//! halfway, a panic after the first frame). They exist only in debug builds (what `cargo test`
//! runs) and are set by the hidden `--test-hook` flag, which a release build does not have.

#[cfg(debug_assertions)]
mod hooks {
    use std::sync::OnceLock;

    #[derive(Debug, Default)]
    pub struct Hooks {
        pub stall_import_at: Option<usize>,
        pub panic_after_draw: bool,
        /// Named points where the process stops and waits to be killed (`stall-at=after-journal`).
        pub stall_at: Vec<String>,
    }

    static HOOKS: OnceLock<Hooks> = OnceLock::new();

    /// Sets the hooks from `--test-hook` values: `stall-import-at=N`, `panic-after-draw`.
    pub fn set(values: &[String]) -> Result<(), String> {
        let mut h = Hooks::default();
        for v in values {
            match v.split_once('=') {
                Some(("stall-import-at", n)) => {
                    h.stall_import_at = Some(n.parse().map_err(|_| format!("--test-hook {v}"))?)
                }
                Some(("stall-at", point)) => h.stall_at.push(point.to_string()),
                None if v == "panic-after-draw" => h.panic_after_draw = true,
                _ => return Err(format!("--test-hook {v}: no such hook")),
            }
        }
        let _ = HOOKS.set(h);
        Ok(())
    }

    pub fn get() -> Option<&'static Hooks> {
        HOOKS.get()
    }
}

#[cfg(debug_assertions)]
pub use hooks::set;

/// Rows an import writes before it stops and waits to be killed.
pub fn stall_import_at() -> Option<usize> {
    #[cfg(debug_assertions)]
    {
        hooks::get().and_then(|h| h.stall_import_at)
    }
    #[cfg(not(debug_assertions))]
    {
        None
    }
}

/// Panic right after the cockpit's first frame (the terminal must be restored).
pub fn panic_after_draw() -> bool {
    #[cfg(debug_assertions)]
    {
        hooks::get().is_some_and(|h| h.panic_after_draw)
    }
    #[cfg(not(debug_assertions))]
    {
        false
    }
}

/// Stops here and waits to be killed when a test asked for `stall-at=<point>` (the crash tests:
/// between journaling an order and sending it, between a fill and its commission).
pub fn crash_point(point: &str) {
    #[cfg(debug_assertions)]
    if hooks::get().is_some_and(|h| h.stall_at.iter().any(|p| p == point)) {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("folio: stalled at {point} (test hook)\n").as_bytes(),
        );
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}
