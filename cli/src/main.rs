//! `bpflink`: list, show, detach, pin, unpin and update BPF links, on the
//! safe Rust API of the bpflink crate. See `bpflink --help` (the text is
//! [`USAGE`]) for the commands and exit codes.
//!
//! The tool is its own crate (`bpflink-cli`) in the repository's
//! workspace: clap reads the command line and serde_json writes `--json`,
//! while the library keeps to libc and errno.

mod args;
mod ops;
mod render;

use std::io::Write;
use std::process::ExitCode;

use args::Cmd;

/// The usage text, printed by `--help` / `help`.
pub const USAGE: &str = "\
Usage: bpflink [--json] COMMAND [ARGS]

Commands:
  list                 show every BPF link on the system
  show LINK            show one link (show without LINK is list)
  detach LINK          detach the link from its hook; the link stays, defunct,
                       until its last fd or pin goes away
  pin LINK PATH        pin the link at PATH, on a bpffs
  unpin PATH           remove the pin at PATH, which must hold a link
  update LINK --prog ID [--replace-prog OLD]
                       make the link run program ID instead; with
                       --replace-prog only if it runs program OLD now
  help                 this text

LINK is a link id (a decimal number) or the path of a link pinned on a bpffs
(write ./123 for a file called 123). Program ids are decimal numbers.

Options (anywhere on the command line):
  -j, --json           JSON output: an array for list, an object for show,
                       null for the commands that change something
  -h, --help           this text
  -V, --version        print the version

Exit status:
  0  success
  1  usage error
  2  permission denied (needs root, or CAP_BPF with CAP_SYS_ADMIN and, for
     network links, CAP_NET_ADMIN)
  3  no such link, program or path
  4  the path is not on a bpffs
  5  the path holds something other than a link
  6  any other error (the message gives the kernel's or the system's reason)
  7  the link's type does not support the operation
  8  update --replace-prog: the link runs another program
";

/// Exit codes; stable, documented in [`USAGE`] and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Usage = 1,
    Permission = 2,
    NotFound = 3,
    NotBpffs = 4,
    NotLink = 5,
    Kernel = 6,
    NotSupported = 7,
    Mismatch = 8,
}

/// A failed command: the exit code and the one-line message (without the
/// "bpflink: " prefix).
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub exit: Exit,
    pub msg: String,
}

impl Failure {
    pub fn new(exit: Exit, msg: impl Into<String>) -> Self {
        Self {
            exit,
            msg: msg.into(),
        }
    }
}

fn main() -> ExitCode {
    let parsed = args::parse(std::env::args_os().skip(1));
    let args = match parsed {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("bpflink: {msg} (see bpflink --help)");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let out = match args.cmd {
        Cmd::Help => Ok(USAGE.to_string()),
        Cmd::Version => Ok(format!("bpflink {}\n", env!("CARGO_PKG_VERSION"))),
        cmd => ops::run(cmd, args.json),
    };
    match out {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (bpflink list | head) is not an error worth a
            // message; anything else is reported like the rest.
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bpflink: writing the output: {e}");
                    ExitCode::from(Exit::Kernel as u8)
                }
            }
        }
        Err(f) => {
            eprintln!("bpflink: {}", f.msg);
            ExitCode::from(f.exit as u8)
        }
    }
}
