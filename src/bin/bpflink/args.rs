//! Command-line parsing, by hand: a few subcommands, two flags that may
//! stand anywhere (`--json`, `--help`), and `update`'s two options.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

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

fn prog_id(opt: &str, v: Option<OsString>) -> Result<u32, UsageError> {
    let v = v.ok_or_else(|| format!("{opt} needs a program id"))?;
    parse_id(v.as_bytes()).ok_or_else(|| {
        format!(
            "{opt}: '{}' is not a program id (a decimal number)",
            v.to_string_lossy()
        )
    })
}

/// A decimal id: digits only, within `u32`. `None` otherwise.
pub fn parse_id(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Whether an argument is a number, and so names a link by id.
pub fn is_number(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// Parses the arguments after the program name.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Args, UsageError> {
    let mut json = false;
    let mut help = false;
    let mut version = false;
    let mut prog = None;
    let mut replace = None;
    let mut pos: Vec<OsString> = Vec::new();
    let mut it = argv.into_iter();
    let mut options_done = false;
    while let Some(a) = it.next() {
        let b = a.as_bytes();
        if options_done || b.len() < 2 || b[0] != b'-' {
            pos.push(a);
            continue;
        }
        let (name, inline) = match b.iter().position(|&c| c == b'=') {
            Some(i) if b.starts_with(b"--") => (
                String::from_utf8_lossy(&b[..i]).into_owned(),
                Some(OsString::from(std::ffi::OsStr::from_bytes(&b[i + 1..]))),
            ),
            _ => (String::from_utf8_lossy(b).into_owned(), None),
        };
        let flag = |set: &mut bool| {
            if inline.is_some() {
                return Err(format!("{name} takes no value"));
            }
            *set = true;
            Ok(())
        };
        match name.as_str() {
            "--" => options_done = true,
            "-j" | "--json" => flag(&mut json)?,
            "-h" | "--help" => flag(&mut help)?,
            "-V" | "--version" => flag(&mut version)?,
            "--prog" => {
                let v = inline.or_else(|| it.next());
                if prog.replace(prog_id("--prog", v)?).is_some() {
                    return Err("--prog given twice".into());
                }
            }
            "--replace-prog" => {
                let v = inline.or_else(|| it.next());
                if replace.replace(prog_id("--replace-prog", v)?).is_some() {
                    return Err("--replace-prog given twice".into());
                }
            }
            _ => return Err(format!("unknown option '{}'", a.to_string_lossy())),
        }
    }
    if help {
        return Ok(Args {
            json,
            cmd: Cmd::Help,
        });
    }
    if version {
        return Ok(Args {
            json,
            cmd: Cmd::Version,
        });
    }
    let mut pos = pos.into_iter();
    let Some(cmd) = pos.next() else {
        return Err("no command given".into());
    };
    let cmd = cmd.to_string_lossy().into_owned();
    let rest: Vec<OsString> = pos.collect();
    let want = |n: usize, what: &str| -> Result<(), UsageError> {
        if rest.len() < n {
            Err(format!("{cmd}: missing {what}"))
        } else if rest.len() > n {
            Err(format!(
                "{cmd}: unexpected argument '{}'",
                rest[n].to_string_lossy()
            ))
        } else {
            Ok(())
        }
    };
    if cmd != "update" && (prog.is_some() || replace.is_some()) {
        let opt = if prog.is_some() {
            "--prog"
        } else {
            "--replace-prog"
        };
        return Err(format!("{opt} is an option of update, not of {cmd}"));
    }
    let cmd = match cmd.as_str() {
        "help" => {
            want(0, "")?;
            Cmd::Help
        }
        "list" | "show" => match rest.len() {
            0 => Cmd::List,
            _ => {
                want(1, "")?;
                Cmd::Show(rest[0].clone())
            }
        },
        "detach" => {
            want(1, "the link (an id or a pinned path)")?;
            Cmd::Detach(rest[0].clone())
        }
        "pin" => {
            want(
                2,
                if rest.is_empty() {
                    "the link and the path"
                } else {
                    "the path"
                },
            )?;
            Cmd::Pin(rest[0].clone(), rest[1].clone())
        }
        "unpin" => {
            want(1, "the path")?;
            Cmd::Unpin(rest[0].clone())
        }
        "update" => {
            want(1, "the link (an id or a pinned path)")?;
            let prog = prog.ok_or_else(|| "update: missing --prog ID".to_string())?;
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
    }

    #[test]
    fn json_anywhere() {
        assert!(ok(&["--json", "list"]).json);
        assert!(ok(&["list", "--json"]).json);
        assert!(ok(&["-j", "show", "4"]).json);
        assert!(ok(&["show", "4", "-j"]).json);
        assert!(!ok(&["list"]).json);
        assert_eq!(ok(&["show", "-j", "4"]).cmd, Cmd::Show(os("4")));
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(ok(&["--help"]).cmd, Cmd::Help);
        assert_eq!(ok(&["-h"]).cmd, Cmd::Help);
        assert_eq!(ok(&["bogus", "--help"]).cmd, Cmd::Help);
        assert_eq!(ok(&["-V"]).cmd, Cmd::Version);
        assert_eq!(ok(&["--version"]).cmd, Cmd::Version);
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(ok(&["show", "--", "-weird"]).cmd, Cmd::Show(os("-weird")));
        assert_eq!(ok(&["--", "show", "--json"]).cmd, Cmd::Show(os("--json")));
        // A lone "-" is an argument.
        assert_eq!(ok(&["show", "-"]).cmd, Cmd::Show(os("-")));
    }

    #[test]
    fn usage_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "no command given"),
            (&["--json"], "no command given"),
            (&["frob"], "unknown command 'frob'"),
            (&["list", "--frob"], "unknown option '--frob'"),
            (&["-x"], "unknown option '-x'"),
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
                &["update", "1", "--prog", "2", "--prog", "3"],
                "--prog given twice",
            ),
            (
                &["update", "1", "--prog", "2", "--replace-prog=x"],
                "--replace-prog: 'x' is not a program id (a decimal number)",
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
