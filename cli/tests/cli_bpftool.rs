//! `bpflink --json list` against `bpftool -j link list`: this suite
//! creates a link of every type the kernel allows (cgroup, XDP on lo, tcx
//! on a veth pair, netfilter, netns for sk_lookup and flow dissector,
//! perf_event on a software event, a uprobe and a tracepoint, uprobe_multi
//! on itself, iterators over maps, a map, tasks and a cgroup, a raw
//! tracepoint, sockmap), holds them while both tools run, and compares:
//!
//! 1. bpflink's JSON object of each link against what the suite knows it
//!    made (ids, names, offsets, cookies: ground truth, every field);
//! 2. bpflink's against the kernel's own account in /proc/self/fdinfo of
//!    the link fd, for every field fdinfo shows (it shows nearly all);
//! 3. bpflink's against bpftool's, field by field, for every field both
//!    print. Debian's bpftool 7.1 (libbpf 1.1) prints link types and attach
//!    types newer than libbpf 1.1 as numbers (compared through the
//!    numbers), and prints no per-type fields for several types (netfilter,
//!    tcx, uprobe_multi, sockmap, perf_event, xdp's devname...): for those
//!    only what it has is compared, and the fields it lacks are listed in
//!    the output.
//!
//! Nothing the suite expects comes from the tool or the library it runs
//! on. The links are made with raw bpf(2) (tests/common/bpf.rs); the
//! numbers of attach types, link types and perf events, and the names the
//! tools give them, come from the kernel's uapi headers, read at run time
//! (support/uapi.rs: `BPF_TCX_INGRESS` is `tcx_ingress`, libbpf's rule);
//! field names are bpftool's, and checked against bpftool wherever it
//! prints the field. A first case holds libbpf's two name tables in the
//! library (which the tool prints) against those headers, for every value,
//! also the types no case can make here; the few values libbpf 1.8 adds
//! after the headers' last (tracing_multi) against 1.8's documented names.
//!
//! Each kind is its own case (iterators one per target), gated on the
//! capability probes it needs (tests/common/probe.rs, docs/probes.md):
//! where the machine refuses one, that case and the three checks of each
//! link it would have made are skipped on named lines, and the rest runs.
//! The suite ends with a refusal check: itself again, with
//! `BPFLINK_TEST_REFUSE=iter_bpf_map_elem`, which must skip by name.
//!
//! Not created: kprobe_multi, tracing (fentry/fexit), netkit and
//! struct_ops, which the test machines' kernels refuse or which need more
//! than a two-instruction program (a BTF-described struct_ops map). Their
//! decoding is covered by unit tests.
//!
//! The suite runs single-threaded in network and mount namespaces of its
//! own (unshare, not `ip netns exec`, which would hide bpffs): the tools
//! run as its children, in the same namespaces, so ifindex names resolve
//! the same for both. Everything goes away with the process; the child
//! cgroup is removed at the end.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;

use common::bpf::{self, obj_id};
use common::{Cgroup, Skip, Tap};
use serde_json::Value;
use support::uapi::{self, attach_types, link_types};
use support::{Obj, RunJson, bpflink};

/// The bpftool on PATH (the `bpftool` probe gates the suite on it).
fn bpftool() -> &'static str {
    common::probe::bpftool_path()
        .and_then(|p| p.to_str())
        .expect("the bpftool probe succeeded")
}

/// Uprobe targets in this binary.
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "C" fn bpflink_test_uprobe_one(x: u64) -> u64 {
    std::hint::black_box(x) + 1
}

#[inline(never)]
#[unsafe(no_mangle)]
pub extern "C" fn bpflink_test_uprobe_two(x: u64) -> u64 {
    std::hint::black_box(x) * 3
}

