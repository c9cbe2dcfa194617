//! The differential target: bpflink's C library (build/libbpflink.so.1)
//! and the reference libbpf 1.7.0, both dlopen()ed with RTLD_LOCAL into
//! this process, called with the same arguments and the same options
//! bytes; everything a caller or the kernel could tell apart must be
//! identical:
//!
//! * the return value and errno (set to a sentinel before each call),
//! * the messages given to each library's own `libbpf_set_print` callback,
//! * every bpf(2) call the library issued: command, attr size, attr bytes,
//!   the kernel's answer (recorded by the `syscall()` below, which both
//!   libraries call for bpf(2)).
//!
//! The kernel's answers are made deterministic by the arguments: `prog_fd`
//! -1 for `bpf_link_create` (EBADF), `link_fd` that is never open for
//! `bpf_link_update` (EINVAL for unknown flags, else EBADF), ids that never
//! exist for `bpf_link_get_fd_by_id_opts` (EINVAL for non-zero open_flags,
//! EPERM without CAP_SYS_ADMIN, else ENOENT). Nothing is ever created. In
//! "fake EINVAL" cases the recorder answers `BPF_LINK_CREATE` itself with
//! EINVAL without entering the kernel, so that the raw-tracepoint fallback
//! decision (libbpf §2.1 step 9) is compared too; the fallback's
//! `BPF_RAW_TRACEPOINT_OPEN` then goes to the kernel (prog_fd -1: EBADF).
//!
//! bpflink follows libbpf 1.8 where 1.8 changed `bpf_link_create`
//! (docs/libbpf-1.8.md); the reference loaded is 1.7.0, as no libbpf 1.8 is
//! released. Where the model's 1.7.0 and 1.8 rules answer an input
//! differently, the two libraries are not compared with each other:
//! bpflink's answer must be the one 1.8's documented rules give and
//! libbpf's the one 1.7.0's rules give, and such inputs are counted apart,
//! as checked against 1.8's rules (no libbpf 1.8 is loaded). A reference
//! that reports itself as 1.8 (`libbpf_minor_version()`) is compared
//! exactly everywhere and checked against 1.8's rules.

use core::cell::RefCell;
use core::ffi::{c_char, c_int, c_long, c_void};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::input::{CREATE, FD_BY_ID, Image, Reader, UPDATE, decode_image, place};
use crate::model::{self, Rel};
use crate::targets::decode_attach_type;

// --- the bpf(2) recorder -------------------------------------------------------

const REC_MAX: usize = 8;
const ATTR_MAX: usize = 128;
const BPF_RAW_TRACEPOINT_OPEN: c_long = 17;
const BPF_LINK_CREATE: c_long = 28;
const BPF_LINK_UPDATE: c_long = 29;
const BPF_LINK_GET_FD_BY_ID: c_long = 30;

/// One bpf(2) call as a library issued it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BpfCall {
    /// The command.
    pub cmd: c_long,
    /// The attr size argument.
    pub size: u64,
    /// The first `min(size, 128)` attr bytes.
    pub attr: [u8; ATTR_MAX],
    /// The answer (-1 on failure).
    pub ret: c_long,
    /// errno after the call (0 on success).
    pub err: c_int,
    /// Answered by the recorder, not the kernel.
    pub faked: bool,
}

impl core::fmt::Debug for BpfCall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let n = (self.size as usize).min(ATTR_MAX);
        let hex: String = self.attr[..n].iter().map(|b| format!("{b:02x}")).collect();
        write!(
            f,
            "bpf(cmd {}, size {}, attr {hex}) = {} errno {}{}",
            self.cmd,
            self.size,
            self.ret,
            self.err,
            if self.faked { " (faked)" } else { "" }
        )
    }
}

const NO_CALL: BpfCall = BpfCall {
    cmd: 0,
    size: 0,
    attr: [0; ATTR_MAX],
    ret: 0,
    err: 0,
    faked: false,
};

