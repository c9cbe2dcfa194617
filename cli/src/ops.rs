//! The commands, on `bpflink::link`. Each returns the text to print, or a
//! [`Failure`] naming the exit code.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use bpflink::link::{self, Details, FdByIdOpts, UpdateOpts, link_type_str};
use bpflink::sys::consts::flags::BPF_F_REPLACE;
use errno::Errno;
use libc::{EACCES, EAGAIN, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM};

use crate::args::{self, Cmd};
use crate::render;
use crate::{Exit, Failure};
use serde_json::Value;

/// The kernel's "not supported" code that leaks out of some BPF paths
/// (`ENOTSUPP`, not in libc).
const ENOTSUPP: i32 = 524;

const PERMISSION_HINT: &str =
    "needs root, or CAP_BPF with CAP_SYS_ADMIN and, for network links, CAP_NET_ADMIN";

/// `strerror`, with a name for the kernel-internal `ENOTSUPP`.
fn strerror(e: Errno) -> String {
    if e.0 == ENOTSUPP {
        "Operation not supported (ENOTSUPP)".into()
    } else {
        e.to_string()
    }
}

/// A kernel (or system call) error while doing `what`, classified.
pub fn fail(what: &str, e: Errno) -> Failure {
    let exit = match e.0 {
        EPERM | EACCES => Exit::Permission,
        ENOENT | ENOTDIR => Exit::NotFound,
        EOPNOTSUPP | ENOTSUPP => Exit::NotSupported,
        _ => Exit::Kernel,
    };
    let mut msg = format!("{what}: {}", strerror(e));
    if exit == Exit::Permission {
        msg += &format!(" ({PERMISSION_HINT})");
    }
    Failure::new(exit, msg)
}

fn show_path(p: &OsStr) -> String {
    p.to_string_lossy().into_owned()
}

fn cstring(p: &OsStr) -> Result<CString, Failure> {
    CString::new(p.as_bytes()).map_err(|_| {
        Failure::new(
            Exit::Usage,
            format!("{}: a path cannot contain a NUL byte", show_path(p)),
        )
    })
}

/// The device name of an ifindex in this network namespace.
fn ifname(ifindex: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes if_indextoname may write,
    // NUL included.
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success if_indextoname wrote a NUL-terminated name to buf.
    let name = unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// `BPF_LINK_GET_FD_BY_ID`, retried briefly on `EAGAIN`: the kernel's
/// answer for a link whose creation is still under way (its id exists,
/// the link is not settled yet).
fn link_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    let mut tries = 0;
    loop {
        match link::fd_by_id(id, &FdByIdOpts::default()) {
            Err(e) if e.0 == EAGAIN && tries < 10 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            r => return r,
        }
    }
}

/// An open link and how to name it in messages ("link 5" or the path).
struct Link {
    fd: OwnedFd,
    name: String,
}

/// Why a pinned path could not be opened as a link: look at the path
/// itself to tell "not there", "not on a bpffs" and "a directory" from a
/// kernel refusal.
fn path_failure(path: &OsStr, c: &CString, e: Errno) -> Failure {
    let shown = show_path(path);
    if matches!(e.0, ENOENT | ENOTDIR) {
        return fail(&shown, e);
    }
    if let Ok(false) = link::on_bpffs(c) {
        return Failure::new(
            Exit::NotBpffs,
            format!("{shown}: not on a BPF filesystem (bpffs)"),
        );
    }
    if Path::new(path).is_dir() {
        return Failure::new(
            Exit::NotLink,
            format!("{shown}: is a directory, not a link"),
        );
    }
    fail(&shown, e)
}

/// Opens LINK: a number is a link id, anything else a pinned path that
/// must hold a link.
fn open(spec: &OsStr) -> Result<Link, Failure> {
    let b = spec.as_bytes();
    if args::is_number(b) {
        let Some(id) = args::parse_id(b) else {
            return Err(Failure::new(
                Exit::Usage,
                format!(
                    "link id {} is out of range (at most {})",
                    show_path(spec),
                    u32::MAX
                ),
            ));
        };
        return match link_fd_by_id(id) {
            Ok(fd) => Ok(Link {
                fd,
                name: format!("link {id}"),
            }),
            Err(e) if e.0 == ENOENT => Err(Failure::new(
                Exit::NotFound,
                format!("no link with id {id}"),
            )),
            Err(e) => Err(fail(&format!("link {id}"), e)),
        };
    }
    let c = cstring(spec)?;
    let fd = link::open_pinned(&c).map_err(|e| path_failure(spec, &c, e))?;
    match link::is_link(&fd) {
        Ok(true) => Ok(Link {
            fd,
            name: show_path(spec),
        }),
        Ok(false) => Err(Failure::new(
            Exit::NotLink,
            format!(
                "{}: not a link (another kind of BPF object is pinned there)",
                show_path(spec)
            ),
        )),
        Err(e) => Err(fail(&show_path(spec), e)),
    }
}

