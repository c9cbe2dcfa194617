//! The stable-toolchain fuzz harness: the cargo-fuzz targets' own checks
//! (bpflink_fuzz) on random inputs from a xorshift generator, for a
//! bounded time or number of executions, without libFuzzer.
//!
//! ```text
//! cargo test --release --no-default-features --manifest-path fuzz/Cargo.toml --test stable
//! cargo test ... --test stable -- replay <target> <hex | @file>   # one input again
//! ```
//!
//! Environment:
//!   FUZZ_SECONDS  total time, shared equally by the targets (default 20)
//!   FUZZ_ITERS    executions per target (instead of, or as well as, a time)
//!   FUZZ_SEED     the seed (default: from the clock); printed either way
//!   FUZZ_TARGETS  comma-separated subset of the targets
//!   BPFLINK_SO, REF_SO  the libraries diff_libbpf loads (defaults: the
//!                 tree's build/libbpflink.so.1 and .deps' libbpf 1.7.0)
//!
//! Output is TAP, one line per target with its execution count; a failing
//! input is printed in hex with the command that replays it, and saved
//! under fuzz/artifacts/<target>/ (where `cargo fuzz run <target> FILE`
//! replays it too). A crash (a read past the guarded buffer is a SIGSEGV)
//! prints the input being run before the process dies. Exit status 1 on
//! any failure.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bpflink_fuzz::TARGETS;
use bpflink_fuzz::diff::{Diff, default_paths};
use bpflink_fuzz::random::{Rng, input};

/// Failures printed (and saved) per target before it stops.
const MAX_FAILS: usize = 5;

// --- the input in flight, for the crash report ---------------------------------

static CUR_PTR: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static CUR_LEN: AtomicUsize = AtomicUsize::new(0);
static CUR_TARGET: AtomicUsize = AtomicUsize::new(usize::MAX);

fn raw_write(s: &[u8]) {
    // SAFETY: write(2) of a valid buffer; async-signal-safe.
    unsafe { libc::write(2, s.as_ptr() as *const _, s.len()) };
}

extern "C" fn on_crash(sig: libc::c_int) {
    // Only async-signal-safe work: no allocation, write(2) only.
    raw_write(b"\n# fuzz: crashed (signal ");
    let mut d = [b'0' + (sig / 10) as u8, b'0' + (sig % 10) as u8];
    if sig < 10 {
        d[0] = b' ';
    }
    raw_write(&d);
    raw_write(b") in target ");
    let t = CUR_TARGET.load(Ordering::Relaxed);
    raw_write(TARGETS.get(t).map_or("?", |t| t.0).as_bytes());
    raw_write(b" on input (hex):\n# ");
    let p = CUR_PTR.load(Ordering::Relaxed);
    let n = CUR_LEN.load(Ordering::Relaxed);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut chunk = [0u8; 128];
    let mut i = 0;
    while i < n {
        let mut k = 0;
        while k < chunk.len() && i < n {
            // SAFETY: the input slice published before the call is alive.
            let b = unsafe { *p.add(i) };
            chunk[k] = HEX[(b >> 4) as usize];
            chunk[k + 1] = HEX[(b & 15) as usize];
            k += 2;
            i += 1;
        }
        raw_write(&chunk[..k]);
    }
    raw_write(b"\n");
    // SA_RESETHAND restored the default action: returning re-executes the
    // faulting access (SIGSEGV, SIGBUS) or we re-raise (SIGABRT, SIGILL).
    if sig != libc::SIGSEGV && sig != libc::SIGBUS {
        // SAFETY: raise is async-signal-safe.
        unsafe { libc::raise(sig) };
    }
}

fn install_crash_report() {
    for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGABRT, libc::SIGILL] {
        // SAFETY: a zeroed sigaction with a plain handler.
        unsafe {
            let mut sa: libc::sigaction = core::mem::zeroed();
            sa.sa_sigaction = on_crash as *const () as usize;
            sa.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, core::ptr::null_mut());
        }
    }
}

// --- panics as failures ------------------------------------------------------------

thread_local! {
    static PANIC_MSG: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_panic_capture() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC_MSG.with(|m| *m.borrow_mut() = format!("{msg}{at}"));
    }));
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn artifacts_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("artifacts")
        .join(target)
}

