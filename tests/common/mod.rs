//! Shared by the kernel test suites: the library's `tests/kernel.rs`, and
//! the command-line tool's `cli/tests/cli.rs` and `cli/tests/cli_bpftool.rs`
//! (which include this module by path, beside their own `support`): a
//! small TAP runner, running programs, kernel fixtures made with raw
//! bpf(2) and friends, and the capability probes that decide what this
//! machine can do ([`probe`], docs/probes.md). Nothing here needs more
//! than the library's own dependencies (libc, errno).
//!
//! The suites are `harness = false` test binaries: they run single-threaded
//! from `main`, which lets them `unshare` a mount (and network) namespace
//! of their own before anything else, so bpffs and tracefs mounts, scratch
//! files and network devices vanish with the process whatever happens.
//! Cgroup directories are the only fixtures outside; [`Cgroup`] removes
//! its own on drop and stale ones of dead test processes at creation.

#![allow(dead_code)]

pub mod bpf;
pub mod gate_selftest;
pub mod probe;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::Mutex;

/// Why a case did not run: a refused capability probe, or anything else.
#[derive(Clone, Debug)]
pub struct Skip {
    why: String,
    /// The probe's name and errno name, for a probe's refusal.
    probe: Option<(String, String)>,
}

impl Skip {
    /// A skip for another reason than a probe (as root, it fails the run).
    pub fn because(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            probe: None,
        }
    }

    /// The skip of a case that needs the capability `name`, refused.
    pub fn refused(name: &str, r: &probe::Refusal) -> Self {
        Self {
            why: format!("probe {name}: {r}"),
            probe: Some((name.to_string(), r.ename())),
        }
    }

    /// The text after "# SKIP ".
    pub fn why(&self) -> &str {
        &self.why
    }
}

/// Asks the probes of `names` in order; the first refusal is the skip.
/// For a case body: `common::need(&["iter_task"])?;`.
pub fn need(names: &[&str]) -> Result<(), Skip> {
    for name in names {
        probe::probe(name).map_err(|r| Skip::refused(name, &r))?;
    }
    Ok(())
}

/// TAP output ("ok N - name", "not ok N - name", "# SKIP"), plan at the
/// end. A failing assertion (a panic) fails the case, with its message as
/// "# " lines. As root, a skipped case fails the suite, as in tests-c,
/// unless a capability probe refused it ([`need`]).
pub struct Tap {
    suite: &'static str,
    n: u32,
    failed: u32,
    skipped: u32,
    /// Skips not made by a probe.
    other_skips: u32,
    /// Capabilities whose refusal skipped a case, with the errno name.
    refused: BTreeMap<String, String>,
    filters: Vec<String>,
}

static PANIC_MSG: Mutex<Option<String>> = Mutex::new(None);

impl Tap {
    /// Arguments not starting with '-' filter cases by substring (cargo
    /// passes its own flags too; they are ignored). `suite` also names the
    /// suite in the probe log.
    pub fn new(suite: &'static str) -> Self {
        probe::set_suite(suite);
        panic::set_hook(Box::new(|info| {
            let loc = info
                .location()
                .map(|l| format!("{}:{}: ", l.file(), l.line()))
                .unwrap_or_default();
            let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "panic".into()
            };
            *PANIC_MSG.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{loc}{msg}"));
        }));
        let filters = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Self {
            suite,
            n: 0,
            failed: 0,
            skipped: 0,
            other_skips: 0,
            refused: BTreeMap::new(),
            filters,
        }
    }

    fn selected(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    /// Runs one case.
    pub fn case(&mut self, name: &str, f: impl FnOnce() -> Result<(), Skip>) {
        if !self.selected(name) {
            return;
        }
        self.n += 1;
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        let _ = std::io::stdout().flush();
        match r {
            Ok(Ok(())) => println!("ok {} - {name}", self.n),
            Ok(Err(skip)) => {
                self.skipped += 1;
                match skip.probe {
                    Some((probe, ename)) => {
                        self.refused.insert(probe, ename);
                    }
                    None => self.other_skips += 1,
                }
                println!("ok {} - {name} # SKIP {}", self.n, skip.why);
            }
            Err(_) => {
                self.failed += 1;
                println!("not ok {} - {name}", self.n);
                let msg = PANIC_MSG.lock().unwrap_or_else(|e| e.into_inner()).take();
                for line in msg.unwrap_or_default().lines() {
                    println!("#   {line}");
                }
            }
        }
    }

    /// A comment line in the output.
    pub fn note(&self, text: &str) {
        for line in text.lines() {
            println!("# {line}");
        }
    }

    /// Prints the plan and the totals; the suite's exit status.
    pub fn done(self) -> ExitCode {
        remove_scratch();
        println!("1..{}", self.n);
        let passed = self.n - self.failed - self.skipped;
        println!(
            "# {}: {} passed, {} failed, {} skipped",
            self.suite, passed, self.failed, self.skipped
        );
        if !self.refused.is_empty() {
            let caps: Vec<String> = self
                .refused
                .iter()
                .map(|(name, ename)| format!("{name} ({ename})"))
                .collect();
            println!(
                "# {}: skipped capabilities: {}",
                self.suite,
                caps.join(", ")
            );
        }
        if is_root() && self.other_skips > 0 {
            println!(
                "# {}: skips are failures when running as root, unless a capability probe refused the case",
                self.suite
            );
            return ExitCode::FAILURE;
        }
        if self.failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether this process can run the kernel tests: root, and the
/// `bpf_prog_load` probe succeeds. Else the skip, one line.
pub fn kernel_gate() -> Result<(), Skip> {
    if !is_root() {
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        return Err(Skip::because(format!(
            "kernel tests need root (euid {euid})"
        )));
    }
    need(&["bpf_prog_load"])
}

/// The result of one run of a tool.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Exits `code`, prints nothing on stdout and exactly one line, starting
    /// "bpflink: ", on stderr; returns that line.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        assert_eq!(self.stdout, "", "nothing on stdout when failing");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr: {:?}", self.stderr);
        assert!(self.stderr.ends_with('\n'));
        assert!(lines[0].starts_with("bpflink: "), "prefix: {}", lines[0]);
        lines[0]
    }

    /// Exits 0 with nothing on stderr; returns stdout.
    #[track_caller]
    pub fn succeeds(&self) -> &str {
        assert_eq!(self.code, 0, "exit code; stderr: {}", self.stderr);
        assert_eq!(self.stderr, "", "nothing on stderr");
        &self.stdout
    }
}

