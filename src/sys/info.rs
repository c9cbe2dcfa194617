//! `struct bpf_link_info` (uapi): the kernel's answer to
//! `BPF_OBJ_GET_INFO_BY_FD` on a link fd.

use core::mem::{offset_of, size_of};

/// Mirror of the uapi `struct bpf_link_info` (64 bytes, 8-byte aligned).
///
/// The per-type part is kept as raw words; the link layer decodes it. The
/// C header never shows this definition: C callers get it from
/// `<linux/bpf.h>`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct bpf_link_info {
    /// `enum bpf_link_type`.
    pub type_: u32,
    /// Link id.
    pub id: u32,
    /// Id of the attached program.
    pub prog_id: u32,
    /// Padding before the 8-byte aligned union.
    pub pad: u32,
    /// The per-type union, 48 bytes.
    pub data: [u64; 6],
}

impl bpf_link_info {
    /// The `u32` at byte `off` of the per-type union.
    pub fn u32_at(&self, off: usize) -> u32 {
        let word = self.data[off / 8].to_ne_bytes();
        let i = off % 8;
        u32::from_ne_bytes([word[i], word[i + 1], word[i + 2], word[i + 3]])
    }

    /// The `u64` at byte `off` (8-aligned) of the per-type union.
    pub fn u64_at(&self, off: usize) -> u64 {
        self.data[off / 8]
    }

    /// Sets the `u64` at byte `off` (8-aligned) of the per-type union (used
    /// to pass buffer addresses in).
    pub fn set_u64_at(&mut self, off: usize, v: u64) {
        self.data[off / 8] = v;
    }

    /// Sets the `u32` at byte `off` of the per-type union (used to pass
    /// buffer lengths in).
    pub fn set_u32_at(&mut self, off: usize, v: u32) {
        let mut word = self.data[off / 8].to_ne_bytes();
        let i = off % 8;
        word[i..i + 4].copy_from_slice(&v.to_ne_bytes());
        self.data[off / 8] = u64::from_ne_bytes(word);
    }
}

const _: () = {
    assert!(size_of::<bpf_link_info>() == 64);
    assert!(offset_of!(bpf_link_info, data) == 16);
};