fn details(l: &Link) -> Result<Details, Failure> {
    link::details(&l.fd).map_err(|e| fail(&format!("{}: reading link info", l.name), e))
}

/// Lists links: for each id, `open` gets an fd and `read` what to show.
/// Links that vanish between the id walk and the open (`ENOENT`), and
/// links still being created (`EAGAIN` after `open`'s retries), are
/// skipped silently; any other error ends the listing.
pub fn collect<F, T>(
    ids: impl Iterator<Item = Result<u32, Errno>>,
    mut open: impl FnMut(u32) -> Result<F, Errno>,
    mut read: impl FnMut(u32, F) -> Result<T, Failure>,
) -> Result<Vec<T>, Failure> {
    let mut out = Vec::new();
    for id in ids {
        let id = id.map_err(|e| fail("listing links", e))?;
        match open(id) {
            Ok(f) => out.push(read(id, f)?),
            Err(e) if e.0 == ENOENT || e.0 == EAGAIN => continue,
            Err(e) => return Err(fail(&format!("link {id}"), e)),
        }
    }
    Ok(out)
}

fn list(json: bool) -> Result<String, Failure> {
    let all = collect(link::ids(), link_fd_by_id, |id, fd| {
        details(&Link {
            fd,
            name: format!("link {id}"),
        })
    })?;
    Ok(if json {
        let items = all
            .iter()
            .map(|d| render::json(d, &ifname))
            .collect::<Vec<_>>();
        render::json_line(&Value::Array(items))
    } else {
        all.iter().map(|d| render::plain(d, &ifname)).collect()
    })
}

fn show(spec: &OsStr, json: bool) -> Result<String, Failure> {
    let d = details(&open(spec)?)?;
    Ok(if json {
        render::json_line(&render::json(&d, &ifname))
    } else {
        render::plain(&d, &ifname)
    })
}

/// The link's type name for messages ("perf_event", or "type 99").
fn type_name(l: &Link) -> String {
    match link::info(&l.fd) {
        Ok(i) => match link_type_str(i.type_) {
            Some(s) => s.to_string_lossy().into_owned(),
            None => format!("type {}", i.type_),
        },
        Err(_) => "this type".into(),
    }
}

fn detach(spec: &OsStr) -> Result<(), Failure> {
    let l = open(spec)?;
    link::detach(&l.fd).map_err(|e| match e.0 {
        EOPNOTSUPP | ENOTSUPP => Failure::new(
            Exit::NotSupported,
            format!(
                "{}: {} links cannot be detached ({})",
                l.name,
                type_name(&l),
                strerror(e)
            ),
        ),
        _ => fail(&format!("{}: detach", l.name), e),
    })
}

fn pin(spec: &OsStr, path: &OsStr) -> Result<(), Failure> {
    let l = open(spec)?;
    let c = cstring(path)?;
    let shown = show_path(path);
    // The directory that will hold the pin must be on a bpffs.
    let dir = match Path::new(path).parent() {
        Some(d) if !d.as_os_str().is_empty() => d.as_os_str().to_owned(),
        _ => OsString::from("."),
    };
    match link::on_bpffs(&cstring(&dir)?) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Failure::new(
                Exit::NotBpffs,
                format!("{shown}: not on a BPF filesystem (bpffs)"),
            ));
        }
        Err(e) => return Err(fail(&show_path(&dir), e)),
    }
    link::pin(&l.fd, &c).map_err(|e| fail(&format!("{shown}: pin"), e))
}

fn unpin(path: &OsStr) -> Result<(), Failure> {
    // Only a pinned link is removed: open checks bpffs and the object kind.
    let l = open(path)?;
    drop(l);
    std::fs::remove_file(path).map_err(|e| {
        fail(
            &format!("{}: unpin", show_path(path)),
            Errno(e.raw_os_error().unwrap_or(libc::EIO)),
        )
    })
}

fn prog(id: u32) -> Result<OwnedFd, Failure> {
    link::prog_fd_by_id(id).map_err(|e| match e.0 {
        ENOENT => Failure::new(Exit::NotFound, format!("no program with id {id}")),
        _ => fail(&format!("program {id}"), e),
    })
}

