//! Go-style flags: Litestream users type `-config FILE`, `-level all`, `-json` (Go's `flag`
//! package takes one or two dashes for every flag). Before clap parses the arguments, every
//! `-NAME` or `-NAME=VALUE` whose NAME is a long flag of the command line (two characters or
//! more) becomes `--NAME…`. Short flags (`-h`, `-V`, `-o`) are left alone, as is everything
//! after a `--` terminator.

use std::collections::BTreeSet;
use std::ffi::OsString;

/// Every long flag name of `cmd` and its subcommands.
pub fn long_flag_names(cmd: &clap::Command) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect(cmd, &mut names);
    names
}

fn collect(cmd: &clap::Command, names: &mut BTreeSet<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            names.insert(long.to_owned());
        }
        if let Some(aliases) = arg.get_all_aliases() {
            names.extend(aliases.into_iter().map(str::to_owned));
        }
    }
    for sub in cmd.get_subcommands() {
        collect(sub, names);
    }
}

/// Rewrites Go-style single-dash long flags in `args` (the first element is the program).
pub fn normalize(args: Vec<OsString>, longs: &BTreeSet<String>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut terminated = false;
    for (i, arg) in args.into_iter().enumerate() {
        if i == 0 || terminated {
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            terminated = true;
            out.push(arg);
            continue;
        }
        let rewritten = text
            .strip_prefix('-')
            .filter(|rest| !rest.starts_with('-'))
            .filter(|rest| {
                let name = rest.split_once('=').map_or(*rest, |(n, _)| n);
                name.len() > 1 && longs.contains(name)
            })
            .map(|rest| OsString::from(format!("--{rest}")));
        out.push(rewritten.unwrap_or(arg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        let longs: BTreeSet<String> = ["config", "level", "json", "no-expand-env"]
            .map(str::to_owned)
            .into();
        normalize(args.iter().map(OsString::from).collect(), &longs)
            .into_iter()
            .map(|a| a.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn single_dash_long_flags_get_two_dashes() {
        assert_eq!(
            run(&[
                "ltx-tui",
                "ltx",
                "-level",
                "all",
                "-json",
                "-config=/c.yml",
                "/db"
            ]),
            [
                "ltx-tui",
                "ltx",
                "--level",
                "all",
                "--json",
                "--config=/c.yml",
                "/db"
            ]
        );
    }

    #[test]
    fn short_flags_unknown_names_values_and_terminated_args_stay() {
        assert_eq!(
            run(&["ltx-tui", "-h", "-o", "-x", "--json", "--", "-level"]),
            ["ltx-tui", "-h", "-o", "-x", "--json", "--", "-level"]
        );
    }

    #[test]
    fn restore_flags_of_the_real_command_line_get_two_dashes() {
        let longs = long_flag_names(&<crate::cli::Cli as clap::CommandFactory>::command());
        let out: Vec<String> = normalize(
            [
                "ltx-tui",
                "restore",
                "-o",
                "/x",
                "-txid",
                "0000000000000001",
                "-integrity-check=quick",
                "-dry-run",
                "-if-replica-exists",
                "--json",
                "file:///r",
            ]
            .iter()
            .map(OsString::from)
            .collect(),
            &longs,
        )
        .into_iter()
        .map(|a| a.into_string().unwrap_or_default())
        .collect();
        assert_eq!(
            out,
            [
                "ltx-tui",
                "restore",
                "-o",
                "/x",
                "--txid",
                "0000000000000001",
                "--integrity-check=quick",
                "--dry-run",
                "--if-replica-exists",
                "--json",
                "file:///r"
            ]
        );
    }
}
