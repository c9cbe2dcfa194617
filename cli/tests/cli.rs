//! The `bpflink` command-line tool, run as a program: arguments, exit
//! codes, messages, JSON well-formedness, and show / list / pin / unpin /
//! update / detach end to end on a cgroup link in a child cgroup, with a
//! private bpffs. TAP output (`harness = false`, see tests/common).
//!
//! As a normal user the kernel cases are one skipped line; the permission
//! case then runs the tool as that user. As root the suite first moves
//! into a mount namespace of its own (bpffs and scratch files vanish with
//! it), and the permission case runs the tool as nobody (setpriv). A
//! kernel case that needs more than a cgroup_skb load names the capability
//! probes it needs (tests/common/probe.rs); when one is refused, the case
//! is skipped on one line that says which and why.
//!
//! The suite also tests the gate itself (tests/common/gate_selftest.rs)
//! and the rule that finds the cgroup2 mount.
//!
//! Its links are made with raw bpf(2) (tests/common/bpf.rs), not with the
//! library the tool runs on.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use common::bpf::{self, ATTACH_CGROUP_INET_INGRESS, ATTACH_PERF_EVENT, obj_id};
use common::{Cgroup, Skip, Tap, need, run_unprivileged};
use serde_json::Value;
use support::{Obj, RunJson, bpflink};

/// A link id no link has: ids are allocated cyclically from 1 and never
/// come near this on a test machine.
const NO_ID: &str = "2147483647";

fn usage_cases() {
    let cases: &[&[&str]] = &[
        &[],
        &["--json"],
        &["frob"],
        &["list", "--frob"],
        &["-x", "list"],
        &["show", "1", "2"],
        &["detach"],
        &["pin", "1"],
        &["unpin"],
        &["update", "1"],
        &["update", "1", "--prog"],
        &["update", "1", "--prog", "abc"],
        &["update", "1", "--prog", "1", "--replace-prog", "-3"],
        &["list", "--prog", "1"],
        &["--json=yes", "list"],
    ];
    for args in cases {
        let r = bpflink(args);
        let line = r.fails(1);
        assert!(line.ends_with("(see bpflink --help)"), "{args:?}: {line}");
    }
    // Checked after parsing, without the hint.
    let r = bpflink(&["show", "99999999999"]);
    assert_eq!(
        r.fails(1),
        "bpflink: link id 99999999999 is out of range (at most 4294967295)"
    );
}

fn help_cases() {
    let first = bpflink(&["--help"]);
    let text = first.succeeds();
    assert!(
        text.starts_with("Usage: bpflink [--json] COMMAND [ARGS]\n"),
        "{text}"
    );
    for args in [
        &["-h"][..],
        &["help"],
        &["list", "--help"],
        &["--json", "help"],
        &["frob", "-h"],
    ] {
        assert_eq!(bpflink(args).succeeds(), text, "{args:?}");
    }
    // Every exit code is documented, in order.
    let codes: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Exit status:")
        .filter_map(|l| {
            l.strip_prefix("  ")
                .and_then(|l| l.split_once("  "))
                .map(|(n, _)| n)
        })
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(
        codes,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8"],
        "{text}"
    );
    for cmd in [
        "list",
        "show LINK",
        "detach LINK",
        "pin LINK PATH",
        "unpin PATH",
        "update LINK --prog ID",
    ] {
        assert!(text.contains(&format!("  {cmd}")), "usage mentions {cmd}");
    }
    // The tool's package and the library's have one version.
    let v = bpflink(&["--version"]);
    assert_eq!(
        v.succeeds(),
        format!("bpflink {}\n", support::library_version())
    );
    assert_eq!(env!("CARGO_PKG_VERSION"), support::library_version());
}

