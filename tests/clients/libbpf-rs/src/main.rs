//! A libbpf-rs program, as a client of libbpf for tests-c/check_preload.sh.
//!
//! It does what an ordinary libbpf-rs user does: opens and loads the
//! clang-compiled object (`ObjectBuilder::open_file`), attaches programs
//! (`attach_cgroup`, `attach_xdp`, `attach_iter_with_opts`, the generic `attach`),
//! and manages the links with `Link::pin`, `Link::open`, `Link::update_prog`,
//! `Link::detach`, `Link::unpin` and drop (`bpf_link__destroy`), and
//! enumerates links with `query::LinkInfoIter`. All link work goes through
//! libbpf (or, under LD_PRELOAD, through what stands in for libbpf's link
//! code); this program never makes a link syscall itself.
//!
//! Output contract (the same as tests-c/client_object.c):
//!  - stdout: facts that do not change from run to run (no ids, fds or temp
//!    paths), ending with "done: N problems"; exit status 1 if N > 0, 2 on
//!    a fatal error.
//!  - stderr: "client: >> NAME" / "client: <<" around each libbpf-rs call
//!    that reaches libbpf's link code, so the checker can attribute trace
//!    lines; "client-var: ..." for values that vary (temp dir, link ids);
//!    libbpf's warnings.
//!
//! Usage: bpflink-client-libbpf-rs <link_client.bpf.o> <link_skel.bpf.o>

use std::ffi::CString;
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use libbpf_rs::query::{IterType, LinkInfoIter, LinkTypeInfo};
use libbpf_rs::{
    Iter, IterOpts, Link, MapCore, MapFlags, Object, ObjectBuilder, PrintLevel, ProgramMut,
};

/// Where cgroup2 is mounted, by the rule of every suite (docs/probes.md):
/// the mount point (field 5, octal escapes undone) of the first line of
/// /proc/self/mountinfo whose file-system type, the first field after
/// " - ", is cgroup2.
fn cgroup2_root() -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let line = text.lines().find(|l| {
        l.split_once(" - ")
            .is_some_and(|(_, rest)| rest.split(' ').next() == Some("cgroup2"))
    })?;
    let field = line.split(' ').nth(4)?.as_bytes();
    let mut path = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field.get(i + 1..i + 4).filter(|d| {
            field[i] == b'\\' && d[0] <= b'3' && d.iter().all(|c| (b'0'..=b'7').contains(c))
        });
        if let Some(d) = octal {
            path.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
            i += 4;
        } else {
            path.push(field[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(path)))
}

/// The run's state: the problem count and the paths it made.
struct Run {
    problems: u32,
    bpffs: PathBuf,
    cgroup: PathBuf,
}

fn say(line: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line.as_ref());
    let _ = out.flush();
}

/// What to remove when the run ends, also through fatal() (exit() skips
/// destructors): the bpffs mount point and the child cgroup.
static LEFTOVERS: std::sync::Mutex<(Option<PathBuf>, Option<PathBuf>)> =
    std::sync::Mutex::new((None, None));

fn cleanup() {
    let (bpffs, cgroup) = std::mem::take(&mut *LEFTOVERS.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(dir) = bpffs {
        let c = CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        let _ = fs::remove_dir(&dir);
    }
    if let Some(cg) = cgroup {
        // Busy for a moment after the last process in it has exited.
        for _ in 0..100 {
            match fs::remove_dir(&cg) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                _ => break,
            }
        }
    }
}

fn fatal(what: &str, err: impl std::fmt::Display) -> ! {
    say(format!("FATAL: {what}: {err}"));
    cleanup();
    std::process::exit(2);
}

