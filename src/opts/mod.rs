//! libbpf's options structs and the one reader that applies libbpf's
//! forward/backward compatibility rule to all of them.
//!
//! Every options struct starts with `size_t sz`, the size the caller was
//! compiled with. The rule (`OPTS_VALID`, `OPTS_GET`, `OPTS_ZEROED` in
//! libbpf) is:
//!
//! * a NULL pointer means "all defaults";
//! * `sz < sizeof(size_t)` is refused with `"<type> size (<sz>) is too small"`;
//! * bytes the caller has beyond the last field this library knows
//!   (`offsetofend(last_field)`, so struct tail padding counts) must be zero,
//!   otherwise `"<type> has non-zero extra bytes"`: a newer caller asked for
//!   something this library cannot do;
//! * a field that does not fit entirely inside `sz` reads as its default
//!   (zero): an older caller did not know it.
//!
//! [`Opts::read`] copies at most `sizeof(T)` bytes (never more than the
//! caller's `sz`) and answers these questions from the copy; it never forms
//! a reference to the caller's struct, which may be smaller than ours.

mod types;

pub use types::*;

use core::ffi::CStr;
use core::mem::{MaybeUninit, size_of};

use errno::Errno;

/// Largest options struct this library knows, in bytes.
const MAX_OPTS: usize = 128;

/// An options struct that [`Opts`] can read.
///
/// # Safety
/// The type must be `repr(C)`, start with a `usize` `sz` field, contain only
/// integers and raw pointers (every bit pattern valid), and be at most
/// `MAX_OPTS` bytes.
pub unsafe trait OptsType: Copy {
    /// libbpf's name of the type, used in the warnings (`"bpf_link_create_opts"`).
    const NAME: &'static CStr;
    /// `offsetofend(T, T##__last_field)`.
    const KNOWN_END: usize;
    /// The text of `T##__last_field` (for the generated header).
    const LAST_FIELD: &'static str;
}

/// A value an options field can hold; [`OptsValue::ZERO`] is its default.
pub trait OptsValue: Copy {
    /// The value a field has when the caller's `sz` does not cover it.
    const ZERO: Self;
}

macro_rules! zero_is_default {
    ($($t:ty),*) => { $(impl OptsValue for $t { const ZERO: Self = 0; })* };
}
zero_is_default!(u8, u16, u32, u64, i32, i64, usize);

impl<T> OptsValue for *const T {
    const ZERO: Self = core::ptr::null();
}
impl<T> OptsValue for *mut T {
    const ZERO: Self = core::ptr::null_mut();
}

/// A validated copy of a caller's options struct.
#[derive(Clone, Copy)]
pub struct Opts<T: OptsType> {
    /// The caller's bytes `[0, min(sz, size_of::<T>()))`, zero beyond.
    bytes: [u8; MAX_OPTS],
    /// The same bytes as a `T` (padding not meaningful), for field reads.
    local: T,
    /// The caller's `sz`.
    sz: usize,
}

/// A libbpf options struct in zero-filled heap storage with `sz` set: what
/// `LIBBPF_OPTS` gives a C caller. Every byte, padding included, is zero
/// until a field is set through it, so a reader that checks bytes (libbpf's
/// `OPTS_VALID` and `OPTS_ZEROED` do) reads initialised memory.
///
/// A plain Rust value of the struct would not do: moving or copying a value
/// leaves its padding bytes undefined, and reading them as bytes is
/// undefined behaviour. Set fields one at a time (`o.u.tcx.relative_fd = 3`);
/// assigning a whole struct (`*o = ...`, `o.u.uprobe_multi = ...`) would
/// bring such padding in.
///
/// ```
/// use bpflink::opts::{Zeroed, bpf_link_create_opts};
/// let mut o = Zeroed::<bpf_link_create_opts>::new();
/// o.flags = 1;
/// assert_eq!(o.sz, 80);
/// // SAFETY: a full-size struct, every byte initialised.
/// let tcx = bpflink::sys::consts::attach::BPF_TCX_INGRESS;
/// let r = unsafe { bpflink::link::CreateOpts::from_libbpf(o.as_ptr(), tcx) };
/// assert!(r.is_ok());
/// ```
pub struct Zeroed<T: OptsType>(Box<MaybeUninit<T>>);

impl<T: OptsType> Zeroed<T> {
    /// All bytes zero, then `sz = size_of::<T>()`.
    pub fn new() -> Self {
        // (Box::new_zeroed needs Rust 1.92; a zeroed value moved into a
        // box would not be known to keep its padding zero.)
        let layout = std::alloc::Layout::new::<T>();
        // SAFETY: `T` is not zero-sized (it holds `sz`).
        let p = unsafe { std::alloc::alloc_zeroed(layout) } as *mut MaybeUninit<T>;
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: allocated above by the global allocator with `T`'s
        // layout, which is MaybeUninit<T>'s; owned by the box from here.
        let mut b = unsafe { Box::from_raw(p) };
        // SAFETY: OptsType: `sz: usize` is the first field; the storage is
        // a whole, aligned `T`.
        unsafe { b.as_mut_ptr().cast::<usize>().write(size_of::<T>()) };
        Self(b)
    }

