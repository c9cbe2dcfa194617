//! Capability probes (docs/probes.md): what this machine lets the suites
//! do, found out with raw bpf(2), perf_event_open(2), /proc and sysfs,
//! never through bpflink. A probe does what a case needs from the kernel
//! (load the program, make the target, a raw `BPF_LINK_CREATE`) and closes
//! everything it made; its answer is kept for the rest of the process.
//!
//! `BPFLINK_TEST_REFUSE=name[,name...]` makes the named probes answer
//! `EPERM` without asking the kernel. When `BPFLINK_PROBE_LOG` names a
//! file, the first answer of each probe is appended to it as one line:
//! `suite<TAB>name<TAB>ok|ENAME<TAB>step<TAB>real|simulated` (the step of
//! a probe that succeeded is `-`).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use super::bpf;

/// Why a probe failed: the errno and the step that got it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub errno: i32,
    pub step: String,
    /// Made up by `BPFLINK_TEST_REFUSE`; the kernel was not asked.
    pub simulated: bool,
}

impl Refusal {
    pub fn new(errno: i32, step: impl Into<String>) -> Self {
        Self {
            errno,
            step: step.into(),
            simulated: false,
        }
    }

    /// The errno of the last failed libc call, at `step`.
    pub fn last(step: impl Into<String>) -> Self {
        Self::new(errno::errno().0, step)
    }

    /// The errno of an I/O error, at `step`.
    pub fn from_io(e: &std::io::Error, step: impl Into<String>) -> Self {
        Self::new(e.raw_os_error().unwrap_or(libc::EIO), step)
    }

    fn simulation() -> Self {
        Self {
            errno: libc::EPERM,
            step: "simulated refusal".into(),
            simulated: true,
        }
    }

    /// The errno's symbolic name, as glibc spells it (`EPERM`).
    pub fn ename(&self) -> String {
        errno_name(self.errno)
    }
}

/// `EPERM from BPF_PROG_LOAD (Operation not permitted)`; a simulated
/// refusal names the variable instead of the kernel's message.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = if self.simulated {
            "BPFLINK_TEST_REFUSE".to_string()
        } else {
            std::io::Error::from_raw_os_error(self.errno)
                .to_string()
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        write!(f, "{} from {} ({detail})", self.ename(), self.step)
    }
}

macro_rules! errno_names {
    ($e:expr, $($name:ident)*) => {
        match $e {
            $(libc::$name => stringify!($name).to_string(),)*
            524 => "ENOTSUPP".to_string(), // the kernel's own, not in libc
            n => format!("E{n}"),
        }
    };
}

/// The symbolic name of an errno value.
pub fn errno_name(e: i32) -> String {
    errno_names!(e,
        EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN
        ENOMEM EACCES EFAULT EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL
        ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK EPIPE
        EDOM ERANGE EDEADLK ENAMETOOLONG ENOSYS ENOTEMPTY ELOOP ENOMSG
        ENOLINK EPROTO EBADFD EOVERFLOW ENOTSOCK EPROTONOSUPPORT EOPNOTSUPP
        EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENOBUFS ETIMEDOUT
        ECONNREFUSED EALREADY EINPROGRESS ESTALE EDQUOT ECANCELED ENOKEY
        EKEYREJECTED ERFKILL EHWPOISON)
}

type Answer = Result<(), Refusal>;

/// A probe function: asks the kernel for one capability (its doc comment
/// says how) and closes everything it made.
pub type ProbeFn = fn() -> Answer;