/// The errno behind a libbpf-rs error, by name.
fn errno_name(err: &libbpf_rs::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut code = None;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            code = io.raw_os_error();
            break;
        }
        source = e.source();
    }
    // Fall back to the "(os error N)" text libbpf-rs prints.
    if code.is_none() {
        let text = format!("{err:#}");
        code = text.split("os error ").nth(1).and_then(|s| {
            s.trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .ok()
        });
    }
    match code {
        Some(libc::EBUSY) => "EBUSY".into(),
        Some(libc::EINVAL) => "EINVAL".into(),
        Some(libc::ENOENT) => "ENOENT".into(),
        Some(libc::ENOLINK) => "ENOLINK".into(),
        Some(libc::EOPNOTSUPP) => "EOPNOTSUPP".into(),
        Some(libc::EBADF) => "EBADF".into(),
        Some(libc::EPERM) => "EPERM".into(),
        Some(libc::EEXIST) => "EEXIST".into(),
        Some(n) => format!("errno {n}"),
        None => format!("error ({err})"),
    }
}

/// Marks one call into libbpf on stderr (see the output contract).
fn call<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let _ = std::io::stdout().flush();
    eprintln!("client: >> {name}");
    let r = f();
    eprintln!("client: <<");
    r
}

impl Run {
    /// "what: yes|no"; a mismatch with `expected` is a problem.
    fn fact(&mut self, expected: bool, got: bool, what: impl AsRef<str>) {
        say(format!(
            "{}: {}",
            what.as_ref(),
            if got { "yes" } else { "no" }
        ));
        if got != expected {
            self.problems += 1;
        }
    }
    fn yes(&mut self, got: bool, what: impl AsRef<str>) {
        self.fact(true, got, what)
    }
    fn no(&mut self, got: bool, what: impl AsRef<str>) {
        self.fact(false, got, what)
    }
    /// "what: ok|ERRNO"; anything but `want` is a problem.
    fn outcome<T>(&mut self, what: &str, r: &libbpf_rs::Result<T>, want: &str) {
        let got = match r {
            Ok(_) => "ok".to_string(),
            Err(e) => errno_name(e),
        };
        say(format!("{what}: {got}"));
        if got != want {
            self.problems += 1;
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        cleanup();
    }
}

/// A private mount and network namespace, with lo up.
fn setup_namespaces() {
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET) != 0 {
            fatal("unshare", std::io::Error::last_os_error());
        }
        if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
        {
            fatal("make / private", std::io::Error::last_os_error());
        }
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        if s < 0 || libc::ioctl(s, libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            fatal("read lo flags", std::io::Error::last_os_error());
        }
        ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(s, libc::SIOCSIFFLAGS, &ifr) != 0 {
            fatal("bring lo up", std::io::Error::last_os_error());
        }
        libc::close(s);
    }
}

fn mount_bpffs(run: &mut Run) {
    let mut tmpl = *b"/tmp/bpflink-rsclient-XXXXXX\0";
    let dir = unsafe { libc::mkdtemp(tmpl.as_mut_ptr().cast()) };
    if dir.is_null() {
        fatal("mkdtemp", std::io::Error::last_os_error());
    }
    run.bpffs = PathBuf::from(std::str::from_utf8(&tmpl[..tmpl.len() - 1]).unwrap());
    LEFTOVERS.lock().unwrap().0 = Some(run.bpffs.clone());
    let r = unsafe { libc::mount(c"bpf".as_ptr(), dir, c"bpf".as_ptr(), 0, std::ptr::null()) };
    if r != 0 {
        fatal("mount -t bpf", std::io::Error::last_os_error());
    }
    eprintln!("client-var: bpffs={}", run.bpffs.display());
}