    /// The struct, for functions that take libbpf's pointer.
    pub fn as_ptr(&self) -> *const T {
        self.0.as_ptr()
    }

    /// Writes one byte at `offset` (padding too), as a C caller could.
    ///
    /// # Panics
    /// When `offset >= size_of::<T>()`.
    pub fn set_byte(&mut self, offset: usize, value: u8) {
        assert!(offset < size_of::<T>(), "offset {offset} outside the struct");
        // SAFETY: inside the allocation, checked above.
        unsafe { self.0.as_mut_ptr().cast::<u8>().add(offset).write(value) };
    }
}

impl<T: OptsType> Default for Zeroed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: OptsType> core::ops::Deref for Zeroed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: every byte is initialised (zeroed, then written through
        // fields or `set_byte`), and OptsType makes every bit pattern a
        // valid `T`.
        unsafe { self.0.assume_init_ref() }
    }
}

impl<T: OptsType> core::ops::DerefMut for Zeroed<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { self.0.assume_init_mut() }
    }
}

/// libbpf's `libbpf_is_mem_zeroed(p, len)`: true when `len <= 0`.
///
/// # Safety
/// When `len > 0`, `p` must be readable up to the first non-zero byte or
/// `len` bytes, whichever comes first.
unsafe fn mem_zeroed(p: *const u8, len: isize) -> bool {
    let mut i = 0isize;
    while i < len {
        // SAFETY: within the range the caller vouched for; the loop stops
        // at the first non-zero byte, exactly like libbpf's.
        if unsafe { p.offset(i).read() } != 0 {
            return false;
        }
        i += 1;
    }
    true
}

impl<T: OptsType> Opts<T> {
    /// `OPTS_VALID` and a copy: `Ok(None)` for NULL, `Err(EINVAL)` with
    /// libbpf's warning for a bad `sz` or non-zero extra bytes.
    ///
    /// # Safety
    /// A non-null `p` must point to `sz` readable bytes, `sz` being its
    /// first `usize` (libbpf's contract; for a huge `sz` whose tail is
    /// checked, the bytes up to the first non-zero one must be readable).
    #[inline(always)]
    pub unsafe fn read(p: *const T) -> Result<Option<Self>, Errno> {
        // NULL, the common case, is decided inline, so that a caller's
        // option reading folds away to the defaults.
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: forwarded contract, `p` not NULL.
        unsafe { Self::read_nonnull(p) }.map(Some)
    }

    /// [`Opts::read`] for a non-null pointer.
    ///
    /// # Safety
    /// As [`Opts::read`]; `p` is not NULL.
    #[inline(never)]
    unsafe fn read_nonnull(p: *const T) -> Result<Self, Errno> {
        const { assert!(size_of::<T>() <= MAX_OPTS) };
        let base = p as *const u8;
        // SAFETY: every opts struct starts with `size_t sz`; the caller
        // guarantees at least that much is readable.
        let sz = unsafe { (base as *const usize).read_unaligned() };
        if sz < size_of::<usize>() {
            crate::pr_warn!("%s size (%zu) is too small\n", T::NAME.as_ptr(), sz);
            return Err(Errno(libc::EINVAL));
        }
        let extra = (sz as isize).wrapping_sub(T::KNOWN_END as isize);
        // SAFETY: when `extra > 0` the caller's struct is `sz` bytes long,
        // so `[KNOWN_END, sz)` is inside it. Otherwise the struct may end
        // before KNOWN_END and no pointer into it is formed (`add` past the
        // end of an object is undefined behaviour even unread).
        if extra > 0 && !unsafe { mem_zeroed(base.add(T::KNOWN_END), extra) } {
            crate::pr_warn!("%s has non-zero extra bytes\n", T::NAME.as_ptr());
            return Err(Errno(libc::EINVAL));
        }
        let n = sz.min(size_of::<T>());
        let mut bytes = [0u8; MAX_OPTS];
        // SAFETY: `n <= sz` bytes are readable at `base` and fit in `bytes`.
        unsafe { core::ptr::copy_nonoverlapping(base, bytes.as_mut_ptr(), n) };
        let mut local = MaybeUninit::<T>::zeroed();
        // SAFETY: `n <= size_of::<T>()`; `local` is writable for that many bytes.
        unsafe { core::ptr::copy_nonoverlapping(base, local.as_mut_ptr() as *mut u8, n) };
        Ok(Self {
            bytes,
            // SAFETY: OptsType guarantees every bit pattern is a valid T.
            local: unsafe { local.assume_init() },
            sz,
        })
    }

