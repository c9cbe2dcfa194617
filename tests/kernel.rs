//! The safe Rust API on the real kernel: a cgroup link created, read,
//! found, updated, detached and closed through `bpflink::link`.
//!
//! A normal libtest file, its tests run on parallel threads. As a normal
//! user the tests pass without running and one line says why. As root each
//! test first asks the capability probes it needs (tests/common/probe.rs);
//! a refused probe makes the test pass without running and prints
//! `kernel: <test> # SKIP probe <name>: ...` on stderr (libtest captures
//! print!, not a direct write to stderr, so the line shows in its output).

mod common;

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use bpflink::link::{self, CreateOpts, Detail, FdByIdOpts, Target, UpdateOpts};
use bpflink::sys::consts::{attach::BPF_CGROUP_INET_INGRESS, flags::BPF_F_REPLACE, link_type};
use common::{Cgroup, bpf};

/// Loads "r0 = verdict; exit" as a cgroup_skb program (raw bpf(2)).
fn load_prog(verdict: i32) -> OwnedFd {
    bpf::prog_load(
        bpf::PROG_CGROUP_SKB,
        bpf::ATTACH_CGROUP_INET_INGRESS,
        0,
        verdict,
    )
    .unwrap_or_else(|e| panic!("BPF_PROG_LOAD: {e}"))
}

/// Whether `test` may run: root, and every probe of `needs` succeeds.
/// Else one line on stderr says why (as a normal user once per process).
fn may_run(test: &str, needs: &[&str]) -> bool {
    static NOT_ROOT: std::sync::Once = std::sync::Once::new();
    common::probe::set_suite("kernel");
    let skip = match common::kernel_gate().and_then(|()| common::need(needs)) {
        Ok(()) => return true,
        Err(skip) => skip,
    };
    let line = format!("kernel: {test} # SKIP {}\n", skip.why());
    if common::is_root() {
        let _ = std::io::stderr().write_all(line.as_bytes());
    } else {
        NOT_ROOT.call_once(|| {
            let _ = std::io::stderr()
                .write_all(format!("kernel: skipped: {}\n", skip.why()).as_bytes());
        });
    }
    false
}

/// What the cgroup-link tests need beyond a program load.
const CGROUP_LINKS: &[&str] = &["cgroup2_mount", "link_cgroup"];

#[test]
fn cgroup_link_lifecycle_through_the_rust_api() {
    if !may_run("cgroup_link_lifecycle_through_the_rust_api", CGROUP_LINKS) {
        return;
    }
    let cg = Cgroup::new("rust-lifecycle").unwrap();
    let dir = &cg.dir;
    let (p1, p2) = (load_prog(1), load_prog(0));

    let fd = link::create(
        &p1,
        Target::Fd(dir.as_fd()),
        BPF_CGROUP_INET_INGRESS,
        &CreateOpts::default(),
    )
    .unwrap();
    assert!(fd.as_raw_fd() > 2);
    let info = link::info(&fd).unwrap();
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
    assert_eq!(link::info(&again).unwrap().id, info.id);

    // A replace that names the wrong old program is refused.
    let wrong = UpdateOpts {
        flags: BPF_F_REPLACE,
        old: Some(p2.as_fd()),
    };
    assert_eq!(link::update(&fd, &p2, &wrong).unwrap_err().0, libc::EPERM);
    let right = UpdateOpts {
        flags: BPF_F_REPLACE,
        old: Some(p1.as_fd()),
    };
    link::update(&fd, &p2, &right).unwrap();
    assert_ne!(link::info(&fd).unwrap().prog_id, info.prog_id);

    link::detach(&fd).unwrap();
    let Detail::Cgroup { cgroup_id, .. } = link::info(&fd).unwrap().detail() else {
        panic!("kind changed");
    };
    assert_eq!(cgroup_id, 0, "a detached link reports no cgroup");
    drop((fd, again));
}

#[test]
fn kernel_errors_come_back_as_errno() {
    if !may_run("kernel_errors_come_back_as_errno", &[]) {
        return;
    }
    // A file that is no BPF object: the kernel says EINVAL, and the safe
    // API passes that on.
    let file = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(link::detach(&file).unwrap_err().0, libc::EINVAL);
    assert_eq!(link::info(&file).unwrap_err().0, libc::EINVAL);
    assert_eq!(
        link::create(
            &file,
            Target::Fd(file.as_fd()),
            BPF_CGROUP_INET_INGRESS,
            &CreateOpts::default()
        )
        .unwrap_err()
        .0,
        libc::EINVAL
    );
    // Start ids from INT_MAX up are refused; the end of the list is ENOENT.
    assert_eq!(link::next_id(u32::MAX).unwrap_err().0, libc::EINVAL);
    assert_eq!(
        link::next_id(i32::MAX as u32 - 1).unwrap_err().0,
        libc::ENOENT
    );
    // Numbers that are no fd reach the kernel only through the C API (the
    // safe API cannot name them): EBADF, and BPF_OBJ_GET_INFO_BY_FD's
    // EBADFD.
    assert_eq!(bpflink::capi::bpf::bpf_link_detach(-1), -libc::EBADF);
    let mut len = 0u32;
    // SAFETY: a NULL info with length 0; `len` is writable.
    let r =
        unsafe { bpflink::capi::bpf::bpf_link_get_info_by_fd(-1, core::ptr::null_mut(), &mut len) };
    assert_eq!(r, -libc::EBADFD);
}

#[test]
fn details_prog_fd_by_id_and_on_bpffs() {
    if !may_run("details_prog_fd_by_id_and_on_bpffs", CGROUP_LINKS) {
        return;
    }
    let cg = Cgroup::new("rust-details").unwrap();
    let dir = &cg.dir;
    let p1 = load_prog(1);
    let fd = link::create(
        &p1,
        Target::Fd(dir.as_fd()),
        BPF_CGROUP_INET_INGRESS,
        &CreateOpts::default(),
    )
    .unwrap();
    let info = link::info(&fd).unwrap();

    // One call for a cgroup link; the same fields as `info`, decoded.
    let d = link::details(&fd).unwrap();
    assert_eq!(
        (d.type_, d.id, d.prog_id),
        (info.type_, info.id, info.prog_id)
    );
    assert_eq!(
        d.detail,
        link::Detail::Cgroup {
            cgroup_id: cg.id,
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
        old: Some(again.as_fd()),
    };
    link::update(&fd, &again, &same).unwrap();
    assert_eq!(link::info(&fd).unwrap().prog_id, info.prog_id);
    assert_eq!(
        link::prog_fd_by_id(i32::MAX as u32).unwrap_err().0,
        libc::ENOENT
    );
    let file = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(link::details(&file).unwrap_err().0, libc::EINVAL);

    // Not on a bpffs: the cgroup filesystem and /proc.
    assert_eq!(link::on_bpffs(c"/proc"), Ok(false));
    assert_eq!(
        link::on_bpffs(c"/nonexistent/x").unwrap_err().0,
        libc::ENOENT
    );
    drop((fd, again));
}
