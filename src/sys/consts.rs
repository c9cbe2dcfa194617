//! Kernel constants used by the link commands, as plain integers.
//!
//! Values cross the C ABI as `u32`; they are never Rust enums, because a C
//! caller can pass any number and an out-of-range Rust enum is undefined
//! behaviour. Numbers are those of `include/uapi/linux/bpf.h` as shipped with
//! libbpf v1.7.0.

/// `enum bpf_cmd` values of the commands this crate issues.
pub mod cmd {
    pub const BPF_OBJ_PIN: u32 = 6;
    pub const BPF_OBJ_GET: u32 = 7;
    pub const BPF_PROG_GET_FD_BY_ID: u32 = 13;
    pub const BPF_OBJ_GET_INFO_BY_FD: u32 = 15;
    pub const BPF_RAW_TRACEPOINT_OPEN: u32 = 17;
    pub const BPF_LINK_CREATE: u32 = 28;
    pub const BPF_LINK_UPDATE: u32 = 29;
    pub const BPF_LINK_GET_FD_BY_ID: u32 = 30;
    pub const BPF_LINK_GET_NEXT_ID: u32 = 31;
    pub const BPF_ITER_CREATE: u32 = 33;
    pub const BPF_LINK_DETACH: u32 = 34;
}

/// `enum bpf_attach_type` values (0..=58 in libbpf v1.7.0's uapi header,
/// 59..=61 added with libbpf 1.8's).
pub mod attach {
    pub const BPF_CGROUP_INET_INGRESS: u32 = 0;
    pub const BPF_CGROUP_INET_EGRESS: u32 = 1;
    pub const BPF_CGROUP_INET_SOCK_CREATE: u32 = 2;
    pub const BPF_CGROUP_SOCK_OPS: u32 = 3;
    pub const BPF_SK_SKB_STREAM_PARSER: u32 = 4;
    pub const BPF_SK_SKB_STREAM_VERDICT: u32 = 5;
    pub const BPF_CGROUP_DEVICE: u32 = 6;
    pub const BPF_SK_MSG_VERDICT: u32 = 7;
    pub const BPF_CGROUP_INET4_BIND: u32 = 8;
    pub const BPF_CGROUP_INET6_BIND: u32 = 9;
    pub const BPF_CGROUP_INET4_CONNECT: u32 = 10;
    pub const BPF_CGROUP_INET6_CONNECT: u32 = 11;
    pub const BPF_CGROUP_INET4_POST_BIND: u32 = 12;
    pub const BPF_CGROUP_INET6_POST_BIND: u32 = 13;
    pub const BPF_CGROUP_UDP4_SENDMSG: u32 = 14;
    pub const BPF_CGROUP_UDP6_SENDMSG: u32 = 15;
    pub const BPF_LIRC_MODE2: u32 = 16;
    pub const BPF_FLOW_DISSECTOR: u32 = 17;
    pub const BPF_CGROUP_SYSCTL: u32 = 18;
    pub const BPF_CGROUP_UDP4_RECVMSG: u32 = 19;
    pub const BPF_CGROUP_UDP6_RECVMSG: u32 = 20;
    pub const BPF_CGROUP_GETSOCKOPT: u32 = 21;
    pub const BPF_CGROUP_SETSOCKOPT: u32 = 22;
    pub const BPF_TRACE_RAW_TP: u32 = 23;
    pub const BPF_TRACE_FENTRY: u32 = 24;
    pub const BPF_TRACE_FEXIT: u32 = 25;
    pub const BPF_MODIFY_RETURN: u32 = 26;
    pub const BPF_LSM_MAC: u32 = 27;
    pub const BPF_TRACE_ITER: u32 = 28;
    pub const BPF_CGROUP_INET4_GETPEERNAME: u32 = 29;
    pub const BPF_CGROUP_INET6_GETPEERNAME: u32 = 30;
    pub const BPF_CGROUP_INET4_GETSOCKNAME: u32 = 31;
    pub const BPF_CGROUP_INET6_GETSOCKNAME: u32 = 32;
    pub const BPF_XDP_DEVMAP: u32 = 33;
    pub const BPF_CGROUP_INET_SOCK_RELEASE: u32 = 34;
    pub const BPF_XDP_CPUMAP: u32 = 35;
    pub const BPF_SK_LOOKUP: u32 = 36;
    pub const BPF_XDP: u32 = 37;
    pub const BPF_SK_SKB_VERDICT: u32 = 38;
    pub const BPF_SK_REUSEPORT_SELECT: u32 = 39;
    pub const BPF_SK_REUSEPORT_SELECT_OR_MIGRATE: u32 = 40;
    pub const BPF_PERF_EVENT: u32 = 41;
    pub const BPF_TRACE_KPROBE_MULTI: u32 = 42;
    pub const BPF_LSM_CGROUP: u32 = 43;
    pub const BPF_STRUCT_OPS: u32 = 44;
    pub const BPF_NETFILTER: u32 = 45;
    pub const BPF_TCX_INGRESS: u32 = 46;
    pub const BPF_TCX_EGRESS: u32 = 47;
    pub const BPF_TRACE_UPROBE_MULTI: u32 = 48;
    pub const BPF_CGROUP_UNIX_CONNECT: u32 = 49;
    pub const BPF_CGROUP_UNIX_SENDMSG: u32 = 50;
    pub const BPF_CGROUP_UNIX_RECVMSG: u32 = 51;
    pub const BPF_CGROUP_UNIX_GETPEERNAME: u32 = 52;
    pub const BPF_CGROUP_UNIX_GETSOCKNAME: u32 = 53;
    pub const BPF_NETKIT_PRIMARY: u32 = 54;
    pub const BPF_NETKIT_PEER: u32 = 55;
    pub const BPF_TRACE_KPROBE_SESSION: u32 = 56;
    pub const BPF_TRACE_UPROBE_SESSION: u32 = 57;
    pub const BPF_TRACE_FSESSION: u32 = 58;
    pub const BPF_TRACE_FENTRY_MULTI: u32 = 59;
    pub const BPF_TRACE_FEXIT_MULTI: u32 = 60;
    pub const BPF_TRACE_FSESSION_MULTI: u32 = 61;
}