/// Runs `prog args...` and collects its output.
pub fn run(prog: &str, args: &[&str]) -> Run {
    let o = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {prog}: {e}"));
    Run::from(o)
}

/// Runs `prog args...` as user and group 65534 with no supplementary
/// groups (through setpriv), or directly when not root.
pub fn run_unprivileged(prog: &str, args: &[&str]) -> Run {
    if !is_root() {
        return run(prog, args);
    }
    let mut a = vec!["--reuid=65534", "--regid=65534", "--clear-groups", prog];
    a.extend_from_slice(args);
    run("setpriv", &a)
}

fn errno_msg(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn c(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// Moves this process into mount (and, with `net`, network) namespaces
/// of its own, with no mount propagation back to the host, and mounts a
/// tmpfs on a fresh directory under the system's temp dir: the [`scratch`]
/// space, whose files vanish with the process ([`TapRun::done`] unmounts it
/// and removes the directory). /tmp itself is left alone: the binary under
/// test may live there (a checkout under /tmp). Must run before any thread
/// is started.
pub fn private_namespaces(net: bool) -> Result<(), String> {
    let mut flags = libc::CLONE_NEWNS;
    if net {
        flags |= libc::CLONE_NEWNET;
    }
    unshare_private(flags)
        .map_err(|r| format!("{}: {}", r.step, std::io::Error::from_raw_os_error(r.errno)))?;
    let dir = std::env::temp_dir().join(format!("bpflink-tests-{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    mount("tmpfs", dir.to_str().unwrap(), "tmpfs")?;
    SCRATCH
        .set(dir)
        .map_err(|_| "private_namespaces called twice".to_string())?;
    if net {
        let r = run("ip", &["link", "set", "lo", "up"]);
        if r.code != 0 {
            return Err(format!("ip link set lo up: {}", r.stderr.trim()));
        }
    }
    Ok(())
}

/// unshare(`flags`) for the calling thread; with CLONE_NEWNS, every mount
/// is then made private, so that nothing mounted afterwards propagates
/// back to the host. On failure, the errno and the step.
pub fn unshare_private(flags: i32) -> Result<(), probe::Refusal> {
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(probe::Refusal::last("unshare"));
    }
    if flags & libc::CLONE_NEWNS == 0 {
        return Ok(());
    }
    // SAFETY: NUL-terminated strings; MS_REC|MS_PRIVATE takes no data.
    let r = unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            core::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            core::ptr::null(),
        )
    };
    if r != 0 {
        return Err(probe::Refusal::last("mount --make-rprivate /"));
    }
    Ok(())
}

static SCRATCH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The private scratch directory made by [`private_namespaces`].
pub fn scratch() -> &'static Path {
    SCRATCH.get().expect("private_namespaces() first")
}

/// Unmounts the scratch tmpfs (and whatever is mounted below it) and
/// removes its directory from the host's temp dir.
fn remove_scratch() {
    if let Some(dir) = SCRATCH.get() {
        let d = c(dir);
        // SAFETY: a NUL-terminated path; MNT_DETACH takes no other input.
        unsafe { libc::umount2(d.as_ptr(), libc::MNT_DETACH) };
        let _ = std::fs::remove_dir(dir);
    }
}

