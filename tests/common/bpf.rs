//! Kernel objects for the tests, made without the library under test:
//! tiny programs and maps with raw bpf(2), raw pins, perf events, BTF ids
//! of vmlinux, file offsets for uprobes.

use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use errno::Errno;

pub const PROG_KPROBE: u32 = 2;
pub const PROG_SCHED_CLS: u32 = 3;
pub const PROG_TRACEPOINT: u32 = 5;
pub const PROG_XDP: u32 = 6;
pub const PROG_PERF_EVENT: u32 = 7;
pub const PROG_CGROUP_SKB: u32 = 8;
pub const PROG_CGROUP_SOCK: u32 = 9;
pub const PROG_SK_SKB: u32 = 14;
pub const PROG_RAW_TRACEPOINT: u32 = 17;
pub const PROG_FLOW_DISSECTOR: u32 = 22;
pub const PROG_TRACING: u32 = 26;
pub const PROG_SK_LOOKUP: u32 = 30;
pub const PROG_NETFILTER: u32 = 32;

pub const MAP_ARRAY: u32 = 2;
pub const MAP_SOCKMAP: u32 = 15;

// enum bpf_attach_type, written out here so that the probes and fixtures
// do not take their numbers from the library under test.
pub const ATTACH_CGROUP_INET_INGRESS: u32 = 0;
pub const ATTACH_SK_SKB_STREAM_VERDICT: u32 = 5;
pub const ATTACH_FLOW_DISSECTOR: u32 = 17;
pub const ATTACH_TRACE_ITER: u32 = 28;
pub const ATTACH_SK_LOOKUP: u32 = 36;
pub const ATTACH_XDP: u32 = 37;
pub const ATTACH_PERF_EVENT: u32 = 41;
pub const ATTACH_NETFILTER: u32 = 45;
pub const ATTACH_TCX_INGRESS: u32 = 46;
pub const ATTACH_TRACE_UPROBE_MULTI: u32 = 48;

fn sys_bpf(cmd: u32, attr: &mut [u8]) -> Result<i64, Errno> {
    // SAFETY: `attr` is a live buffer of its length; the commands used here
    // only read through the addresses placed in it, which the callers keep
    // alive for the call.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len()) };
    if r < 0 { Err(errno::errno()) } else { Ok(r) }
}