/// Every command, run without privileges, fails with exit 2 and the hint.
fn permission_cases(bin: &str) {
    for args in [
        &["list"][..],
        &["--json", "list"],
        &["show", "1"],
        &["detach", "1"],
        &["pin", "1", "/tmp/x"],
        &["update", "1", "--prog", "1"],
    ] {
        let r = run_unprivileged(bin, args);
        let line = r.fails(2);
        assert!(line.contains("Operation not permitted"), "{args:?}: {line}");
        assert!(
            line.contains("needs root, or CAP_BPF with CAP_SYS_ADMIN"),
            "{args:?}: {line}"
        );
    }
}

/// What the kernel cases share.
struct K {
    fs: String,
    cg: Cgroup,
    p1: OwnedFd,
    p2: OwnedFd,
    p1_id: u32,
    p2_id: u32,
    /// Held: the link lives as long as the fixtures.
    _link: OwnedFd,
    id: u32,
}

impl K {
    fn new() -> Result<Self, String> {
        let fs = common::bpffs("bpffs")?.to_str().unwrap().to_string();
        let cg = Cgroup::new("cli")?;
        let load = || bpf::prog_load(bpf::PROG_CGROUP_SKB, ATTACH_CGROUP_INET_INGRESS, 0, 1);
        let (p1, p2) = (
            load().map_err(|e| e.to_string())?,
            load().map_err(|e| e.to_string())?,
        );
        let link = cgroup_link(&p1, &cg).map_err(|e| format!("cgroup link: {e}"))?;
        let id = obj_id(link.as_raw_fd());
        Ok(Self {
            p1_id: obj_id(p1.as_raw_fd()),
            p2_id: obj_id(p2.as_raw_fd()),
            fs,
            cg,
            p1,
            p2,
            _link: link,
            id,
        })
    }

    fn show(&self) -> Value {
        bpflink(&["--json", "show", &self.id.to_string()]).json()
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.fs)
    }
}

/// A cgroup link of `prog` on `cg`, inet ingress (raw BPF_LINK_CREATE).
fn cgroup_link(prog: &OwnedFd, cg: &Cgroup) -> Result<OwnedFd, errno::Errno> {
    let target = cg.dir.as_raw_fd() as u32;
    bpf::link_create(prog.as_raw_fd(), target, ATTACH_CGROUP_INET_INGRESS, 0, &[])
}

/// The capabilities the shared fixtures ([`K`]) need.
const K_NEEDS: &[&str] = &["cgroup2_mount", "link_cgroup", "bpffs_mount"];

