//! The `dpctl` command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    dpctl::cli::main()
}
