//! How a link is printed: bpftool's `link show` fields, as plain text
//! (a header line, then tab-indented detail lines) or as a JSON object
//! with bpftool's field names.

use bpflink::link::{Detail, Details, IterTarget, PerfEvent, attach_type_str, link_type_str};
use bpflink::sys::consts::link_type::BPF_LINK_TYPE_STRUCT_OPS;

use serde_json::{Value, json};

/// Resolves an ifindex to a device name in the current network namespace.
pub type IfName<'a> = &'a dyn Fn(u32) -> Option<String>;

/// A name from libbpf's table, or the number when it has none.
fn named(name: Option<&'static core::ffi::CStr>, n: u32) -> Value {
    match name.and_then(|s| s.to_str().ok()) {
        Some(s) => Value::from(s),
        None => Value::from(n),
    }
}

fn named_text(name: Option<&'static core::ffi::CStr>, n: u32) -> String {
    match name.and_then(|s| s.to_str().ok()) {
        Some(s) => s.to_string(),
        None => n.to_string(),
    }
}

/// `perf_event_attr.type` names (bpftool's `perf_type_name`).
const PERF_TYPES: [&str; 6] = [
    "hardware",
    "software",
    "tracepoint",
    "hw-cache",
    "raw",
    "breakpoint",
];
const PERF_HW: [&str; 10] = [
    "cpu-cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branch-instructions",
    "branch-misses",
    "bus-cycles",
    "stalled-cycles-frontend",
    "stalled-cycles-backend",
    "ref-cycles",
];
const PERF_SW: [&str; 12] = [
    "cpu-clock",
    "task-clock",
    "page-faults",
    "context-switches",
    "cpu-migrations",
    "minor-faults",
    "major-faults",
    "alignment-faults",
    "emulation-faults",
    "dummy",
    "bpf-output",
    "cgroup-switches",
];
const PERF_CACHE: [&str; 7] = [
    "L1-dcache",
    "L1-icache",
    "LLC",
    "dTLB",
    "iTLB",
    "branch",
    "node",
];
const PERF_CACHE_OP: [&str; 3] = ["load", "store", "prefetch"];
const PERF_CACHE_RESULT: [&str; 2] = ["refs", "misses"];

fn table(t: &[&'static str], i: u64) -> Option<&'static str> {
    usize::try_from(i).ok().and_then(|i| t.get(i).copied())
}

/// bpftool's name of a perf event type.
pub fn perf_type_name(t: u32) -> Option<&'static str> {
    table(&PERF_TYPES, t.into())
}

/// bpftool's name of a perf event config, for the types it names.
pub fn perf_config_name(t: u32, config: u64) -> Option<String> {
    match t {
        0 => table(&PERF_HW, config).map(str::to_string),
        1 => table(&PERF_SW, config).map(str::to_string),
        3 => {
            let part =
                |t: &[&'static str], v: u64| table(t, v).map_or(v.to_string(), str::to_string);
            Some(format!(
                "{}-{}-{}",
                part(&PERF_CACHE, config & 0xff),
                part(&PERF_CACHE_OP, (config >> 8) & 0xff),
                part(&PERF_CACHE_RESULT, config >> 16)
            ))
        }
        _ => None,
    }
}

/// bpftool's netfilter family names (`NFPROTO_*`).
fn nf_pf_name(pf: u32) -> Option<&'static str> {
    match pf {
        1 => Some("inet"),
        2 => Some("ip"),
        3 => Some("arp"),
        5 => Some("netdev"),
        7 => Some("bridge"),
        10 => Some("ip6"),
        _ => None,
    }
}

/// bpftool's netfilter hook names, which depend on the family.
fn nf_hook_name(pf: u32, hook: u32) -> Option<&'static str> {
    const INET: [&str; 5] = ["prerouting", "input", "forward", "output", "postrouting"];
    const ARP: [&str; 2] = ["input", "output"];
    match pf {
        1 | 2 | 7 | 10 => table(&INET, hook.into()),
        3 => table(&ARP, hook.into()),
        _ => None,
    }
}

/// bpftool's names of `enum bpf_cgroup_iter_order`.
fn cgroup_order_name(order: u32) -> &'static str {
    match order {
        0 => "order_unspec",
        1 => "self_only",
        2 => "descendants_pre",
        3 => "descendants_post",
        4 => "ancestors_up",
        _ => "unknown",
    }
}

/// `devname` as bpftool prints it: "(detached)" for ifindex 0,
/// "(unknown)" when the name cannot be found here.
fn devname(ifindex: u32, ifname: IfName) -> String {
    if ifindex == 0 {
        "(detached)".into()
    } else {
        ifname(ifindex).unwrap_or_else(|| "(unknown)".into())
    }
}