/// A field value the suite expects in bpflink's object.
#[derive(Clone, Debug)]
enum V {
    U(u64),
    I(i64),
    S(String),
    B(bool),
    /// An array of objects, each given as its fields.
    Objs(Vec<Vec<(&'static str, V)>>),
}

fn s(x: &str) -> V {
    V::S(x.to_string())
}

/// The number of an attach type (`"BPF_TCX_INGRESS"`), from the header.
fn at(enumerator: &str) -> u32 {
    attach_types().value(enumerator)
}

/// The `attach_type` bpflink must print for a link made with `enumerator`.
fn attach(enumerator: &str) -> V {
    s(attach_types().name_of(enumerator))
}

/// `flags` of BPF_LINK_CREATE (uapi bpf.h): place the new tcx link before
/// the anchor, which is given by id.
const BPF_F_BEFORE: u32 = 1 << 3;
const BPF_F_ID: u32 = 1 << 5;

/// Bytes of the per-kind part of a BPF_LINK_CREATE attr, in the kernel's
/// layout (from offset 16: every field 4 or 8 bytes, naturally aligned).
#[derive(Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }

    fn u64(mut self, v: u64) -> Self {
        while !self.0.len().is_multiple_of(8) {
            self.0.push(0);
        }
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }
}

impl V {
    fn matches(&self, j: &Value) -> bool {
        match (self, j) {
            (V::U(n), _) => j.as_u64() == Some(*n),
            (V::I(n), _) => j.as_i64() == Some(*n),
            (V::S(x), Value::String(y)) => x == y,
            (V::B(b), Value::Bool(c)) => b == c,
            (V::Objs(items), Value::Array(a)) => {
                items.len() == a.len()
                    && items
                        .iter()
                        .zip(a)
                        .all(|(fields, o)| fields_match(fields, o).is_ok())
            }
            _ => false,
        }
    }
}

/// `o` has exactly `fields` after id, type and prog_id, with these values.
fn fields_match(fields: &[(&'static str, V)], o: &Value) -> Result<(), String> {
    let keys: Vec<&str> = o
        .keys()
        .into_iter()
        .filter(|k| !matches!(*k, "id" | "type" | "prog_id"))
        .collect();
    let want: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    if keys != want {
        return Err(format!("fields {keys:?}, expected {want:?}"));
    }
    for (k, v) in fields {
        if !v.matches(&o[*k]) {
            return Err(format!("\"{k}\" is {}, expected {v:?}", o[*k]));
        }
    }
    Ok(())
}

/// One link the suite made, and what bpflink must say about it.
struct Made {
    what: String,
    fd: OwnedFd,
    id: u32,
    /// The link type's name, from the header's `enum bpf_link_type`.
    type_: String,
    prog_id: u32,
    fields: Vec<(&'static str, V)>,
}

/// Everything the links need alive.
#[derive(Default)]
struct Keep {
    fds: Vec<OwnedFd>,
    cgroups: Vec<Cgroup>,
}

struct Fixture {
    made: Vec<Made>,
    /// Links not made because a probe was refused, with the skip.
    refused: Vec<(String, Skip)>,
    keep: Keep,
}

fn load(t: u32, eat: u32) -> Result<OwnedFd, String> {
    bpf::prog_load(t, eat, 0, 0).map_err(|e| format!("BPF_PROG_LOAD type {t} eat {eat}: {e}"))
}

fn ifindex(name: &str) -> u32 {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: NUL-terminated name.
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}

impl Fixture {
    /// Creates one link of `prog` on `target` with a raw BPF_LINK_CREATE
    /// and records it; `kind` is its `enum bpf_link_type` enumerator.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        what: &str,
        prog: OwnedFd,
        target: u32,
        attach: &str,
        flags: u32,
        tail: Tail,
        kind: &str,
        fields: Vec<(&'static str, V)>,
    ) -> Result<(), String> {
        let fd = bpf::link_create(prog.as_raw_fd(), target, at(attach), flags, &tail.0)
            .map_err(|e| format!("{what}: BPF_LINK_CREATE: {e}"))?;
        self.record(what, fd, prog, kind, fields);
        Ok(())
    }

    /// Records a link made by the caller, keeping its program; the kernel
    /// must report the link type `kind`.
    fn record(
        &mut self,
        what: &str,
        fd: OwnedFd,
        prog: OwnedFd,
        kind: &str,
        fields: Vec<(&'static str, V)>,
    ) {
        let [type_, id, prog_id] = bpf::obj_info_head(fd.as_raw_fd());
        let types = link_types();
        assert_eq!(type_, types.value(kind), "{what}: the kernel's link type");
        assert_eq!(
            prog_id,
            obj_id(prog.as_raw_fd()),
            "{what}: the link's program"
        );
        self.made.push(Made {
            what: what.into(),
            fd,
            id,
            type_: types.name_of(kind).to_string(),
            prog_id,
            fields,
        });
        self.keep.fds.push(prog);
    }
}

fn netdevices() -> Result<(), String> {
    let r = common::run(
        "ip",
        &[
            "link", "add", "blk0", "type", "veth", "peer", "name", "blk1",
        ],
    );
    if r.code != 0 {
        return Err(format!("ip link add veth: {}", r.stderr.trim()));
    }
    for d in ["blk0", "blk1"] {
        let r = common::run("ip", &["link", "set", d, "up"]);
        if r.code != 0 {
            return Err(format!("ip link set {d} up: {}", r.stderr.trim()));
        }
    }
    Ok(())
}

/// Creates the links, one TAP case per kind. Each case names the
/// capability probes it needs and the links it makes: when a probe is
/// refused, the case is skipped, and so are the per-link cases of
/// [`compare`] for those links, by name.
fn create(t: &mut Tap) -> Fixture {
    let mut f = Fixture {
        made: Vec::new(),
        refused: Vec::new(),
        keep: Keep::default(),
    };
    let none = Tail::default;
    let step = |t: &mut Tap,
                name: &str,
                needs: &[&str],
                links: &[&str],
                f: &mut Fixture,
                body: &dyn Fn(&mut Fixture) -> Result<(), String>| {
        t.case(&format!("create: {name}"), || {
            if let Err(skip) = common::need(needs) {
                f.refused
                    .extend(links.iter().map(|l| (l.to_string(), skip.clone())));
                return Err(skip);
            }
            body(f).map_err(|e| panic!("{e}"))
        });
    };

    step(
        t,
        "cgroup links (inet ingress, sock create) in a child cgroup",
        &["cgroup2_mount", "link_cgroup"],
        &["cgroup ingress", "cgroup sock_create"],
        &mut f,
        &|f| {
            let cg = Cgroup::new("bpftool")?;
            let cgfd = cg.dir.as_raw_fd() as u32;
            for (what, prog_type, a) in [
                (
                    "cgroup ingress",
                    bpf::PROG_CGROUP_SKB,
                    "BPF_CGROUP_INET_INGRESS",
                ),
                (
                    "cgroup sock_create",
                    bpf::PROG_CGROUP_SOCK,
                    "BPF_CGROUP_INET_SOCK_CREATE",
                ),
            ] {
                f.add(
                    what,
                    load(prog_type, at(a))?,
                    cgfd,
                    a,
                    0,
                    none(),
                    "BPF_LINK_TYPE_CGROUP",
                    vec![("cgroup_id", V::U(cg.id)), ("attach_type", attach(a))],
                )?;
            }
            f.keep.cgroups.push(cg);
            Ok(())
        },
    );
    step(t, "XDP on lo", &["link_xdp"], &["xdp lo"], &mut f, &|f| {
        let lo = ifindex("lo");
        f.add(
            "xdp lo",
            load(bpf::PROG_XDP, at("BPF_XDP"))?,
            lo,
            "BPF_XDP",
            0,
            none(),
            "BPF_LINK_TYPE_XDP",
            vec![("devname", s("lo")), ("ifindex", V::U(lo.into()))],
        )
    });
    step(
        t,
        "tcx ingress and egress on a veth pair, one link placed before another",
        &["veth", "link_tcx"],
        &["tcx blk0", "tcx blk1", "tcx blk0 before"],
        &mut f,
        &|f| {
            netdevices()?;
            for (dev, a) in [("blk0", "BPF_TCX_INGRESS"), ("blk1", "BPF_TCX_EGRESS")] {
                let i = ifindex(dev);
                f.add(
                    &format!("tcx {dev}"),
                    load(bpf::PROG_SCHED_CLS, at(a))?,
                    i,
                    a,
                    0,
                    none(),
                    "BPF_LINK_TYPE_TCX",
                    vec![
                        ("devname", s(dev)),
                        ("ifindex", V::U(i.into())),
                        ("attach_type", attach(a)),
                    ],
                )?;
            }
            // A second ingress link, placed before the first one's program,
            // named by its id: tcx { relative_id, expected_revision 0 }.
            let i = ifindex("blk0");
            let first = f
                .made
                .iter()
                .find(|m| m.what == "tcx blk0")
                .unwrap()
                .prog_id;
            f.add(
                "tcx blk0 before",
                load(bpf::PROG_SCHED_CLS, at("BPF_TCX_INGRESS"))?,
                i,
                "BPF_TCX_INGRESS",
                BPF_F_BEFORE | BPF_F_ID,
                none().u32(first).u64(0),
                "BPF_LINK_TYPE_TCX",
                vec![
                    ("devname", s("blk0")),
                    ("ifindex", V::U(i.into())),
                    ("attach_type", attach("BPF_TCX_INGRESS")),
                ],
            )
        },
    );
    const NETFILTER: [(u32, u32, i32, u32, &str); 3] = [
        (2, 1, -100, 0, "netfilter ip input"),
        (10, 4, 50, 0, "netfilter ip6 postrouting"),
        (2, 0, -150, 1, "netfilter ip prerouting defrag"),
    ];
    step(
        t,
        "netfilter (ip input, ip6 postrouting, ip prerouting with defrag)",
        &["link_netfilter"],
        &NETFILTER.map(|n| n.4),
        &mut f,
        &|f| {
            // netfilter { pf, hooknum, priority, flags }; flags 1 is
            // BPF_F_NETFILTER_IP_DEFRAG (defragment first).
            for (pf, hook, prio, flags, what) in NETFILTER {
                f.add(
                    what,
                    load(bpf::PROG_NETFILTER, at("BPF_NETFILTER"))?,
                    0,
                    "BPF_NETFILTER",
                    0,
                    none().u32(pf).u32(hook).u32(prio as u32).u32(flags),
                    "BPF_LINK_TYPE_NETFILTER",
                    vec![
                        ("pf", V::U(pf.into())),
                        ("hook", V::U(hook.into())),
                        ("prio", V::I(prio.into())),
                        ("flags", V::U(flags.into())),
                    ],
                )?;
            }
            Ok(())
        },
    );
    for (pt, a, probe, what) in [
        (
            bpf::PROG_SK_LOOKUP,
            "BPF_SK_LOOKUP",
            "link_sk_lookup",
            "netns sk_lookup",
        ),
        (
            bpf::PROG_FLOW_DISSECTOR,
            "BPF_FLOW_DISSECTOR",
            "link_flow_dissector",
            "netns flow_dissector",
        ),
    ] {
        step(
            t,
            &format!("netns link ({})", &what["netns ".len()..]),
            &[probe],
            &[what],
            &mut f,
            &|f| {
                let ns = std::fs::File::open("/proc/self/ns/net").map_err(|e| e.to_string())?;
                f.add(
                    what,
                    load(pt, at(a))?,
                    ns.as_raw_fd() as u32,
                    a,
                    0,
                    none(),
                    "BPF_LINK_TYPE_NETNS",
                    vec![
                        ("netns_ino", V::U(bpf::netns_ino())),
                        ("attach_type", attach(a)),
                    ],
                )?;
                f.keep.fds.push(ns.into());
                Ok(())
            },
        );
    }
    // perf_event { bpf_cookie }.
    let cookie = |c: u64| none().u64(c);
    let (perf_types, perf_sw) = (uapi::perf_types(), uapi::perf_sw_events());
    step(
        t,
        "perf_event link on a software event",
        &["link_perf_event"],
        &["perf_event software"],
        &mut f,
        &|f| {
            let (software, page_faults) = (
                perf_types.value("PERF_TYPE_SOFTWARE"),
                perf_sw.value("PERF_COUNT_SW_PAGE_FAULTS"),
            );
            let ev = bpf::perf_event_open(software, page_faults.into(), 0, 0)
                .map_err(|e| format!("perf_event_open: {e}"))?;
            f.add(
                "perf_event software",
                load(bpf::PROG_PERF_EVENT, 0)?,
                ev.as_raw_fd() as u32,
                "BPF_PERF_EVENT",
                0,
                cookie(42),
                "BPF_LINK_TYPE_PERF_EVENT",
                vec![
                    ("event_type", s(perf_types.name_of("PERF_TYPE_SOFTWARE"))),
                    (
                        "event_config",
                        s(perf_sw.name_of("PERF_COUNT_SW_PAGE_FAULTS")),
                    ),
                    ("cookie", V::U(42)),
                ],
            )?;
            f.keep.fds.push(ev);
            Ok(())
        },
    );
    step(
        t,
        "perf_event link on a uprobe of this binary",
        &["link_perf_event_uprobe"],
        &["perf_event uprobe"],
        &mut f,
        &|f| {
            let (path, off) = bpf::file_offset(bpflink_test_uprobe_one as *const () as usize)?;
            let ev = bpf::perf_uprobe(&path, off)?;
            f.add(
                "perf_event uprobe",
                load(bpf::PROG_KPROBE, 0)?,
                ev.as_raw_fd() as u32,
                "BPF_PERF_EVENT",
                0,
                cookie(43),
                "BPF_LINK_TYPE_PERF_EVENT",
                vec![
                    ("retprobe", V::B(false)),
                    ("file", s(&path)),
                    ("offset", V::U(off)),
                    ("cookie", V::U(43)),
                ],
            )?;
            f.keep.fds.push(ev);
            Ok(())
        },
    );
    step(
        t,
        "perf_event link on a tracepoint (sys_enter_getpid)",
        &["tracefs_mount", "link_perf_event_tracepoint"],
        &["perf_event tracepoint"],
        &mut f,
        &|f| {
            common::mount("tracefs", "/sys/kernel/tracing", "tracefs")?;
            let tp: u64 =
                std::fs::read_to_string("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id")
                    .map_err(|e| format!("tracepoint id: {e}"))?
                    .trim()
                    .parse()
                    .unwrap();
            let tracepoint = perf_types.value("PERF_TYPE_TRACEPOINT");
            let ev = bpf::perf_event_open(tracepoint, tp, 0, 0)
                .map_err(|e| format!("perf_event_open: {e}"))?;
            f.add(
                "perf_event tracepoint",
                load(bpf::PROG_TRACEPOINT, 0)?,
                ev.as_raw_fd() as u32,
                "BPF_PERF_EVENT",
                0,
                cookie(44),
                "BPF_LINK_TYPE_PERF_EVENT",
                vec![("tracepoint", s("sys_enter_getpid")), ("cookie", V::U(44))],
            )?;
            f.keep.fds.push(ev);
            Ok(())
        },
    );
    step(
        t,
        "uprobe_multi links on this binary (entry with pid, return)",
        &["link_uprobe_multi"],
        &["uprobe_multi", "uprobe_multi return"],
        &mut f,
        &|f| {
            let (path, o1) = bpf::file_offset(bpflink_test_uprobe_one as *const () as usize)?;
            let (_, o2) = bpf::file_offset(bpflink_test_uprobe_two as *const () as usize)?;
            let cpath = std::ffi::CString::new(path.clone()).unwrap();
            let offsets = [o1, o2];
            let cookies = [11u64, 22];
            let pid = std::process::id();
            let a = "BPF_TRACE_UPROBE_MULTI";
            // flags 1: BPF_F_UPROBE_MULTI_RETURN.
            for (flags, pid, what) in [(0u32, pid, "uprobe_multi"), (1, 0, "uprobe_multi return")] {
                // uprobe_multi { path, offsets, ref_ctr_offsets, cookies,
                // cnt, flags, pid }; the arrays live through the call.
                let tail = none()
                    .u64(cpath.as_ptr() as u64)
                    .u64(offsets.as_ptr() as u64)
                    .u64(0)
                    .u64(cookies.as_ptr() as u64)
                    .u32(2)
                    .u32(flags)
                    .u32(pid);
                let funcs = offsets
                    .iter()
                    .zip(cookies)
                    .map(|(&o, c)| {
                        vec![
                            ("offset", V::U(o)),
                            ("ref_ctr_offset", V::U(0)),
                            ("cookie", V::U(c)),
                        ]
                    })
                    .collect();
                f.add(
                    what,
                    load(bpf::PROG_KPROBE, at(a))?,
                    0,
                    a,
                    0,
                    tail,
                    "BPF_LINK_TYPE_UPROBE_MULTI",
                    vec![
                        ("retprobe", V::B(flags == 1)),
                        ("path", s(&path)),
                        ("func_cnt", V::U(2)),
                        ("pid", V::I(pid.into())),
                        ("funcs", V::Objs(funcs)),
                    ],
                )?;
            }
            // The probed functions still run.
            assert_eq!(bpflink_test_uprobe_one(1) + bpflink_test_uprobe_two(1), 5);
            Ok(())
        },
    );

    // Iterators, one case per target: iter_info points to union
    // bpf_iter_link_info (16 bytes): map {map_fd}; cgroup {order,
    // cgroup_fd, cgroup_id}; task {tid, pid, pid_fd}.
    let iter = "BPF_TRACE_ITER";
    let iter_prog = |target: &str| -> Result<OwnedFd, String> {
        let btf = bpf::vmlinux_btf_id(&format!("bpf_iter_{target}"), bpf::BTF_KIND_FUNC)?;
        bpf::prog_load(bpf::PROG_TRACING, at(iter), btf, 0)
            .map_err(|e| format!("iter prog {target}: {e}"))
    };
    let with = |info: &[u8; 16]| none().u64(info.as_ptr() as u64).u32(16);
    step(
        t,
        "iterator bpf_map",
        &["iter_bpf_map"],
        &["iter bpf_map"],
        &mut f,
        &|f| {
            f.add(
                "iter bpf_map",
                iter_prog("bpf_map")?,
                0,
                iter,
                0,
                none(),
                "BPF_LINK_TYPE_ITER",
                vec![("target_name", s("bpf_map"))],
            )
        },
    );
    step(
        t,
        "iterator bpf_map_elem",
        &["iter_bpf_map_elem"],
        &["iter bpf_map_elem"],
        &mut f,
        &|f| {
            let map = bpf::map_create(bpf::MAP_ARRAY, 8, 4).map_err(|e| format!("map: {e}"))?;
            let mut info = [0u8; 16];
            info[..4].copy_from_slice(&(map.as_raw_fd() as u32).to_ne_bytes());
            f.add(
                "iter bpf_map_elem",
                iter_prog("bpf_map_elem")?,
                0,
                iter,
                0,
                with(&info),
                "BPF_LINK_TYPE_ITER",
                vec![
                    ("target_name", s("bpf_map_elem")),
                    ("map_id", V::U(obj_id(map.as_raw_fd()).into())),
                ],
            )?;
            f.keep.fds.push(map);
            Ok(())
        },
    );
    step(
        t,
        "iterator task",
        &["iter_task"],
        &["iter task"],
        &mut f,
        &|f| {
            let pid = std::process::id();
            let mut info = [0u8; 16];
            info[4..8].copy_from_slice(&pid.to_ne_bytes());
            f.add(
                "iter task",
                iter_prog("task")?,
                0,
                iter,
                0,
                with(&info),
                "BPF_LINK_TYPE_ITER",
                vec![("target_name", s("task")), ("pid", V::U(pid.into()))],
            )
        },
    );
    step(
        t,
        "iterator cgroup (a child cgroup of its own)",
        &["cgroup2_mount", "iter_cgroup"],
        &["iter cgroup"],
        &mut f,
        &|f| {
            let cg = Cgroup::new("bpftool-iter")?;
            let mut info = [0u8; 16];
            info[..4].copy_from_slice(&1u32.to_ne_bytes()); // BPF_CGROUP_ITER_SELF_ONLY
            info[4..8].copy_from_slice(&(cg.dir.as_raw_fd() as u32).to_ne_bytes());
            f.add(
                "iter cgroup",
                iter_prog("cgroup")?,
                0,
                iter,
                0,
                with(&info),
                "BPF_LINK_TYPE_ITER",
                vec![
                    ("target_name", s("cgroup")),
                    ("cgroup_id", V::U(cg.id)),
                    ("order", s("self_only")),
                ],
            )?;
            f.keep.cgroups.push(cg);
            Ok(())
        },
    );
    step(
        t,
        "raw tracepoint link (sys_enter, with a cookie)",
        &["raw_tracepoint_open"],
        &["raw_tracepoint"],
        &mut f,
        &|f| {
            let prog = load(bpf::PROG_RAW_TRACEPOINT, 0)?;
            let fd = bpf::raw_tracepoint_open(prog.as_raw_fd(), c"sys_enter", 45)
                .map_err(|e| format!("BPF_RAW_TRACEPOINT_OPEN: {e}"))?;
            f.record(
                "raw_tracepoint",
                fd,
                prog,
                "BPF_LINK_TYPE_RAW_TRACEPOINT",
                vec![("tp_name", s("sys_enter")), ("cookie", V::U(45))],
            );
            Ok(())
        },
    );
    step(
        t,
        "sockmap link (sk_skb stream verdict)",
        &["link_sockmap"],
        &["sockmap"],
        &mut f,
        &|f| {
            let map =
                bpf::map_create(bpf::MAP_SOCKMAP, 4, 1).map_err(|e| format!("sockmap: {e}"))?;
            let id = obj_id(map.as_raw_fd());
            let a = "BPF_SK_SKB_STREAM_VERDICT";
            f.add(
                "sockmap",
                load(bpf::PROG_SK_SKB, at(a))?,
                map.as_raw_fd() as u32,
                a,
                0,
                none(),
                "BPF_LINK_TYPE_SOCKMAP",
                vec![("map_id", V::U(id.into())), ("attach_type", attach(a))],
            )?;
            f.keep.fds.push(map);
            Ok(())
        },
    );
    f
}

/// The objects of a JSON list, by id.
fn by_id(list: &Value) -> BTreeMap<u64, &Value> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|o| (o.u64_of("id"), o))
        .collect()
}

/// A field as bpftool 7.1 may print it (a number where its libbpf has no
/// name) equals bpflink's (a name libbpf 1.7.0 has): the header names
/// that number so.
fn same(key: &str, ours: &Value, theirs: &Value) -> bool {
    if ours == theirs {
        return true;
    }
    let (Some(name), Some(n)) = (ours.as_str(), theirs.as_u64()) else {
        return false;
    };
    let table = match key {
        "type" => link_types(),
        "attach_type" => attach_types(),
        _ => return false,
    };
    table.name(n) == Some(name)
}

/// bpftool fields bpflink does not print, by design.
const BPFTOOL_ONLY: &[&str] = &["pids", "pinned"];

/// The "key:\tvalue" pairs of a link fd's fdinfo, and the rows of its
/// table (uprobe_multi: cookie, offset, ref_ctr_offset).
fn fdinfo(fd: i32) -> (BTreeMap<String, String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("fdinfo");
    let (mut kv, mut rows) = (BTreeMap::new(), Vec::new());
    // The file's own fields (pos, flags, mnt_id, ino) come first.
    for line in text.lines().skip_while(|l| !l.starts_with("link_type:")) {
        let toks: Vec<&str> = line.split(['\t', ' ']).filter(|t| !t.is_empty()).collect();
        if toks.first().is_some_and(|t| t.ends_with(':')) {
            // "pf:\t2\thooknum:\t1\tprio:\t-100" holds several pairs.
            let mut i = 0;
            while i < toks.len() {
                if let Some(k) = toks[i].strip_suffix(':') {
                    let v = toks.get(i + 1).copied().unwrap_or("");
                    kv.insert(k.to_string(), v.to_string());
                    i += 2;
                } else {
                    i += 1;
                }
            }
        } else if toks
            .first()
            .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        {
            rows.push(toks.iter().map(|t| t.to_string()).collect());
        }
    }
    (kv, rows)
}

/// A number as fdinfo or JSON writes it (decimal, 0x hex, negative).
fn num(s: &str) -> Option<i128> {
    match s.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn json_text(j: &Value) -> String {
    match j {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The number that the header's `table` gives the tool's `name`.
fn number_of(table: &uapi::Table, name: &str) -> Option<String> {
    table.number(name).map(|n| n.to_string())
}

/// Compares bpflink's object of a link with the kernel's fdinfo of the
/// link fd; returns the fields compared and those fdinfo does not show.
fn against_fdinfo(o: &Value, fd: i32) -> (Vec<String>, Vec<String>) {
    let (kv, rows) = fdinfo(fd);
    let (mut compared, mut absent) = (Vec::new(), Vec::new());
    let perf_kind = kv.get("event_type").cloned().unwrap_or_default();
    for (k, v) in o.as_object().expect("an object").clone() {
        let ours = json_text(&v);
        // (fdinfo key, what fdinfo must say there)
        let want: Option<(&str, Option<String>)> = match k.as_str() {
            "id" => Some(("link_id", Some(ours))),
            "type" => None, // fdinfo spells some differently (perf, uretprobe_multi)
            "hook" => Some(("hooknum", Some(ours))),
            "attach_type" => Some(("attach_type", number_of(attach_types(), &ours))),
            "file" => Some(("name", Some(ours))),
            "tracepoint" => Some(("tp_name", Some(ours))),
            "event_type" => Some(("type", number_of(uapi::perf_types(), &ours))),
            // The suite's perf events are software ones.
            "event_config" => Some(("config", number_of(uapi::perf_sw_events(), &ours))),
            "func_cnt" => Some(("uprobe_cnt", Some(ours))),
            "retprobe" if perf_kind.is_empty() => {
                let t = kv.get("link_type").cloned().unwrap_or_default();
                assert_eq!(
                    t == "uretprobe_multi",
                    v == Value::Bool(true),
                    "retprobe {v}, fdinfo link_type {t}"
                );
                compared.push(k);
                continue;
            }
            "retprobe" => {
                assert_eq!(
                    perf_kind == "uretprobe",
                    v == Value::Bool(true),
                    "retprobe {v}, fdinfo {perf_kind}"
                );
                compared.push(k);
                continue;
            }
            "funcs" => {
                let funcs = v.as_array().unwrap();
                assert_eq!(funcs.len(), rows.len(), "fdinfo rows {rows:?}");
                for (f, row) in funcs.iter().zip(&rows) {
                    // fdinfo rows: cookie, offset, ref_ctr_offset
                    for (i, key) in ["cookie", "offset", "ref_ctr_offset"].iter().enumerate() {
                        assert_eq!(
                            num(&json_text(&f[*key])),
                            num(&row[i]),
                            "{key} in {f} vs {row:?}"
                        );
                    }
                }
                compared.push(k);
                continue;
            }
            "devname" => {
                // Not in fdinfo: the name must resolve to the ifindex here.
                let i = o.u64_of("ifindex");
                assert_eq!(ifindex(&ours) as u64, i, "devname {ours} is ifindex {i}");
                compared.push(format!("{k} (by name)"));
                continue;
            }
            _ => Some((k.as_str(), Some(ours))),
        };
        let Some((fk, want)) = want else { continue };
        let Some(got) = kv.get(fk) else {
            absent.push(k);
            continue;
        };
        let want = want.unwrap_or_else(|| panic!("no number for \"{k}\": {v}"));
        let same = match (num(&want), num(got)) {
            (Some(a), Some(b)) => a == b,
            _ => &want == got,
        };
        assert!(same, "\"{k}\": bpflink {want}, fdinfo {fk}: {got}");
        compared.push(k);
    }
    (compared, absent)
}

/// `bpftool -j link list`, retried a few times: bpftool 7.1 gives up on
/// the whole listing when it meets a link another process is creating at
/// that moment (EAGAIN), which happens on a busy machine.
fn bpftool_list() -> common::Run {
    let mut r = common::run(bpftool(), &["-j", "link", "list"]);
    for _ in 0..20 {
        if r.code == 0 && !r.stdout.contains("\"error\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        r = common::run(bpftool(), &["-j", "link", "list"]);
    }
    r
}

/// The three checks of each link.
const CHECKS: [&str; 3] = [
    "bpflink reports what was made",
    "the kernel's fdinfo agrees",
    "bpftool agrees",
];

fn compare(t: &mut Tap, f: &Fixture) {
    let ours = bpflink(&["--json", "list"]);
    let theirs = bpftool_list();
    let mut ours_list = Value::Null;
    t.case(
        "bpflink --json list: well-formed, every fixture link present",
        || {
            ours_list = ours.json();
            let m = by_id(&ours_list);
            for l in &f.made {
                assert!(
                    m.contains_key(&(l.id as u64)),
                    "{} (id {}) missing",
                    l.what,
                    l.id
                );
            }
            Ok(())
        },
    );
    let mut bpftool_list = Value::Null;
    t.case("bpftool -j link list: ran, well-formed", || {
        assert_eq!(theirs.code, 0, "bpftool: {}", theirs.stderr);
        bpftool_list = support::parse(&theirs.stdout)
            .unwrap_or_else(|e| panic!("bpftool JSON ({e}): {}", theirs.stdout));
        Ok(())
    });
    // A listing whose case failed or was filtered out stays Null: no
    // links, and the per-link cases that run fail on the missing link.
    fn listed(l: &Value) -> BTreeMap<u64, &Value> {
        match l {
            Value::Null => BTreeMap::new(),
            l => by_id(l),
        }
    }
    let (om, tm) = (listed(&ours_list), listed(&bpftool_list));
    let mut lacking: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &f.made {
        let label = format!("{} (link {})", l.what, l.id);
        t.case(&format!("{label}: {}", CHECKS[0]), || {
            let o = om.get(&(l.id as u64)).expect("listed");
            assert_eq!(o.str_of("type"), l.type_, "{o}");
            assert_eq!(o.u64_of("prog_id"), l.prog_id as u64, "{o}");
            fields_match(&l.fields, o).unwrap_or_else(|e| panic!("{e}: {o}"));
            // show gives the same object; plain show the same header.
            let one = bpflink(&["show", &l.id.to_string(), "--json"]).json();
            assert_eq!(&one, *o);
            let plain = bpflink(&["show", &l.id.to_string()]);
            let head = plain.succeeds().lines().next().unwrap_or("").to_string();
            assert_eq!(head, format!("{}: {}  prog {}", l.id, l.type_, l.prog_id));
            Ok(())
        });
        t.case(&format!("{label}: {}", CHECKS[1]), || {
            let o = om.get(&(l.id as u64)).expect("listed");
            let (compared, absent) = against_fdinfo(o, l.fd.as_raw_fd());
            let mut note = format!("{label}: fdinfo: compared {}", compared.join(", "));
            if !absent.is_empty() {
                note += &format!("; not in fdinfo: {}", absent.join(", "));
            }
            t_note(&note);
            Ok(())
        });
        t.case(&format!("{label}: {}", CHECKS[2]), || {
            let (o, b) = (
                om.get(&(l.id as u64)).expect("listed"),
                tm.get(&(l.id as u64)).expect("bpftool lists it"),
            );
            let mut compared = Vec::new();
            for k in b.keys() {
                if BPFTOOL_ONLY.contains(&k) {
                    continue;
                }
                let ov = o
                    .get(k)
                    .unwrap_or_else(|| panic!("bpftool prints \"{k}\", bpflink does not: {b}"));
                let bv = &b[k];
                assert!(same(k, ov, bv), "\"{k}\": bpflink {ov}, bpftool {bv}");
                compared.push(if ov == bv {
                    k.to_string()
                } else {
                    format!("{k} (bpftool: {bv})")
                });
            }
            for k in ["id", "type", "prog_id"] {
                assert!(
                    compared.iter().any(|c| c.split(' ').next() == Some(k)),
                    "bpftool printed no \"{k}\": {b}"
                );
            }
            let missing: Vec<String> = o
                .keys()
                .into_iter()
                .filter(|k| b.get(k).is_none())
                .map(str::to_string)
                .collect();
            if !missing.is_empty() {
                lacking
                    .entry(format!("{} ({})", l.type_, missing.join(", ")))
                    .or_default()
                    .push(l.what.clone());
            }
            t_note(&format!(
                "{label}: bpftool: compared {}",
                compared.join(", ")
            ));
            Ok(())
        });
    }
    // The links a refused probe kept from being made: their checks, by name.
    for (what, skip) in &f.refused {
        for check in CHECKS {
            t.case(&format!("{what}: {check}"), || Err(skip.clone()));
        }
    }
    for (fields, links) in lacking {
        t.note(&format!(
            "bpftool {} lacks: {fields}: {}",
            bpftool_version(),
            links.join(", ")
        ));
    }
}

/// A note printed from inside a case.
fn t_note(text: &str) {
    println!("# {text}");
}

fn bpftool_version() -> String {
    let r = common::run(bpftool(), &["version"]);
    r.stdout
        .lines()
        .next()
        .unwrap_or("bpftool")
        .trim()
        .to_string()
}

/// The path a machine without `bpf_map_elem` iterators takes, on every
/// machine: this suite again, only its `bpf_map_elem` cases, with that
/// probe refused by `BPFLINK_TEST_REFUSE`. Each case is a named skip, the
/// run passes, and the probe log says the refusal was simulated.
fn refusal_check() {
    let log = common::scratch().join("refusal-check.log");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("bpf_map_elem")
        .env("BPFLINK_TEST_REFUSE", "iter_bpf_map_elem")
        .env("BPFLINK_PROBE_LOG", &log)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running the suite again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "the run passes:\n{stdout}");
    let skip = "# SKIP probe iter_bpf_map_elem: EPERM from simulated refusal (BPFLINK_TEST_REFUSE)";
    let results: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .collect();
    let mut want = vec![format!("ok 1 - create: iterator bpf_map_elem {skip}")];
    for (i, check) in CHECKS.iter().enumerate() {
        want.push(format!("ok {} - iter bpf_map_elem: {check} {skip}", i + 2));
    }
    assert_eq!(results, want, "in:\n{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "# cli_bpftool: skipped capabilities: iter_bpf_map_elem (EPERM)"),
        "{stdout}"
    );
    let logged = std::fs::read_to_string(&log).expect("the probe log");
    let refusals: Vec<&str> = logged
        .lines()
        .filter(|l| l.split('\t').nth(2) != Some("ok"))
        .collect();
    assert_eq!(
        refusals,
        ["cli_bpftool\titer_bpf_map_elem\tEPERM\tsimulated refusal\tsimulated"],
        "probe log:\n{logged}"
    );
}

/// Attach types and link types newer than the headers the suite reads
/// (libbpf 1.7.0's uapi), which the library already names: libbpf 1.8's
/// uapi (its development branch) adds them, and these are the names its
/// tables give them, as documented for that branch (project issue 14);
/// the headers here cannot supply them. Each with its value, so that the
/// list still holds once the headers are 1.8's: a value the header has
/// must be named alike.
const ATTACH_TYPES_1_8: [(u32, &str); 3] = [
    (59, "trace_fentry_multi"),
    (60, "trace_fexit_multi"),
    (61, "trace_fsession_multi"),
];
const LINK_TYPES_1_8: [(u32, &str); 1] = [(15, "tracing_multi")];

/// libbpf's two name tables in the library, which the tool prints for
/// every link, against the header: every value of `enum bpf_attach_type`
/// and `enum bpf_link_type` has the name its enumerator gives; the values
/// libbpf 1.8 adds after the header's last have 1.8's names, with no gap;
/// and the value after those has none (the tool prints the number).
fn names_case() {
    type Names = fn(u32) -> Option<&'static std::ffi::CStr>;
    type Newer = &'static [(u32, &'static str)];
    let tables: [(&uapi::Table, Names, Newer, &str); 2] = [
        (
            attach_types(),
            bpflink::link::attach_type_str,
            &ATTACH_TYPES_1_8,
            "attach type",
        ),
        (
            link_types(),
            bpflink::link::link_type_str,
            &LINK_TYPES_1_8,
            "link type",
        ),
    ];
    for (table, names, newer, what) in tables {
        let mut next = 0;
        for (v, name) in table.iter() {
            let v = u32::try_from(v).unwrap();
            let got = names(v).map(|s| s.to_str().unwrap());
            assert_eq!(got, Some(name), "{what} {v}");
            next = next.max(v + 1);
        }
        assert!(next > 10, "{what}: {next} values in the header");
        let mut end = next;
        for &(v, name) in newer {
            if v < next {
                // Headers that already have it: they must agree.
                assert_eq!(table.name(v.into()), Some(name), "{what} {v}: 1.8's name");
                continue;
            }
            assert_eq!(
                v, end,
                "{what} {v}: 1.8's values follow the header's, no gap"
            );
            let got = names(v).map(|s| s.to_str().unwrap());
            assert_eq!(got, Some(name), "{what} {v}, libbpf 1.8's");
            end = v + 1;
        }
        assert_eq!(
            names(end),
            None,
            "{what} {end}, past the header's and 1.8's"
        );
    }
}

fn main() -> ExitCode {
    let mut t = Tap::new("cli_bpftool");
    t.case(
        "uapi headers: the reader of C enums, on made-up ones",
        || {
            uapi::self_test();
            Ok(())
        },
    );
    t.case(
        "attach-type and link-type names: the library's tables are the header's enums, named as libbpf names them",
        || {
            names_case();
            Ok(())
        },
    );
    const ALL: &str = "bpflink and bpftool agree on every link type";
    if let Err(skip) = common::kernel_gate().and_then(|()| common::need(&["bpftool"])) {
        t.case(ALL, || Err(skip.clone()));
        return t.done();
    }
    if let Err(e) = common::private_namespaces(true) {
        t.case("private network and mount namespaces", || panic!("{e}"));
        return t.done();
    }
    let f = create(&mut t);
    compare(&mut t, &f);
    let ids: Vec<u32> = f.made.iter().map(|m| m.id).collect();
    drop(f);
    t.case(
        "nothing left behind: every fixture link is gone after close",
        || {
            common::wait_links_gone(&ids)
                .unwrap_or_else(|left| panic!("links still there: {left:?}"));
            for list in [bpftool_list().stdout, bpflink(&["-j", "list"]).stdout] {
                let list = support::parse(&list).expect("JSON");
                let m = by_id(&list);
                assert!(
                    ids.iter().all(|id| !m.contains_key(&(*id as u64))),
                    "still listed: {list}"
                );
            }
            Ok(())
        },
    );
    t.case(
        "refusal check: the map-element iterator refused by simulation is a named skip, not a failure",
        || {
            refusal_check();
            Ok(())
        },
    );
    t.done()
}
