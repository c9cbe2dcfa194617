//! The four in-process targets: bpflink's readers (the Rust API, the very
//! code the C functions run) against the model, on every decoded input,
//! by libbpf 1.8's rules (which bpflink follows; for the update and
//! fd-by-id options they are 1.7.0's too). No kernel is involved. A
//! violated invariant panics, which is what a fuzzer reports.

use core::mem::size_of;

use bpflink::link::libbpf;
use bpflink::opts::{
    Opts, OptsType, bpf_get_fd_by_id_opts as F, bpf_link_create_opts as C,
    bpf_link_update_opts as U,
};
use bpflink::sys::attr::LinkCreateAttr;
use bpflink::{opts_get, opts_zeroed};

use crate::capture::capture;
use crate::input::{CREATE, FD_BY_ID, Image, Layout, Reader, UPDATE, decode_image, place};
use crate::model::{self, Rel, Verdict};

const EINVAL: i32 = libc::EINVAL;

thread_local! {
    static OUTCOMES: core::cell::Cell<[u64; 2]> = const { core::cell::Cell::new([0; 2]) };
}

/// How many inputs since the last call were accepted and refused (by
/// bpflink and libbpf alike), on this thread; resets the counts.
pub fn take_outcomes() -> (u64, u64) {
    let [a, r] = OUTCOMES.with(|c| c.replace([0; 2]));
    (a, r)
}

fn count(accepted: bool) {
    OUTCOMES.with(|c| {
        let mut v = c.get();
        v[usize::from(!accepted)] += 1;
        c.set(v);
    });
}

const _: () = {
    // The model's layouts are libbpf 1.8's; bpflink's structs must agree.
    assert!(size_of::<C>() == CREATE.size && C::KNOWN_END == CREATE.known_end_1_8);
    assert!(size_of::<U>() == UPDATE.size && U::KNOWN_END == UPDATE.known_end_1_8);
    assert!(size_of::<F>() == FD_BY_ID.size && F::KNOWN_END == FD_BY_ID.known_end_1_8);
    assert!(size_of::<LinkCreateAttr>() == 64);
};

/// A field value as the 8 bytes the model reads (zero-extended).
trait Bits {
    fn bits(self) -> u64;
}
impl Bits for u32 {
    fn bits(self) -> u64 {
        self as u64
    }
}
impl Bits for i32 {
    fn bits(self) -> u64 {
        self as u32 as u64
    }
}
impl Bits for u64 {
    fn bits(self) -> u64 {
        self
    }
}
impl Bits for usize {
    fn bits(self) -> u64 {
        self as u64
    }
}
impl<T> Bits for *const T {
    fn bits(self) -> u64 {
        self as usize as u64
    }
}
impl<T> Bits for *mut T {
    fn bits(self) -> u64 {
        self as usize as u64
    }
}

/// One field: its name, libbpf's offset and size, and how bpflink reads it
/// (`opts_get!` and `opts_zeroed!`).
type Field<T> = (&'static str, u64, u64, fn(&Option<Opts<'_, T>>) -> (u64, bool));
/// A member only checked with `opts_zeroed!`: its name and libbpf's end.
type Member<T> = (&'static str, u64, fn(&Option<Opts<'_, T>>) -> bool);

macro_rules! fields {
    ($T:ty; $($($f:ident).+ @ $off:literal + $size:literal),* $(,)?) => {
        &[$((
            stringify!($($f).+),
            $off,
            $size,
            (|o: &Option<Opts<'_, $T>>| -> (u64, bool) {
                (opts_get!(*o, $T, $($f).+).bits(), opts_zeroed!(*o, $T, $($f).+))
            }) as fn(&Option<Opts<'_, $T>>) -> (u64, bool),
        )),*]
    };
}

macro_rules! members {
    ($T:ty; $($($f:ident).+ @ $end:literal),* $(,)?) => {
        &[$((
            stringify!($($f).+),
            $end,
            (|o: &Option<Opts<'_, $T>>| opts_zeroed!(*o, $T, $($f).+)) as fn(&Option<Opts<'_, $T>>) -> bool,
        )),*]
    };
}