/// The JSON object of one link: id, type and prog_id, then the fields of
/// its kind, in bpftool's order.
pub fn json(d: &Details, ifname: IfName) -> Value {
    let attach = |t: u32| named(attach_type_str(t), t);
    let detail = match &d.detail {
        Detail::RawTracepoint { tp_name, cookie } => json!({
            "tp_name": tp_name,
            "cookie": cookie,
        }),
        Detail::Tracing {
            attach_type,
            target_obj_id,
            target_btf_id,
            cookie,
        } => json!({
            "attach_type": attach(*attach_type),
            "target_obj_id": target_obj_id,
            "target_btf_id": target_btf_id,
            "cookie": cookie,
        }),
        Detail::Cgroup {
            cgroup_id,
            attach_type,
        } => json!({
            "cgroup_id": cgroup_id,
            "attach_type": attach(*attach_type),
        }),
        Detail::Iter {
            target_name,
            target,
        } => {
            let mut o = json!({ "target_name": target_name });
            let more = match *target {
                IterTarget::Map { map_id } => json!({ "map_id": map_id }),
                // bpftool prints the tid if set, else the pid if set.
                IterTarget::Task { tid, .. } if tid != 0 => json!({ "tid": tid }),
                IterTarget::Task { pid, .. } if pid != 0 => json!({ "pid": pid }),
                IterTarget::Cgroup { cgroup_id, order } => json!({
                    "cgroup_id": cgroup_id,
                    "order": cgroup_order_name(order),
                }),
                _ => json!({}),
            };
            append(&mut o, more);
            o
        }
        Detail::Netns {
            netns_ino,
            attach_type,
        } => json!({
            "netns_ino": netns_ino,
            "attach_type": attach(*attach_type),
        }),
        Detail::Xdp { ifindex } => json!({
            "devname": devname(*ifindex, ifname),
            "ifindex": ifindex,
        }),
        Detail::Tcx {
            ifindex,
            attach_type,
        }
        | Detail::Netkit {
            ifindex,
            attach_type,
        } => json!({
            "devname": devname(*ifindex, ifname),
            "ifindex": ifindex,
            "attach_type": attach(*attach_type),
        }),
        Detail::StructOps { map_id } => json!({ "map_id": map_id }),
        Detail::Netfilter {
            pf,
            hooknum,
            priority,
            flags,
        } => json!({
            "pf": pf,
            "hook": hooknum,
            "prio": priority,
            "flags": flags,
        }),
        Detail::KprobeMulti {
            missed,
            addrs,
            cookies,
            ..
        } => {
            let funcs: Vec<Value> = sorted_pairs(addrs, cookies)
                .into_iter()
                .map(|(addr, cookie)| json!({ "addr": addr, "cookie": cookie }))
                .collect();
            json!({
                "retprobe": d.detail.retprobe(),
                "func_cnt": addrs.len(),
                "missed": missed,
                "funcs": funcs,
            })
        }
        Detail::UprobeMulti {
            path,
            pid,
            offsets,
            ref_ctr_offsets,
            cookies,
            ..
        } => {
            let funcs: Vec<Value> = offsets
                .iter()
                .enumerate()
                .map(|(i, off)| {
                    json!({
                        "offset": off,
                        "ref_ctr_offset": ref_ctr_offsets.get(i).copied().unwrap_or(0),
                        "cookie": cookies.get(i).copied().unwrap_or(0),
                    })
                })
                .collect();
            json!({
                "retprobe": d.detail.retprobe(),
                "path": path.to_string_lossy(),
                "func_cnt": offsets.len(),
                // bpftool prints the pid signed.
                "pid": *pid as i32,
                "funcs": funcs,
            })
        }
        Detail::TracingMulti {
            attach_type,
            btf_obj_id,
            count,
            ids,
            addrs,
            cookies,
        } => {
            let funcs: Vec<Value> = tracing_multi_rows(ids, addrs, cookies)
                .map(|(btf_id, addr, cookie)| {
                    json!({ "btf_id": btf_id, "addr": addr, "cookie": cookie })
                })
                .collect();
            json!({
                "attach_type": attach(*attach_type),
                "btf_obj_id": btf_obj_id,
                "func_cnt": count,
                "funcs": funcs,
            })
        }
        Detail::PerfEvent(p) => match p {
            PerfEvent::Event {
                type_,
                config,
                cookie,
            } => json!({
                "event_type": perf_type_name(*type_).map_or(json!(type_), |s| json!(s)),
                "event_config": perf_config_name(*type_, *config)
                    .map_or(json!(config), |s| json!(s)),
                "cookie": cookie,
            }),
            PerfEvent::Tracepoint { name, cookie } => json!({
                "tracepoint": name,
                "cookie": cookie,
            }),
            PerfEvent::Kprobe {
                retprobe,
                func,
                offset,
                addr,
                missed,
                cookie,
            } => json!({
                "retprobe": retprobe,
                "addr": addr,
                "func": func,
                "offset": offset,
                "missed": missed,
                "cookie": cookie,
            }),
            PerfEvent::Uprobe {
                retprobe,
                file,
                offset,
                cookie,
                ..
            } => json!({
                "retprobe": retprobe,
                "file": file.to_string_lossy(),
                "offset": offset,
                "cookie": cookie,
            }),
            PerfEvent::Other(_) => json!({}),
        },
        Detail::Sockmap {
            map_id,
            attach_type,
        } => json!({
            "map_id": map_id,
            "attach_type": attach(*attach_type),
        }),
        _ => json!({}),
    };
    let mut o = json!({
        "id": d.id,
        "type": named(link_type_str(d.type_), d.type_),
        "prog_id": d.prog_id,
    });
    append(&mut o, detail);
    o
}

