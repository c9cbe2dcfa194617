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
//! [`Opts::read`] checks the first two rules and then reads the caller's
//! struct in place, field by field, only where the caller's `sz` covers a
//! field; zero checks go a word at a time. It never forms a reference to
//! the caller's struct, which may be smaller than ours, and copies nothing.
//! The common shapes have shortcuts that give the same answers: a struct
//! of exactly this library's size ([`Full::exact`]: one compare of `sz`,
//! the tail padding checked, every field at a fixed offset) and one that
//! ends at or before the last known field ([`Opts::short`]: nothing to
//! check); every other shape goes through [`Opts::read`].

mod types;

pub use types::*;

use core::ffi::CStr;
use core::marker::PhantomData;
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
    /// `T##__last_field` in libbpf 1.7's headers, where it differs (the
    /// generated header picks one by `LIBBPF_MINOR_VERSION`).
    const LAST_FIELD_1_7: &'static str = Self::LAST_FIELD;
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
/// let r = unsafe { bpflink::link::libbpf::create_attr(3, 4, tcx, o.as_ptr()) };
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
        assert!(
            offset < size_of::<T>(),
            "offset {offset} outside the struct"
        );
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

/// Whether the bytes `[from, to)` at `base` are all zero, read a word at a
/// time (then the odd bytes), stopping at the first non-zero word. Never
/// reads outside `[from, to)`.
///
/// # Safety
/// `[base + from, base + to)` is readable, or `from >= to`.
#[inline(always)]
unsafe fn zero_range(base: *const u8, from: usize, to: usize) -> bool {
    let mut at = from;
    while at + 8 <= to {
        // SAFETY: inside `[from, to)`.
        if unsafe { base.add(at).cast::<u64>().read_unaligned() } != 0 {
            return false;
        }
        at += 8;
    }
    if at + 4 <= to {
        // SAFETY: inside `[from, to)`.
        if unsafe { base.add(at).cast::<u32>().read_unaligned() } != 0 {
            return false;
        }
        at += 4;
    }
    while at < to {
        // SAFETY: inside `[from, to)`.
        if unsafe { base.add(at).read() } != 0 {
            return false;
        }
        at += 1;
    }
    true
}

/// libbpf's `libbpf_is_mem_zeroed(base + from, len)` for the unknown tail
/// of a newer caller's struct (`len > 0`): up to the first aligned word
/// that holds a non-zero byte, like libbpf's byte loop up to that byte. An
/// aligned word never crosses a page, so this touches no page libbpf would
/// not.
///
/// # Safety
/// The bytes from `base + from` up to the first non-zero one (or `len`
/// bytes) are readable, and so is the rest of the aligned 8-byte word that
/// holds that byte, or the range ends first.
#[cold]
#[inline(never)]
unsafe fn tail_zeroed(base: *const u8, from: usize, len: usize) -> bool {
    let end = from.saturating_add(len);
    let mut at = from;
    // Bytes up to an 8-byte aligned address, then whole words.
    while at < end && !(base as usize).wrapping_add(at).is_multiple_of(8) {
        // SAFETY: inside the range, before any non-zero byte.
        if unsafe { base.add(at).read() } != 0 {
            return false;
        }
        at += 1;
    }
    while end - at >= 8 {
        // SAFETY: an aligned word inside the range.
        if unsafe { base.add(at).cast::<u64>().read() } != 0 {
            return false;
        }
        at += 8;
    }
    // SAFETY: the bytes left, inside the range.
    unsafe { zero_range(base, at, end) }
}

/// A caller's options struct that passed `OPTS_VALID`, read in place: no
/// copy is made, each field is read from the caller's memory when asked for
/// (and only if the caller's `sz` covers it).
#[derive(Clone, Copy)]
pub struct Opts<'a, T: OptsType> {
    base: *const u8,
    /// The caller's `sz`.
    sz: usize,
    _caller: PhantomData<&'a T>,
}