// Offsets and sizes: reference §3.1-3.3 (LP64); uprobe_multi.path_fd and
// tracing_multi: libbpf 1.8 (docs/libbpf-1.8.md).
const CREATE_FIELDS: &[Field<C>] = fields!(C;
    sz @ 0 + 8, flags @ 8 + 4, iter_info @ 16 + 8, iter_info_len @ 24 + 4,
    target_btf_id @ 28 + 4,
    u.perf_event.bpf_cookie @ 32 + 8,
    u.kprobe_multi.flags @ 32 + 4, u.kprobe_multi.cnt @ 36 + 4,
    u.kprobe_multi.syms @ 40 + 8, u.kprobe_multi.addrs @ 48 + 8,
    u.kprobe_multi.cookies @ 56 + 8,
    u.uprobe_multi.flags @ 32 + 4, u.uprobe_multi.cnt @ 36 + 4,
    u.uprobe_multi.path @ 40 + 8, u.uprobe_multi.offsets @ 48 + 8,
    u.uprobe_multi.ref_ctr_offsets @ 56 + 8, u.uprobe_multi.cookies @ 64 + 8,
    u.uprobe_multi.pid @ 72 + 4, u.uprobe_multi.path_fd @ 76 + 4,
    u.tracing_multi.ids @ 32 + 8, u.tracing_multi.cookies @ 40 + 8,
    u.tracing_multi.cnt @ 48 + 4,
    u.tracing.cookie @ 32 + 8,
    u.netfilter.pf @ 32 + 4, u.netfilter.hooknum @ 36 + 4,
    u.netfilter.priority @ 40 + 4, u.netfilter.flags @ 44 + 4,
    u.tcx.relative_fd @ 32 + 4, u.tcx.relative_id @ 36 + 4, u.tcx.expected_revision @ 40 + 8,
    u.netkit.relative_fd @ 32 + 4, u.netkit.relative_id @ 36 + 4,
    u.netkit.expected_revision @ 40 + 8,
    u.cgroup.relative_fd @ 32 + 4, u.cgroup.relative_id @ 36 + 4,
    u.cgroup.expected_revision @ 40 + 8,
);
const CREATE_MEMBERS: &[Member<C>] = members!(C;
    u.perf_event @ 40, u.kprobe_multi @ 64, u.uprobe_multi @ 80, u.tracing @ 40,
    u.netfilter @ 48, u.tcx @ 48, u.netkit @ 48, u.cgroup @ 48, u.tracing_multi @ 56,
);
const UPDATE_FIELDS: &[Field<U>] = fields!(U;
    sz @ 0 + 8, flags @ 8 + 4, old_prog_fd @ 12 + 4, old_map_fd @ 16 + 4,
);
const FD_BY_ID_FIELDS: &[Field<F>] = fields!(F;
    sz @ 0 + 8, open_flags @ 8 + 4, token_fd @ 12 + 4,
);

/// Compares an `Err(errno)` / `Ok` answer and its messages with the
/// model's verdict; returns the accepted value pair for further checks.
fn check_verdict<T: core::fmt::Debug, M: core::fmt::Debug>(
    what: &str,
    ctx: &dyn Fn() -> String,
    got: Result<T, i32>,
    msgs: &[String],
    want: Verdict<M>,
) -> Option<(T, M)> {
    count(matches!(want, Verdict::Ok(_)));
    match (got, want) {
        (Err(e), Verdict::Einval(msg)) => {
            assert!(e == EINVAL, "{what}: errno {e}, expected EINVAL; {}", ctx());
            let want: Vec<String> = msg.into_iter().collect();
            assert!(
                msgs == want,
                "{what}: printed {msgs:?}, libbpf prints {want:?}; {}",
                ctx()
            );
            None
        }
        (Ok(v), Verdict::Ok(m)) => {
            assert!(
                msgs.is_empty(),
                "{what}: accepted but printed {msgs:?}; {}",
                ctx()
            );
            Some((v, m))
        }
        (Err(e), Verdict::Ok(m)) => {
            panic!(
                "{what}: refused (errno {e}, printed {msgs:?}) where libbpf accepts ({m:?}); {}",
                ctx()
            )
        }
        (Ok(v), Verdict::Einval(msg)) => {
            panic!(
                "{what}: accepted ({v:?}) where libbpf refuses with EINVAL ({msg:?}); {}",
                ctx()
            )
        }
    }
}

/// What [`read_check`] reads through bpflink: `sz`, then each field's
/// value and `opts_zeroed!`, then each member's `opts_zeroed!`.
type Reading = (Option<usize>, Vec<(u64, bool)>, Vec<bool>);

