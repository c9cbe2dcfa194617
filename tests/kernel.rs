//! The safe Rust API on the real kernel: a cgroup link created, read,
//! found, updated, detached and closed through `bpflink::link`.
//! As a normal user these tests print one line and pass without running.

use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use bpflink::link::{self, CreateOpts, Detail, FdByIdOpts, UpdateOpts};
use bpflink::sys::consts::{attach::BPF_CGROUP_INET_INGRESS, flags::BPF_F_REPLACE, link_type};

/// Loads "r0 = verdict; exit" as a cgroup_skb program.
fn load_prog(verdict: i32) -> OwnedFd {
    #[repr(C)]
    struct Insn {
        code: u8,
        regs: u8,
        off: i16,
        imm: i32,
    }
    // BPF_ALU64 | BPF_MOV | BPF_K into r0, then BPF_JMP | BPF_EXIT.
    let insns = [
        Insn {
            code: 0xb7,
            regs: 0,
            off: 0,
            imm: verdict,
        },
        Insn {
            code: 0x95,
            regs: 0,
            off: 0,
            imm: 0,
        },
    ];
    let license = c"GPL";
    // Leading part of union bpf_attr for BPF_PROG_LOAD (zero beyond).
    let mut attr = [0u64; 16];
    attr[0] = 8 /* BPF_PROG_TYPE_CGROUP_SKB */ | (2u64 << 32) /* insn_cnt */;
    attr[1] = insns.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[8] = (BPF_CGROUP_INET_INGRESS as u64) << 32; // expected_attach_type @ 68
    // SAFETY: a BPF_PROG_LOAD attr of 128 bytes; the kernel reads the
    // instructions and license through live pointers.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_mut_ptr(), 128) };
    assert!(
        fd >= 0,
        "BPF_PROG_LOAD: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a fresh fd owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: kernel tests need root (CAP_BPF, CAP_SYS_ADMIN)");
        return false;
    }
    true
}

struct Cgroup(String);
impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn cgroup_link_lifecycle_through_the_rust_api() {
    if !root() {
        return;
    }
    let cg = Cgroup(format!(
        "/sys/fs/cgroup/unified/bpflink-rust-{}",
        std::process::id()
    ));
    fs::create_dir(&cg.0).unwrap();
    let dir = fs::File::open(&cg.0).unwrap();
    let (p1, p2) = (load_prog(1), load_prog(0));

    let fd = link::create(
        p1.as_raw_fd(),
        dir.as_raw_fd(),
        BPF_CGROUP_INET_INGRESS,
        &CreateOpts::default(),
    )
    .unwrap();
    assert!(fd.as_raw_fd() > 2);
    let info = link::info(fd.as_raw_fd()).unwrap();
    assert_eq!(info.type_, link_type::BPF_LINK_TYPE_CGROUP);
    assert_eq!(
        link::link_type_str(info.type_).unwrap().to_str().unwrap(),
        "cgroup"
    );
    let Detail::Cgroup {
        cgroup_id,
        attach_type,
    } = info.detail()
    else {
        panic!("not a cgroup link: {:?}", info.detail());
    };
    assert_ne!(cgroup_id, 0);
    assert_eq!(attach_type, BPF_CGROUP_INET_INGRESS);

    // Enumeration finds it; a second fd by id sees the same link.
    let ids: Vec<u32> = link::ids().collect::<Result<_, _>>().unwrap();
    assert!(ids.contains(&info.id));
    let again = link::fd_by_id(info.id, &FdByIdOpts::default()).unwrap();
    assert_eq!(link::info(again.as_raw_fd()).unwrap().id, info.id);

    // A replace that names the wrong old program is refused.
    let wrong = UpdateOpts {
        flags: BPF_F_REPLACE,
        old_fd: p2.as_raw_fd() as u32,
    };
    assert_eq!(
        link::update(fd.as_raw_fd(), p2.as_raw_fd(), &wrong)
            .unwrap_err()
            .0,
        libc::EPERM
    );
    let right = UpdateOpts {
        flags: BPF_F_REPLACE,
        old_fd: p1.as_raw_fd() as u32,
    };
    link::update(fd.as_raw_fd(), p2.as_raw_fd(), &right).unwrap();
    assert_ne!(link::info(fd.as_raw_fd()).unwrap().prog_id, info.prog_id);

    link::detach(fd.as_raw_fd()).unwrap();
    let Detail::Cgroup { cgroup_id, .. } = link::info(fd.as_raw_fd()).unwrap().detail() else {
        panic!("kind changed");
    };
    assert_eq!(cgroup_id, 0, "a detached link reports no cgroup");
    drop((fd, again));
}