impl<'a, T: OptsType> Opts<'a, T> {
    /// `OPTS_VALID`: `Ok(None)` for NULL, `Err(EINVAL)` with libbpf's
    /// warning for a bad `sz` or non-zero extra bytes.
    ///
    /// # Safety
    /// A non-null `p` points to `sz` readable bytes, `sz` being its first
    /// `usize`, for `'a` (libbpf's contract; for a `sz` past this library's
    /// struct, the bytes beyond it up to the first non-zero one, and the
    /// rest of that byte's aligned 8-byte word, must be readable).
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

    /// The caller's struct, if it ends at or before this library's last
    /// field (an older libbpf's, or this one's without its tail padding)
    /// and holds at least `sz`: what [`Opts::read`] accepts without any
    /// zero check. `None` for every other struct, valid or not.
    ///
    /// # Safety
    /// As [`Opts::read`]; `p` is not NULL.
    #[inline(always)]
    pub unsafe fn short(p: *const T) -> Option<Self> {
        let base = p as *const u8;
        // SAFETY: every opts struct starts with `size_t sz`.
        let sz = unsafe { (base as *const usize).read_unaligned() };
        (size_of::<usize>() <= sz && sz <= T::KNOWN_END).then_some(Self {
            base,
            sz,
            _caller: PhantomData,
        })
    }

    /// [`Opts::read`] for a non-null pointer.
    ///
    /// # Safety
    /// As [`Opts::read`]; `p` is not NULL.
    #[inline(always)]
    pub unsafe fn read_nonnull(p: *const T) -> Result<Self, Errno> {
        const { assert!(size_of::<T>() <= MAX_OPTS) };
        let base = p as *const u8;
        // SAFETY: every opts struct starts with `size_t sz`; the caller
        // guarantees at least that much is readable.
        let sz = unsafe { (base as *const usize).read_unaligned() };
        if sz < size_of::<usize>() {
            return Err(too_small(T::NAME, sz));
        }
        // libbpf: (ssize_t)sz - KNOWN_END > 0, then the bytes must be zero.
        let extra = (sz as isize).wrapping_sub(T::KNOWN_END as isize);
        // When `extra > 0` the caller's struct is `sz` bytes long, so
        // `[KNOWN_END, sz)` is inside it (no pointer past a shorter struct
        // is formed otherwise). A caller of this library's size (the common
        // case) has only the tail padding there, checked inline.
        let zero = extra <= 0
            || if sz <= size_of::<T>() {
                // SAFETY: `[KNOWN_END, sz)` is inside the caller's struct.
                unsafe { zero_range(base, T::KNOWN_END, sz) }
            } else {
                // SAFETY: as above, up to the first non-zero byte's word.
                unsafe { tail_zeroed(base, T::KNOWN_END, extra as usize) }
            };
        if !zero {
            return Err(extra_bytes(T::NAME));
        }
        Ok(Self {
            base,
            sz,
            _caller: PhantomData,
        })
    }

    /// The caller's `sz`.
    #[inline(always)]
    pub fn sz(&self) -> usize {
        self.sz
    }

    /// Whether the caller's struct is at least this library's (every field
    /// present) and `sz` a length libbpf's signed arithmetic reads as one
    /// (below 2^63; from there `(ssize_t)sz - end` is negative and libbpf
    /// skips its zero checks): the common case, read as [`Full`].
    #[inline(always)]
    pub fn full(&self) -> bool {
        self.sz >= size_of::<T>() && self.sz <= isize::MAX as usize
    }

    /// `OPTS_GET(opts, field, 0)`: the field at `offset` if the caller's
    /// `sz` covers all of it, else zero. `_field` only names the field's
    /// type (see [`crate::opts_get!`]); it is never called.
    #[inline(always)]
    pub fn get<F: OptsValue>(&self, offset: usize, _field: impl FnOnce(*const T) -> *const F) -> F {
        if self.sz >= offset.wrapping_add(size_of::<F>()) {
            // SAFETY: inside the caller's `sz` bytes; every bit pattern is a
            // valid `F` (integers and raw pointers).
            unsafe { self.base.add(offset).cast::<F>().read_unaligned() }
        } else {
            F::ZERO
        }
    }

