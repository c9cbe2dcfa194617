//! The panic policy of the boundary (`super`), driven through the
//! test-only panic points.

use super::*;
use crate::panic_point::arm;
use crate::testutil::capture_warnings;

#[test]
fn a_panic_in_an_int_function_becomes_enotrecoverable() {
    let (r, msgs) = capture_warnings(|| {
        arm(c"bpf_link_detach");
        errno::set_errno(Errno(0));
        let r = bpf::bpf_link_detach(-1);
        (r, errno::errno().0)
    });
    assert_eq!(r, (-libc::ENOTRECOVERABLE, libc::ENOTRECOVERABLE));
    assert_eq!(
        msgs,
        ["libbpf: bpflink: internal error in bpf_link_detach\n"]
    );
    // The trigger fires once; the next call reaches the kernel again
    // (not under Miri, which has no bpf(2)).
    #[cfg(not(miri))]
    assert_ne!(bpf::bpf_link_detach(-1), -libc::ENOTRECOVERABLE);
}

#[test]
fn a_panic_in_a_pointer_function_becomes_null() {
    let (r, msgs) = capture_warnings(|| {
        arm(c"bpf_link__open");
        // SAFETY: a NUL-terminated path; the call panics before using it.
        let p = unsafe { libbpf::bpf_link__open(c"/nonexistent".as_ptr()) };
        (p.is_null(), errno::errno().0)
    });
    assert_eq!(r, (true, libc::ENOTRECOVERABLE));
    assert_eq!(
        msgs,
        ["libbpf: bpflink: internal error in bpf_link__open\n"]
    );
}

#[test]
fn a_panic_in_a_value_function_returns_its_fallback() {
    let (r, _) = capture_warnings(|| {
        arm(c"libbpf_bpf_link_type_str");
        libbpf::libbpf_bpf_link_type_str(3).is_null()
    });
    assert!(r);
    assert!(!libbpf::libbpf_bpf_link_type_str(3).is_null());
}
