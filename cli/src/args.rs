//! The command line. clap reads the options, wherever they stand (before,
//! between or after the words), `--opt=value`, `--`, and clusters of
//! one-letter flags (`-jh` is `-j -h`); this module turns the words into a
//! [`Cmd`] and every refusal into the tool's one-line usage messages.

use std::ffi::OsString;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    Help,
    Version,
    /// `list` / `show` with no LINK: every link.
    List,
    /// `show LINK` (or `list LINK`): one link.
    Show(OsString),
    Detach(OsString),
    Pin(OsString, OsString),
    Unpin(OsString),
    Update {
        link: OsString,
        prog: u32,
        replace: Option<u32>,
    },
}

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    pub json: bool,
    pub cmd: Cmd,
}

/// A usage error: one line, without the "bpflink: " prefix.
pub type UsageError = String;

/// The options and the words around them, as clap reads them. The help
/// text is the tool's own (`crate::USAGE`), so clap's help and version
/// flags are off and `-h` / `-V` are plain flags here.
#[derive(Parser, Debug)]
#[command(
    name = "bpflink",
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Line {
    #[arg(short = 'j', long, overrides_with = "json")]
    json: bool,
    #[arg(short = 'h', long, overrides_with = "help")]
    help: bool,
    #[arg(short = 'V', long, overrides_with = "version")]
    version: bool,
    /// A value may start with '-': `--prog -1` is a bad id, not a
    /// missing one.
    #[arg(long, value_name = "ID", allow_hyphen_values = true, value_parser = prog_id())]
    prog: Option<u32>,
    #[arg(long, value_name = "OLD", allow_hyphen_values = true, value_parser = prog_id())]
    replace_prog: Option<u32>,
    /// The command and its operands.
    words: Vec<OsString>,
}