/// Reads `img` with `Opts::<T>::read` and checks every field and member
/// against the model (libbpf 1.8's rules: for `bpf_link_create_opts` the
/// known end is 80). The fields are read while the image is in place
/// (`Opts` reads the caller's struct where it is).
fn read_check<T: OptsType>(img: &Image, l: &Layout, fields: &[Field<T>], members: &[Member<T>]) {
    let ctx = || format!("{} {}", l.name, img.describe());
    let (r, msgs) = capture(|| {
        // SAFETY: `place` gives NULL or a buffer backing `sz` (decode_image).
        place(img, |p| {
            let o = unsafe { Opts::<T>::read(p as *const T) }.map_err(|e| e.0)?;
            let got: Reading = (
                o.map(|o| o.sz()),
                fields.iter().map(|f| (f.3)(&o)).collect(),
                members.iter().map(|m| (m.2)(&o)).collect(),
            );
            Ok(got)
        })
    });
    let m = model::Opts::of(img, *l, Rel::V1_8);
    let want = match m.valid() {
        Ok(()) => Verdict::Ok(()),
        Err(s) => Verdict::Einval(Some(s)),
    };
    let Some(((sz, got_fields, got_members), ())) = check_verdict("Opts::read", &ctx, r, &msgs, want)
    else {
        return;
    };
    assert!(
        sz.is_none() == img.null,
        "Opts::read: NULL-ness differs; {}",
        ctx()
    );
    if let Some(sz) = sz {
        assert!(sz as u64 == img.sz, "Opts::sz() {sz:#x}; {}", ctx());
    }
    for (&(name, off, size, _), (v, z)) in fields.iter().zip(got_fields) {
        let (mv, mz) = (m.get(off, size), m.zeroed(off + size));
        assert!(
            v == mv,
            "opts_get!({name}) = {v:#x}, libbpf's OPTS_GET gives {mv:#x}; {}",
            ctx()
        );
        assert!(
            z == mz,
            "opts_zeroed!({name}) = {z}, libbpf's OPTS_ZEROED gives {mz}; {}",
            ctx()
        );
    }
    for (&(name, end, _), z) in members.iter().zip(got_members) {
        let mz = m.zeroed(end);
        assert!(
            z == mz,
            "opts_zeroed!({name}) = {z}, libbpf's OPTS_ZEROED gives {mz}; {}",
            ctx()
        );
    }
}

/// Target `opts_read`: one byte picks the struct (bpf_link_create_opts,
/// bpf_link_update_opts, bpf_get_fd_by_id_opts), then an options buffer.
/// Checks `Opts::read` (verdict, warning text, `sz`) and every field
/// through `opts_get!` / `opts_zeroed!` against libbpf's macros.
pub fn opts_read(data: &[u8]) {
    let mut r = Reader::new(data);
    match r.u8() % 3 {
        0 => read_check::<C>(
            &decode_image(&mut r, &CREATE),
            &CREATE,
            CREATE_FIELDS,
            CREATE_MEMBERS,
        ),
        1 => read_check::<U>(&decode_image(&mut r, &UPDATE), &UPDATE, UPDATE_FIELDS, &[]),
        _ => read_check::<F>(
            &decode_image(&mut r, &FD_BY_ID),
            &FD_BY_ID,
            FD_BY_ID_FIELDS,
            &[],
        ),
    }
}

/// Decodes an attach type: mostly 0..63 (every libbpf 1.7.0 type, 1.8's
/// 59-61, and two unknown ones), sometimes any u32.
pub fn decode_attach_type(r: &mut Reader<'_>) -> u32 {
    match r.u8() {
        b @ 0..=231 => (b % 64) as u32,
        _ => r.u32(),
    }
}

/// The attr's 64 bytes as the kernel reads them.
fn attr_bytes(a: &LinkCreateAttr) -> [u8; 64] {
    // SAFETY: LinkCreateAttr is 64 bytes (asserted above) of plain
    // integers with no implicit padding, its union zeroed by `new`.
    unsafe { core::mem::transmute_copy(a) }
}