/// The kernel cases on the shared fixtures; when their probes were
/// refused (`k` is the skip), each is reported skipped by name.
fn kernel_cases(t: &mut Tap, k: Result<&K, &Skip>) {
    let (id, p1, p2) = k
        .map(|k| (k.id.to_string(), k.p1_id.to_string(), k.p2_id.to_string()))
        .unwrap_or_default();
    let id = id.as_str();

    t.case(
        "show by id, plain: bpftool's fields for a cgroup link",
        || {
            let k = k.map_err(Skip::clone)?;
            let out = bpflink(&["show", id]);
            let want = format!(
                "{id}: cgroup  prog {p1}\n\tcgroup_id {}  attach_type cgroup_inet_ingress\n",
                k.cg.id
            );
            assert_eq!(out.succeeds(), want);
            Ok(())
        },
    );

    t.case(
        "show by id, JSON: one object with bpftool's field names",
        || {
            let k = k.map_err(Skip::clone)?;
            let j = k.show();
            assert_eq!(
                j.keys(),
                ["id", "type", "prog_id", "cgroup_id", "attach_type"],
                "{j}"
            );
            assert_eq!(j.u64_of("id"), k.id as u64);
            assert_eq!(j.str_of("type"), "cgroup");
            assert_eq!(j.u64_of("prog_id"), k.p1_id as u64);
            assert_eq!(j.u64_of("cgroup_id"), k.cg.id);
            assert_eq!(j.str_of("attach_type"), "cgroup_inet_ingress");
            // --json anywhere; show == list LINK
            for args in [
                &["show", id, "--json"][..],
                &["show", "-j", id],
                &["-j", "list", id],
            ] {
                assert_eq!(bpflink(args).json(), j, "{args:?}");
            }
            Ok(())
        },
    );

    t.case(
        "list: every link once, in id order, ours as show prints it",
        || {
            let k = k.map_err(Skip::clone)?;
            let all = bpflink(&["list", "--json"]).json();
            let items = all.as_array().expect("an array");
            let ids: Vec<u64> = items.iter().map(|o| o.u64_of("id")).collect();
            assert!(
                ids.windows(2).all(|w| w[0] < w[1]),
                "increasing ids: {ids:?}"
            );
            for o in items {
                assert!(o.get("type").is_some() && o.get("prog_id").is_some(), "{o}");
            }
            let ours = items
                .iter()
                .find(|o| o.u64_of("id") == k.id as u64)
                .expect("our link listed");
            assert_eq!(*ours, k.show());
            let plain = bpflink(&["list"]);
            let text = plain.succeeds();
            assert!(text.contains(&bpflink(&["show", id]).stdout), "{text}");
            // Header lines "ID: TYPE  prog N" (other links come and go on a
            // shared machine: each listing is checked on its own).
            for l in text.lines().filter(|l| !l.starts_with('\t')) {
                let (lid, rest) = l.split_once(": ").unwrap_or_else(|| panic!("header: {l}"));
                assert!(lid.parse::<u32>().is_ok(), "{l}");
                let f: Vec<&str> = rest.split("  ").collect();
                assert!(
                    f.len() == 2 && (f[1].starts_with("prog ") || f[1].starts_with("map ")),
                    "{l}"
                );
            }
            Ok(())
        },
    );

    t.case("no such link id, program id or path: exit 3", || {
        let k = k.map_err(Skip::clone)?;
        let none = k.path("none");
        let cases: &[(&[&str], String)] = &[
            (
                &["show", NO_ID],
                format!("bpflink: no link with id {NO_ID}"),
            ),
            (
                &["detach", NO_ID],
                format!("bpflink: no link with id {NO_ID}"),
            ),
            (
                &["pin", NO_ID, &k.path("x")],
                format!("bpflink: no link with id {NO_ID}"),
            ),
            (
                &["update", NO_ID, "--prog", &p2],
                format!("bpflink: no link with id {NO_ID}"),
            ),
            (
                &["update", id, "--prog", NO_ID],
                format!("bpflink: no program with id {NO_ID}"),
            ),
            (
                &["update", id, "--prog", &p2, "--replace-prog", NO_ID],
                format!("bpflink: no program with id {NO_ID}"),
            ),
            (
                &["show", &none],
                format!("bpflink: {none}: No such file or directory"),
            ),
            (
                &["unpin", &none],
                format!("bpflink: {none}: No such file or directory"),
            ),
            (
                &["pin", id, &k.path("nodir/x")],
                format!("bpflink: {}: No such file or directory", k.path("nodir")),
            ),
        ];
        for (args, want) in cases {
            assert_eq!(bpflink(args).fails(3), want, "{args:?}");
        }
        assert_eq!(
            k.show().u64_of("prog_id"),
            k.p1_id as u64,
            "nothing changed"
        );
        Ok(())
    });

    t.case("path not on a bpffs: exit 4, nothing touched", || {
        k.map_err(Skip::clone)?; // the link made by the fixtures
        let file = common::scratch().join("not-bpffs");
        let file = file.to_str().unwrap();
        fs::write(file, "x").unwrap();
        for args in [
            &["show", file][..],
            &["detach", file],
            &["unpin", file],
            &["update", file, "--prog", &p2],
        ] {
            assert_eq!(
                bpflink(args).fails(4),
                format!("bpflink: {file}: not on a BPF filesystem (bpffs)"),
                "{args:?}"
            );
        }
        assert!(Path::new(file).exists(), "unpin left the file alone");
        let here = common::scratch().join("pin-here");
        let here = here.to_str().unwrap();
        let r = bpflink(&["pin", id, here]);
        assert_eq!(
            r.fails(4),
            format!("bpflink: {here}: not on a BPF filesystem (bpffs)")
        );
        assert!(!Path::new(here).exists());
        fs::remove_file(file).unwrap();
        Ok(())
    });

    t.case(
        "a pinned program or a directory is not a link: exit 5, nothing touched",
        || {
            let k = k.map_err(Skip::clone)?;
            let prog = k.path("prog");
            bpf::obj_pin(k.p1.as_raw_fd(), &prog).expect("BPF_OBJ_PIN of a program");
            let want =
                format!("bpflink: {prog}: not a link (another kind of BPF object is pinned there)");
            for args in [
                &["show", &prog][..],
                &["detach", &prog],
                &["unpin", &prog],
                &["update", &prog, "--prog", &p2],
                &["pin", &prog, &k.path("again")],
            ] {
                assert_eq!(bpflink(args).fails(5), want, "{args:?}");
            }
            assert!(Path::new(&prog).exists(), "unpin left the program pinned");
            fs::remove_file(&prog).unwrap();
            let dir = k.path("dir");
            fs::create_dir(&dir).unwrap();
            assert_eq!(
                bpflink(&["show", &dir]).fails(5),
                format!("bpflink: {dir}: is a directory, not a link")
            );
            fs::remove_dir(&dir).unwrap();
            Ok(())
        },
    );

    t.case("pin, show by path, pin twice, unpin", || {
        let k = k.map_err(Skip::clone)?;
        let pin = k.path("link");
        assert_eq!(bpflink(&["pin", id, &pin]).succeeds(), "");
        assert!(Path::new(&pin).exists());
        assert_eq!(
            bpflink(&["show", &pin, "--json"]).json(),
            k.show(),
            "same link by path and id"
        );
        let plain = bpflink(&["show", &pin]);
        assert_eq!(plain.succeeds(), bpflink(&["show", id]).stdout);
        assert_eq!(
            bpflink(&["pin", id, &pin]).fails(6),
            format!("bpflink: {pin}: pin: File exists")
        );
        // Pin by path: a second pin of the same link.
        let pin2 = k.path("link2");
        assert_eq!(bpflink(&["--json", "pin", &pin, &pin2]).json(), Value::Null);
        assert_eq!(
            bpflink(&["show", &pin2, "-j"]).json().u64_of("id"),
            k.id as u64
        );
        assert_eq!(bpflink(&["unpin", &pin]).succeeds(), "");
        assert_eq!(bpflink(&["unpin", &pin2, "--json"]).json(), Value::Null);
        assert!(!Path::new(&pin).exists() && !Path::new(&pin2).exists());
        assert_eq!(
            bpflink(&["unpin", &pin]).fails(3),
            format!("bpflink: {pin}: No such file or directory")
        );
        Ok(())
    });

    t.case(
        "update: by id and path, with and without --replace-prog",
        || {
            let k = k.map_err(Skip::clone)?;
            assert_eq!(bpflink(&["update", id, "--prog", &p2]).succeeds(), "");
            assert_eq!(k.show().u64_of("prog_id"), k.p2_id as u64);
            // The link runs p2, so replacing p1 is refused; nothing changes.
            let r = bpflink(&["update", id, "--prog", &p1, "--replace-prog", &p1]);
            assert_eq!(
                r.fails(8),
                format!(
                    "bpflink: link {id}: runs program {p2}, not {p1} (--replace-prog); not updated"
                )
            );
            assert_eq!(k.show().u64_of("prog_id"), k.p2_id as u64);
            assert_eq!(
                bpflink(&["update", id, "--replace-prog", &p2, "--prog", &p1]).succeeds(),
                ""
            );
            assert_eq!(k.show().u64_of("prog_id"), k.p1_id as u64);
            // By path, JSON.
            let pin = k.path("upd");
            bpflink(&["pin", id, &pin]).succeeds();
            assert_eq!(
                bpflink(&["--json", "update", &pin, "--prog", &p2]).json(),
                Value::Null
            );
            assert_eq!(k.show().u64_of("prog_id"), k.p2_id as u64);
            assert_eq!(
                bpflink(&["update", &pin, "--prog", &p1, "--replace-prog", &p2, "-j"]).json(),
                Value::Null
            );
            assert_eq!(k.show().u64_of("prog_id"), k.p1_id as u64);
            bpflink(&["unpin", &pin]).succeeds();
            Ok(())
        },
    );

    t.case(
        "update to a program of another type: the kernel refuses, exit 6",
        || {
            let k = k.map_err(Skip::clone)?;
            need(&["prog_xdp"])?;
            let xdp = bpf::prog_load(bpf::PROG_XDP, 0, 0, 2).unwrap();
            let x = obj_id(xdp.as_raw_fd()).to_string();
            let line = bpflink(&["update", id, "--prog", &x]).fails(6).to_string();
            assert!(
                line.starts_with(&format!(
                    "bpflink: link {id}: update to program {x}: Invalid argument"
                )),
                "{line}"
            );
            assert_eq!(k.show().u64_of("prog_id"), k.p1_id as u64);
            Ok(())
        },
    );

    t.case("links that cannot be detached: exit 7 (perf_event)", || {
        need(&["link_perf_event"])?;
        let prog = bpf::prog_load(bpf::PROG_PERF_EVENT, 0, 0, 0).unwrap();
        // Not cpu-clock: 6.18 reports that one with its own PMU's type.
        let ev = bpf::perf_event_open(1 /* software */, 2 /* page-faults */, 0, 0).unwrap();
        // perf_event { bpf_cookie 7 }.
        let target = ev.as_raw_fd() as u32;
        let cookie = 7u64.to_ne_bytes();
        let l = bpf::link_create(prog.as_raw_fd(), target, ATTACH_PERF_EVENT, 0, &cookie).unwrap();
        let lid = obj_id(l.as_raw_fd()).to_string();
        let line = bpflink(&["detach", &lid]).fails(7).to_string();
        assert_eq!(
            line,
            format!(
                "bpflink: link {lid}: perf_event links cannot be detached (Operation not supported)"
            )
        );
        let j = bpflink(&["show", &lid, "--json"]).json();
        assert_eq!(j.str_of("type"), "perf_event");
        assert_eq!(j.str_of("event_type"), "software");
        assert_eq!(j.str_of("event_config"), "page-faults");
        assert_eq!(j.u64_of("cookie"), 7);
        assert_eq!(
            bpflink(&["show", &lid]).succeeds(),
            format!(
                "{lid}: perf_event  prog {}\n\tevent software:page-faults  cookie 7\n",
                obj_id(prog.as_raw_fd())
            )
        );
        Ok(())
    });

    t.case(
        "detach by path: the link stays, defunct, with cgroup_id 0",
        || {
            let k = k.map_err(Skip::clone)?;
            let pin = k.path("det");
            bpflink(&["pin", id, &pin]).succeeds();
            assert_eq!(bpflink(&["detach", &pin, "--json"]).json(), Value::Null);
            let j = k.show();
            assert_eq!(j.u64_of("cgroup_id"), 0, "{j}");
            assert_eq!(j.str_of("attach_type"), "cgroup_inet_ingress");
            assert_eq!(
                bpflink(&["show", &pin]).succeeds(),
                format!(
                    "{id}: cgroup  prog {p1}\n\tcgroup_id 0  attach_type cgroup_inet_ingress\n"
                )
            );
            bpflink(&["unpin", &pin]).succeeds();
            Ok(())
        },
    );
}