/// A decimal id: digits only, within `u32`. `None` otherwise.
pub fn parse_id(s: &[u8]) -> Option<u32> {
    if !is_number(s) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Whether an argument is a number, and so names a link by id.
pub fn is_number(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// Program ids: [`parse_id`], on any bytes (a non-UTF-8 value is a bad id
/// like any other, named in the message with U+FFFD for what it cannot show).
fn prog_id() -> impl clap::builder::TypedValueParser<Value = u32> {
    use clap::builder::TypedValueParser;
    use std::os::unix::ffi::OsStrExt;
    clap::builder::OsStringValueParser::new()
        .try_map(|v| parse_id(v.as_bytes()).ok_or("not a program id"))
}

/// The option a clap error is about, by its name ("--prog", "-x"),
/// without clap's " <ID>".
fn offending(e: &clap::Error) -> String {
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split(' ').next().unwrap_or(s).to_string(),
        Some(ContextValue::Strings(v)) => v.first().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The whole argument in which the user wrote the unknown option `opt`:
/// `--frob=1` for `--frob`, the cluster `-jx` for `-x`.
fn as_written(opt: &str, argv: &[OsString]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    let found = match opt.strip_prefix('-') {
        Some(long) if long.starts_with('-') => words
            .iter()
            .find(|w| w.as_str() == opt || w.strip_prefix(opt).is_some_and(|v| v.starts_with('='))),
        Some(letter) => words.iter().find(|w| w.as_str() == opt).or_else(|| {
            words.iter().find(|w| {
                w.len() > 2 && w.starts_with('-') && !w.starts_with("--") && w[1..].contains(letter)
            })
        }),
        None => None,
    };
    found.cloned().unwrap_or_else(|| opt.to_string())
}

/// clap's refusal of `argv` as the tool's usage message.
fn usage_message(e: &clap::Error, argv: &[OsString]) -> UsageError {
    let opt = offending(e);
    match e.kind() {
        ErrorKind::UnknownArgument => format!("unknown option '{}'", as_written(&opt, argv)),
        // `--json=1`: a value given to a flag.
        ErrorKind::TooManyValues => format!("{opt} takes no value"),
        // What prog_id() refused.
        ErrorKind::ValueValidation => {
            let value = match e.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(v)) => v.as_str(),
                _ => "",
            };
            format!("{opt}: '{value}' is not a program id (a decimal number)")
        }
        // The same option again (the flags override themselves instead).
        ErrorKind::ArgumentConflict => format!("{opt} given twice"),
        // `--prog` last, with nothing after it.
        ErrorKind::InvalidValue => format!("{opt} needs a program id"),
        // Not expected from this parser; clap's own text, on one line.
        _ => e
            .kind()
            .as_str()
            .map_or_else(|| "invalid command line".to_string(), str::to_string),
    }
}

/// Parses the arguments after the program name.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Args, UsageError> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    let line = Line::try_parse_from(std::iter::once(OsString::from("bpflink")).chain(argv.clone()))
        .map_err(|e| usage_message(&e, &argv))?;
    let (prog, replace, json) = (line.prog, line.replace_prog, line.json);
    if line.help || line.version {
        let cmd = if line.help { Cmd::Help } else { Cmd::Version };
        return Ok(Args { json, cmd });
    }
    let mut words = line.words.into_iter();
    let Some(cmd) = words.next() else {
        return Err("no command given".into());
    };
    let cmd = cmd.to_string_lossy().into_owned();
    let rest: Vec<OsString> = words.collect();
    // Exactly `n` operands, else what is missing or the first one too many.
    let want = |n: usize, what: &str| -> Result<(), UsageError> {
        match rest.get(n) {
            _ if rest.len() < n => Err(format!("{cmd}: missing {what}")),
            Some(extra) => Err(format!(
                "{cmd}: unexpected argument '{}'",
                extra.to_string_lossy()
            )),
            None => Ok(()),
        }
    };
    if cmd != "update" {
        if let Some(opt) = [(prog, "--prog"), (replace, "--replace-prog")]
            .into_iter()
            .find_map(|(v, opt)| v.map(|_| opt))
        {
            return Err(format!("{opt} is an option of update, not of {cmd}"));
        }
    }
    let cmd = match cmd.as_str() {
        "help" => {
            want(0, "")?;
            Cmd::Help
        }
        "list" | "show" if rest.is_empty() => Cmd::List,
        "list" | "show" => {
            want(1, "")?;
            Cmd::Show(rest[0].clone())
        }
        "detach" => {
            want(1, "the link (an id or a pinned path)")?;
            Cmd::Detach(rest[0].clone())
        }
        "pin" => {
            let what = match rest.len() {
                0 => "the link and the path",
                _ => "the path",
            };
            want(2, what)?;
            Cmd::Pin(rest[0].clone(), rest[1].clone())
        }
        "unpin" => {
            want(1, "the path")?;
            Cmd::Unpin(rest[0].clone())
        }
        "update" => {
            want(1, "the link (an id or a pinned path)")?;
            let prog = prog.ok_or("update: missing --prog ID")?;
            Cmd::Update {
                link: rest[0].clone(),
                prog,
                replace,
            }
        }
        _ => return Err(format!("unknown command '{cmd}'")),
    };
    Ok(Args { json, cmd })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn p(args: &[&str]) -> Result<Args, UsageError> {
        parse(args.iter().map(OsString::from))
    }

    fn ok(args: &[&str]) -> Args {
        p(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn os(s: &str) -> OsString {
        s.into()
    }

    #[test]
    fn commands() {
        assert_eq!(ok(&["list"]).cmd, Cmd::List);
        assert_eq!(ok(&["show"]).cmd, Cmd::List);
        assert_eq!(ok(&["show", "5"]).cmd, Cmd::Show(os("5")));
        assert_eq!(ok(&["list", "/x"]).cmd, Cmd::Show(os("/x")));
        assert_eq!(ok(&["detach", "5"]).cmd, Cmd::Detach(os("5")));
        assert_eq!(ok(&["pin", "5", "/b/l"]).cmd, Cmd::Pin(os("5"), os("/b/l")));
        assert_eq!(ok(&["unpin", "/b/l"]).cmd, Cmd::Unpin(os("/b/l")));
        assert_eq!(ok(&["help"]).cmd, Cmd::Help);
        assert_eq!(
            ok(&["update", "5", "--prog", "7"]).cmd,
            Cmd::Update {
                link: os("5"),
                prog: 7,
                replace: None
            }
        );
        assert_eq!(
            ok(&["update", "--replace-prog=3", "/p", "--prog=7"]).cmd,
            Cmd::Update {
                link: os("/p"),
                prog: 7,
                replace: Some(3)
            }
        );
        // Options may come before the command too.
        assert_eq!(
            ok(&["--prog", "7", "update", "5"]).cmd,
            Cmd::Update {
                link: os("5"),
                prog: 7,
                replace: None
            }
        );
    }

    #[test]
    fn json_anywhere() {
        assert!(ok(&["--json", "list"]).json);
        assert!(ok(&["list", "--json"]).json);
        assert!(ok(&["-j", "show", "4"]).json);
        assert!(ok(&["show", "4", "-j"]).json);
        assert!(ok(&["-j", "list", "--json"]).json);
        assert!(!ok(&["list"]).json);
        assert_eq!(ok(&["show", "-j", "4"]).cmd, Cmd::Show(os("4")));
    }

    #[test]
    fn one_letter_flags_combine() {
        let a = ok(&["-jh"]);
        assert!(a.json);
        assert_eq!(a.cmd, Cmd::Help);
        assert_eq!(ok(&["show", "-jV"]).cmd, Cmd::Version);
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(ok(&["--help"]).cmd, Cmd::Help);
        assert_eq!(ok(&["-h"]).cmd, Cmd::Help);
        assert_eq!(ok(&["bogus", "--help"]).cmd, Cmd::Help);
        assert_eq!(ok(&["show", "1", "2", "-h"]).cmd, Cmd::Help);
        assert_eq!(ok(&["-V"]).cmd, Cmd::Version);
        assert_eq!(ok(&["--version"]).cmd, Cmd::Version);
        assert_eq!(ok(&["-V", "-h"]).cmd, Cmd::Help);
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(ok(&["show", "--", "-weird"]).cmd, Cmd::Show(os("-weird")));
        assert_eq!(ok(&["--", "show", "--json"]).cmd, Cmd::Show(os("--json")));
        assert!(!ok(&["--", "show", "--json"]).json);
        // A lone "-" is an argument.
        assert_eq!(ok(&["show", "-"]).cmd, Cmd::Show(os("-")));
    }

    #[test]
    fn paths_need_not_be_utf8() {
        let path = OsString::from_vec(b"/sys/fs/bpf/\xff".to_vec());
        let args = parse([os("show"), path.clone()]).unwrap();
        assert_eq!(args.cmd, Cmd::Show(path));
    }

    #[test]
    fn usage_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "no command given"),
            (&["--json"], "no command given"),
            (&["frob"], "unknown command 'frob'"),
            (&["list", "--frob"], "unknown option '--frob'"),
            (&["list", "--frob=1"], "unknown option '--frob=1'"),
            (&["list", "-jx"], "unknown option '-jx'"),
            (&["list", "-j=1"], "unknown option '-j=1'"),
            (&["--pro", "1", "update", "1"], "unknown option '--pro'"),
            (&["-x"], "unknown option '-x'"),
            (&["-x", "list"], "unknown option '-x'"),
            (&["show", "1", "2"], "show: unexpected argument '2'"),
            (
                &["detach"],
                "detach: missing the link (an id or a pinned path)",
            ),
            (&["detach", "1", "2"], "detach: unexpected argument '2'"),
            (&["pin"], "pin: missing the link and the path"),
            (&["pin", "1"], "pin: missing the path"),
            (&["pin", "1", "/a", "/b"], "pin: unexpected argument '/b'"),
            (&["unpin"], "unpin: missing the path"),
            (&["update", "1"], "update: missing --prog ID"),
            (
                &["update", "--prog", "7"],
                "update: missing the link (an id or a pinned path)",
            ),
            (&["update", "1", "--prog"], "--prog needs a program id"),
            (
                &["update", "1", "--prog", "x"],
                "--prog: 'x' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog", "4294967296"],
                "--prog: '4294967296' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog", "-1"],
                "--prog: '-1' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog="],
                "--prog: '' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog", "+1"],
                "--prog: '+1' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog", "2", "--prog", "3"],
                "--prog given twice",
            ),
            (
                &["update", "1", "--prog", "2", "--replace-prog=x"],
                "--replace-prog: 'x' is not a program id (a decimal number)",
            ),
            (
                &["update", "1", "--prog", "1", "--replace-prog", "-3"],
                "--replace-prog: '-3' is not a program id (a decimal number)",
            ),
            (
                &["list", "--prog", "3"],
                "--prog is an option of update, not of list",
            ),
            (
                &["detach", "1", "--replace-prog", "3"],
                "--replace-prog is an option of update, not of detach",
            ),
            (&["list", "--json=1"], "--json takes no value"),
            (&["--json=yes", "list"], "--json takes no value"),
            (&["--help=1"], "--help takes no value"),
            (&["help", "me"], "help: unexpected argument 'me'"),
        ];
        for (args, want) in cases {
            assert_eq!(p(args).unwrap_err(), *want, "{args:?}");
        }
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id(b"0"), Some(0));
        assert_eq!(parse_id(b"42"), Some(42));
        assert_eq!(parse_id(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_id(b"4294967296"), None);
        assert_eq!(parse_id(b""), None);
        assert_eq!(parse_id(b"+1"), None);
        assert_eq!(parse_id(b"0x10"), None);
        assert_eq!(parse_id(b" 1"), None);
        assert!(is_number(b"007"));
        assert!(is_number(b"99999999999999"));
        assert!(!is_number(b"./7"));
        assert!(!is_number(b""));
    }
}
