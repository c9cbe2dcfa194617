//! Random inputs for the stable-toolchain harness: a xorshift generator
//! and, per target, bytes laid out as the target decodes them
//! ([`crate::input`], [`crate::diff`]), biased toward what matters to
//! libbpf's rules: mostly-zero buffers with one or a few bytes set, field
//! prefixes up to a member's end, and every class of `sz`.

use crate::input::{CREATE, FD_BY_ID, Layout, UPDATE};

/// xorshift64* (Vigna), seeded through splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`; the bias is negligible here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn nonzero(rng: &mut Rng) -> u8 {
    match rng.below(4) {
        0 => 1,
        1 => 0xff,
        _ => (rng.below(255) + 1) as u8,
    }
}

/// Appends an options buffer for `l` in decode_image's format.
pub fn image(rng: &mut Rng, out: &mut Vec<u8>, l: &Layout) {
    out.push(if rng.chance(1, 48) { 255 } else { rng.byte() }); // ssel
    out.push(rng.byte()); // lsel
    let raw = match rng.below(4) {
        0 | 1 => rng.below(256),
        2 => rng.below(8192),
        _ => rng.next_u64(),
    };
    out.extend_from_slice(&raw.to_le_bytes());
    // body: byte i is the buffer's byte 8 + i.
    let len = match rng.below(10) {
        0..=5 => rng.below(97),
        6..=8 => rng.below(301),
        _ => rng.below(4200),
    } as usize;
    let mut body = vec![0u8; len];
    if len > 0 {
        // Positions near the struct matter most.
        let near = (l.size + 16).min(len);
        let pos = |rng: &mut Rng| {
            if rng.chance(3, 4) {
                rng.below(near as u64) as usize
            } else {
                rng.below(len as u64) as usize
            }
        };
        match rng.below(20) {
            0..=6 => {
                let p = pos(rng);
                body[p] = nonzero(rng);
            }
            7..=10 => {
                for _ in 0..2 + rng.below(3) {
                    let p = pos(rng);
                    body[p] = nonzero(rng);
                }
            }
            11..=13 => {}
            14..=17 => {
                // Fields set up to a member's end (buffer offset), zero after.
                const ENDS: [usize; 14] = [8, 12, 16, 20, 24, 28, 32, 40, 48, 52, 56, 64, 76, 80];
                let end = ENDS[rng.below(ENDS.len() as u64) as usize]
                    .min(l.size)
                    .min(len + 8);
                for b in body.iter_mut().take(end - 8) {
                    if rng.chance(1, 2) {
                        *b = rng.byte();
                    }
                }
            }
            _ => body.iter_mut().for_each(|b| *b = rng.byte()),
        }
    }
    out.extend_from_slice(&body);
}

fn attach_type(rng: &mut Rng, out: &mut Vec<u8>) {
    if rng.chance(9, 10) {
        out.push(rng.below(232) as u8);
    } else {
        out.push(232 + rng.below(24) as u8);
        put_u32(
            out,
            if rng.chance(1, 2) {
                59 + rng.below(256) as u32
            } else {
                rng.next_u64() as u32
            },
        );
    }
}

/// One random input for the target `name` (a name from [`crate::TARGETS`]).
pub fn input(name: &str, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    match name {
        "opts_read" => {
            let which = rng.byte();
            out.push(which);
            let l = [CREATE, UPDATE, FD_BY_ID][(which % 3) as usize];
            image(rng, &mut out, &l);
        }
        "link_create_args" => {
            attach_type(rng, &mut out);
            put_u32(&mut out, rng.next_u64() as u32);
            put_u32(
                &mut out,
                if rng.chance(1, 2) {
                    0
                } else {
                    rng.next_u64() as u32
                },
            );
            image(rng, &mut out, &CREATE);
        }
        "update_opts" => image(rng, &mut out, &UPDATE),
        "fd_by_id_opts" => image(rng, &mut out, &FD_BY_ID),
        "diff_libbpf" => {
            let fsel = rng.byte();
            out.push(fsel);
            match fsel % 3 {
                0 => {
                    attach_type(rng, &mut out);
                    let tsel = rng.byte();
                    out.push(tsel);
                    if tsel >= 192 {
                        put_u32(&mut out, rng.next_u64() as u32);
                    }
                    image(rng, &mut out, &CREATE);
                }
                1 => {
                    out.push(rng.byte());
                    put_u32(&mut out, rng.next_u64() as u32);
                    put_u32(&mut out, rng.next_u64() as u32);
                    image(rng, &mut out, &UPDATE);
                }
                _ => {
                    out.push(rng.byte());
                    put_u32(&mut out, rng.next_u64() as u32);
                    image(rng, &mut out, &FD_BY_ID);
                }
            }
        }
        _ => panic!("no target {name}"),
    }
    out
}