struct Rec {
    on: bool,
    fake_create_einval: bool,
    n: usize,
    overflow: usize,
    calls: [BpfCall; REC_MAX],
}

thread_local! {
    static REC: RefCell<Rec> = const {
        RefCell::new(Rec { on: false, fake_create_einval: false, n: 0, overflow: 0, calls: [NO_CALL; REC_MAX] })
    };
}

type SyscallFn = unsafe extern "C" fn(c_long, ...) -> c_long;
static REAL_SYSCALL: AtomicUsize = AtomicUsize::new(0);

fn real_syscall() -> SyscallFn {
    let mut p = REAL_SYSCALL.load(Ordering::Relaxed);
    if p == 0 {
        // SAFETY: dlsym with a NUL-terminated name. From the executable,
        // RTLD_NEXT finds libc's syscall(), not this one.
        p = unsafe { libc::dlsym(libc::RTLD_NEXT, c"syscall".as_ptr()) } as usize;
        if p == 0 {
            // Without the real syscall() nothing can go on; abort quietly
            // (printing could itself need a syscall() through here).
            std::process::abort();
        }
        REAL_SYSCALL.store(p, Ordering::Relaxed);
    }
    // SAFETY: libc's `long syscall(long, ...)`.
    unsafe { core::mem::transmute::<usize, SyscallFn>(p) }
}

/// libc's `syscall()`, interposed: the harness executables export this
/// definition (build.rs), so both dlopen()ed libraries' calls land here,
/// as do this executable's own. Every call is forwarded unchanged with six
/// arguments; bpf(2) calls made while this thread records are recorded,
/// and `BPF_LINK_CREATE` is answered with EINVAL in fake-EINVAL cases.
///
/// Defined with seven fixed `long` parameters: on x86-64 and aarch64 Linux
/// a variadic call passes its integer arguments exactly where a
/// non-variadic callee reads them (defining a C-variadic function needs a
/// nightly compiler).
///
/// # Safety
/// As libc's syscall().
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn syscall(
    n: c_long,
    a1: c_long,
    a2: c_long,
    a3: c_long,
    a4: c_long,
    a5: c_long,
    a6: c_long,
) -> c_long {
    let recording = n == libc::SYS_bpf
        && REC
            .try_with(|r| r.try_borrow().map(|r| r.on).unwrap_or(false))
            .unwrap_or(false);
    if !recording {
        // SAFETY: forwarded unchanged.
        return unsafe { real_syscall()(n, a1, a2, a3, a4, a5, a6) };
    }
    let mut call = NO_CALL;
    call.cmd = a1;
    call.size = a3 as u64;
    let cp = (a3 as u64).min(ATTR_MAX as u64) as usize;
    if a2 != 0 {
        // SAFETY: the library passes an attr of `size` bytes.
        unsafe { core::ptr::copy_nonoverlapping(a2 as *const u8, call.attr.as_mut_ptr(), cp) };
    }
    let fake = a1 == BPF_LINK_CREATE && REC.with(|r| r.borrow().fake_create_einval);
    let ret = if fake {
        call.faked = true;
        // SAFETY: this thread's errno.
        unsafe { *libc::__errno_location() = libc::EINVAL };
        -1
    } else {
        // SAFETY: forwarded unchanged.
        unsafe { real_syscall()(n, a1, a2, a3, a4, a5, a6) }
    };
    // SAFETY: this thread's errno.
    let err = unsafe { *libc::__errno_location() };
    call.ret = ret;
    call.err = if ret < 0 { err } else { 0 };
    REC.with(|r| {
        let mut r = r.borrow_mut();
        if r.n < REC_MAX {
            let i = r.n;
            r.calls[i] = call;
            r.n += 1;
        } else {
            r.overflow += 1;
        }
    });
    // SAFETY: errno as the call left it.
    unsafe { *libc::__errno_location() = err };
    ret
}