/// Runs one input; `Err(message)` if it panicked.
fn run_one(idx: usize, f: &mut dyn FnMut(&[u8]), data: &[u8]) -> Result<(), String> {
    CUR_TARGET.store(idx, Ordering::Relaxed);
    CUR_PTR.store(data.as_ptr() as *mut u8, Ordering::Relaxed);
    CUR_LEN.store(data.len(), Ordering::Relaxed);
    let r = catch_unwind(AssertUnwindSafe(|| f(data)));
    CUR_LEN.store(0, Ordering::Relaxed);
    r.map_err(|_| PANIC_MSG.with(|m| core::mem::take(&mut *m.borrow_mut())))
}

fn report_failure(name: &str, data: &[u8], msg: &str) {
    println!("# FAIL {name}: {msg}");
    println!("#   input (hex): {}", hex(data));
    println!(
        "#   replay: cargo test --release --no-default-features --manifest-path fuzz/Cargo.toml \
         --test stable -- replay {name} {}",
        hex(data)
    );
    let dir = artifacts_dir(name);
    let file = dir.join(format!("stable-{:016x}", {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        h
    }));
    if std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&file, data))
        .is_ok()
    {
        println!("#   saved: {}", file.display());
    }
}

fn env_u64(k: &str) -> Option<u64> {
    let v = std::env::var(k).ok()?;
    let v = v.trim();
    let r = if let Some(h) = v.strip_prefix("0x") {
        u64::from_str_radix(h, 16)
    } else {
        v.parse()
    };
    Some(r.unwrap_or_else(|_| panic!("{k}={v}: not a number")))
}

/// A target's function, ready to run inputs.
type Runner<'a> = Box<dyn FnMut(&[u8]) + 'a>;

/// The target's function; diff_libbpf through a loaded [`Diff`].
fn target_fn<'a>(name: &str, diff: &'a mut Option<Diff>) -> Runner<'a> {
    match name {
        "diff_libbpf" => {
            let d = diff.as_mut().expect("loaded");
            Box::new(move |data| d.one(data))
        }
        _ => {
            let f = TARGETS.iter().find(|t| t.0 == name).unwrap().1;
            Box::new(f)
        }
    }
}

fn load_diff() -> Result<Diff, String> {
    let (ours, reference) = default_paths();
    Diff::open(&ours, &reference)
}

fn replay(name: &str, arg: &str) -> i32 {
    let data = match arg.strip_prefix('@') {
        Some(path) => std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}")),
        None => unhex(arg).unwrap_or_else(|e| panic!("bad hex input: {e}")),
    };
    let Some(idx) = TARGETS.iter().position(|t| t.0 == name) else {
        eprintln!("no target {name}; targets: {:?}", TARGETS.map(|t| t.0));
        return 2;
    };
    let mut diff = None;
    if name == "diff_libbpf" {
        diff = Some(load_diff().unwrap_or_else(|e| panic!("{e}")));
    }
    let mut f = target_fn(name, &mut diff);
    match run_one(idx, &mut *f, &data) {
        Ok(()) => {
            println!("replay {name}: ok ({} bytes)", data.len());
            0
        }
        Err(m) => {
            println!("replay {name}: FAILED: {m}");
            1
        }
    }
}