    /// `OPTS_ZEROED(opts, field)` with `end = offsetofend(T, field)`: every
    /// caller byte in `[end, sz)` is zero. Bytes past this library's struct
    /// were checked by [`Opts::read`] (or, for `sz >= 2^63`, which libbpf
    /// treats as negative there, are not read at all: where libbpf's
    /// arithmetic wraps and it reads past the caller's struct, this reads
    /// only up to the end of ours).
    #[inline(always)]
    pub fn zeroed_after(&self, end: usize) -> bool {
        if (self.sz.wrapping_sub(end) as isize) <= 0 {
            return true;
        }
        let stop = if self.sz < size_of::<T>() {
            self.sz
        } else {
            size_of::<T>()
        };
        // SAFETY: `[end, stop)` is inside the caller's `sz` bytes and this
        // library's struct.
        unsafe { zero_range(self.base, end, stop) }
    }

    /// [`Opts::zeroed_after`] the field `_field` names, at `offset`.
    #[inline(always)]
    pub fn zeroed_after_field<F>(
        &self,
        offset: usize,
        _field: impl FnOnce(*const T) -> *const F,
    ) -> bool {
        self.zeroed_after(offset + size_of::<F>())
    }
}

/// The warning and error of a `sz` below `sizeof(size_t)` (cold: out of
/// the readers' way).
#[cold]
#[inline(never)]
fn too_small(name: &CStr, sz: usize) -> Errno {
    crate::pr_warn!("%s size (%zu) is too small\n", name.as_ptr(), sz);
    Errno(libc::EINVAL)
}

/// The warning and error of non-zero bytes past the known fields.
#[cold]
#[inline(never)]
fn extra_bytes(name: &CStr) -> Errno {
    crate::pr_warn!("%s has non-zero extra bytes\n", name.as_ptr());
    Errno(libc::EINVAL)
}

/// What the `opts_get!` / `opts_zeroed!` macros read from: NULL or a
/// validated caller's struct of any size (`Option<Opts>`), or one known to
/// be at least this library's size ([`Full`]), where every field is present
/// and the zero checks run over constant ranges.
pub trait Reader<T: OptsType> {
    /// `OPTS_GET(opts, field, 0)`: the field at `offset` if present, else
    /// zero. `field` only names its type; it is never called.
    fn get<F: OptsValue>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> F;
    /// `OPTS_ZEROED(opts, field)` for the field at `offset` that `field`
    /// names.
    fn zeroed_after<F>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> bool;
}

impl<T: OptsType> Reader<T> for Opts<'_, T> {
    #[inline(always)]
    fn get<F: OptsValue>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> F {
        Opts::get(self, offset, field)
    }

    #[inline(always)]
    fn zeroed_after<F>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> bool {
        self.zeroed_after_field(offset, field)
    }
}

impl<T: OptsType> Reader<T> for Option<Opts<'_, T>> {
    #[inline(always)]
    fn get<F: OptsValue>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> F {
        match self {
            None => F::ZERO,
            Some(o) => o.get(offset, field),
        }
    }

    #[inline(always)]
    fn zeroed_after<F>(&self, offset: usize, field: impl FnOnce(*const T) -> *const F) -> bool {
        match self {
            None => true,
            Some(o) => o.zeroed_after_field(offset, field),
        }
    }
}

/// A validated caller's struct at least this library's size: what most
/// callers pass (`LIBBPF_OPTS` of the same release). Every field is there,
/// and whatever lies past the struct was checked by [`Opts::read`], so a
/// zero check only covers `[end, size_of::<T>())`, a constant range.
#[derive(Clone, Copy)]
pub struct Full<'a, T: OptsType>(Opts<'a, T>);