fn update(spec: &OsStr, new: u32, old: Option<u32>) -> Result<(), Failure> {
    let l = open(spec)?;
    let new_fd = prog(new)?;
    let old_fd = old.map(prog).transpose()?;
    let opts = match &old_fd {
        Some(fd) => UpdateOpts {
            flags: BPF_F_REPLACE,
            old: Some(fd.as_fd()),
        },
        None => UpdateOpts::default(),
    };
    let Err(e) = link::update(&l.fd, &new_fd, &opts) else {
        return Ok(());
    };
    // With BPF_F_REPLACE the kernel says EPERM when the link runs another
    // program; having opened everything by id, permission is not the issue.
    if let (EPERM, Some(old)) = (e.0, old) {
        if let Ok(i) = link::info(&l.fd) {
            if i.prog_id != old {
                return Err(Failure::new(
                    Exit::Mismatch,
                    format!(
                        "{}: runs program {}, not {old} (--replace-prog); not updated",
                        l.name, i.prog_id
                    ),
                ));
            }
        }
    }
    Err(match e.0 {
        libc::EINVAL => Failure::new(
            Exit::Kernel,
            format!(
                "{}: update to program {new}: {} (the program must have the link's program \
                 type and attach type, and {} links must support update)",
                l.name,
                strerror(e),
                type_name(&l)
            ),
        ),
        _ => fail(&format!("{}: update to program {new}", l.name), e),
    })
}

/// Runs a command (not help/version); returns what to print.
pub fn run(cmd: Cmd, json: bool) -> Result<String, Failure> {
    // Like bpftool, commands that change something print JSON null.
    let done = |r: Result<(), Failure>| {
        r.map(|()| {
            if json {
                render::json_line(&Value::Null)
            } else {
                String::new()
            }
        })
    };
    match cmd {
        Cmd::List => list(json),
        Cmd::Show(spec) => show(&spec, json),
        Cmd::Detach(spec) => done(detach(&spec)),
        Cmd::Pin(spec, path) => done(pin(&spec, &path)),
        Cmd::Unpin(path) => done(unpin(&path)),
        Cmd::Update {
            link,
            prog,
            replace,
        } => done(update(&link, prog, replace)),
        Cmd::Help | Cmd::Version => unreachable!("handled by main"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        assert_eq!(fail("x", Errno(EPERM)).exit, Exit::Permission);
        assert_eq!(fail("x", Errno(EACCES)).exit, Exit::Permission);
        assert_eq!(fail("x", Errno(ENOENT)).exit, Exit::NotFound);
        assert_eq!(fail("x", Errno(EOPNOTSUPP)).exit, Exit::NotSupported);
        assert_eq!(fail("x", Errno(ENOTSUPP)).exit, Exit::NotSupported);
        assert_eq!(fail("x", Errno(libc::EBUSY)).exit, Exit::Kernel);
        assert_eq!(
            fail("listing links", Errno(EPERM)).msg,
            format!("listing links: Operation not permitted ({PERMISSION_HINT})")
        );
        assert_eq!(
            fail("l", Errno(ENOTSUPP)).msg,
            "l: Operation not supported (ENOTSUPP)"
        );
        assert_eq!(fail("/p", Errno(libc::EEXIST)).msg, "/p: File exists");
    }

    #[test]
    fn listing_skips_links_that_vanish() {
        // Ids 2 and 4 vanish between GET_NEXT_ID and GET_FD_BY_ID; 6 is
        // not settled yet.
        let ids = [1, 2, 3, 4, 5, 6].into_iter().map(Ok);
        let open = |id: u32| match id {
            2 | 4 => Err(Errno(ENOENT)),
            6 => Err(Errno(EAGAIN)),
            _ => Ok(id * 10),
        };
        let got = collect(ids, open, |id, f| Ok((id, f))).unwrap();
        assert_eq!(got, [(1, 10), (3, 30), (5, 50)]);
    }

    #[test]
    fn listing_stops_at_other_errors() {
        let ids = [1, 2, 3].into_iter().map(Ok);
        let open = |id: u32| if id == 2 { Err(Errno(EPERM)) } else { Ok(id) };
        let err = collect(ids, open, |_, f| Ok(f)).unwrap_err();
        assert_eq!(err.exit, Exit::Permission);
        assert!(
            err.msg.starts_with("link 2: Operation not permitted ("),
            "{}",
            err.msg
        );
        // A read error ends it too.
        let ids = [1, 2].into_iter().map(Ok);
        let err = collect(ids, Ok, |_, _: u32| {
            Err::<u32, _>(Failure::new(Exit::Kernel, "x"))
        })
        .unwrap_err();
        assert_eq!(err.msg, "x");
        // So does an error from the id walk itself.
        let ids = vec![Ok(1), Err(Errno(EPERM))].into_iter();
        let err = collect(ids, Ok, |_, f| Ok(f)).unwrap_err();
        assert!(
            err.msg
                .starts_with("listing links: Operation not permitted"),
            "{}",
            err.msg
        );
    }

    #[test]
    fn out_of_range_ids_are_usage_errors() {
        let err = open(OsStr::new("99999999999")).err().unwrap();
        assert_eq!(err.exit, Exit::Usage);
        assert_eq!(
            err.msg,
            "link id 99999999999 is out of range (at most 4294967295)"
        );
        let err = open(OsStr::from_bytes(b"/a\0b")).err().unwrap();
        assert_eq!(err.exit, Exit::Usage);
    }
}