/// Whether this build records bpf(2) calls (the interposer above exists).
pub const RECORDS: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

// --- the two libraries -----------------------------------------------------------

type PrintFn = unsafe extern "C" fn(c_int, *const c_char, *mut c_void) -> c_int;
type SetPrint = unsafe extern "C" fn(Option<PrintFn>) -> Option<PrintFn>;
type CreateFn = unsafe extern "C" fn(c_int, c_int, u32, *const c_void) -> c_int;
type UpdateFn = unsafe extern "C" fn(c_int, c_int, *const c_void) -> c_int;
type FdByIdFn = unsafe extern "C" fn(u32, *const c_void) -> c_int;

const OURS: usize = 0;
const REF: usize = 1;
const NAMES: [&str; 2] = ["bpflink", "the reference libbpf"];

thread_local! {
    static LOGS: RefCell<[String; 2]> = const { RefCell::new([String::new(), String::new()]) };
}

fn log_to(lib: usize, level: c_int, fmt: *const c_char, ap: *mut c_void) -> c_int {
    // SAFETY: called by the library's print path with its format and va_list.
    let s = unsafe { crate::capture::format(fmt, ap) };
    LOGS.with(|l| l.borrow_mut()[lib].push_str(&format!("<{level}>{s}")));
    0
}

unsafe extern "C" fn print_ours(level: c_int, fmt: *const c_char, ap: *mut c_void) -> c_int {
    log_to(OURS, level, fmt, ap)
}

unsafe extern "C" fn print_ref(level: c_int, fmt: *const c_char, ap: *mut c_void) -> c_int {
    log_to(REF, level, fmt, ap)
}

struct Lib {
    create: CreateFn,
    update: UpdateFn,
    fd_by_id: FdByIdFn,
    /// `libbpf_major_version()` and `libbpf_minor_version()`, if it has them.
    version: Option<(c_int, c_int)>,
}

fn sym(handle: *mut c_void, path: &Path, name: &str) -> Result<*mut c_void, String> {
    let c = CString::new(name).unwrap();
    // SAFETY: a live handle and a NUL-terminated name.
    let p = unsafe { libc::dlsym(handle, c.as_ptr()) };
    if p.is_null() {
        Err(format!("{}: no symbol {name}", path.display()))
    } else {
        Ok(p)
    }
}

impl Lib {
    fn open(path: &Path, print: PrintFn) -> Result<Self, String> {
        let c = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: a NUL-terminated path; the handle is never closed.
        let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if h.is_null() {
            // SAFETY: dlerror after a failed dlopen.
            let e = unsafe { core::ffi::CStr::from_ptr(libc::dlerror()) };
            return Err(format!(
                "dlopen {}: {}",
                path.display(),
                e.to_string_lossy()
            ));
        }
        // SAFETY: each symbol has libbpf's documented prototype.
        unsafe {
            let set_print: SetPrint = core::mem::transmute(sym(h, path, "libbpf_set_print")?);
            set_print(Some(print));
            let version = match (
                sym(h, path, "libbpf_major_version"),
                sym(h, path, "libbpf_minor_version"),
            ) {
                (Ok(major), Ok(minor)) => {
                    type VersionFn = unsafe extern "C" fn() -> c_int;
                    let major: VersionFn = core::mem::transmute(major);
                    let minor: VersionFn = core::mem::transmute(minor);
                    Some((major(), minor()))
                }
                _ => None,
            };
            Ok(Self {
                version,
                create: core::mem::transmute::<*mut c_void, CreateFn>(sym(
                    h,
                    path,
                    "bpf_link_create",
                )?),
                update: core::mem::transmute::<*mut c_void, UpdateFn>(sym(
                    h,
                    path,
                    "bpf_link_update",
                )?),
                fd_by_id: core::mem::transmute::<*mut c_void, FdByIdFn>(sym(
                    h,
                    path,
                    "bpf_link_get_fd_by_id_opts",
                )?),
            })
        }
    }
}