/// `enum bpf_link_type` values known to libbpf 1.8 (1.7.0 stops at 14).
pub mod link_type {
    pub const BPF_LINK_TYPE_UNSPEC: u32 = 0;
    pub const BPF_LINK_TYPE_RAW_TRACEPOINT: u32 = 1;
    pub const BPF_LINK_TYPE_TRACING: u32 = 2;
    pub const BPF_LINK_TYPE_CGROUP: u32 = 3;
    pub const BPF_LINK_TYPE_ITER: u32 = 4;
    pub const BPF_LINK_TYPE_NETNS: u32 = 5;
    pub const BPF_LINK_TYPE_XDP: u32 = 6;
    pub const BPF_LINK_TYPE_PERF_EVENT: u32 = 7;
    pub const BPF_LINK_TYPE_KPROBE_MULTI: u32 = 8;
    pub const BPF_LINK_TYPE_STRUCT_OPS: u32 = 9;
    pub const BPF_LINK_TYPE_NETFILTER: u32 = 10;
    pub const BPF_LINK_TYPE_TCX: u32 = 11;
    pub const BPF_LINK_TYPE_UPROBE_MULTI: u32 = 12;
    pub const BPF_LINK_TYPE_NETKIT: u32 = 13;
    pub const BPF_LINK_TYPE_SOCKMAP: u32 = 14;
    pub const BPF_LINK_TYPE_TRACING_MULTI: u32 = 15;
}

/// Flag bits of `link_create.flags` / `link_update.flags`.
pub mod flags {
    /// Replace only if the currently attached program is the expected one.
    pub const BPF_F_REPLACE: u32 = 1 << 2;
    /// Insert before the anchor (tcx, netkit, cgroup multi-attach).
    pub const BPF_F_BEFORE: u32 = 1 << 3;
    /// Insert after the anchor.
    pub const BPF_F_AFTER: u32 = 1 << 4;
    /// The anchor is given as an object id rather than an fd.
    pub const BPF_F_ID: u32 = 1 << 5;
    /// Pin / get path is relative to `path_fd`.
    pub const BPF_F_PATH_FD: u32 = 1 << 14;
    /// `kprobe_multi.flags`: return probes (the same bit is
    /// `BPF_F_UPROBE_MULTI_RETURN` for `uprobe_multi.flags`).
    pub const BPF_F_KPROBE_MULTI_RETURN: u32 = 1 << 0;
    /// `uprobe_multi.flags`: return probes.
    pub const BPF_F_UPROBE_MULTI_RETURN: u32 = 1 << 0;
    /// `uprobe_multi.flags`: `path` is relative to `path_fd` (libbpf 1.8's
    /// uapi; the caller sets it, libbpf does not).
    pub const BPF_F_UPROBE_MULTI_PATH_FD: u32 = 1 << 1;
}

/// `enum bpf_perf_event_type`: what a perf_event link is attached to
/// (`bpf_link_info.perf_event.type`).
pub mod perf_event {
    pub const BPF_PERF_EVENT_UNSPEC: u32 = 0;
    pub const BPF_PERF_EVENT_UPROBE: u32 = 1;
    pub const BPF_PERF_EVENT_URETPROBE: u32 = 2;
    pub const BPF_PERF_EVENT_KPROBE: u32 = 3;
    pub const BPF_PERF_EVENT_KRETPROBE: u32 = 4;
    pub const BPF_PERF_EVENT_TRACEPOINT: u32 = 5;
    pub const BPF_PERF_EVENT_EVENT: u32 = 6;
}