/// mount -t fstype source target (in this process's mount namespace).
pub fn mount(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let (s, t, f) = (
        CString::new(source).unwrap(),
        CString::new(target).unwrap(),
        CString::new(fstype).unwrap(),
    );
    // SAFETY: NUL-terminated strings; no data argument.
    if unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), 0, core::ptr::null()) } != 0 {
        return Err(errno_msg(&format!("mount -t {fstype} {target}")));
    }
    Ok(())
}

/// A fresh bpffs mounted on a new directory of the [`scratch`] space
/// (call [`private_namespaces`] first so that it stays private).
pub fn bpffs(name: &str) -> Result<PathBuf, String> {
    let dir = scratch().join(name);
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    mount("bpf", dir.to_str().unwrap(), "bpf")?;
    Ok(dir)
}

/// Where the first file system of type `fstype` is mounted, from
/// /proc/self/mountinfo (see [`mount_point_in`]).
pub fn mount_point(fstype: &str) -> Option<PathBuf> {
    mount_point_in(&std::fs::read("/proc/self/mountinfo").ok()?, fstype)
}

/// In the text of a mountinfo file, the first line whose file-system type
/// (the first field after " - ") is `fstype`; its mount point is field 5,
/// with the kernel's octal escapes (`\040` for a space) undone.
pub fn mount_point_in(mountinfo: &[u8], fstype: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    for line in mountinfo.split(|&b| b == b'\n') {
        let Some(sep) = line.windows(3).position(|w| w == b" - ") else {
            continue;
        };
        if line[sep + 3..].split(|&b| b == b' ').next() != Some(fstype.as_bytes()) {
            continue;
        }
        let field = line[..sep].split(|&b| b == b' ').nth(4)?;
        let mut path = Vec::with_capacity(field.len());
        let mut i = 0;
        while i < field.len() {
            let octal = field
                .get(i + 1..i + 4)
                .filter(|d| field[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
            match octal {
                Some(d) => {
                    path.push(d.iter().fold(0u32, |v, c| (v << 3) | u32::from(c - b'0')) as u8);
                    i += 4;
                }
                None => {
                    path.push(field[i]);
                    i += 1;
                }
            }
        }
        return Some(PathBuf::from(std::ffi::OsString::from_vec(path)));
    }
    None
}

/// The cgroup2 mount (found once per process; see [`mount_point`]).
pub fn cgroup2_root() -> Option<&'static Path> {
    static ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| mount_point("cgroup2")).as_deref()
}

/// A child cgroup (v2) for the duration of a test.
pub struct Cgroup {
    pub path: PathBuf,
    pub dir: std::fs::File,
    /// The kernel's cgroup id: the directory's inode number on cgroup2.
    pub id: u64,
}

impl Cgroup {
    /// Creates `<cgroup2 mount>/bpflink-<name>-<pid>`, after removing any
    /// `bpflink-<name>-<pid>` left by a test process that no longer exists.
    pub fn new(name: &str) -> Result<Self, String> {
        Self::create(name).map_err(|r| format!("child cgroup bpflink-{name}: {r}"))
    }

    /// [`Cgroup::new`], failing with the errno and the step (for probes).
    pub fn create(name: &str) -> Result<Self, probe::Refusal> {
        use probe::Refusal;
        let root = cgroup2_root().ok_or(Refusal::new(libc::ENOENT, "cgroup2 mount"))?;
        let prefix = format!("bpflink-{name}-");
        if let Ok(rd) = std::fs::read_dir(root) {
            for e in rd.flatten() {
                let f = e.file_name();
                let f = f.to_string_lossy();
                if let Some(pid) = f.strip_prefix(&prefix) {
                    let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
                    if is_pid && !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = std::fs::remove_dir(e.path());
                    }
                }
            }
        }
        let path = root.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| Refusal::from_io(&e, "mkdir"))?;
        let dir = match std::fs::File::open(&path) {
            Ok(dir) => dir,
            Err(e) => {
                let _ = std::fs::remove_dir(&path);
                return Err(Refusal::from_io(&e, "open"));
            }
        };
        use std::os::unix::fs::MetadataExt;
        let id = dir.metadata().map(|m| m.ino()).unwrap_or(0);
        Ok(Self { path, dir, id })
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // A cgroup is busy for a moment after its last link goes away.
        for _ in 0..100 {
            match std::fs::remove_dir(&self.path) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                _ => break,
            }
        }
    }
}

/// Waits (up to about 2 s) until none of `ids` is a link any more: the
/// kernel frees closed links after an RCU grace period.
pub fn wait_links_gone(ids: &[u32]) -> Result<(), Vec<u32>> {
    let mut left = ids.to_vec();
    for _ in 0..200 {
        left.retain(|&id| bpflink::link::fd_by_id(id, &Default::default()).is_ok());
        if left.is_empty() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(left)
}
