//! What a fuzz input means, and the memory an options struct is put in.
//!
//! Every target reads its input through [`Reader`]: a byte that is not
//! there reads as zero, so every input, however short, decodes. An options
//! struct is encoded as
//!
//! ```text
//! ssel: u8    how sz is chosen (255: a NULL opts pointer), see decode_image
//! lsel: u8    how long the caller's buffer is
//! raw:  u64   parameter of the sz choice (little endian)
//! body: ...   the buffer's bytes from offset 8 on (missing bytes are zero)
//! ```
//!
//! and the buffer is then placed so that it ends exactly where an
//! inaccessible page begins ([`place`]): a read past it is a SIGSEGV, on
//! the stable toolchain too, without a sanitizer.

use core::cell::Cell;

/// Reads fixed-size values off the front of an input; past its end every
/// byte is zero.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    /// The next 4 bytes, little endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// The next 8 bytes, little endian.
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let r = self.data.get(self.pos..).unwrap_or(&[]);
        self.pos = self.data.len();
        r
    }
}

/// The facts about one libbpf options struct that the input construction
/// needs, as libbpf v1.7.0 and libbpf 1.8 define them on LP64 (reference
/// §1.4, §3; docs/libbpf-1.8.md).
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// libbpf's type name, as its warnings print it.
    pub name: &'static str,
    /// `sizeof(struct ...)` (the same in both releases).
    pub size: usize,
    /// `offsetofend(struct ..., ...__last_field)` in libbpf 1.7.0: where
    /// its `OPTS_VALID`'s zero check starts.
    pub known_end: usize,
    /// The same in libbpf 1.8.
    pub known_end_1_8: usize,
    /// Every offset from which either release's checks may scan for a
    /// non-zero byte for a `sz` larger than the buffer: both known ends
    /// (`OPTS_VALID`) and the ends of members that lie past one of them
    /// (`OPTS_ZEROED(opts, uprobe_multi)` ends at 80, past 1.7.0's 76).
    pub scan_starts: &'static [usize],
}

/// `struct bpf_link_create_opts`: 80 bytes, last field `uprobe_multi.pid`
/// (1.7.0) or `uprobe_multi.path_fd` (1.8, in 1.7.0's tail padding).
pub const CREATE: Layout = Layout {
    name: "bpf_link_create_opts",
    size: 80,
    known_end: 76,
    known_end_1_8: 80,
    scan_starts: &[76, 80],
};

/// `struct bpf_link_update_opts`: 24 bytes, last field `old_map_fd`.
pub const UPDATE: Layout = Layout {
    name: "bpf_link_update_opts",
    size: 24,
    known_end: 20,
    known_end_1_8: 20,
    scan_starts: &[20],
};

/// `struct bpf_get_fd_by_id_opts`: 16 bytes, last field `token_fd`.
pub const FD_BY_ID: Layout = Layout {
    name: "bpf_get_fd_by_id_opts",
    size: 16,
    known_end: 16,
    known_end_1_8: 16,
    scan_starts: &[16],
};

/// The byte put at the end of a buffer whose `sz` claims more than it has
/// when a scan would otherwise run off its end.
pub const MARKER: u8 = 0x77;

/// Largest buffer [`decode_image`] makes.
pub const MAX_BUF: usize = 8192;

/// 2^63: where libbpf's `(ssize_t)` arithmetic on `sz` turns negative.
pub const H: u64 = 1 << 63;

/// A caller's options buffer: `bytes` is what the caller's memory holds
/// (`bytes[0..8]` is `sz`), or no buffer at all (a NULL pointer).
#[derive(Clone, Debug)]
pub struct Image {
    /// The options pointer is NULL.
    pub null: bool,
    /// The `sz` written at offset 0.
    pub sz: u64,
    /// The buffer; its length is a multiple of 8 and at least 8.
    pub bytes: Vec<u8>,
    /// A [`MARKER`] was added (the claimed `sz` was not backed).
    pub marked: bool,
}

impl Image {
    /// A short description for failure messages: sz, length, and the
    /// buffer's non-zero bytes after `sz`.
    pub fn describe(&self) -> String {
        if self.null {
            return "opts NULL".into();
        }
        let nz: Vec<String> = self
            .bytes
            .iter()
            .enumerate()
            .skip(8)
            .filter(|(_, b)| **b != 0)
            .take(24)
            .map(|(i, b)| format!("[{i}]={b:#04x}"))
            .collect();
        format!(
            "sz {} ({:#x}), buffer {} bytes{}, non-zero after sz: {}",
            self.sz,
            self.sz,
            self.bytes.len(),
            if self.marked { " (marker added)" } else { "" },
            if nz.is_empty() {
                "none".into()
            } else {
                nz.join(" ")
            }
        )
    }
}

fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// Decodes one options buffer for `l` (format in the module docs).
///
/// `sz` is chosen among classes that matter to libbpf's rule: the
/// buffer's own length (the usual caller), anything up to it (an older
/// caller), too small, around either release's known end, the struct size,
/// any value, the neighbourhoods of 2^63, of 2^63 + either known end, of
/// 2^64, the window [2^63 + 76, 2^63 + 80) (1.7.0's uprobe_multi scan,
/// 1.8's OPTS_VALID scan), larger than the buffer.
///
/// A `sz` larger than the buffer is backed the way a real caller's memory
/// would have to be for libbpf to answer without reading past it: the
/// buffer is made at least the struct's size (libbpf reads any field `sz`
/// covers), and when one of libbpf's zero scans would start at
/// `s` in `l.scan_starts` with a positive length
/// (`(ssize_t)(sz - s) > 0`, libbpf's arithmetic) but the buffer holds
/// no non-zero byte from `s` on, its last byte is set to [`MARKER`] so that
/// the scan stops inside it.
pub fn decode_image(r: &mut Reader<'_>, l: &Layout) -> Image {
    let ssel = r.u8();
    let lsel = r.u8();
    let raw = r.u64();
    let body = r.rest();
    if ssel == 255 {
        return Image {
            null: true,
            sz: 0,
            bytes: Vec::new(),
            marked: false,
        };
    }
    let mut len = match lsel {
        0..=127 => l.size,
        128..=191 => 8 * (1 + (lsel as usize - 128) % 16),
        192..=239 => l.size + 8 * (1 + (lsel as usize - 192) % 6),
        _ => 256 * (1 + (lsel as usize) % 16),
    };
    // Either release's known end, by one bit of raw (both windows of 17
    // around them overlap, so each class still reaches both).
    let ke = if raw & 0x20 == 0 {
        l.known_end
    } else {
        l.known_end_1_8
    } as u64;
    let small = raw % 256;
    let sz: u64 = match ssel % 16 {
        0..=3 => len as u64,
        4 => raw % (len as u64 + 1),
        5 => raw % 8,
        6 => (ke + raw % 17).wrapping_sub(8),
        7 => l.size as u64,
        8 => raw,
        9 => (H + raw % 192).wrapping_sub(96),
        10 => (H + ke + raw % 17).wrapping_sub(8),
        11 => u64::MAX - raw % 128,
        12 => len as u64 + 1 + raw % 4096,
        13 => H + 76 + raw % 4,
        14 => raw % 200,
        _ => (1u64 << (raw % 64)).wrapping_add((small % 9).wrapping_sub(4)),
    };
    if sz > len as u64 && len < l.size {
        len = l.size;
    }
    let mut bytes = vec![0u8; len];
    let n = body.len().min(len - 8);
    bytes[8..8 + n].copy_from_slice(&body[..n]);
    bytes[..8].copy_from_slice(&sz.to_ne_bytes());
    let mut marked = false;
    if sz > bytes.len() as u64 {
        for &s in l.scan_starts {
            let scans = (sz.wrapping_sub(s as u64) as i64) > 0;
            let found = bytes.get(s..).is_some_and(|t| t.iter().any(|&b| b != 0));
            if scans && !found {
                if bytes.len() <= s {
                    bytes.resize(round8(s) + 8, 0);
                }
                let last = bytes.len() - 1;
                bytes[last] = MARKER;
                marked = true;
            }
        }
    }
    debug_assert!(bytes.len() % 8 == 0 && bytes.len() <= MAX_BUF);
    Image {
        null: false,
        sz,
        bytes,
        marked,
    }
}

/// Two or more pages of read-write memory followed by one inaccessible
/// page; buffers are copied so that they end where the inaccessible page
/// starts.
struct Arena {
    base: *mut u8,
    usable: usize,
}

impl Arena {
    fn new() -> Self {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let usable = MAX_BUF.div_ceil(page) * page;
        // SAFETY: an anonymous private mapping; checked below.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                usable + page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(
            p != libc::MAP_FAILED,
            "fuzz: mmap of the guarded arena failed"
        );
        let base = p as *mut u8;
        // SAFETY: the last page of the mapping made above.
        let rc = unsafe { libc::mprotect(base.add(usable) as *mut _, page, libc::PROT_NONE) };
        assert!(rc == 0, "fuzz: mprotect of the guard page failed");
        Self { base, usable }
    }
}

thread_local! {
    static ARENA: Cell<*mut Arena> = const { Cell::new(core::ptr::null_mut()) };
}

/// Runs `f` with a pointer to a copy of `img.bytes` that ends exactly at
/// an inaccessible page (NULL for a NULL image). The arena is per thread
/// and never freed.
pub fn place<R>(img: &Image, f: impl FnOnce(*const u8) -> R) -> R {
    if img.null {
        return f(core::ptr::null());
    }
    let a = ARENA.with(|c| {
        if c.get().is_null() {
            c.set(Box::into_raw(Box::new(Arena::new())));
        }
        c.get()
    });
    // SAFETY: set above, never freed.
    let a = unsafe { &*a };
    let len = img.bytes.len();
    assert!(len <= a.usable);
    // SAFETY: `[usable - len, usable)` is inside the read-write part.
    let p = unsafe { a.base.add(a.usable - len) };
    // SAFETY: `p` is writable for `len` bytes and does not overlap `bytes`.
    unsafe { core::ptr::copy_nonoverlapping(img.bytes.as_ptr(), p, len) };
    f(p)
}