impl<'a, T: OptsType> Full<'a, T> {
    /// `o` as a full-size struct, if it is one.
    #[inline(always)]
    pub fn of(o: Opts<'a, T>) -> Option<Self> {
        o.full().then_some(Full(o))
    }

    /// The caller's struct, if it is exactly this library's (`sz` is
    /// `size_of::<T>()`, what `LIBBPF_OPTS` of the same release gives) and
    /// its tail padding is zero: [`Opts::read`]'s answer for it, decided
    /// with one compare of `sz` and a constant-range zero check (often
    /// none). `None` for every other struct, valid or not: read it with
    /// [`Opts::read`].
    ///
    /// # Safety
    /// As [`Opts::read`]; `p` is not NULL.
    #[inline(always)]
    pub unsafe fn exact(p: *const T) -> Option<Self> {
        let base = p as *const u8;
        // SAFETY: every opts struct starts with `size_t sz`; the caller
        // guarantees at least that much is readable.
        let sz = unsafe { (base as *const usize).read_unaligned() };
        // SAFETY: when `sz` is `size_of::<T>()`, `[KNOWN_END, sz)` is inside
        // the caller's struct (`&&` reads nothing otherwise).
        (sz == size_of::<T>() && unsafe { zero_range(base, T::KNOWN_END, sz) }).then_some(Full(
            Opts {
                base,
                sz,
                _caller: PhantomData,
            },
        ))
    }
}

impl<T: OptsType> Reader<T> for Full<'_, T> {
    #[inline(always)]
    fn get<F: OptsValue>(&self, offset: usize, _field: impl FnOnce(*const T) -> *const F) -> F {
        const { assert!(size_of::<F>() <= 8) };
        if offset.wrapping_add(size_of::<F>()) > size_of::<T>() {
            return F::ZERO; // no such field (a caller's mistake)
        }
        // SAFETY: inside this library's struct, which the caller's `sz`
        // covers; every bit pattern is a valid `F`.
        unsafe { self.0.base.add(offset).cast::<F>().read_unaligned() }
    }

    #[inline(always)]
    fn zeroed_after<F>(&self, offset: usize, _field: impl FnOnce(*const T) -> *const F) -> bool {
        let end = offset.wrapping_add(size_of::<F>());
        // With size_of::<T>() <= sz < 2^63, libbpf's `(ssize_t)sz - end`
        // is the plain length of [end, sz): it checks those bytes; past the
        // struct Opts::read checked them already.
        // SAFETY: `[end, size_of::<T>())` is inside the caller's struct.
        end >= size_of::<T>() || unsafe { zero_range(self.0.base, end, size_of::<T>()) }
    }
}

/// `OPTS_GET(opts, field, 0)` on a [`Reader`] (`Option<Opts<T>>` or
/// [`Full`]): the field's value if the caller's `sz` covers all of it,
/// zero (or NULL) otherwise.
#[macro_export]
macro_rules! opts_get {
    ($opts:expr, $T:ty, $($f:ident).+) => {
        $crate::opts::Reader::<$T>::get(
            &$opts,
            ::core::mem::offset_of!($T, $($f).+),
            // Names the field's type; never called.
            |p: *const $T| {
                #[allow(unused_unsafe)]
                // SAFETY: not run (a place, not a read, if it were).
                unsafe { ::core::ptr::addr_of!((*p).$($f).+) }
            },
        )
    };
}

