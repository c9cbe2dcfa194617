//! The gate's own test: the TAP runner and the probe cache of this very
//! module, run in a child process (the test binary again, with
//! `BPFLINK_GATE_SELFTEST` set) on a small suite whose probes are made up
//! here, one that succeeds and counts its calls and one that is refused.
//! The parent reads the child's TAP, exit status and probe log.
//!
//! What it shows: a succeeding probe makes its cases run, so a failing
//! body is a failure and not a skip; the probe runs once a process; a
//! refusal, real or simulated with `BPFLINK_TEST_REFUSE`, skips on one
//! named line and the run passes, also as root; a skip that no probe made
//! fails a run as root; `BPFLINK_PROBE_LOG` gets one line per probe.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::probe::{self, Refusal};
use super::{Run, Skip, Tap, need};

const ENV: &str = "BPFLINK_GATE_SELFTEST";

static CALLS: AtomicU32 = AtomicU32::new(0);

fn succeeds() -> Result<(), Refusal> {
    CALLS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

fn refused() -> Result<(), Refusal> {
    Err(Refusal::new(libc::ENODEV, "open the device"))
}

/// In the child, runs the little suite and returns its exit status; in a
/// normal run, `None`. Call it first thing in `main`.
pub fn child() -> Option<ExitCode> {
    let scenario = std::env::var(ENV).ok()?;
    probe::register("selftest_ok", succeeds);
    probe::register("selftest_refused", refused);
    let mut t = Tap::new("gate_selftest");
    t.case("runs under a succeeding probe", || need(&["selftest_ok"]));
    t.case("fails under a succeeding probe", || {
        need(&["selftest_ok"])?;
        panic!("this body fails on purpose")
    });
    t.case("runs again, the answer cached", || need(&["selftest_ok"]));
    t.case("never runs under a refused probe", || {
        need(&["selftest_refused"])?;
        panic!("ran although its probe was refused")
    });
    if scenario == "plain-skip" {
        t.case("skips for no probe", || {
            Err(Skip::because("no reason a probe gave"))
        });
    }
    t.note(&format!("probe calls: {}", CALLS.load(Ordering::SeqCst)));
    Some(t.done())
}

/// Runs the child: this binary, with `scenario`, `refuse` as
/// BPFLINK_TEST_REFUSE (unset for `None`) and `log` as BPFLINK_PROBE_LOG.
fn run_child(scenario: &str, refuse: Option<&str>, log: &Path) -> Run {
    let mut c = Command::new(std::env::current_exe().expect("current_exe"));
    c.env(ENV, scenario)
        .env("BPFLINK_PROBE_LOG", log)
        .env_remove("BPFLINK_TEST_REFUSE")
        .stdin(Stdio::null());
    if let Some(r) = refuse {
        c.env("BPFLINK_TEST_REFUSE", r);
    }
    Run::from(c.output().expect("running the gate self-test child"))
}

#[track_caller]
fn has_line(r: &Run, line: &str) {
    assert!(
        r.stdout.lines().any(|l| l == line),
        "no line {line:?} in:\n{}{}",
        r.stdout,
        r.stderr
    );
}

fn log_path(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(format!("gate-selftest-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn read_log(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    let _ = std::fs::remove_file(p);
    text
}

/// The parent's cases; `dir` holds the children's probe logs for a moment.
pub fn cases(t: &mut Tap, dir: &Path) {
    let skip_ok = "# SKIP probe selftest_ok: EPERM from simulated refusal (BPFLINK_TEST_REFUSE)";
    let skip_refused =
        "# SKIP probe selftest_refused: ENODEV from open the device (No such device)";

    t.case(
        "gate: a succeeding probe runs its cases; a failing body is a failure, not a skip",
        || {
            let log = log_path(dir, "ok");
            let r = run_child("cases", None, &log);
            assert_eq!(r.code, 1, "the failing case fails the run:\n{}", r.stdout);
            has_line(&r, "ok 1 - runs under a succeeding probe");
            has_line(&r, "not ok 2 - fails under a succeeding probe");
            has_line(&r, "ok 3 - runs again, the answer cached");
            has_line(
                &r,
                &format!("ok 4 - never runs under a refused probe {skip_refused}"),
            );
            has_line(&r, "# gate_selftest: 2 passed, 1 failed, 1 skipped");
            has_line(
                &r,
                "# gate_selftest: skipped capabilities: selftest_refused (ENODEV)",
            );
            // The cache: three cases asked, the probe ran once.
            has_line(&r, "# probe calls: 1");
            assert_eq!(
                read_log(&log),
                "gate_selftest\tselftest_ok\tok\t-\treal\n\
                 gate_selftest\tselftest_refused\tENODEV\topen the device\treal\n",
                "BPFLINK_PROBE_LOG: one line per probe"
            );
            Ok(())
        },
    );

    t.case(
        "gate: a simulated refusal (BPFLINK_TEST_REFUSE) skips by name, the probe never runs, the run passes",
        || {
            let log = log_path(dir, "refuse");
            let r = run_child("cases", Some("selftest_ok"), &log);
            assert_eq!(r.code, 0, "probe skips pass, also as root:\n{}", r.stdout);
            for (n, name) in [
                (1, "runs under a succeeding probe"),
                (2, "fails under a succeeding probe"),
                (3, "runs again, the answer cached"),
            ] {
                has_line(&r, &format!("ok {n} - {name} {skip_ok}"));
            }
            has_line(&r, &format!("ok 4 - never runs under a refused probe {skip_refused}"));
            has_line(&r, "# probe calls: 0");
            has_line(
                &r,
                "# gate_selftest: skipped capabilities: selftest_ok (EPERM), selftest_refused (ENODEV)",
            );
            assert_eq!(
                read_log(&log),
                "gate_selftest\tselftest_ok\tEPERM\tsimulated refusal\tsimulated\n\
                 gate_selftest\tselftest_refused\tENODEV\topen the device\treal\n"
            );
            Ok(())
        },
    );

    t.case("gate: as root, a skip no probe made fails the run", || {
        let log = log_path(dir, "plain");
        let r = run_child("plain-skip", Some("selftest_ok"), &log);
        read_log(&log);
        has_line(
            &r,
            "ok 5 - skips for no probe # SKIP no reason a probe gave",
        );
        let failed = r
            .stdout
            .lines()
            .any(|l| l.starts_with("# gate_selftest: skips are failures when running as root"));
        if super::is_root() {
            assert!(r.code == 1 && failed, "as root:\n{}", r.stdout);
        } else {
            assert!(r.code == 0 && !failed, "as a normal user:\n{}", r.stdout);
        }
        Ok(())
    });
}