/// Adds the fields of object `more` after those of object `o`.
fn append(o: &mut Value, more: Value) {
    if let (Value::Object(o), Value::Object(more)) = (o, more) {
        o.extend(more);
    }
}

/// A value as `--json` prints it: compact, on one line, ending in a
/// newline. DEL (U+007F), which JSON allows raw but a terminal does not
/// show, is written `\u007f`; it can only occur inside strings, where that
/// escape means the same character.
pub fn json_line(v: &Value) -> String {
    serde_json::to_string(v)
        .expect("a serde_json::Value always serialises")
        .replace('\u{7f}', "\\u007f")
        + "\n"
}

/// (addr, cookie) pairs sorted by address, as bpftool lists them.
fn sorted_pairs(addrs: &[u64], cookies: &[u64]) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = addrs
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, cookies.get(i).copied().unwrap_or(0)))
        .collect();
    v.sort_by_key(|&(a, _)| a);
    v
}

/// The functions of a tracing_multi link as (btf_id, addr, cookie) rows,
/// in the kernel's order: one row per entry of the longest of the three
/// arrays, 0 where an array is shorter (or was not fetched). No rows when
/// none was fetched, whatever the count.
fn tracing_multi_rows<'a>(
    ids: &'a [u32],
    addrs: &'a [u64],
    cookies: &'a [u64],
) -> impl Iterator<Item = (u32, u64, u64)> + 'a {
    let n = ids.len().max(addrs.len()).max(cookies.len());
    (0..n).map(move |i| {
        (
            ids.get(i).copied().unwrap_or(0),
            addrs.get(i).copied().unwrap_or(0),
            cookies.get(i).copied().unwrap_or(0),
        )
    })
}