    /// The caller's `sz`.
    pub fn sz(&self) -> usize {
        self.sz
    }

    /// The copy as a `T`, for [`crate::opts_get!`]. Fields not covered by `sz` are
    /// zero here, but a field only partly covered is not: read fields
    /// through [`crate::opts_get!`], which applies `OPTS_HAS`.
    pub fn local(&self) -> &T {
        &self.local
    }

    /// `OPTS_GET(opts, field, 0)` given the field's offset and value.
    pub fn get<F: OptsValue>(&self, offset: usize, value: F) -> F {
        if self.sz >= offset + size_of::<F>() {
            value
        } else {
            F::ZERO
        }
    }

    /// `OPTS_ZEROED(opts, field)` with `end = offsetofend(T, field)`: every
    /// caller byte in `[end, sz)` is zero. Bytes past `size_of::<T>()` were
    /// checked by [`Opts::read`] (or, for `sz >= 2^63`, which libbpf treats
    /// as negative there, are not read at all).
    pub fn zeroed_after(&self, end: usize) -> bool {
        if (self.sz.wrapping_sub(end) as isize) <= 0 {
            return true;
        }
        let stop = self.sz.min(size_of::<T>());
        end >= stop || self.bytes[end..stop].iter().all(|&b| b == 0)
    }
}

/// `OPTS_GET(opts, field, 0)` on an `Option<Opts<T>>`: the field's value if
/// the caller's `sz` covers all of it, zero (or NULL) otherwise.
#[macro_export]
macro_rules! opts_get {
    ($opts:expr, $T:ty, $($f:ident).+) => {{
        let o: &::core::option::Option<$crate::opts::Opts<$T>> = &$opts;
        match o {
            None => $crate::opts::OptsValue::ZERO,
            Some(o) => {
                #[allow(unused_unsafe)]
                // SAFETY: `local` is a fully initialised plain-old-data copy;
                // every union member is integers and pointers, valid for any
                // bit pattern.
                let v = unsafe { o.local().$($f).+ };
                o.get(::core::mem::offset_of!($T, $($f).+), v)
            }
        }
    }};
}

/// `OPTS_ZEROED(opts, field)` on an `Option<Opts<T>>` (NULL opts: true).
#[macro_export]
macro_rules! opts_zeroed {
    ($opts:expr, $T:ty, $($f:ident).+) => {{
        let o: &::core::option::Option<$crate::opts::Opts<$T>> = &$opts;
        match o {
            None => true,
            Some(o) => {
                #[allow(unused_unsafe)]
                // SAFETY: as in `opts_get!`; only the size is used.
                let size = ::core::mem::size_of_val(unsafe { &o.local().$($f).+ });
                o.zeroed_after(::core::mem::offset_of!($T, $($f).+) + size)
            }
        }
    }};
}

#[cfg(test)]
mod tests {
    //! The compatibility rule, on byte buffers standing in for callers
    //! compiled against older and newer headers. No kernel involved.

    use super::*;
    use crate::testutil::capture_warnings;
    use core::mem::offset_of;

    type C = bpf_link_create_opts;

    /// A caller's struct of `len` bytes whose first word is `sz`.
    fn caller(len: usize, sz: usize) -> Vec<u64> {
        let mut v = vec![0u64; len.div_ceil(8).max(1)];
        v[0] = sz as u64;
        v
    }

    fn set_byte(v: &mut [u64], off: usize, b: u8) {
        let mut word = v[off / 8].to_ne_bytes();
        word[off % 8] = b;
        v[off / 8] = u64::from_ne_bytes(word);
    }

    fn read<T: OptsType>(v: &[u64]) -> (Result<Option<Opts<T>>, Errno>, Vec<String>) {
        // SAFETY: `v` holds at least the caller's `sz` bytes in every test.
        capture_warnings(|| unsafe { Opts::<T>::read(v.as_ptr() as *const T) })
    }

    #[test]
    fn null_means_defaults() {
        // SAFETY: NULL is always allowed.
        let o = unsafe { Opts::<C>::read(core::ptr::null()) }.unwrap();
        assert!(o.is_none());
        let flags: u32 = opts_get!(o, C, flags);
        assert_eq!(flags, 0);
        assert!(opts_zeroed!(o, C, sz));
    }

    #[test]
    fn too_small_sizes_are_refused_with_libbpfs_text() {
        for sz in 0..size_of::<usize>() {
            let (r, msgs) = read::<C>(&caller(16, sz));
            assert_eq!(r.err(), Some(Errno(libc::EINVAL)), "sz {sz}");
            assert_eq!(
                msgs,
                [format!(
                    "libbpf: bpf_link_create_opts size ({sz}) is too small\n"
                )]
            );
        }
        let (r, msgs) = read::<bpf_link_update_opts>(&caller(8, 1));
        assert!(r.is_err());
        assert_eq!(
            msgs,
            ["libbpf: bpf_link_update_opts size (1) is too small\n"]
        );
    }