struct State {
    suite: &'static str,
    /// Probes added at run time (the gate's self-test).
    extra: Vec<(&'static str, ProbeFn)>,
    cache: BTreeMap<String, Answer>,
}

static STATE: Mutex<State> = Mutex::new(State {
    suite: "rust",
    extra: Vec::new(),
    cache: BTreeMap::new(),
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Names the suite in the probe log (`cli`, `cli_bpftool`, `kernel`).
pub fn set_suite(suite: &'static str) {
    state().suite = suite;
}

/// Adds a probe to the table (for the gate's self-test).
pub fn register(name: &'static str, f: ProbeFn) {
    state().extra.push((name, f));
}

/// The answer of the probe `name`: run on the first question in this
/// process (or refused by `BPFLINK_TEST_REFUSE`), cached after. Threads
/// asking at the same time wait for the one that runs it. A name no probe
/// has is a bug in the suite and panics.
pub fn probe(name: &str) -> Answer {
    let mut st = state();
    if let Some(a) = st.cache.get(name) {
        return a.clone();
    }
    let simulated =
        std::env::var("BPFLINK_TEST_REFUSE").is_ok_and(|v| v.split(',').any(|n| n.trim() == name));
    let answer = if simulated {
        Err(Refusal::simulation())
    } else {
        let f = st
            .extra
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .or_else(|| builtin(name))
            .unwrap_or_else(|| panic!("no probe called {name:?}"));
        f()
    };
    log(st.suite, name, &answer);
    st.cache.insert(name.to_string(), answer.clone());
    answer
}

fn log(suite: &str, name: &str, answer: &Answer) {
    let Some(path) = std::env::var_os("BPFLINK_PROBE_LOG").filter(|p| !p.is_empty()) else {
        return;
    };
    let line = match answer {
        Ok(()) => format!("{suite}\t{name}\tok\t-\treal\n"),
        Err(r) => format!(
            "{suite}\t{name}\t{}\t{}\t{}\n",
            r.ename(),
            r.step,
            if r.simulated { "simulated" } else { "real" }
        ),
    };
    // One write of one short line to a file opened O_APPEND: lines of
    // processes writing at the same time do not mix.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        panic!("BPFLINK_PROBE_LOG {}: {e}", Path::new(&path).display());
    }
}

fn builtin(name: &str) -> Option<ProbeFn> {
    Some(match name {
        "bpf_prog_load" => bpf_prog_load,
        "cgroup2_mount" => cgroup2_mount,
        "link_cgroup" => link_cgroup,
        "link_xdp" => link_xdp,
        "link_tcx" => link_tcx,
        "link_netfilter" => link_netfilter,
        "link_sk_lookup" => link_sk_lookup,
        "link_flow_dissector" => link_flow_dissector,
        "link_perf_event" => link_perf_event,
        "link_perf_event_uprobe" => link_perf_event_uprobe,
        "link_perf_event_tracepoint" => link_perf_event_tracepoint,
        "link_uprobe_multi" => link_uprobe_multi,
        "link_sockmap" => link_sockmap,
        "raw_tracepoint_open" => raw_tracepoint_open,
        "iter_bpf_map" => iter_bpf_map,
        "iter_bpf_map_elem" => iter_bpf_map_elem,
        "iter_task" => iter_task,
        "iter_cgroup" => iter_cgroup,
        "prog_xdp" => prog_xdp,
        "tracefs_mount" => tracefs_mount,
        "bpffs_mount" => bpffs_mount,
        "veth" => veth,
        "bpftool" => bpftool,
        _ => return None,
    })
}

// --- steps ------------------------------------------------------------------

fn at<T>(step: &str, r: Result<T, errno::Errno>) -> Result<T, Refusal> {
    r.map_err(|e| Refusal::new(e.0, step))
}

fn load(prog_type: u32, eat: u32, btf_id: u32) -> Result<OwnedFd, Refusal> {
    at("BPF_PROG_LOAD", bpf::prog_load(prog_type, eat, btf_id, 0))
}

/// A raw BPF_LINK_CREATE, closed again at once.
fn link(prog: &OwnedFd, target: u32, attach_type: u32, tail: &[u8]) -> Answer {
    at(
        "BPF_LINK_CREATE",
        bpf::link_create(prog.as_raw_fd(), target, attach_type, 0, tail),
    )
    .map(drop)
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn u64s(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

/// Runs `f` on a thread of its own that first moves into new namespaces
/// (`flags`: CLONE_NEWNET, CLONE_NEWNS); they go away with the thread, and
/// the rest of the process never sees them.
fn in_own_namespaces(flags: i32, f: impl FnOnce() -> Answer + Send) -> Answer {
    std::thread::scope(|s| {
        s.spawn(|| {
            // Only this thread moves (with a filesystem context of its own
            // for CLONE_NEWNS).
            super::unshare_private(flags)?;
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn lo_ifindex() -> Result<u32, Refusal> {
    // SAFETY: a NUL-terminated name.
    match unsafe { libc::if_nametoindex(c"lo".as_ptr()) } {
        0 => Err(Refusal::last("if_nametoindex(lo)")),
        i => Ok(i),
    }
}

/// An open fd of this thread's network namespace.
fn own_netns() -> Result<std::fs::File, Refusal> {
    std::fs::File::open("/proc/thread-self/ns/net")
        .map_err(|e| Refusal::from_io(&e, "open /proc/thread-self/ns/net"))
}

/// Uprobes of the probes go here; nothing calls it while they exist.
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "C" fn bpflink_probe_uprobe_target(x: u64) -> u64 {
    std::hint::black_box(x) ^ 0x5a
}

fn uprobe_target() -> (CString, u64) {
    let (path, off) = bpf::file_offset(bpflink_probe_uprobe_target as *const () as usize)
        .expect("this test binary maps its own code from a file");
    (CString::new(path).unwrap(), off)
}

/// Mounts a fresh file system of type `fstype` on a new directory, in a
/// mount namespace of a thread of its own, and calls `f` with it; the
/// mount and the directory are gone afterwards.
fn with_private_mount(fstype: &str, f: impl FnOnce(&Path) -> Answer + Send) -> Answer {
    in_own_namespaces(libc::CLONE_NEWNS, || {
        let dir =
            std::env::temp_dir().join(format!("bpflink-probe-{fstype}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).map_err(|e| Refusal::from_io(&e, "mkdir"))?;
        let d = CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let t = CString::new(fstype).unwrap();
        // SAFETY: NUL-terminated strings; no data argument.
        let r = unsafe { libc::mount(t.as_ptr(), d.as_ptr(), t.as_ptr(), 0, std::ptr::null()) };
        let answer = if r != 0 {
            Err(Refusal::last(format!("mount -t {fstype}")))
        } else {
            let answer = f(&dir);
            // SAFETY: a NUL-terminated path.
            unsafe { libc::umount2(d.as_ptr(), libc::MNT_DETACH) };
            answer
        };
        let _ = std::fs::remove_dir(&dir);
        answer
    })
}

/// Calls `f` with the directory of a tracefs: the one mounted already, or
/// a private one for the call.
fn with_tracefs(f: impl FnOnce(&Path) -> Answer + Send) -> Answer {
    match super::mount_point("tracefs") {
        Some(dir) => f(&dir),
        None => with_private_mount("tracefs", f),
    }
}

/// An iterator program for `target` (`bpf_iter_<target>` in vmlinux BTF).
fn iter_prog(target: &str) -> Result<OwnedFd, Refusal> {
    let btf = bpf::vmlinux_btf_id(&format!("bpf_iter_{target}"), bpf::BTF_KIND_FUNC)
        .map_err(|_| Refusal::new(libc::ENOENT, "vmlinux BTF"))?;
    load(bpf::PROG_TRACING, bpf::ATTACH_TRACE_ITER, btf)
}

/// The iterator link of `prog` with `info` (union bpf_iter_link_info).
fn iter_link(prog: &OwnedFd, info: Option<&[u8; 16]>) -> Answer {
    let tail = match info {
        Some(i) => [u64s(&[i.as_ptr() as u64]), u32s(&[16])].concat(),
        None => Vec::new(),
    };
    link(prog, 0, bpf::ATTACH_TRACE_ITER, &tail)
}

fn info_with(words: &[(usize, u32)]) -> [u8; 16] {
    let mut info = [0u8; 16];
    for &(i, v) in words {
        info[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
    }
    info
}

/// An fd as the u32 that bpf_attr fields take.
fn raw(fd: &impl AsRawFd) -> u32 {
    fd.as_raw_fd() as u32
}

// --- the probes -------------------------------------------------------------

/// A two-instruction cgroup_skb program loads.
fn bpf_prog_load() -> Answer {
    load(bpf::PROG_CGROUP_SKB, bpf::ATTACH_CGROUP_INET_INGRESS, 0).map(drop)
}

/// A cgroup2 mount is listed in /proc/self/mountinfo and a child cgroup
/// can be made under it.
fn cgroup2_mount() -> Answer {
    super::Cgroup::create("probe").map(drop)
}

/// A cgroup_skb program is linked to a child cgroup's ingress hook.
fn link_cgroup() -> Answer {
    let p = load(bpf::PROG_CGROUP_SKB, bpf::ATTACH_CGROUP_INET_INGRESS, 0)?;
    let cg = super::Cgroup::create("probe")?;
    link(&p, raw(&cg.dir), bpf::ATTACH_CGROUP_INET_INGRESS, &[])
}

/// An XDP program is linked to lo of a fresh network namespace.
fn link_xdp() -> Answer {
    in_own_namespaces(libc::CLONE_NEWNET, || {
        let p = load(bpf::PROG_XDP, bpf::ATTACH_XDP, 0)?;
        link(&p, lo_ifindex()?, bpf::ATTACH_XDP, &[])
    })
}

/// A sched_cls program is linked to tcx ingress of lo, in a fresh network
/// namespace.
fn link_tcx() -> Answer {
    in_own_namespaces(libc::CLONE_NEWNET, || {
        let p = load(bpf::PROG_SCHED_CLS, bpf::ATTACH_TCX_INGRESS, 0)?;
        link(&p, lo_ifindex()?, bpf::ATTACH_TCX_INGRESS, &[])
    })
}

/// A netfilter program is linked to IPv4 LOCAL_IN, in a fresh network
/// namespace.
fn link_netfilter() -> Answer {
    in_own_namespaces(libc::CLONE_NEWNET, || {
        let p = load(bpf::PROG_NETFILTER, bpf::ATTACH_NETFILTER, 0)?;
        // pf NFPROTO_IPV4, hooknum NF_INET_LOCAL_IN, priority -100, flags 0
        let tail = u32s(&[2, 1, (-100i32) as u32, 0]);
        link(&p, 0, bpf::ATTACH_NETFILTER, &tail)
    })
}

fn netns_link(prog_type: u32, attach_type: u32) -> Answer {
    in_own_namespaces(libc::CLONE_NEWNET, || {
        let p = load(prog_type, attach_type, 0)?;
        link(&p, raw(&own_netns()?), attach_type, &[])
    })
}

/// An sk_lookup program is linked to a fresh network namespace.
fn link_sk_lookup() -> Answer {
    netns_link(bpf::PROG_SK_LOOKUP, bpf::ATTACH_SK_LOOKUP)
}

/// A flow_dissector program is linked to a fresh network namespace.
fn link_flow_dissector() -> Answer {
    netns_link(bpf::PROG_FLOW_DISSECTOR, bpf::ATTACH_FLOW_DISSECTOR)
}

/// A perf_event program is linked to a software event (page faults) of
/// this process.
fn link_perf_event() -> Answer {
    let p = load(bpf::PROG_PERF_EVENT, 0, 0)?;
    let ev = at("perf_event_open", bpf::perf_event_open(1, 2, 0, 0))?;
    link(&p, raw(&ev), bpf::ATTACH_PERF_EVENT, &[])
}

/// A kprobe program is linked to a uprobe perf event on this binary.
fn link_perf_event_uprobe() -> Answer {
    let p = load(bpf::PROG_KPROBE, 0, 0)?;
    let pmu = bpf::uprobe_pmu_type().map_err(|e| Refusal::from_io(&e, "uprobe PMU type"))?;
    let (path, off) = uprobe_target();
    let ev = at(
        "perf_event_open",
        bpf::perf_event_open(pmu, 0, path.as_ptr() as u64, off),
    )?;
    link(&p, raw(&ev), bpf::ATTACH_PERF_EVENT, &[])
}

/// A tracepoint program is linked to the perf event of
/// syscalls/sys_enter_getpid (its id read from a tracefs).
fn link_perf_event_tracepoint() -> Answer {
    with_tracefs(|dir| {
        let p = load(bpf::PROG_TRACEPOINT, 0, 0)?;
        let id: u64 = std::fs::read_to_string(dir.join("events/syscalls/sys_enter_getpid/id"))
            .map_err(|e| Refusal::from_io(&e, "tracepoint id"))?
            .trim()
            .parse()
            .map_err(|_| Refusal::new(libc::EINVAL, "tracepoint id"))?;
        let ev = at("perf_event_open", bpf::perf_event_open(2, id, 0, 0))?;
        link(&p, raw(&ev), bpf::ATTACH_PERF_EVENT, &[])
    })
}

/// A kprobe program is linked as uprobe_multi to one offset of this
/// binary, for every process.
fn link_uprobe_multi() -> Answer {
    let p = load(bpf::PROG_KPROBE, bpf::ATTACH_TRACE_UPROBE_MULTI, 0)?;
    let (path, off) = uprobe_target();
    let offsets = [off];
    // path, offsets, ref_ctr_offsets, cookies, then cnt, flags, pid
    let tail = [
        u64s(&[path.as_ptr() as u64, offsets.as_ptr() as u64, 0, 0]),
        u32s(&[1, 0, 0]),
    ]
    .concat();
    link(&p, 0, bpf::ATTACH_TRACE_UPROBE_MULTI, &tail)
}

/// An sk_skb stream verdict program is linked to a sockmap.
fn link_sockmap() -> Answer {
    let p = load(bpf::PROG_SK_SKB, bpf::ATTACH_SK_SKB_STREAM_VERDICT, 0)?;
    let map = at("BPF_MAP_CREATE", bpf::map_create(bpf::MAP_SOCKMAP, 4, 1))?;
    link(&p, raw(&map), bpf::ATTACH_SK_SKB_STREAM_VERDICT, &[])
}

/// A raw_tracepoint program is attached to sys_enter with
/// BPF_RAW_TRACEPOINT_OPEN (the link it gives is a raw_tracepoint link).
fn raw_tracepoint_open() -> Answer {
    let p = load(bpf::PROG_RAW_TRACEPOINT, 0, 0)?;
    at(
        "BPF_RAW_TRACEPOINT_OPEN",
        bpf::raw_tracepoint_open(p.as_raw_fd(), c"sys_enter", 0),
    )
    .map(drop)
}

/// An iterator over all maps.
fn iter_bpf_map() -> Answer {
    iter_link(&iter_prog("bpf_map")?, None)
}

/// An iterator over the elements of an array map.
fn iter_bpf_map_elem() -> Answer {
    let p = iter_prog("bpf_map_elem")?;
    let map = at("BPF_MAP_CREATE", bpf::map_create(bpf::MAP_ARRAY, 8, 4))?;
    iter_link(&p, Some(&info_with(&[(0, raw(&map))])))
}

/// An iterator over the tasks of this process.
fn iter_task() -> Answer {
    let p = iter_prog("task")?;
    iter_link(&p, Some(&info_with(&[(1, std::process::id())])))
}

/// An iterator over the cgroup2 root alone (order self_only).
fn iter_cgroup() -> Answer {
    let p = iter_prog("cgroup")?;
    let root = super::cgroup2_root().ok_or(Refusal::new(libc::ENOENT, "cgroup2 mount"))?;
    let dir = std::fs::File::open(root).map_err(|e| Refusal::from_io(&e, "open cgroup2 root"))?;
    // BPF_CGROUP_ITER_SELF_ONLY, cgroup_fd
    iter_link(&p, Some(&info_with(&[(0, 1), (1, raw(&dir))])))
}

/// An XDP program loads (no link).
fn prog_xdp() -> Answer {
    load(bpf::PROG_XDP, 0, 0).map(drop)
}

/// tracefs is mounted, or can be mounted privately.
fn tracefs_mount() -> Answer {
    with_tracefs(|_| Ok(()))
}

/// A bpffs can be mounted privately.
fn bpffs_mount() -> Answer {
    with_private_mount("bpf", |_| Ok(()))
}

/// The errno whose message `ip` printed ("RTNETLINK answers: ..."), or
/// EOPNOTSUPP for the kernel's "Unknown device type" (a link kind it does
/// not have).
fn ip_errno(stderr: &str) -> Option<i32> {
    if stderr.contains("Unknown device type") {
        return Some(libc::EOPNOTSUPP);
    }
    let msg = stderr.split("RTNETLINK answers: ").nth(1)?.trim();
    if msg.is_empty() {
        return None;
    }
    (1..134).find(|&e| {
        std::io::Error::from_raw_os_error(e)
            .to_string()
            .starts_with(msg)
    })
}

/// A veth pair can be made (`ip link add ... type veth`), in a fresh
/// network namespace.
fn veth() -> Answer {
    in_own_namespaces(libc::CLONE_NEWNET, || {
        let out = std::process::Command::new("ip")
            .args([
                "link",
                "add",
                "bpflprobe0",
                "type",
                "veth",
                "peer",
                "name",
                "bpflprobe1",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Refusal::from_io(&e, "exec ip"))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(match ip_errno(&stderr) {
            Some(e) => Refusal::new(e, "ip link add type veth"),
            None => Refusal::new(
                libc::EIO,
                format!("ip link add type veth: {}", stderr.trim()),
            ),
        })
    })
}

/// The bpftool found on PATH, if any.
pub fn bpftool_path() -> Option<&'static Path> {
    static PATH: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|d| d.join("bpftool"))
            .find(|p| {
                p.metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    })
    .as_deref()
}

/// A bpftool binary is on PATH and `bpftool version` succeeds.
fn bpftool() -> Answer {
    let path = bpftool_path().ok_or(Refusal::new(libc::ENOENT, "PATH lookup"))?;
    let out = std::process::Command::new(path)
        .arg("version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Refusal::from_io(&e, "exec bpftool"))?;
    if !out.status.success() {
        return Err(Refusal::new(libc::ENOEXEC, "bpftool version"));
    }
    Ok(())
}