/// The plain-text form of one link: a header line and tab-indented detail
/// lines, each ending in a newline, fields separated by two spaces (as
/// bpftool prints them, without its trailing blanks).
pub fn plain(d: &Details, ifname: IfName) -> String {
    let mut head = format!(
        "{}: {}  ",
        d.id,
        match link_type_str(d.type_).and_then(|s| s.to_str().ok()) {
            Some(s) => s.to_string(),
            None => format!("type {}", d.type_),
        }
    );
    if let (BPF_LINK_TYPE_STRUCT_OPS, Detail::StructOps { map_id }) = (d.type_, &d.detail) {
        head += &format!("map {map_id}");
    } else {
        head += &format!("prog {}", d.prog_id);
    }
    let attach = |t: u32| format!("attach_type {}", named_text(attach_type_str(t), t));
    let ifx = |i: u32| match (i, ifname(i)) {
        (0, _) => "ifindex (detached)".to_string(),
        (_, Some(n)) => format!("ifindex {n}({i})"),
        (_, None) => "ifindex (unknown)".to_string(),
    };
    let cookie = |c: u64| {
        if c != 0 {
            format!("cookie {c}")
        } else {
            String::new()
        }
    };
    // Each inner Vec is one detail line; empty fields are dropped.
    let mut lines: Vec<Vec<String>> = Vec::new();
    match &d.detail {
        Detail::RawTracepoint { tp_name, cookie: c } => {
            lines.push(vec![format!("tp '{tp_name}'"), cookie(*c)]);
        }
        Detail::Tracing {
            attach_type,
            target_obj_id,
            target_btf_id,
            cookie: c,
        } => {
            lines.push(vec![attach(*attach_type), cookie(*c)]);
            if *target_obj_id != 0 || *target_btf_id != 0 {
                lines.push(vec![
                    format!("target_obj_id {target_obj_id}"),
                    format!("target_btf_id {target_btf_id}"),
                ]);
            }
        }
        Detail::Cgroup {
            cgroup_id,
            attach_type,
        } => {
            lines.push(vec![format!("cgroup_id {cgroup_id}"), attach(*attach_type)]);
        }
        Detail::Iter {
            target_name,
            target,
        } => {
            let mut l = vec![format!("target_name {target_name}")];
            match *target {
                IterTarget::Map { map_id } => l.push(format!("map_id {map_id}")),
                IterTarget::Task { tid, .. } if tid != 0 => l.push(format!("tid {tid}")),
                IterTarget::Task { pid, .. } if pid != 0 => l.push(format!("pid {pid}")),
                IterTarget::Cgroup { cgroup_id, order } => {
                    l.push(format!("cgroup_id {cgroup_id}"));
                    l.push(format!("order {}", cgroup_order_name(order)));
                }
                _ => {}
            }
            lines.push(l);
        }
        Detail::Netns {
            netns_ino,
            attach_type,
        } => {
            lines.push(vec![format!("netns_ino {netns_ino}"), attach(*attach_type)]);
        }
        Detail::Xdp { ifindex } => lines.push(vec![ifx(*ifindex)]),
        Detail::Tcx {
            ifindex,
            attach_type,
        }
        | Detail::Netkit {
            ifindex,
            attach_type,
        } => {
            lines.push(vec![ifx(*ifindex), attach(*attach_type)]);
        }
        Detail::StructOps { .. } => {}
        Detail::Netfilter {
            pf,
            hooknum,
            priority,
            flags,
        } => {
            // bpftool: "ip input prio -128", or "pf: 99, hook 3, prio 0".
            let mut s = match nf_pf_name(*pf) {
                Some(n) => n.to_string(),
                None => format!("pf: {pf}"),
            };
            match nf_hook_name(*pf, *hooknum) {
                Some(h) => s += &format!(" {h}"),
                None => s += &format!(", hook {hooknum},"),
            }
            s += &format!(" prio {priority}");
            if *flags != 0 {
                s += &format!(" flags {flags:#x}");
            }
            lines.push(vec![s]);
        }
        Detail::KprobeMulti {
            missed,
            addrs,
            cookies,
            ..
        } => {
            let kind = if d.detail.retprobe() {
                "kretprobe.multi"
            } else {
                "kprobe.multi"
            };
            let mut l = vec![kind.to_string(), format!("func_cnt {}", addrs.len())];
            if *missed != 0 {
                l.push(format!("missed {missed}"));
            }
            lines.push(l);
            if !addrs.is_empty() {
                lines.push(vec![format!("{:<16} {}", "addr", "cookie")]);
                for (a, c) in sorted_pairs(addrs, cookies) {
                    lines.push(vec![format!("{a:016x} {c:<16x}")]);
                }
            }
        }
        Detail::UprobeMulti {
            path,
            pid,
            offsets,
            ref_ctr_offsets,
            cookies,
            ..
        } => {
            let kind = if d.detail.retprobe() {
                "uretprobe.multi"
            } else {
                "uprobe.multi"
            };
            let mut l = vec![
                kind.to_string(),
                format!("path {}", path.to_string_lossy()),
                format!("func_cnt {}", offsets.len()),
            ];
            if *pid != 0 {
                l.push(format!("pid {pid}"));
            }
            lines.push(l);
            lines.push(vec![format!(
                "{:<16}   {:<16}   {:<16}",
                "offset", "ref_ctr_offset", "cookies"
            )]);
            for (i, off) in offsets.iter().enumerate() {
                lines.push(vec![format!(
                    "0x{:<16x} 0x{:<16x} 0x{:<16x}",
                    off,
                    ref_ctr_offsets.get(i).copied().unwrap_or(0),
                    cookies.get(i).copied().unwrap_or(0)
                )]);
            }
        }
        Detail::TracingMulti {
            attach_type,
            btf_obj_id,
            count,
            ids,
            addrs,
            cookies,
        } => {
            // As kprobe_multi: a summary line, then one row per function
            // (BTF id in decimal, address and cookie in hex, unsorted).
            let mut l = vec![attach(*attach_type)];
            if *btf_obj_id != 0 {
                l.push(format!("btf_obj_id {btf_obj_id}"));
            }
            l.push(format!("func_cnt {count}"));
            lines.push(l);
            let mut rows = tracing_multi_rows(ids, addrs, cookies).peekable();
            if rows.peek().is_some() {
                lines.push(vec![format!(
                    "{:<10} {:<16} {}",
                    "btf_id", "addr", "cookie"
                )]);
                for (id, a, c) in rows {
                    lines.push(vec![format!("{id:<10} {a:016x} {c:<16x}")]);
                }
            }
        }
        Detail::PerfEvent(p) => match p {
            PerfEvent::Event {
                type_,
                config,
                cookie: c,
            } => {
                let t = perf_type_name(*type_).map_or_else(|| format!("{type_} "), str::to_string);
                let cfg = perf_config_name(*type_, *config).unwrap_or_else(|| config.to_string());
                lines.push(vec![format!("event {t}:{cfg}"), cookie(*c)]);
            }
            PerfEvent::Tracepoint { name, cookie: c } => {
                lines.push(vec![format!("tracepoint {name}"), cookie(*c)]);
            }
            PerfEvent::Kprobe {
                retprobe,
                func,
                offset,
                addr,
                missed,
                cookie: c,
            } => {
                let mut s = if *retprobe {
                    "kretprobe ".to_string()
                } else {
                    "kprobe ".to_string()
                };
                if *addr != 0 {
                    s += &format!("{addr:x} ");
                }
                s += func;
                if *offset != 0 {
                    s += &format!("+{offset:#x}");
                }
                let missed = if *missed != 0 {
                    format!("missed {missed}")
                } else {
                    String::new()
                };
                lines.push(vec![s, missed, cookie(*c)]);
            }
            PerfEvent::Uprobe {
                retprobe,
                file,
                offset,
                cookie: c,
                ..
            } => {
                let kind = if *retprobe { "uretprobe" } else { "uprobe" };
                lines.push(vec![
                    format!("{kind} {}+{offset:#x}", file.to_string_lossy()),
                    cookie(*c),
                ]);
            }
            PerfEvent::Other(_) => {}
        },
        Detail::Sockmap {
            map_id,
            attach_type,
        } => {
            lines.push(vec![format!("map_id {map_id}"), attach(*attach_type)]);
        }
        _ => {}
    }
    let mut out = head;
    out.push('\n');
    for l in lines {
        let fields: Vec<&str> = l
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        out.push('\t');
        out.push_str(fields.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(type_: u32, detail: Detail) -> Details {
        Details {
            type_,
            id: 12,
            prog_id: 34,
            detail,
        }
    }

    fn names(i: u32) -> Option<String> {
        (i == 1).then(|| "lo".to_string())
    }

    fn both(x: &Details) -> (String, String) {
        let line = json_line(&json(x, &names));
        let j = line.strip_suffix('\n').expect("one line").to_string();
        assert!(!j.contains('\n'), "{j}");
        (plain(x, &names), j)
    }

    #[test]
    fn json_text() {
        assert_eq!(json_line(&Value::Null), "null\n");
        assert_eq!(json_line(&json!([])), "[]\n");
        assert_eq!(json_line(&json!(u64::MAX)), "18446744073709551615\n");
        assert_eq!(json_line(&json!(-128)), "-128\n");
        assert_eq!(json_line(&json!([true, false])), "[true,false]\n");
        // Control characters by name or as \u00XX (lower-case hex), DEL too;
        // '/' and non-ASCII as they are.
        assert_eq!(
            json_line(&json!(
                "a\"b\\c l1\nl2\t\r \u{8}\u{c} \u{1}\u{1f}\u{7f} é/\u{fffd}"
            )),
            "\"a\\\"b\\\\c l1\\nl2\\t\\r \\b\\f \\u0001\\u001f\\u007f é/\u{fffd}\"\n"
        );
        // Keys in the order they were given.
        let o = json!({"id": 5, "type": "cgroup", "funcs": [1, null], "o": {"k": true}});
        assert_eq!(
            json_line(&o),
            "{\"id\":5,\"type\":\"cgroup\",\"funcs\":[1,null],\"o\":{\"k\":true}}\n"
        );
    }

    #[test]
    fn cgroup() {
        let (p, j) = both(&d(
            3,
            Detail::Cgroup {
                cgroup_id: 5678,
                attach_type: 0,
            },
        ));
        assert_eq!(
            p,
            "12: cgroup  prog 34\n\tcgroup_id 5678  attach_type cgroup_inet_ingress\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"cgroup","prog_id":34,"cgroup_id":5678,"attach_type":"cgroup_inet_ingress"}"#
        );
    }

    #[test]
    fn unknown_types_are_numbers() {
        let (p, j) = both(&d(99, Detail::Other));
        assert_eq!(p, "12: type 99  prog 34\n");
        assert_eq!(j, r#"{"id":12,"type":99,"prog_id":34}"#);
        let (p, j) = both(&d(
            5,
            Detail::Netns {
                netns_ino: 4026531840,
                attach_type: 200,
            },
        ));
        assert_eq!(
            p,
            "12: netns  prog 34\n\tnetns_ino 4026531840  attach_type 200\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"netns","prog_id":34,"netns_ino":4026531840,"attach_type":200}"#
        );
    }

    #[test]
    fn devices() {
        let (p, j) = both(&d(6, Detail::Xdp { ifindex: 1 }));
        assert_eq!(p, "12: xdp  prog 34\n\tifindex lo(1)\n");
        assert_eq!(
            j,
            r#"{"id":12,"type":"xdp","prog_id":34,"devname":"lo","ifindex":1}"#
        );
        let (p, j) = both(&d(
            11,
            Detail::Tcx {
                ifindex: 7,
                attach_type: 47,
            },
        ));
        assert_eq!(
            p,
            "12: tcx  prog 34\n\tifindex (unknown)  attach_type tcx_egress\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"tcx","prog_id":34,"devname":"(unknown)","ifindex":7,"attach_type":"tcx_egress"}"#
        );
        let (p, j) = both(&d(
            13,
            Detail::Netkit {
                ifindex: 0,
                attach_type: 54,
            },
        ));
        assert_eq!(
            p,
            "12: netkit  prog 34\n\tifindex (detached)  attach_type netkit_primary\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"netkit","prog_id":34,"devname":"(detached)","ifindex":0,"attach_type":"netkit_primary"}"#
        );
    }

    #[test]
    fn netfilter() {
        let (p, j) = both(&d(
            10,
            Detail::Netfilter {
                pf: 2,
                hooknum: 1,
                priority: -128,
                flags: 0,
            },
        ));
        assert_eq!(p, "12: netfilter  prog 34\n\tip input prio -128\n");
        assert_eq!(
            j,
            r#"{"id":12,"type":"netfilter","prog_id":34,"pf":2,"hook":1,"prio":-128,"flags":0}"#
        );
        let (p, _) = both(&d(
            10,
            Detail::Netfilter {
                pf: 10,
                hooknum: 4,
                priority: 5,
                flags: 1,
            },
        ));
        assert_eq!(
            p,
            "12: netfilter  prog 34\n\tip6 postrouting prio 5 flags 0x1\n"
        );
        let (p, _) = both(&d(
            10,
            Detail::Netfilter {
                pf: 99,
                hooknum: 3,
                priority: 0,
                flags: 0,
            },
        ));
        assert_eq!(p, "12: netfilter  prog 34\n\tpf: 99, hook 3, prio 0\n");
        let (p, _) = both(&d(
            10,
            Detail::Netfilter {
                pf: 3,
                hooknum: 1,
                priority: 0,
                flags: 0,
            },
        ));
        assert_eq!(p, "12: netfilter  prog 34\n\tarp output prio 0\n");
    }

    #[test]
    fn iter_targets() {
        let it = |name: &str, target| {
            d(
                4,
                Detail::Iter {
                    target_name: name.into(),
                    target,
                },
            )
        };
        let (p, j) = both(&it("bpf_map_elem", IterTarget::Map { map_id: 9 }));
        assert_eq!(
            p,
            "12: iter  prog 34\n\ttarget_name bpf_map_elem  map_id 9\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"iter","prog_id":34,"target_name":"bpf_map_elem","map_id":9}"#
        );
        let (p, j) = both(&it("task", IterTarget::Task { tid: 0, pid: 77 }));
        assert_eq!(p, "12: iter  prog 34\n\ttarget_name task  pid 77\n");
        assert!(j.ends_with(r#""target_name":"task","pid":77}"#), "{j}");
        let (_, j) = both(&it("task", IterTarget::Task { tid: 0, pid: 0 }));
        assert!(j.ends_with(r#""target_name":"task"}"#), "{j}");
        let (p, j) = both(&it(
            "cgroup",
            IterTarget::Cgroup {
                cgroup_id: 1,
                order: 2,
            },
        ));
        assert_eq!(
            p,
            "12: iter  prog 34\n\ttarget_name cgroup  cgroup_id 1  order descendants_pre\n"
        );
        assert!(
            j.ends_with(r#""cgroup_id":1,"order":"descendants_pre"}"#),
            "{j}"
        );
        let (p, _) = both(&it("bpf_map", IterTarget::Other));
        assert_eq!(p, "12: iter  prog 34\n\ttarget_name bpf_map\n");
    }

    #[test]
    fn tracing_and_raw_tracepoint() {
        let (p, j) = both(&d(
            1,
            Detail::RawTracepoint {
                tp_name: "sys_enter".into(),
                cookie: 0,
            },
        ));
        assert_eq!(p, "12: raw_tracepoint  prog 34\n\ttp 'sys_enter'\n");
        assert_eq!(
            j,
            r#"{"id":12,"type":"raw_tracepoint","prog_id":34,"tp_name":"sys_enter","cookie":0}"#
        );
        let t = Detail::Tracing {
            attach_type: 24,
            target_obj_id: 1,
            target_btf_id: 2,
            cookie: 3,
        };
        let (p, j) = both(&d(2, t));
        assert_eq!(
            p,
            "12: tracing  prog 34\n\tattach_type trace_fentry  cookie 3\n\ttarget_obj_id 1  target_btf_id 2\n"
        );
        assert!(
            j.ends_with(
                r#""attach_type":"trace_fentry","target_obj_id":1,"target_btf_id":2,"cookie":3}"#
            ),
            "{j}"
        );
    }

    #[test]
    fn struct_ops_shows_the_map() {
        let (p, j) = both(&Details {
            type_: 9,
            id: 3,
            prog_id: 0,
            detail: Detail::StructOps { map_id: 8 },
        });
        assert_eq!(p, "3: struct_ops  map 8\n");
        assert_eq!(j, r#"{"id":3,"type":"struct_ops","prog_id":0,"map_id":8}"#);
    }

    #[test]
    fn sockmap() {
        let (p, j) = both(&d(
            14,
            Detail::Sockmap {
                map_id: 4,
                attach_type: 38,
            },
        ));
        assert_eq!(
            p,
            "12: sockmap  prog 34\n\tmap_id 4  attach_type sk_skb_verdict\n"
        );
        assert!(
            j.ends_with(r#""map_id":4,"attach_type":"sk_skb_verdict"}"#),
            "{j}"
        );
    }

    #[test]
    fn multi_probes() {
        let u = Detail::UprobeMulti {
            path: "/bin/x y".into(),
            flags: 0,
            pid: 42,
            offsets: vec![0x1000, 0x2000],
            ref_ctr_offsets: vec![0, 0x30],
            cookies: vec![1, 2],
        };
        let (p, j) = both(&d(12, u));
        assert_eq!(
            p,
            "12: uprobe_multi  prog 34\n\
             \tuprobe.multi  path /bin/x y  func_cnt 2  pid 42\n\
             \toffset             ref_ctr_offset     cookies\n\
             \t0x1000             0x0                0x1\n\
             \t0x2000             0x30               0x2\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"uprobe_multi","prog_id":34,"retprobe":false,"path":"/bin/x y","func_cnt":2,"pid":42,"funcs":[{"offset":4096,"ref_ctr_offset":0,"cookie":1},{"offset":8192,"ref_ctr_offset":48,"cookie":2}]}"#
        );
        let k = Detail::KprobeMulti {
            flags: 1,
            missed: 0,
            addrs: vec![0x20, 0x10],
            cookies: vec![2, 1],
        };
        let (p, j) = both(&d(8, k));
        assert_eq!(
            p,
            "12: kprobe_multi  prog 34\n\tkretprobe.multi  func_cnt 2\n\taddr             cookie\n\
             \t0000000000000010 1\n\t0000000000000020 2\n"
        );
        assert!(
            j.ends_with(r#""retprobe":true,"func_cnt":2,"missed":0,"funcs":[{"addr":16,"cookie":1},{"addr":32,"cookie":2}]}"#),
            "{j}"
        );
    }

    /// Link type 15 (libbpf 1.8): fentry/fexit/fsession on many functions.
    #[test]
    fn tracing_multi() {
        let t = Detail::TracingMulti {
            attach_type: 60,
            btf_obj_id: 1,
            count: 3,
            ids: vec![91234, 1005, 77],
            addrs: vec![0xffff_ffff_8120_0000, 0, 0xffff_ffff_8110_0040],
            cookies: vec![0, 0x2a, 7],
        };
        let (p, j) = both(&d(15, t));
        assert_eq!(
            p,
            "12: tracing_multi  prog 34\n\
             \tattach_type trace_fexit_multi  btf_obj_id 1  func_cnt 3\n\
             \tbtf_id     addr             cookie\n\
             \t91234      ffffffff81200000 0\n\
             \t1005       0000000000000000 2a\n\
             \t77         ffffffff81100040 7\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"tracing_multi","prog_id":34,"attach_type":"trace_fexit_multi","btf_obj_id":1,"func_cnt":3,"funcs":[{"btf_id":91234,"addr":18446744071580942336,"cookie":0},{"btf_id":1005,"addr":0,"cookie":42},{"btf_id":77,"addr":18446744071579893824,"cookie":7}]}"#
        );

        // An array the kernel left unfilled reads as zeros; the other
        // attach types by name, btf_obj_id 0 left out of the plain line.
        let t = Detail::TracingMulti {
            attach_type: 61,
            btf_obj_id: 0,
            count: 2,
            ids: vec![5, 6],
            addrs: vec![],
            cookies: vec![1, 2],
        };
        let (p, j) = both(&d(15, t));
        assert_eq!(
            p,
            "12: tracing_multi  prog 34\n\
             \tattach_type trace_fsession_multi  func_cnt 2\n\
             \tbtf_id     addr             cookie\n\
             \t5          0000000000000000 1\n\
             \t6          0000000000000000 2\n"
        );
        assert!(
            j.ends_with(r#""attach_type":"trace_fsession_multi","btf_obj_id":0,"func_cnt":2,"funcs":[{"btf_id":5,"addr":0,"cookie":1},{"btf_id":6,"addr":0,"cookie":2}]}"#),
            "{j}"
        );

        // No functions: the summary line alone, an empty funcs array.
        let t = Detail::TracingMulti {
            attach_type: 59,
            btf_obj_id: 0,
            count: 0,
            ids: vec![],
            addrs: vec![],
            cookies: vec![],
        };
        let (p, j) = both(&d(15, t));
        assert_eq!(
            p,
            "12: tracing_multi  prog 34\n\tattach_type trace_fentry_multi  func_cnt 0\n"
        );
        assert_eq!(
            j,
            r#"{"id":12,"type":"tracing_multi","prog_id":34,"attach_type":"trace_fentry_multi","btf_obj_id":0,"func_cnt":0,"funcs":[]}"#
        );

        // A count from the first answer alone (nothing fetched): no rows;
        // an attach type past the table as its number.
        let t = Detail::TracingMulti {
            attach_type: 300,
            btf_obj_id: 9,
            count: 4,
            ids: vec![],
            addrs: vec![],
            cookies: vec![],
        };
        let (p, j) = both(&d(15, t));
        assert_eq!(
            p,
            "12: tracing_multi  prog 34\n\tattach_type 300  btf_obj_id 9  func_cnt 4\n"
        );
        assert!(
            j.ends_with(r#""attach_type":300,"btf_obj_id":9,"func_cnt":4,"funcs":[]}"#),
            "{j}"
        );
    }

    #[test]
    fn perf_events() {
        let pe = |p| d(7, Detail::PerfEvent(p));
        let (p, j) = both(&pe(PerfEvent::Event {
            type_: 1,
            config: 0,
            cookie: 5,
        }));
        assert_eq!(
            p,
            "12: perf_event  prog 34\n\tevent software:cpu-clock  cookie 5\n"
        );
        assert!(
            j.ends_with(r#""event_type":"software","event_config":"cpu-clock","cookie":5}"#),
            "{j}"
        );
        let (p, j) = both(&pe(PerfEvent::Event {
            type_: 42,
            config: 7,
            cookie: 0,
        }));
        assert_eq!(p, "12: perf_event  prog 34\n\tevent 42 :7\n");
        assert!(
            j.ends_with(r#""event_type":42,"event_config":7,"cookie":0}"#),
            "{j}"
        );
        let (p, _) = both(&pe(PerfEvent::Event {
            type_: 3,
            config: 0x10002,
            cookie: 0,
        }));
        assert_eq!(
            p,
            "12: perf_event  prog 34\n\tevent hw-cache:LLC-load-misses\n"
        );
        let (p, j) = both(&pe(PerfEvent::Tracepoint {
            name: "sys_enter_getpid".into(),
            cookie: 0,
        }));
        assert_eq!(
            p,
            "12: perf_event  prog 34\n\ttracepoint sys_enter_getpid\n"
        );
        assert!(
            j.ends_with(r#""tracepoint":"sys_enter_getpid","cookie":0}"#),
            "{j}"
        );
        let up = PerfEvent::Uprobe {
            retprobe: true,
            file: "/bin/sh".into(),
            offset: 0x40,
            cookie: 3,
            ref_ctr_offset: 0,
        };
        let (p, j) = both(&pe(up));
        assert_eq!(
            p,
            "12: perf_event  prog 34\n\turetprobe /bin/sh+0x40  cookie 3\n"
        );
        assert!(
            j.ends_with(r#""retprobe":true,"file":"/bin/sh","offset":64,"cookie":3}"#),
            "{j}"
        );
        let kp = PerfEvent::Kprobe {
            retprobe: false,
            func: "f".into(),
            offset: 4,
            addr: 0xff,
            missed: 1,
            cookie: 0,
        };
        let (p, j) = both(&pe(kp));
        assert_eq!(p, "12: perf_event  prog 34\n\tkprobe ff f+0x4  missed 1\n");
        assert!(
            j.ends_with(
                r#""retprobe":false,"addr":255,"func":"f","offset":4,"missed":1,"cookie":0}"#
            ),
            "{j}"
        );
        let (p, j) = both(&pe(PerfEvent::Other(0)));
        assert_eq!(p, "12: perf_event  prog 34\n");
        assert_eq!(j, r#"{"id":12,"type":"perf_event","prog_id":34}"#);
    }

    #[test]
    fn perf_names() {
        assert_eq!(perf_type_name(5), Some("breakpoint"));
        assert_eq!(perf_type_name(6), None);
        assert_eq!(perf_config_name(0, 9).as_deref(), Some("ref-cycles"));
        assert_eq!(perf_config_name(1, 11).as_deref(), Some("cgroup-switches"));
        assert_eq!(perf_config_name(1, 12), None);
        assert_eq!(perf_config_name(3, 0xff_09_07).as_deref(), Some("7-9-255"));
        assert_eq!(perf_config_name(2, 0), None);
    }
}