    #[test]
    fn older_callers_read_missing_fields_as_zero() {
        // An old caller (sz = 16, up to `flags`) with garbage after its end.
        let mut v = caller(80, 16);
        set_byte(&mut v, 8, 7); // flags = 7
        set_byte(&mut v, 24, 9); // iter_info_len, beyond sz
        let (r, msgs) = read::<C>(&v);
        let o = r.unwrap();
        assert!(msgs.is_empty());
        assert_eq!(opts_get!(o, C, flags), 7u32);
        assert_eq!(opts_get!(o, C, iter_info_len), 0u32);
        assert!(opts_zeroed!(o, C, flags));
    }

    #[test]
    fn a_field_partly_inside_sz_reads_as_zero() {
        // sz = 44 covers the first half of tcx.expected_revision (40..48).
        let mut v = caller(80, 44);
        set_byte(&mut v, 40, 5);
        let (r, _) = read::<C>(&v);
        let o = r.unwrap();
        let rev: u64 = opts_get!(o, C, u.tcx.expected_revision);
        assert_eq!(rev, 0);
        // ...but its bytes still count as non-zero for OPTS_ZEROED.
        assert!(!opts_zeroed!(o, C, u.tcx.relative_id));
        let mut v = caller(80, 48);
        set_byte(&mut v, 40, 5);
        let o = read::<C>(&v).0.unwrap();
        assert_eq!(opts_get!(o, C, u.tcx.expected_revision), 5u64);
    }

    #[test]
    fn newer_callers_must_leave_unknown_bytes_zero() {
        // Known end of bpf_link_create_opts is 76 (uprobe_multi.pid); the
        // tail padding 76..80 and anything a newer header adds must be zero.
        for sz in [80usize, 96, 200, 4096] {
            let v = caller(sz, sz);
            assert!(read::<C>(&v).0.is_ok(), "zero tail, sz {sz}");
            for pos in [76, 79, 80, sz - 1] {
                if pos >= sz {
                    continue;
                }
                let mut v = caller(sz, sz);
                set_byte(&mut v, pos, 1);
                let (r, msgs) = read::<C>(&v);
                assert_eq!(r.err(), Some(Errno(libc::EINVAL)), "sz {sz} pos {pos}");
                assert_eq!(
                    msgs,
                    ["libbpf: bpf_link_create_opts has non-zero extra bytes\n"]
                );
            }
        }
        // bpf_link_update_opts: 4 bytes of tail padding (20..24) count.
        let mut v = caller(24, 24);
        set_byte(&mut v, 20, 1);
        let (r, msgs) = read::<bpf_link_update_opts>(&v);
        assert!(r.is_err());
        assert_eq!(
            msgs,
            ["libbpf: bpf_link_update_opts has non-zero extra bytes\n"]
        );
    }

    #[test]
    fn sizes_libbpf_sees_as_negative_skip_the_tail_check() {
        // libbpf computes (ssize_t)sz - known_end: SIZE_MAX is -1, so no
        // byte past the struct is read and every field is "present".
        let mut v = caller(80, usize::MAX);
        set_byte(&mut v, 8, 3);
        let (r, msgs) = read::<C>(&v);
        let o = r.unwrap();
        assert!(msgs.is_empty());
        assert_eq!(opts_get!(o, C, flags), 3u32);
        assert_eq!(o.unwrap().sz(), usize::MAX);
    }

    #[test]
    fn zeroed_after_checks_from_the_field_end_to_sz() {
        let mut v = caller(80, 80);
        set_byte(&mut v, 12, 1); // padding after flags
        let o = read::<C>(&v).0.unwrap();
        assert!(!opts_zeroed!(o, C, flags)); // default branch refuses
        assert!(opts_zeroed!(o, C, target_btf_id)); // union is clean
        assert!(!opts_zeroed!(o, C, sz)); // no raw_tp fallback
        // A field end past sz: libbpf's negative length means "zeroed".
        let o = read::<C>(&caller(16, 16)).0.unwrap();
        assert!(opts_zeroed!(o, C, u.uprobe_multi));
    }

    #[test]
    fn known_ends_match_libbpf_1_7_0() {
        assert_eq!(C::KNOWN_END, offset_of!(C, u.uprobe_multi.pid) + 4);
        assert_eq!(C::KNOWN_END, 76);
        assert_eq!(bpf_link_update_opts::KNOWN_END, 20);
        assert_eq!(bpf_get_fd_by_id_opts::KNOWN_END, 16);
        assert_eq!(C::LAST_FIELD, "uprobe_multi.pid");
    }
}