fn owned(fd: i64) -> OwnedFd {
    // SAFETY: a fresh fd from the kernel, owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

fn put32(a: &mut [u8], off: usize, v: u32) {
    a[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put64(a: &mut [u8], off: usize, v: u64) {
    a[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

/// Loads "r0 = ret; exit" as a program of `prog_type`, with an expected
/// attach type and attach BTF id (0 for none), named "bpflink_test".
pub fn prog_load(prog_type: u32, eat: u32, btf_id: u32, ret: i32) -> Result<OwnedFd, Errno> {
    // BPF_ALU64|BPF_MOV|BPF_K r0 = ret; BPF_JMP|BPF_EXIT.
    let mut insns = [0u8; 16];
    insns[0] = 0xb7;
    insns[4..8].copy_from_slice(&ret.to_ne_bytes());
    insns[8] = 0x95;
    let license = c"GPL";
    let mut a = [0u8; 128];
    put32(&mut a, 0, prog_type);
    put32(&mut a, 4, 2); // insn_cnt
    put64(&mut a, 8, insns.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    a[48..60].copy_from_slice(b"bpflink_test");
    put32(&mut a, 68, eat); // expected_attach_type
    put32(&mut a, 108, btf_id); // attach_btf_id
    sys_bpf(5 /* BPF_PROG_LOAD */, &mut a).map(owned)
}

/// BPF_MAP_CREATE with 4-byte keys.
pub fn map_create(map_type: u32, value_size: u32, max_entries: u32) -> Result<OwnedFd, Errno> {
    let mut a = [0u8; 72];
    put32(&mut a, 0, map_type);
    put32(&mut a, 4, 4);
    put32(&mut a, 8, value_size);
    put32(&mut a, 12, max_entries);
    a[28..40].copy_from_slice(b"bpflink_test");
    sys_bpf(0 /* BPF_MAP_CREATE */, &mut a).map(owned)
}

/// A raw BPF_LINK_CREATE: prog_fd, target (fd or ifindex), attach_type,
/// flags, and `tail` copied to offset 16, where the per-kind union starts.
/// The addresses inside `tail` must stay valid for the call.
pub fn link_create(
    prog: RawFd,
    target: u32,
    attach_type: u32,
    flags: u32,
    tail: &[u8],
) -> Result<OwnedFd, Errno> {
    let mut a = [0u8; 64];
    put32(&mut a, 0, prog as u32);
    put32(&mut a, 4, target);
    put32(&mut a, 8, attach_type);
    put32(&mut a, 12, flags);
    a[16..16 + tail.len()].copy_from_slice(tail);
    sys_bpf(28 /* BPF_LINK_CREATE */, &mut a).map(owned)
}

/// A raw BPF_RAW_TRACEPOINT_OPEN of a raw_tracepoint program.
pub fn raw_tracepoint_open(
    prog: RawFd,
    name: &std::ffi::CStr,
    cookie: u64,
) -> Result<OwnedFd, Errno> {
    let mut a = [0u8; 24];
    put64(&mut a, 0, name.as_ptr() as u64);
    put32(&mut a, 8, prog as u32);
    put64(&mut a, 16, cookie);
    sys_bpf(17 /* BPF_RAW_TRACEPOINT_OPEN */, &mut a).map(owned)
}

/// The first three words of a BPF object's info (`BPF_OBJ_GET_INFO_BY_FD`):
/// type and id for every kind, and for a link its program's id.
pub fn obj_info_head(fd: RawFd) -> [u32; 3] {
    let mut info = [0u8; 256];
    let mut a = [0u8; 16];
    put32(&mut a, 0, fd as u32);
    put32(&mut a, 4, info.len() as u32);
    put64(&mut a, 8, info.as_mut_ptr() as u64);
    sys_bpf(15 /* BPF_OBJ_GET_INFO_BY_FD */, &mut a).expect("obj info");
    let word = |i: usize| u32::from_ne_bytes(info[4 * i..4 * i + 4].try_into().unwrap());
    [word(0), word(1), word(2)]
}

/// Id of a program, map or link fd.
pub fn obj_id(fd: RawFd) -> u32 {
    obj_info_head(fd)[1]
}

/// BPF_OBJ_PIN of any BPF fd, with the raw command.
pub fn obj_pin(fd: RawFd, path: &str) -> Result<(), Errno> {
    let p = CString::new(path).unwrap();
    let mut a = [0u8; 20];
    put64(&mut a, 0, p.as_ptr() as u64);
    put32(&mut a, 8, fd as u32);
    sys_bpf(6 /* BPF_OBJ_PIN */, &mut a).map(drop)
}

/// perf_event_open of a disabled event of this process (any CPU).
pub fn perf_event_open(
    type_: u32,
    config: u64,
    config1: u64,
    config2: u64,
) -> Result<OwnedFd, Errno> {
    let mut a = [0u8; 112]; // PERF_ATTR_SIZE_VER5
    put32(&mut a, 0, type_);
    put32(&mut a, 4, 112);
    put64(&mut a, 8, config);
    put64(&mut a, 40, 1); // disabled
    put64(&mut a, 56, config1);
    put64(&mut a, 64, config2);
    // SAFETY: a perf_event_attr of the size it states; config1 may hold
    // a path address, kept alive by the caller for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            a.as_ptr(),
            0,
            -1,
            -1,
            8, /* FD_CLOEXEC */
        )
    };
    if fd < 0 {
        Err(errno::errno())
    } else {
        Ok(owned(fd))
    }
}

/// The perf event type of the uprobe PMU, from sysfs.
pub fn uprobe_pmu_type() -> std::io::Result<u32> {
    std::fs::read_to_string("/sys/bus/event_source/devices/uprobe/type")?
        .trim()
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// A uprobe perf event on `path` at file offset `offset`.
pub fn perf_uprobe(path: &str, offset: u64) -> Result<OwnedFd, String> {
    let t = uprobe_pmu_type().map_err(|e| format!("uprobe PMU type: {e}"))?;
    let p = CString::new(path).unwrap();
    perf_event_open(t, 0, p.as_ptr() as u64, offset)
        .map_err(|e| format!("perf_event_open(uprobe): {e}"))
}

/// Id of the BTF type called `name` of kind `kind` in vmlinux's BTF.
pub fn vmlinux_btf_id(name: &str, kind: u32) -> Result<u32, String> {
    let b = std::fs::read("/sys/kernel/btf/vmlinux").map_err(|e| format!("vmlinux BTF: {e}"))?;
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    if b.len() < 24 || u16::from_le_bytes([b[0], b[1]]) != 0xeb9f {
        return Err("vmlinux BTF: bad header".into());
    }
    let hdr_len = u32_at(4) as usize;
    let (type_off, type_len, str_off) =
        (u32_at(8) as usize, u32_at(12) as usize, u32_at(16) as usize);
    let types = hdr_len + type_off;
    let strs = hdr_len + str_off;
    let mut off = 0;
    let mut id = 1;
    while off + 12 <= type_len {
        let t = types + off;
        let (name_off, info) = (u32_at(t) as usize, u32_at(t + 4));
        let (k, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as usize);
        if k == kind {
            let s = &b[strs + name_off..];
            let n = s.iter().position(|&c| c == 0).unwrap_or(0);
            if &s[..n] == name.as_bytes() {
                return Ok(id);
            }
        }
        // Bytes after struct btf_type, by kind.
        off += 12
            + match k {
                1 => 4,             // INT
                3 => 12,            // ARRAY
                4 | 5 => vlen * 12, // STRUCT, UNION
                6 => vlen * 8,      // ENUM
                13 => vlen * 8,     // FUNC_PROTO
                14 => 4,            // VAR
                15 => vlen * 12,    // DATASEC
                17 => 4,            // DECL_TAG
                19 => vlen * 12,    // ENUM64
                2 | 7..=12 | 16 | 18 => 0,
                _ => return Err(format!("vmlinux BTF: unknown kind {k}")),
            };
        id += 1;
    }
    Err(format!("vmlinux BTF: no {name}"))
}

pub const BTF_KIND_FUNC: u32 = 12;

/// For an address in this process, the file it is mapped from and the
/// offset in that file (what a uprobe wants).
pub fn file_offset(addr: usize) -> Result<(String, u64), String> {
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(|e| e.to_string())?;
    for line in maps.lines() {
        // start-end perms offset dev inode path
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 {
            continue;
        }
        let (s, e) = f[0].split_once('-').unwrap();
        let (s, e) = (
            usize::from_str_radix(s, 16).unwrap(),
            usize::from_str_radix(e, 16).unwrap(),
        );
        if (s..e).contains(&addr) {
            let off = u64::from_str_radix(f[2], 16).unwrap();
            return Ok((f[5].to_string(), (addr - s) as u64 + off));
        }
    }
    Err(format!("{addr:#x} is not in a file mapping"))
}

/// Inode number of this process's network namespace.
pub fn netns_ino() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/net").unwrap().ino()
}