/// `bpflink list` while another thread keeps creating and closing links:
/// links vanish between the id walk and their open; every run succeeds.
fn churn_case(k: &K) {
    /// Stops the churning thread however the listing loop ends.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let made = s.spawn(|| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                drop(cgroup_link(&k.p2, &k.cg).expect("churn link"));
                n += 1;
            }
            n
        });
        let guard = Stop(&stop);
        for i in 0..40 {
            let args: &[&str] = if i % 2 == 0 {
                &["--json", "list"]
            } else {
                &["list"]
            };
            let r = bpflink(args);
            if i % 2 == 0 {
                r.json();
            } else {
                r.succeeds();
            }
        }
        drop(guard);
        assert!(made.join().unwrap() > 0, "links were made meanwhile");
    });
}

/// The rule that finds the cgroup2 mount, on a made-up mountinfo: v1
/// hierarchies and a tmpfs come first, the mount point has an escaped
/// space, and a later cgroup2 line does not count.
fn cgroup2_rule_case() {
    let text = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n\
        41 31 0:38 / /run/my\\040cgroup2 rw,relatime shared:10 - cgroup2 cgroup2 rw\n\
        42 31 0:39 / /mnt/other rw - cgroup2 cgroup2 rw\n";
    assert_eq!(
        common::mount_point_in(text, "cgroup2").as_deref(),
        Some(Path::new("/run/my cgroup2"))
    );
    assert_eq!(
        common::mount_point_in(text, "tmpfs").as_deref(),
        Some(Path::new("/sys/fs/cgroup"))
    );
    // "cgroup" is not a prefix match of "cgroup2", nor the reverse.
    assert_eq!(
        common::mount_point_in(text, "cgroup").as_deref(),
        Some(Path::new("/sys/fs/cgroup/cpu"))
    );
    assert_eq!(common::mount_point_in(text, "tracefs"), None);
    assert_eq!(common::mount_point_in(b"", "cgroup2"), None);
}

