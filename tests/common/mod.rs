//! Shared by the CLI test suites (`tests/cli.rs`, `tests/cli_bpftool.rs`):
//! a small TAP runner, a strict JSON parser, running the built `bpflink`,
//! and kernel fixtures made with raw bpf(2) and friends.
//!
//! The suites are `harness = false` test binaries: they run single-threaded
//! from `main`, which lets them `unshare` a mount (and network) namespace
//! of their own before anything else, so bpffs and tracefs mounts, scratch
//! files and network devices vanish with the process whatever happens.
//! Cgroup directories are the only fixtures outside; [`Cgroup`] removes
//! its own on drop and stale ones of dead test processes at creation.

#![allow(dead_code)]

pub mod bpf;
pub mod json;

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::Mutex;

/// Why a case did not run.
pub struct Skip(pub String);

/// TAP output ("ok N - name", "not ok N - name", "# SKIP"), plan at the
/// end. A failing assertion (a panic) fails the case, with its message as
/// "# " lines. As root, a skipped case fails the suite, as in tests-c.
pub struct Tap {
    suite: &'static str,
    n: u32,
    failed: u32,
    skipped: u32,
    filters: Vec<String>,
}

static PANIC_MSG: Mutex<Option<String>> = Mutex::new(None);

impl Tap {
    /// Arguments not starting with '-' filter cases by substring (cargo
    /// passes its own flags too; they are ignored).
    pub fn new(suite: &'static str) -> Self {
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
            Ok(Err(Skip(why))) => {
                self.skipped += 1;
                println!("ok {} - {name} # SKIP {why}", self.n);
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
        if is_root() && self.skipped > 0 {
            println!("# {}: skips are failures when running as root", self.suite);
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

/// `None` when this process can run the kernel tests, else why not (one
/// line): not root, or root but refused a BPF program load.
pub fn kernel_unavailable() -> Option<String> {
    if !is_root() {
        // SAFETY: geteuid has no preconditions.
        return Some(format!("kernel tests need root (euid {})", unsafe {
            libc::geteuid()
        }));
    }
    match bpf::prog_load(bpf::PROG_CGROUP_SKB, 0, 0, 1) {
        Ok(_) => None,
        Err(e) => Some(format!("root cannot load a BPF program: {e}")),
    }
}

/// The built command-line tool.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bpflink")
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

    /// Succeeds and prints one JSON document; returns it parsed.
    #[track_caller]
    pub fn json(&self) -> json::Json {
        let out = self.succeeds();
        assert!(
            out.ends_with('\n') && out.matches('\n').count() == 1,
            "one line: {out:?}"
        );
        json::parse(out).unwrap_or_else(|e| panic!("malformed JSON ({e}): {out}"))
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

/// Runs the tool under test.
pub fn bpflink(args: &[&str]) -> Run {
    run(bin(), args)
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
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(errno_msg("unshare"));
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
        return Err(errno_msg("mount --make-rprivate /"));
    }
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

/// A child cgroup (v2) for the duration of a test.
pub struct Cgroup {
    pub path: PathBuf,
    pub dir: std::fs::File,
    /// The kernel's cgroup id: the directory's inode number on cgroup2.
    pub id: u64,
}

pub const CGROUP_ROOT: &str = "/sys/fs/cgroup/unified";

impl Cgroup {
    /// Creates `/sys/fs/cgroup/unified/bpflink-<name>-<pid>`, after
    /// removing any `bpflink-<name>-<pid>` left by a test process that no
    /// longer exists.
    pub fn new(name: &str) -> Result<Self, String> {
        let prefix = format!("bpflink-{name}-");
        if let Ok(rd) = std::fs::read_dir(CGROUP_ROOT) {
            for e in rd.flatten() {
                let f = e.file_name();
                let f = f.to_string_lossy();
                if let Some(pid) = f.strip_prefix(&prefix) {
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = std::fs::remove_dir(e.path());
                    }
                }
            }
        }
        let path = PathBuf::from(format!("{CGROUP_ROOT}/{prefix}{}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| format!("mkdir {}: {e}", path.display()))?;
        let dir =
            std::fs::File::open(&path).map_err(|e| format!("open {}: {e}", path.display()))?;
        use std::os::unix::fs::MetadataExt;
        let id = dir.metadata().map_err(|e| e.to_string())?.ino();
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