/// Default library paths, relative to this crate (fuzz/).
pub fn default_paths() -> (PathBuf, PathBuf) {
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let env = |k: &str, d: PathBuf| std::env::var_os(k).map(PathBuf::from).unwrap_or(d);
    (
        env("BPFLINK_SO", top.join("build/libbpflink.so.1")),
        env("REF_SO", top.join(".deps/libbpf-1.7.0/lib/libbpf.so.1.7.0")),
    )
}

/// Counts of what the differential target compared.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// `bpf_link_create` comparisons (real kernel answer).
    pub create: u64,
    /// `bpf_link_create` comparisons with the recorder's EINVAL.
    pub create_fake: u64,
    /// ...of which the raw-tracepoint fallback ran in both libraries.
    pub fallback: u64,
    /// `bpf_link_update` comparisons.
    pub update: u64,
    /// `bpf_link_get_fd_by_id_opts` comparisons.
    pub fd_by_id: u64,
    /// Cases that reached the kernel (or the recorder) in both libraries.
    pub syscalls: u64,
    /// Cases refused before any syscall by both, with identical warnings.
    pub refused: u64,
    /// Cases where libbpf 1.7.0's and 1.8's rules answer differently:
    /// bpflink's answer checked against 1.8's documented rules (the model),
    /// libbpf 1.7.0's against 1.7.0's, not against each other.
    pub rules_1_8: u64,
    /// Cases where libbpf's answer was also checked against the model
    /// (src/model.rs), the oracle of the in-process targets: its verdict,
    /// warning, the attr of the first bpf(2) call and what follows it.
    pub model_checked: u64,
}

impl Counts {
    /// All comparisons made.
    pub fn total(&self) -> u64 {
        self.create + self.create_fake + self.update + self.fd_by_id
    }
}

/// Both libraries, loaded.
pub struct Diff {
    libs: [Lib; 2],
    /// The reference's release: whose rules its answers must follow.
    pub ref_rel: Rel,
    /// Both libraries' bpf(2) calls are seen by the recorder (probed at
    /// load time); otherwise only answers and messages are compared.
    pub records: bool,
    /// What was compared so far.
    pub counts: Counts,
}

/// One library's answer.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    ret: c_int,
    errno: c_int,
    log: String,
    calls: Vec<BpfCall>,
    overflow: usize,
}

const ERRNO_SENTINEL: c_int = 0x5a5a;

fn run(lib: usize, fake: bool, f: impl FnOnce() -> c_int) -> Answer {
    LOGS.with(|l| l.borrow_mut()[lib].clear());
    REC.with(|r| {
        let mut r = r.borrow_mut();
        r.n = 0;
        r.overflow = 0;
        r.fake_create_einval = fake;
        r.on = true;
    });
    // SAFETY: this thread's errno.
    unsafe { *libc::__errno_location() = ERRNO_SENTINEL };
    let ret = f();
    // SAFETY: this thread's errno.
    let errno = unsafe { *libc::__errno_location() };
    let (calls, overflow) = REC.with(|r| {
        let mut r = r.borrow_mut();
        r.on = false;
        r.fake_create_einval = false;
        (r.calls[..r.n].to_vec(), r.overflow)
    });
    if ret >= 0 {
        // SAFETY: a descriptor the library returned and nobody else owns.
        unsafe { libc::close(ret) };
    }
    Answer {
        ret,
        errno,
        log: LOGS.with(|l| core::mem::take(&mut l.borrow_mut()[lib])),
        calls,
        overflow,
    }
}

/// The function a differential input calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Create { t: u32, target_fd: i32, fake: bool },
    Update { link_fd: i32, new_prog_fd: i32 },
    FdById { id: u32 },
}

/// Link fds that are never open in this process (EBADF).
fn closed_fd(sel: u8, v: u32) -> i32 {
    match sel % 3 {
        0 => -1,
        1 => i32::MIN + (v % 1024) as i32,
        _ => 0x3fff_0000 + (v % 0xffff) as i32,
    }
}

