// mimalloc instead of the system allocator: reading 100,000 transactions allocates a few
// hundred thousand small strings, and mimalloc makes `folio holdings` about a fifth faster
// (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    folio::cli::main()
}
