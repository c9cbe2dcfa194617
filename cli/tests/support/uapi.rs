//! Names from the kernel's own numbering, for expectations that owe
//! nothing to the code under test. The uapi headers the project builds its
//! C tests against (`.deps/libbpf-1.7.0/uapi/linux/`, made by
//! scripts/setup.sh) are read when the suite runs; each `enum` is
//! evaluated as C numbers it, and each enumerator is named the way the
//! tools name it:
//!
//! - attach types and link types as libbpf does
//!   (`libbpf_bpf_attach_type_str`, `libbpf_bpf_link_type_str`, and so
//!   bpftool): the enumerator without `BPF_` / `BPF_LINK_TYPE_`, in lower
//!   case (`BPF_TCX_INGRESS` is `tcx_ingress`), which is also how libbpf's
//!   own selftests check those tables;
//! - perf event types and software events as bpftool and perf do: without
//!   `PERF_TYPE_` / `PERF_COUNT_SW_`, in lower case, `_` written `-`
//!   (`PERF_COUNT_SW_PAGE_FAULTS` is `page-faults`). Two software events
//!   have other names there (minor-faults, major-faults); no suite uses
//!   them, and [`Table::number`] finds no number for those names.
//!
//! Enumerators starting with `__` (the kernel's end markers) are left out.

use std::sync::OnceLock;

/// Where the headers are, from this crate.
const UAPI: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../.deps/libbpf-1.7.0/uapi/linux/"
);

/// One enum: enumerator, value and tool name, in the header's order.
pub struct Table {
    entries: Vec<(String, u64, String)>,
}

impl Table {
    /// The tool's name of `value` (the first enumerator with it).
    pub fn name(&self, value: u64) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, v, _)| *v == value)
            .map(|(_, _, n)| n.as_str())
    }

    /// The value the tool's `name` stands for.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, _, n)| n == name)
            .map(|(_, v, _)| *v)
    }

    /// The value of `enumerator` (panics if the header has none).
    #[track_caller]
    pub fn value(&self, enumerator: &str) -> u32 {
        let (_, v, _) = self
            .entries
            .iter()
            .find(|(e, _, _)| e == enumerator)
            .unwrap_or_else(|| panic!("no {enumerator} in the uapi header"));
        u32::try_from(*v).expect("a 32-bit value")
    }

    /// The tool's name of `enumerator` (panics if the header has none).
    #[track_caller]
    pub fn name_of(&self, enumerator: &str) -> &str {
        let v = self.value(enumerator);
        self.name(v.into()).expect("named")
    }

    /// Every (value, name), in the header's order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &str)> {
        self.entries.iter().map(|(_, v, n)| (*v, n.as_str()))
    }
}

fn load(file: &str, enum_name: &str, prefix: &str, dashes: bool) -> Table {
    let path = format!("{UAPI}{file}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (scripts/setup.sh makes it; make test runs that)"));
    let values = enum_values(&text, enum_name).unwrap_or_else(|e| panic!("{path}: {e}"));
    let entries = values
        .into_iter()
        .filter(|(e, _)| !e.starts_with("__"))
        .map(|(e, v)| {
            let rest = e
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{path}: {e} does not start with {prefix}"));
            let mut name = rest.to_ascii_lowercase();
            if dashes {
                name = name.replace('_', "-");
            }
            (e, v, name)
        })
        .collect();
    Table { entries }
}

/// `enum bpf_attach_type`, named as libbpf names attach types.
pub fn attach_types() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("bpf.h", "bpf_attach_type", "BPF_", false))
}

/// `enum bpf_link_type`, named as libbpf names link types.
pub fn link_types() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("bpf.h", "bpf_link_type", "BPF_LINK_TYPE_", false))
}

/// `enum perf_type_id`, named as bpftool names perf event types.
pub fn perf_types() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("perf_event.h", "perf_type_id", "PERF_TYPE_", true))
}

/// `enum perf_sw_ids`, named as bpftool names software events.
pub fn perf_sw_events() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("perf_event.h", "perf_sw_ids", "PERF_COUNT_SW_", true))
}

/// The enumerators of `enum <name> { ... }` in a C header and their
/// values: an enumerator without `= value` is one more than the one before
/// (the first is 0); a value is a decimal or hex literal (with `U` / `L`
/// suffixes) or an earlier enumerator.
pub fn enum_values(header: &str, name: &str) -> Result<Vec<(String, u64)>, String> {
    let text = strip_comments(header);
    let head = format!("enum {name}");
    let body = text
        .match_indices(&head)
        .filter_map(|(at, _)| {
            let after = &text[at + head.len()..];
            let after = after.trim_start();
            // Not `enum bpf_link_type_x {` nor a use such as a struct member.
            after.strip_prefix('{')
        })
        .next()
        .ok_or_else(|| format!("no definition of enum {name}"))?;
    let body = &body[..body.find('}').ok_or("unterminated enum")?];
    let mut out: Vec<(String, u64)> = Vec::new();
    let mut next = 0u64;
    for item in body.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (ident, value) = match item.split_once('=') {
            Some((i, v)) => (i.trim(), Some(v.trim())),
            None => (item, None),
        };
        if ident.is_empty() || !ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("enum {name}: cannot read {item:?}"));
        }
        let v = match value {
            None => next,
            Some(v) => literal(v)
                .or_else(|| out.iter().find(|(e, _)| e == v).map(|(_, n)| *n))
                .ok_or_else(|| format!("enum {name}: cannot evaluate {item:?}"))?,
        };
        out.push((ident.to_string(), v));
        next = v + 1;
    }
    Ok(out)
}

/// A C integer literal: decimal or `0x` hex, with `u` / `l` suffixes.
fn literal(s: &str) -> Option<u64> {
    let s = s.trim_end_matches(['u', 'U', 'l', 'L']);
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The text without `/* */` and `//` comments (each replaced by a space).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                rest = rest[b + 2..].split_once("*/").map_or("", |(_, r)| r);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                out.push(' ');
                rest = rest[l..].split_once('\n').map_or("", |(_, r)| r);
            }
            _ => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// The reader on made-up enums: implicit and explicit values, an alias,
/// comments, a look-alike enum name and a use of the enum before its
/// definition.
pub fn self_test() {
    let h = "struct s { enum e x; };\n\
             enum e_other { Q };\n\
             enum e {\n\
             \tA, /* zero */\n\
             \tB = 0x10U, // sixteen\n\
             \tC,\n\
             \tD = B,\n\
             \t__E_MAX,\n\
             };";
    assert_eq!(
        enum_values(h, "e").unwrap(),
        [
            ("A".to_string(), 0),
            ("B".to_string(), 16),
            ("C".to_string(), 17),
            ("D".to_string(), 16),
            ("__E_MAX".to_string(), 17),
        ]
    );
    assert!(enum_values(h, "f").is_err());
    assert!(enum_values("enum e { A = 1 << 2 };", "e").is_err());
}