fn main() {
    install_panic_capture();
    install_crash_report();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.first().map(String::as_str) == Some("replay") {
        if args.len() != 3 {
            eprintln!("usage: stable replay <target> <hex | @file>");
            std::process::exit(2);
        }
        std::process::exit(replay(&args[1], &args[2]));
    }

    let seed = env_u64("FUZZ_SEED").unwrap_or_else(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        t.as_nanos() as u64 ^ ((std::process::id() as u64) << 32)
    });
    let iters = env_u64("FUZZ_ITERS");
    let seconds = env_u64("FUZZ_SECONDS").or(if iters.is_some() { None } else { Some(20) });
    let selected: Vec<(usize, &str)> = match std::env::var("FUZZ_TARGETS") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|n| {
                let n = n.trim();
                let i = TARGETS.iter().position(|t| t.0 == n).unwrap_or_else(|| {
                    panic!(
                        "FUZZ_TARGETS: no target {n}; targets: {:?}",
                        TARGETS.map(|t| t.0)
                    )
                });
                (i, TARGETS[i].0)
            })
            .collect(),
        _ => TARGETS.iter().enumerate().map(|(i, t)| (i, t.0)).collect(),
    };
    let share = seconds.map(|s| Duration::from_secs_f64(s as f64 / selected.len() as f64));

    println!(
        "# fuzz (stable harness): seed {seed:#018x}, {}{}, {} targets",
        seconds.map(|s| format!("{s} s in all")).unwrap_or_default(),
        iters
            .map(|n| format!(
                "{}at most {n} executions per target",
                if seconds.is_some() { ", " } else { "" }
            ))
            .unwrap_or_default(),
        selected.len()
    );
    println!(
        "# reproduce this run: FUZZ_SEED={seed:#x} (same FUZZ_SECONDS / FUZZ_ITERS / FUZZ_TARGETS)"
    );
    println!("1..{}", selected.len());

    let (mut passed, mut failed) = (0usize, 0usize);
    let (mut total_execs, mut total_errors, mut total_diffs) = (0u64, 0usize, 0u64);
    for (n, &(idx, name)) in selected.iter().enumerate() {
        let mut diff = None;
        if name == "diff_libbpf" {
            match load_diff() {
                Ok(d) => diff = Some(d),
                Err(e) => {
                    println!("not ok {} - {name}: cannot load the libraries: {e}", n + 1);
                    failed += 1;
                    total_errors += 1;
                    continue;
                }
            }
        }
        // Each target has its own stream, so FUZZ_TARGETS does not change it.
        let mut rng = Rng::new(seed ^ (idx as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut errors = 0usize;
        let mut execs = 0u64;
        let start = Instant::now();
        {
            let mut f = target_fn(name, &mut diff);
            loop {
                if iters.is_some_and(|m| execs >= m) {
                    break;
                }
                if execs.is_multiple_of(256) && share.is_some_and(|s| start.elapsed() >= s) {
                    break;
                }
                let data = input(name, &mut rng);
                execs += 1;
                if let Err(msg) = run_one(idx, &mut *f, &data) {
                    errors += 1;
                    report_failure(name, &data, &msg);
                    if errors >= MAX_FAILS {
                        println!("# {name}: stopping after {MAX_FAILS} failures");
                        break;
                    }
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let rate = execs as f64 / secs.max(1e-9);
        let mut line =
            format!("{name}: {execs} executions in {secs:.1} s ({rate:.0}/s), {errors} errors");
        let (acc, refu) = bpflink_fuzz::targets::take_outcomes();
        if acc + refu > 0 {
            line += &format!(" ({acc} accepted, {refu} refused with EINVAL)");
        }
        if let Some(d) = &diff {
            let c = d.counts;
            total_diffs += c.total();
            line += &format!(
                "; {} cases with {}: create {} (+{} with EINVAL from the recorder, {} \
                 fallbacks), update {}, fd_by_id {}; identical: {} reached bpf(2), {} refused \
                 before it; {} where libbpf 1.7.0 and 1.8 differ, checked against 1.8's \
                 documented rules (bpflink) and 1.7.0's (libbpf), not against a libbpf 1.8; \
                 libbpf's answer matched the model (the other targets' oracle) in {}{}",
                c.total(),
                d.ref_rel.name(),
                c.create,
                c.create_fake,
                c.fallback,
                c.update,
                c.fd_by_id,
                c.syscalls,
                c.refused,
                c.rules_1_8,
                c.model_checked,
                if d.records {
                    ""
                } else {
                    " (bpf(2) calls not recorded: answers and messages compared)"
                }
            );
        }
        total_execs += execs;
        total_errors += errors;
        if errors == 0 {
            passed += 1;
            println!("ok {} - {line}", n + 1);
        } else {
            failed += 1;
            println!("not ok {} - {line}", n + 1);
        }
    }
    println!(
        "# fuzz: {total_execs} executions, {total_diffs} differential comparisons, \
         {total_errors} errors found (seed {seed:#x})"
    );
    println!("fuzz: {passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
