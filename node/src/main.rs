//! `cordon`: run a node, operate a cluster, report incidents, run the demo
//! and benchmarks. See `cordon --help`.

fn main() -> std::process::ExitCode {
    cordon_node::cli::main()
}
