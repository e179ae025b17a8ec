//! The `ltx-tui` binary: parse arguments, install the error hooks, run one command.
//!
//! Everything of substance lives in the library; this file only maps outcomes to exit codes
//! (0 ok, 1 operation failed, 2 usage or config error).

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ltx_tui::cli::main()
}