fn main() -> ExitCode {
    if let Some(code) = common::gate_selftest::child() {
        return code;
    }
    let mut t = Tap::new("cli");
    t.case(
        "the suites read JSON with serde_json, refusing repeated keys",
        || {
            support::parse_self_test();
            Ok(())
        },
    );
    t.case("usage errors: exit 1, one line on stderr", || {
        usage_cases();
        Ok(())
    });
    t.case("--help, help and --version", || {
        help_cases();
        Ok(())
    });
    t.case(
        "cgroup2 mount: the first cgroup2 line of mountinfo, escapes undone",
        || {
            cgroup2_rule_case();
            Ok(())
        },
    );
    common::gate_selftest::cases(&mut t, &std::env::temp_dir());

    let gate = common::kernel_gate();
    if !common::is_root() {
        t.case(
            "no permission: exit 2 with a hint, for every command",
            || {
                permission_cases(support::bin());
                Ok(())
            },
        );
        t.case("kernel tests", || gate.clone());
        return t.done();
    }

    // Root from here on: a private mount namespace with a private scratch tmpfs.
    if let Err(e) = common::private_namespaces(false) {
        t.case("private mount namespace", || panic!("{e}"));
        return t.done();
    }
    t.case(
        "no permission: exit 2 with a hint, for every command (as nobody)",
        || {
            // A copy nobody can surely run, whatever the checkout's modes.
            let copy = common::scratch().join("bpflink-bin");
            fs::create_dir(&copy).unwrap();
            let bin = format!("{}/bpflink", copy.display());
            fs::copy(support::bin(), &bin).unwrap();
            permission_cases(&bin);
            Ok(())
        },
    );
    // With the kernel's or the fixtures' capabilities refused, each case
    // below is a named skip.
    let k = match gate.and_then(|()| need(K_NEEDS)) {
        Err(skip) => Err(skip),
        Ok(()) => match K::new() {
            Ok(k) => Ok(k),
            Err(e) => {
                t.case("kernel fixtures", || panic!("{e}"));
                return t.done();
            }
        },
    };
    kernel_cases(&mut t, k.as_ref());
    t.case("links that vanish during list are skipped", || {
        churn_case(k.as_ref().map_err(Skip::clone)?);
        Ok(())
    });
    let id = k.as_ref().map(|k| k.id).map_err(Skip::clone);
    drop(k);
    t.case("nothing left behind: the suite's links are gone", || {
        let id = id.clone()?;
        common::wait_links_gone(&[id]).unwrap_or_else(|left| panic!("links still there: {left:?}"));
        Ok(())
    });
    t.done()
}