/// `OPTS_ZEROED(opts, field)` on a [`Reader`] (NULL opts: true).
#[macro_export]
macro_rules! opts_zeroed {
    ($opts:expr, $T:ty, $($f:ident).+) => {
        $crate::opts::Reader::<$T>::zeroed_after(
            &$opts,
            ::core::mem::offset_of!($T, $($f).+),
            // Names the field's type; never called.
            |p: *const $T| {
                #[allow(unused_unsafe)]
                // SAFETY: not run (a place, not a read, if it were).
                unsafe { ::core::ptr::addr_of!((*p).$($f).+) }
            },
        )
    };
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

    fn read<T: OptsType>(v: &[u64]) -> (Result<Option<Opts<'_, T>>, Errno>, Vec<String>) {
        // SAFETY: `v` holds at least the caller's `sz` bytes in every test.
        capture_warnings(|| unsafe { Opts::<T>::read(v.as_ptr() as *const T) })
    }

    /// The shortcuts take exactly the structs `Opts::read` accepts without
    /// a zero check (short) or with only the tail padding's (exact), and
    /// read the same fields from them.
    #[test]
    fn shortcuts_agree_with_the_reader() {
        type U = bpf_link_update_opts; // known end 20, size 24
        for sz in 0..=40usize {
            for pad in [0u8, 1] {
                let mut v = caller(40, sz);
                set_byte(&mut v, 8, 5); // flags
                set_byte(&mut v, 12, 6); // old_prog_fd
                set_byte(&mut v, 21, pad); // tail padding
                let p = v.as_ptr() as *const U;
                // SAFETY: `v` holds 40 bytes, at least min(sz, 40); only
                // sz <= 40 is tried.
                let (exact, short) = unsafe { (Full::exact(p), Opts::short(p)) };
                let (general, _) = read::<U>(&v);
                assert_eq!(exact.is_some(), sz == 24 && pad == 0, "sz {sz} pad {pad}");
                assert_eq!(short.is_some(), (8..=20).contains(&sz), "sz {sz}");
                if let Some(f) = exact {
                    let g = general.unwrap().unwrap();
                    assert_eq!(opts_get!(f, U, flags), opts_get!(g, U, flags));
                    assert_eq!(opts_get!(f, U, old_prog_fd), opts_get!(g, U, old_prog_fd));
                    assert_eq!(opts_get!(f, U, old_map_fd), opts_get!(g, U, old_map_fd));
                } else if let Some(o) = short {
                    let g = general.unwrap().unwrap();
                    assert_eq!(opts_get!(o, U, flags), opts_get!(g, U, flags), "sz {sz}");
                    assert_eq!(opts_get!(o, U, old_prog_fd), opts_get!(g, U, old_prog_fd));
                    assert!(opts_zeroed!(o, U, old_map_fd) == opts_zeroed!(g, U, old_map_fd));
                }
            }
        }
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
            let v = caller(16, sz);
            let (r, msgs) = read::<C>(&v);
            assert_eq!(r.err(), Some(Errno(libc::EINVAL)), "sz {sz}");
            assert_eq!(
                msgs,
                [format!(
                    "libbpf: bpf_link_create_opts size ({sz}) is too small\n"
                )]
            );
        }
        let v = caller(8, 1);
        let (r, msgs) = read::<bpf_link_update_opts>(&v);
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
        // Known end of bpf_link_create_opts is 80 (libbpf 1.8's
        // uprobe_multi.path_fd, in 1.7.0's tail padding); anything a newer
        // header adds must be zero.
        for sz in [88usize, 96, 200, 4096] {
            let v = caller(sz, sz);
            assert!(read::<C>(&v).0.is_ok(), "zero tail, sz {sz}");
            for pos in [80, 87, sz - 1] {
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
        let v = caller(16, 16);
        let o = read::<C>(&v).0.unwrap();
        assert!(opts_zeroed!(o, C, u.uprobe_multi));
    }

    #[test]
    fn known_ends_match_libbpf_1_8() {
        assert_eq!(C::KNOWN_END, offset_of!(C, u.uprobe_multi.path_fd) + 4);
        assert_eq!(C::KNOWN_END, 80);
        assert_eq!(bpf_link_update_opts::KNOWN_END, 20);
        assert_eq!(bpf_get_fd_by_id_opts::KNOWN_END, 16);
        assert_eq!(C::LAST_FIELD, "uprobe_multi.path_fd");
        assert_eq!(C::LAST_FIELD_1_7, "uprobe_multi.pid");
        assert_eq!(
            bpf_link_update_opts::LAST_FIELD_1_7,
            bpf_link_update_opts::LAST_FIELD
        );
    }
}