/// One UDP datagram to ourselves over lo, from a forked child that first
/// joins `cgroup` when given. True when it arrived.
fn udp_roundtrip(cgroup: Option<&Path>) -> bool {
    let _ = std::io::stdout().flush();
    // The process has one thread (libbpf-rs starts none), so fork is fine.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return false;
    }
    if pid == 0 {
        let ok = (|| -> std::io::Result<()> {
            if let Some(cg) = cgroup {
                fs::write(cg.join("cgroup.procs"), format!("{}\n", std::process::id()))?;
            }
            let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
            s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
            s.send_to(b"ping", s.local_addr()?)?;
            let mut buf = [0u8; 8];
            if s.recv(&mut buf)? != 4 {
                return Err(std::io::ErrorKind::InvalidData.into());
            }
            Ok(())
        })()
        .is_ok();
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    unsafe {
        libc::waitpid(pid, &mut status, 0) == pid
            && libc::WIFEXITED(status)
            && libc::WEXITSTATUS(status) == 0
    }
}

fn counter(obj: &Object, which: u32) -> u64 {
    let map = obj
        .maps()
        .find(|m| m.name() == "counters")
        .expect("counters map");
    map.lookup(&which.to_ne_bytes(), MapFlags::ANY)
        .ok()
        .flatten()
        .map(|v| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .unwrap_or(0)
}

const CNT_INGRESS_A: u32 = 0;
const CNT_INGRESS_B: u32 = 1;
const CNT_XDP: u32 = 2;

fn prog<'o>(obj: &'o Object, name: &str) -> ProgramMut<'o> {
    obj.progs_mut()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| fatal("no program", name))
}

/// The kernel's id of a program or map fd (0 on failure), through
/// libbpf's generic bpf_obj_get_info_by_fd.
fn obj_id<T>(fd: BorrowedFd<'_>, id_of: impl Fn(&T) -> u32) -> u32 {
    let mut info: T = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<T>() as u32;
    let r = unsafe {
        libbpf_sys::bpf_obj_get_info_by_fd(fd.as_raw_fd(), (&mut info as *mut T).cast(), &mut len)
    };
    if r == 0 {
        id_of(&info)
    } else {
        0
    }
}

fn prog_id(fd: BorrowedFd<'_>) -> u32 {
    obj_id(fd, |i: &libbpf_sys::bpf_prog_info| i.id)
}

fn map_id(fd: BorrowedFd<'_>) -> u32 {
    obj_id(fd, |i: &libbpf_sys::bpf_map_info| i.id)
}