/// Target `link_create_args`: attach type x prog_fd x target_fd x options
/// buffer. `libbpf::create_attr` must refuse with EINVAL (and libbpf's
/// warning) exactly when libbpf 1.8 does; otherwise its attr must be 1.8's
/// 64 bytes byte for byte (nothing set outside what the attach type's
/// branch writes, path_fd at 60, tracing_multi's fields for 59-61), and
/// `libbpf::raw_tp_fallback` libbpf's `OPTS_ZEROED(opts, sz)`.
pub fn link_create_args(data: &[u8]) {
    let mut r = Reader::new(data);
    let t = decode_attach_type(&mut r);
    let prog_fd = r.u32() as i32;
    let target_fd = r.u32() as i32;
    let img = decode_image(&mut r, &CREATE);
    let ctx = || {
        format!(
            "attach type {t}, prog_fd {prog_fd}, target_fd {target_fd}, {}",
            img.describe()
        )
    };
    let (got, msgs) = capture(|| {
        // SAFETY: `place` gives NULL or a buffer backing `sz` (decode_image).
        place(&img, |p| unsafe {
            libbpf::create_attr(prog_fd, target_fd, t, p as *const C)
                .map(|a| (attr_bytes(&a), libbpf::raw_tp_fallback(p as *const C)))
        })
        .map_err(|e| e.0)
    });
    let m = model::Opts::of(&img, CREATE, Rel::V1_8);
    let want = model::link_create(&m, prog_fd, target_fd, t);
    if let Some(((a, fallback), w)) = check_verdict("libbpf::create_attr", &ctx, got, &msgs, want) {
        if a != w.attr {
            let diff: Vec<String> = (0..64)
                .filter(|&i| a[i] != w.attr[i])
                .map(|i| format!("[{i}] {:#04x} (libbpf 1.8 {:#04x})", a[i], w.attr[i]))
                .collect();
            panic!(
                "attr differs from libbpf 1.8's: {}; {}",
                diff.join(" "),
                ctx()
            );
        }
        assert!(
            fallback == w.raw_tp_fallback,
            "raw_tp_fallback {fallback} where libbpf's OPTS_ZEROED(opts, sz) is {}; {}",
            w.raw_tp_fallback,
            ctx()
        );
    }
}

/// Target `update_opts`: an options buffer for `bpf_link_update`;
/// `libbpf::update_attr` against libbpf's reading (OPTS_VALID, the
/// old_prog_fd / old_map_fd exclusion, flags and the old fd passed on).
pub fn update_opts(data: &[u8]) {
    let mut r = Reader::new(data);
    let img = decode_image(&mut r, &UPDATE);
    let ctx = || img.describe();
    let (got, msgs) = capture(|| {
        // SAFETY: as in link_create_args.
        place(&img, |p| unsafe { libbpf::update_attr(3, 4, p as *const U) })
            .map(|a| (a.link_fd, a.new_prog_fd, a.flags, a.old_prog_fd))
            .map_err(|e| e.0)
    });
    let m = model::Opts::of(&img, UPDATE, Rel::V1_8);
    if let Some((o, w)) = check_verdict(
        "libbpf::update_attr",
        &ctx,
        got,
        &msgs,
        model::link_update(&m),
    ) {
        assert!(
            o == (3, 4, w.flags, w.old_fd),
            "attr (link_fd, new_prog_fd, flags, old_prog_fd) {o:?}, libbpf sends \
             flags {:#x} old fd {}; {}",
            w.flags,
            w.old_fd,
            ctx()
        );
    }
}

/// Target `fd_by_id_opts`: an options buffer for
/// `bpf_link_get_fd_by_id_opts`; `libbpf::fd_by_id_flags` against
/// libbpf's reading (OPTS_VALID, open_flags passed, token_fd unused).
pub fn fd_by_id_opts(data: &[u8]) {
    let mut r = Reader::new(data);
    let img = decode_image(&mut r, &FD_BY_ID);
    let ctx = || img.describe();
    let (got, msgs) = capture(|| {
        // SAFETY: as in link_create_args.
        place(&img, |p| unsafe { libbpf::fd_by_id_flags(p as *const F) }).map_err(|e| e.0)
    });
    let m = model::Opts::of(&img, FD_BY_ID, Rel::V1_8);
    if let Some((o, w)) = check_verdict(
        "libbpf::fd_by_id_flags",
        &ctx,
        got,
        &msgs,
        model::fd_by_id(&m),
    ) {
        assert!(o == w, "open_flags {o:#x}, libbpf sends {w:#x}; {}", ctx());
    }
}