/// Link ids that never exist (ids are at most INT_MAX; 0 is never used).
fn missing_id(sel: u8, v: u32) -> u32 {
    match sel % 3 {
        0 => 0,
        1 => u32::MAX,
        _ => 0x8000_0000 | v,
    }
}

/// Decodes a differential input:
///
/// ```text
/// fsel: u8   % 3: 0 bpf_link_create, 1 bpf_link_update, 2 ..._get_fd_by_id_opts;
///            for create, (fsel / 3) % 2 == 1: the recorder answers EINVAL
/// create:    attach type (as link_create_args), tsel: u8 (< 128: target_fd 0,
///            < 192: -1, else a u32 follows), options buffer
/// update:    lsel: u8, v: u32 (a never-open link fd), new_prog_fd: u32, options
/// fd_by_id:  isel: u8, v: u32 (a never-used id), options
/// ```
fn decode(data: &[u8]) -> (Call, Image) {
    let mut r = Reader::new(data);
    let fsel = r.u8();
    match fsel % 3 {
        0 => {
            let t = decode_attach_type(&mut r);
            let target_fd = match r.u8() {
                0..=127 => 0,
                128..=191 => -1,
                _ => r.u32() as i32,
            };
            let fake = (fsel / 3) % 2 == 1 && RECORDS;
            (
                Call::Create { t, target_fd, fake },
                decode_image(&mut r, &CREATE),
            )
        }
        1 => {
            let sel = r.u8();
            let v = r.u32();
            let new_prog_fd = r.u32() as i32;
            let c = Call::Update {
                link_fd: closed_fd(sel, v),
                new_prog_fd,
            };
            (c, decode_image(&mut r, &UPDATE))
        }
        _ => {
            let sel = r.u8();
            let v = r.u32();
            (
                Call::FdById {
                    id: missing_id(sel, v),
                },
                decode_image(&mut r, &FD_BY_ID),
            )
        }
    }
}

impl Diff {
    /// Loads both libraries (bpflink's first) and installs each one's
    /// capturing print callback.
    pub fn open(ours: &Path, reference: &Path) -> Result<Self, String> {
        real_syscall();
        let libs = [
            Lib::open(ours, print_ours)?,
            Lib::open(reference, print_ref)?,
        ];
        // Where the recorder works (RECORDS), each library must be seen
        // issuing bpf(2) through libc's syscall(): one that went another
        // way would go unseen, and the attr comparison and the recorder's
        // EINVAL answers (the fallback cases) would silently stop. That
        // is a failure of this target, not a reason to compare less.
        if RECORDS {
            for i in [OURS, REF] {
                // SAFETY: NULL opts; link fd -1 is never open (EBADF).
                let a = run(i, false, || unsafe {
                    (libs[i].update)(-1, -1, core::ptr::null())
                });
                if a.calls.len() != 1 {
                    return Err(format!(
                        "the syscall() recorder saw {} bpf(2) calls of {}'s \
                         bpf_link_update(-1, -1, NULL), not 1: its calls would go unseen",
                        a.calls.len(),
                        NAMES[i]
                    ));
                }
            }
        }
        let records = RECORDS;
        let ref_rel = match libs[REF].version {
            Some((1, 7)) => Rel::V1_7,
            Some((1, 8)) => Rel::V1_8,
            v => {
                return Err(format!(
                    "{}: libbpf {v:?}, where the model knows the rules of 1.7.0 and 1.8",
                    reference.display()
                ));
            }
        };
        Ok(Self {
            libs,
            ref_rel,
            records,
            counts: Counts::default(),
        })
    }