/// Whether a link with this id exists, via LinkInfoIter; when it should be
/// gone, waits a moment (the kernel frees links lazily).
fn link_exists(id: u32, expect_gone: bool) -> bool {
    for _ in 0..200 {
        let present = LinkInfoIter::default().any(|l| l.id == id);
        if !expect_gone || !present {
            return present;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    true
}

/// What we know, to turn ids in bpftool's output into names.
#[derive(Default)]
struct Known {
    progs: Vec<(u32, &'static str)>,
    vals_map: u32,
    cgroup_id: u64,
    lo: u32,
}

/// bpftool (static, its own libbpf: an independent observer) on one link;
/// every key but "id", with our ids and paths replaced by what they are.
fn bpftool_show(run: &mut Run, k: &Known, what: &str, id: u32) {
    let out = Command::new("bpftool")
        .args(["-j", "-f", "link", "show", "id", &id.to_string()])
        .env_remove("LD_PRELOAD")
        .stderr(Stdio::null())
        .output();
    let json: serde_json::Value = match out.ok().filter(|o| o.status.success()) {
        Some(o) => serde_json::from_slice(&o.stdout).unwrap_or_default(),
        None => serde_json::Value::Null,
    };
    let Some(map) = json.as_object() else {
        say(format!("bpftool {what}: (bpftool failed)"));
        run.problems += 1;
        return;
    };
    let bpffs = run.bpffs.to_string_lossy().into_owned();
    let mut line = String::new();
    for (key, val) in map {
        let shown = match (key.as_str(), val) {
            ("id", _) => continue,
            ("prog_id", v) => {
                let n = v.as_u64().unwrap_or(0) as u32;
                k.progs
                    .iter()
                    .find(|(id, _)| *id == n)
                    .map(|(_, name)| *name)
                    .unwrap_or("someone else's")
                    .to_string()
            }
            ("cgroup_id", v) => match v.as_u64() {
                Some(n) if n == k.cgroup_id => "our cgroup".into(),
                Some(0) => "0".into(),
                _ => "another cgroup".into(),
            },
            ("map_id", v) => if v.as_u64() == Some(k.vals_map as u64) {
                "vals"
            } else {
                "another map"
            }
            .into(),
            ("ifindex", v) => match v.as_u64() {
                Some(n) if n == k.lo as u64 => "lo".into(),
                Some(0) => "0".into(),
                _ => "another device".into(),
            },
            ("pid" | "tid", v) => if v.as_u64() == Some(std::process::id() as u64) {
                "this process"
            } else {
                "another process"
            }
            .into(),
            (_, v) => v.to_string().replace(&bpffs, "<bpffs>"),
        };
        line.push_str(&format!(" {key}={shown}"));
    }
    say(format!("bpftool {what}:{line}"));
}

fn read_iter(run: &mut Run, prefix: &str, r: libbpf_rs::Result<impl Read>) {
    let mut text = String::new();
    match r {
        Ok(mut it) => {
            if let Err(e) = it.read_to_string(&mut text) {
                say(format!("{prefix}: read: {e}"));
                run.problems += 1;
            }
        }
        Err(e) => {
            say(format!("{prefix}: {}", errno_name(&e)));
            run.problems += 1;
        }
    }
    for l in text.lines() {
        say(format!("{prefix}: {l}"));
    }
    if text.is_empty() {
        say(format!("{prefix}: (empty)"));
    }
}

fn link_id(l: &Link) -> u32 {
    l.info().map(|i| i.id).unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} link_client.bpf.o link_skel.bpf.o", args[0]);
        std::process::exit(2);
    }
    let mut run = Run {
        problems: 0,
        bpffs: PathBuf::new(),
        cgroup: PathBuf::new(),
    };

    // libbpf's warnings (they start with "libbpf: ") to stderr.
    call("libbpf_set_print", || {
        libbpf_rs::set_print(Some((PrintLevel::Warn, |_, msg: String| eprint!("{msg}"))))
    });
    setup_namespaces();
    mount_bpffs(&mut run);
    let root =
        cgroup2_root().unwrap_or_else(|| fatal("cgroup2", "no mount in /proc/self/mountinfo"));
    run.cgroup = root.join(format!("bpflink-rsclient-{}", std::process::id()));
    if let Err(e) = fs::create_dir(&run.cgroup) {
        fatal("mkdir cgroup", e);
    }
    LEFTOVERS.lock().unwrap().1 = Some(run.cgroup.clone());
    let cg_dir = fs::File::open(&run.cgroup).unwrap_or_else(|e| fatal("open cgroup", e));
    let mut k = Known {
        // A cgroup v2 id is its directory's inode number.
        cgroup_id: std::os::unix::fs::MetadataExt::ino(&cg_dir.metadata().unwrap()),
        lo: unsafe { libc::if_nametoindex(c"lo".as_ptr()) },
        ..Known::default()
    };

    // --- load ----------------------------------------------------------
    say("[load]");
    let obj = ObjectBuilder::default()
        .open_file(&args[1])
        .and_then(|o| o.load())
        .unwrap_or_else(|e| fatal("open and load", e));
    for p in obj.progs() {
        say(format!(
            "program {}: {:?}, expected attach type {:?}",
            p.name().to_string_lossy(),
            p.prog_type(),
            p.attach_type()
        ));
    }
    let ingress_a = prog(&obj, "ingress_a");
    let ingress_b = prog(&obj, "ingress_b");
    let xdp_pass = prog(&obj, "xdp_pass");
    let dump_vals = prog(&obj, "dump_vals");
    let (id_a, id_b) = (prog_id(ingress_a.as_fd()), prog_id(ingress_b.as_fd()));
    k.progs = vec![
        (id_a, "ingress_a"),
        (id_b, "ingress_b"),
        (prog_id(xdp_pass.as_fd()), "xdp_pass"),
        (prog_id(dump_vals.as_fd()), "dump_vals"),
    ];
    let vals = obj
        .maps()
        .find(|m| m.name() == "vals")
        .unwrap_or_else(|| fatal("no map", "vals"));
    k.vals_map = map_id(vals.as_fd());
    for key in 0u32..4 {
        let v = 10 * (key + 1);
        vals.update(&key.to_ne_bytes(), &v.to_ne_bytes(), MapFlags::ANY)
            .unwrap_or_else(|e| fatal("fill vals", e));
    }
    // dump_vals prints at this process's main thread only (want_tgid).
    obj.maps()
        .find(|m| m.name().to_string_lossy().ends_with(".bss"))
        .unwrap_or_else(|| fatal("no map", ".bss"))
        .update(
            &0u32.to_ne_bytes(),
            &std::process::id().to_ne_bytes(),
            MapFlags::ANY,
        )
        .unwrap_or_else(|e| fatal("set want_tgid", e));

    // --- attach ----------------------------------------------------------
    say("[attach]");
    let r = call("attach_cgroup", || {
        ingress_a.attach_cgroup(cg_dir.as_raw_fd())
    });
    run.outcome("attach_cgroup(ingress_a, child cgroup)", &r, "ok");
    let mut cg_link = r.unwrap_or_else(|e| fatal("attach_cgroup", e));
    let cg_id = link_id(&cg_link);
    match cg_link.info() {
        Ok(i) => {
            run.yes(i.prog_id == id_a, "link prog is ingress_a");
            match i.info {
                LinkTypeInfo::Cgroup(c) => {
                    say(format!("link type cgroup, attach type {:?}", c.attach_type));
                    run.yes(
                        c.cgroup_id == k.cgroup_id,
                        "link cgroup is our child cgroup",
                    );
                }
                other => fatal("unexpected link type", format!("{other:?}")),
            }
        }
        Err(e) => fatal("link info", e),
    }
    let a0 = counter(&obj, CNT_INGRESS_A);
    run.yes(
        udp_roundtrip(Some(&run.cgroup.clone())),
        "a datagram goes through the cgroup",
    );
    run.yes(counter(&obj, CNT_INGRESS_A) > a0, "ingress_a ran");

    let r = call("attach_xdp", || xdp_pass.attach_xdp(k.lo as i32));
    run.outcome("attach_xdp(xdp_pass, lo)", &r, "ok");
    let xdp_link = r.unwrap_or_else(|e| fatal("attach_xdp", e));
    let xdp_id = link_id(&xdp_link);
    match xdp_link.info().map(|i| i.info) {
        Ok(LinkTypeInfo::Xdp(x)) => {
            say("link type xdp");
            run.yes(x.ifindex == k.lo, "link device is lo");
        }
        other => fatal("unexpected xdp link info", format!("{other:?}")),
    }
    let x0 = counter(&obj, CNT_XDP);
    run.yes(udp_roundtrip(None), "a datagram goes through lo");
    run.yes(counter(&obj, CNT_XDP) > x0, "xdp_pass ran");

    // A task iterator; libbpf-rs has no option to limit it to one process
    // (the program picks this one by want_tgid).
    let r = call("attach_iter", || {
        dump_vals.attach_iter_with_opts(IterOpts::None)
    });
    run.outcome("attach_iter(dump_vals, every task)", &r, "ok");
    let mut iter_link = r.unwrap_or_else(|e| fatal("attach_iter", e));
    let iter_id = link_id(&iter_link);
    match iter_link.info().map(|i| i.info) {
        Ok(LinkTypeInfo::Iter(it)) => {
            say(format!(
                "link type iter, target {}",
                it.target_name.to_string_lossy()
            ));
            run.yes(
                matches!(it.iter_type, IterType::Task { tid: 0, pid: 0 }),
                "iterator walks every task",
            );
        }
        other => fatal("unexpected iter link info", format!("{other:?}")),
    }
    read_iter(&mut run, "iter", Iter::new(&iter_link));

    // The generic auto-attach: libbpf picks bpf_program__attach_iter from
    // the section name SEC("iter/bpf_map").
    let skel_obj = ObjectBuilder::default()
        .open_file(&args[2])
        .and_then(|o| o.load())
        .unwrap_or_else(|e| fatal("open and load the second object", e));
    let bss = skel_obj
        .maps()
        .find(|m| m.name().to_string_lossy().ends_with(".bss"))
        .unwrap_or_else(|| fatal("no map", ".bss"));
    bss.update(
        &0u32.to_ne_bytes(),
        &k.vals_map.to_ne_bytes(),
        MapFlags::ANY,
    )
    .unwrap_or_else(|e| fatal("set want_map_id", e));
    let list_maps = prog(&skel_obj, "list_maps");
    k.progs.push((prog_id(list_maps.as_fd()), "list_maps"));
    let r = call("attach", || list_maps.attach());
    run.outcome("attach(list_maps) (auto-attach by section)", &r, "ok");
    let auto_link = r.unwrap_or_else(|e| fatal("attach", e));
    let auto_id = link_id(&auto_link);
    read_iter(&mut run, "auto-attached iter", Iter::new(&auto_link));
    eprintln!("client-var: link_ids={cg_id} {xdp_id} {iter_id} {auto_id}");

    // --- pins --------------------------------------------------------------
    say("[pin]");
    let path = run.bpffs.join("links/cgroup");
    let r = call("Link::pin", || cg_link.pin(&path));
    run.outcome("pin cgroup link at <bpffs>/links/cgroup", &r, "ok");
    run.yes(
        cg_link.pin_path().as_deref() == Some(path.as_path()),
        "pin_path is that path",
    );
    let r = call("Link::pin", || cg_link.pin(&path));
    run.outcome("pin it again", &r, "EBUSY");
    let iter_path = run.bpffs.join("iter");
    let r = call("Link::pin", || iter_link.pin(&iter_path));
    run.outcome("pin iter link at <bpffs>/iter", &r, "ok");
    read_iter(
        &mut run,
        "pinned iter",
        fs::File::open(&iter_path).map_err(libbpf_rs::Error::from),
    );

    // --- enumeration and bpftool --------------------------------------------
    say("[observe]");
    let ours = [cg_id, xdp_id, iter_id, auto_id];
    let mut seen = [false; 4];
    for info in LinkInfoIter::default() {
        if let Some(i) = ours.iter().position(|&id| id == info.id) {
            seen[i] = true;
        }
    }
    for (i, what) in ["cgroup", "xdp", "iter", "auto-attached iter"]
        .iter()
        .enumerate()
    {
        run.yes(seen[i], format!("LinkInfoIter finds the {what} link"));
    }
    bpftool_show(&mut run, &k, "cgroup link", cg_id);
    bpftool_show(&mut run, &k, "xdp link", xdp_id);
    bpftool_show(&mut run, &k, "iter link", iter_id);
    bpftool_show(&mut run, &k, "auto-attached link", auto_id);

    // --- open, update, detach through a second Link -------------------------
    say("[open/update/detach]");
    let r = call("Link::open", || Link::open(&path));
    run.outcome("Link::open(<bpffs>/links/cgroup)", &r, "ok");
    let mut opened = r.unwrap_or_else(|e| fatal("Link::open", e));
    run.yes(
        opened.as_fd().as_raw_fd() != cg_link.as_fd().as_raw_fd(),
        "opened link has its own fd",
    );
    run.yes(link_id(&opened) == cg_id, "opened link is the cgroup link");
    run.yes(
        opened.pin_path().as_deref() == Some(path.as_path()),
        "opened link's pin_path is the path it was opened from",
    );
    let r = call("Link::open", || Link::open(run.bpffs.join("links/missing")));
    run.outcome("Link::open(<bpffs>/links/missing)", &r, "ENOENT");

    let r = call("Link::update_prog", || opened.update_prog(&ingress_b));
    run.outcome("update_prog(opened link, ingress_b)", &r, "ok");
    run.yes(
        cg_link.info().map(|i| i.prog_id).ok() == Some(id_b),
        "the first Link now shows ingress_b",
    );
    let (a0, b0) = (counter(&obj, CNT_INGRESS_A), counter(&obj, CNT_INGRESS_B));
    run.yes(
        udp_roundtrip(Some(&run.cgroup.clone())),
        "a datagram goes through the cgroup",
    );
    run.no(counter(&obj, CNT_INGRESS_A) > a0, "ingress_a ran");
    run.yes(counter(&obj, CNT_INGRESS_B) > b0, "ingress_b ran");

    let r = call("Link::detach", || opened.detach());
    run.outcome("detach(opened link)", &r, "ok");
    match cg_link.info().map(|i| i.info) {
        Ok(LinkTypeInfo::Cgroup(c)) => run.yes(c.cgroup_id == 0, "it is attached to no cgroup now"),
        other => fatal("cgroup link info after detach", format!("{other:?}")),
    }
    let b0 = counter(&obj, CNT_INGRESS_B);
    run.yes(
        udp_roundtrip(Some(&run.cgroup.clone())),
        "a datagram goes through the cgroup",
    );
    run.no(counter(&obj, CNT_INGRESS_B) > b0, "ingress_b ran");
    let r = call("Link::update_prog", || cg_link.update_prog(&ingress_a));
    run.outcome("update_prog after detach", &r, "ENOLINK");
    let r = call("Link::detach", || iter_link.detach());
    run.outcome("detach the iter link", &r, "EOPNOTSUPP");
    let r = call("Link::detach", || xdp_link.detach());
    run.outcome("detach the xdp link", &r, "ok");
    let x0 = counter(&obj, CNT_XDP);
    run.yes(udp_roundtrip(None), "a datagram goes through lo");
    run.no(counter(&obj, CNT_XDP) > x0, "xdp_pass ran");

    // --- unpin and drop ---------------------------------------------------
    say("[unpin/drop]");
    let r = call("Link::unpin", || cg_link.unpin());
    run.outcome("unpin the cgroup link", &r, "ok");
    run.no(path.exists(), "the pin file exists");
    run.no(cg_link.pin_path().is_some(), "first Link has a pin_path");
    let r = call("Link::unpin", || opened.unpin());
    run.outcome(
        "unpin through the opened Link (file already gone)",
        &r,
        "ENOENT",
    );

    call("drop(Link)", || drop(opened));
    run.yes(
        link_exists(cg_id, false),
        "cgroup link lives on (first Link still open)",
    );
    call("drop(Link)", || drop(cg_link));
    run.no(link_exists(cg_id, true), "cgroup link still exists");
    call("drop(Link)", || drop(iter_link));
    run.yes(
        link_exists(iter_id, false),
        "iter link lives on while pinned",
    );
    let _ = fs::remove_file(&iter_path);
    run.no(
        link_exists(iter_id, true),
        "iter link still exists after its pin is removed",
    );
    call("drop(Link)", || drop(xdp_link));
    run.no(link_exists(xdp_id, true), "xdp link still exists");
    call("drop(Link)", || drop(auto_link));
    run.no(
        link_exists(auto_id, true),
        "auto-attached link still exists",
    );

    drop(skel_obj);
    drop(obj);
    drop(cg_dir);
    cleanup();
    run.no(run.bpffs.exists(), "bpffs mount point exists");
    run.no(run.cgroup.exists(), "child cgroup exists");
    say(format!("done: {} problems", run.problems));
    let code = if run.problems == 0 { 0 } else { 1 };
    drop(run);
    std::process::exit(code);
}