#[test]
fn kernel_errors_come_back_as_errno() {
    if !root() {
        return;
    }
    assert_eq!(link::detach(-1).unwrap_err().0, libc::EBADF);
    // BPF_OBJ_GET_INFO_BY_FD answers EBADFD (not EBADF) for a bad fd.
    assert_eq!(link::info(-1).unwrap_err().0, libc::EBADFD);
    // Start ids from INT_MAX up are refused; the end of the list is ENOENT.
    assert_eq!(link::next_id(u32::MAX).unwrap_err().0, libc::EINVAL);
    assert_eq!(
        link::next_id(i32::MAX as u32 - 1).unwrap_err().0,
        libc::ENOENT
    );
    assert_eq!(
        link::create(-1, -1, BPF_CGROUP_INET_INGRESS, &CreateOpts::default())
            .unwrap_err()
            .0,
        libc::EBADF
    );
}

#[test]
fn details_prog_fd_by_id_and_on_bpffs() {
    if !root() {
        return;
    }
    let cg = Cgroup(format!(
        "/sys/fs/cgroup/unified/bpflink-rust-details-{}",
        std::process::id()
    ));
    fs::create_dir(&cg.0).unwrap();
    let dir = fs::File::open(&cg.0).unwrap();
    let p1 = load_prog(1);
    let fd = link::create(
        p1.as_raw_fd(),
        dir.as_raw_fd(),
        BPF_CGROUP_INET_INGRESS,
        &CreateOpts::default(),
    )
    .unwrap();
    let info = link::info(fd.as_raw_fd()).unwrap();

    // One call for a cgroup link; the same fields as `info`, decoded.
    let d = link::details(fd.as_raw_fd()).unwrap();
    assert_eq!(
        (d.type_, d.id, d.prog_id),
        (info.type_, info.id, info.prog_id)
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        d.detail,
        link::Detail::Cgroup {
            cgroup_id: dir.metadata().unwrap().ino(),
            attach_type: BPF_CGROUP_INET_INGRESS,
        }
    );
    assert_eq!(
        link::attach_type_str(BPF_CGROUP_INET_INGRESS).unwrap(),
        c"cgroup_inet_ingress"
    );

    // A program opened by id is the one the link runs: updating the link
    // to it, conditionally on itself, succeeds.
    let again = link::prog_fd_by_id(info.prog_id).unwrap();
    let same = UpdateOpts {
        flags: BPF_F_REPLACE,
        old_fd: again.as_raw_fd() as u32,
    };
    link::update(fd.as_raw_fd(), again.as_raw_fd(), &same).unwrap();
    assert_eq!(link::info(fd.as_raw_fd()).unwrap().prog_id, info.prog_id);
    assert_eq!(
        link::prog_fd_by_id(i32::MAX as u32).unwrap_err().0,
        libc::ENOENT
    );
    assert_eq!(link::details(-1).unwrap_err().0, libc::EBADFD);

    // Not on a bpffs: the cgroup filesystem and /proc.
    assert_eq!(link::on_bpffs(c"/proc"), Ok(false));
    assert_eq!(
        link::on_bpffs(c"/nonexistent/x").unwrap_err().0,
        libc::ENOENT
    );
    drop((fd, again));
}