    /// Makes one decoded call through both libraries and compares; panics
    /// on any difference other than the documented one.
    pub fn one(&mut self, data: &[u8]) {
        let (call, img) = decode(data);
        let [mut ours, refr] = [OURS, REF].map(|i| {
            let lib = &self.libs[i];
            place(&img, |p| {
                let p = p as *const c_void;
                match call {
                    // SAFETY: prototypes from dlsym; `p` is NULL or a buffer
                    // backing its sz (decode_image).
                    Call::Create { t, target_fd, fake } => {
                        run(i, fake, || unsafe { (lib.create)(-1, target_fd, t, p) })
                    }
                    Call::Update {
                        link_fd,
                        new_prog_fd,
                    } => run(i, false, || unsafe {
                        (lib.update)(link_fd, new_prog_fd, p)
                    }),
                    Call::FdById { id } => run(i, false, || unsafe { (lib.fd_by_id)(id, p) }),
                }
            })
        });
        if !self.records {
            // What the recorder saw would only tell how each library
            // reaches the kernel; the counts below use it as a hint only.
            ours.calls.clear();
        }
        let ctx = || format!("{call:?}, {}", img.describe());
        for (a, name) in [(&ours, NAMES[OURS]), (&refr, NAMES[REF])] {
            assert!(
                a.ret < 0,
                "{name} returned fd {} (nothing may be created); {}",
                a.ret,
                ctx()
            );
            assert!(
                a.overflow == 0,
                "{name} made more than {REC_MAX} bpf(2) calls; {}",
                ctx()
            );
        }
        // Where the rules of libbpf 1.7.0 and 1.8 answer differently, each
        // library must answer by its release's rules; everywhere else the
        // two must be identical.
        let differ = match call {
            Call::Create { t, target_fd, .. } if self.ref_rel == Rel::V1_7 => {
                let verdict =
                    |rel| model::link_create(&model::Opts::of(&img, CREATE, rel), -1, target_fd, t);
                verdict(Rel::V1_7) != verdict(Rel::V1_8)
            }
            _ => false,
        };
        if differ {
            self.check_model(call, &img, &ours, OURS, Rel::V1_8, &ctx);
            self.counts.rules_1_8 += 1;
        } else if self.records && ours != refr
            || !self.records
                && (ours.ret, ours.errno, &ours.log) != (refr.ret, refr.errno, &refr.log)
        {
            panic!(
                "bpflink and {} differ:\n  bpflink: {ours:?}\n  libbpf:  {refr:?}\n  {}",
                self.ref_rel.name(),
                ctx()
            );
        } else if refr.calls.is_empty() {
            self.counts.refused += 1;
        } else {
            self.counts.syscalls += 1;
        }
        self.check_model(call, &img, &refr, REF, self.ref_rel, &ctx);
        self.counts.model_checked += 1;
        match call {
            Call::Create { fake: false, .. } => self.counts.create += 1,
            Call::Create { fake: true, .. } => {
                self.counts.create_fake += 1;
                if refr.calls.len() > 1 {
                    self.counts.fallback += 1;
                }
            }
            Call::Update { .. } => self.counts.update += 1,
            Call::FdById { .. } => self.counts.fd_by_id += 1,
        }
    }
}

impl Diff {
    /// The model's answer by the rules of `rel`, checked against one
    /// library's: EINVAL with its warning and no syscall, or a first bpf(2)
    /// call with exactly the model's attr and no message, then for
    /// `bpf_link_create` the kernel's (or the recorder's) answer passed on,
    /// after a raw-tracepoint retry exactly when the model says the
    /// release falls back. For libbpf this validates the in-process
    /// targets' oracle against libbpf itself; for bpflink it is the check
    /// where 1.7.0 and 1.8 differ.
    fn check_model(
        &self,
        call: Call,
        img: &Image,
        a: &Answer,
        lib: usize,
        rel: Rel,
        ctx: &dyn Fn() -> String,
    ) {
        let who = if lib == OURS { NAMES[OURS] } else { rel.name() };
        let fault = if lib == OURS { "" } else { "harness fault: " };
        let einval = |msg: Option<String>| {
            let log = msg.map(|m| format!("<0>{m}")).unwrap_or_default();
            assert!(
                a.ret == -libc::EINVAL && a.errno == libc::EINVAL && a.log == log,
                "{fault}{}'s rules (src/model.rs) say EINVAL with {log:?}, {who} answered {a:?}; {}",
                rel.name(),
                ctx()
            );
            assert!(
                a.calls.is_empty(),
                "{fault}{who} called bpf(2) where {}'s rules refuse; {}",
                rel.name(),
                ctx()
            );
        };
        let first = |cmd: c_long, attr: &[u8]| {
            assert!(
                a.log.is_empty(),
                "{fault}{who} printed {:?} where {}'s rules go to the kernel; {}",
                a.log,
                rel.name(),
                ctx()
            );
            if !self.records {
                return;
            }
            let c = a.calls.first();
            assert!(
                c.is_some_and(|c| c.cmd == cmd
                    && c.size == attr.len() as u64
                    && &c.attr[..attr.len()] == attr),
                "{fault}{}'s rules (src/model.rs) give bpf({cmd}, {}), {who} issued {:?}; {}",
                rel.name(),
                attr.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                a.calls,
                ctx()
            );
        };
        match call {
            Call::Create { t, target_fd, .. } => {
                match model::link_create(&model::Opts::of(img, CREATE, rel), -1, target_fd, t) {
                    model::Verdict::Einval(msg) => einval(msg),
                    model::Verdict::Ok(c) => {
                        first(BPF_LINK_CREATE, &c.attr);
                        if !self.records {
                            return;
                        }
                        let retry = a.calls[0].err == libc::EINVAL && model::falls_back(&c, t);
                        let last = a.calls.last().unwrap();
                        assert!(
                            a.calls.len() == 1 + usize::from(retry)
                                && (!retry || last.cmd == BPF_RAW_TRACEPOINT_OPEN)
                                && a.ret == -last.err
                                && a.errno == last.err,
                            "{fault}{}'s rules say {}the kernel's answer passed on, {who}: {a:?}; {}",
                            rel.name(),
                            if retry {
                                "a raw-tracepoint retry and "
                            } else {
                                ""
                            },
                            ctx()
                        );
                    }
                }
            }
            Call::Update {
                link_fd,
                new_prog_fd,
            } => match model::link_update(&model::Opts::of(img, UPDATE, rel)) {
                model::Verdict::Einval(msg) => einval(msg),
                model::Verdict::Ok(u) => {
                    let mut attr = [0u8; 16];
                    for (i, v) in [link_fd as u32, new_prog_fd as u32, u.flags, u.old_fd]
                        .iter()
                        .enumerate()
                    {
                        attr[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
                    }
                    first(BPF_LINK_UPDATE, &attr);
                }
            },
            Call::FdById { id } => match model::fd_by_id(&model::Opts::of(img, FD_BY_ID, rel)) {
                model::Verdict::Einval(msg) => einval(msg),
                model::Verdict::Ok(open_flags) => {
                    let mut attr = [0u8; 12];
                    attr[..4].copy_from_slice(&id.to_ne_bytes());
                    attr[8..].copy_from_slice(&open_flags.to_ne_bytes());
                    first(BPF_LINK_GET_FD_BY_ID, &attr);
                }
            },
        }
    }
}

thread_local! {
    static FUZZ_DIFF: RefCell<Option<Diff>> = const { RefCell::new(None) };
}

/// Target `diff_libbpf` for libFuzzer: loads the libraries on first use
/// (`BPFLINK_SO`, `REF_SO`, defaults from [`default_paths`]).
pub fn diff_libbpf(data: &[u8]) {
    FUZZ_DIFF.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            let (ours, reference) = default_paths();
            *d = Some(Diff::open(&ours, &reference).unwrap_or_else(|e| panic!("diff_libbpf: {e}")));
        }
        d.as_mut().unwrap().one(data);
    });
}
