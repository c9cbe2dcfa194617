//! `cargo run -p xtask -- header`: writes the C headers of include/ from
//! the Rust definitions, with cbindgen. The one source of truth is the Rust
//! code; `make header` runs this, and `make test` runs it and then
//! `git diff --exit-code include/`, so a committed header that differs from
//! what the code generates fails the run.
//!
//! cbindgen cannot print an anonymous union or an unnamed struct type,
//! which libbpf's `struct bpf_link_create_opts` uses (`opts.tcx.relative_fd`).
//! The Rust side therefore names them `bpf_link_create_opts_*`, and
//! [`inline_helper_types`] prints each such type in place at its single
//! use: the `*_union` one without a member name (anonymous), the others as
//! unnamed structs. Two other things C has and Rust has not are added the
//! same deterministic way: the `size_t :0;` tail member libbpf puts in some
//! options structs (it makes compilers zero the tail padding of compound
//! literals) and the `<type>__last_field` macros, whose text is each
//! options type's own `OptsType::LAST_FIELD`, read from the library itself.
//!
//!     cargo run -p xtask -- header [DIR]   (DIR: default include/)

use std::fs;
use std::path::{Path, PathBuf};

use bpflink::opts::{OptsType, bpf_get_fd_by_id_opts, bpf_link_create_opts, bpf_link_update_opts};

/// Helper types printed inline, at their use, rather than on their own.
const INLINE_PREFIX: &str = "bpf_link_create_opts_";
/// Options structs that end with libbpf's `size_t :0;`.
const ZERO_WIDTH_TAIL: &[&str] = &["bpf_link_create_opts", "bpf_get_fd_by_id_opts"];

const LICENSE: &str = "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */";

/// The macros libbpf's libbpf_common.h, libbpf_version.h and
/// libbpf_legacy.h give C code. Each group is under libbpf's own include
/// guard (or #ifndef), with libbpf's exact token sequences, so that mixing
/// these headers with libbpf's, in either order, neither redefines nor
/// misses anything.
const COMMON_MACROS: &str = r#"
#include "libbpf_version.h"

#ifndef __LIBBPF_LIBBPF_COMMON_H
#define __LIBBPF_LIBBPF_COMMON_H

#include <string.h>

#ifndef LIBBPF_API
/** Marks a function exported by the library. */
#define LIBBPF_API __attribute__((visibility("default")))
#endif

/** Marks a declaration deprecated, with a message. */
#define LIBBPF_DEPRECATED(msg) __attribute__((deprecated(msg)))

/** Marks a declaration deprecated from libbpf version major.minor on. */
#define LIBBPF_DEPRECATED_SINCE(major, minor, msg)			    \
	__LIBBPF_MARK_DEPRECATED_ ## major ## _ ## minor		    \
		(LIBBPF_DEPRECATED("libbpf v" # major "." # minor "+: " msg))

/** True when the compatible libbpf version is at least major.minor. */
#define __LIBBPF_CURRENT_VERSION_GEQ(major, minor)			    \
	(LIBBPF_MAJOR_VERSION > (major) ||				    \
	 (LIBBPF_MAJOR_VERSION == (major) && LIBBPF_MINOR_VERSION >= (minor)))

#if __LIBBPF_CURRENT_VERSION_GEQ(1, 0)
/** Expands to its argument: deprecations since 1.0 are in effect. */
#define __LIBBPF_MARK_DEPRECATED_1_0(X) X
#else
#define __LIBBPF_MARK_DEPRECATED_1_0(X)
#endif

/** Token pasting helper of ___libbpf_overload(). */
#define ___libbpf_cat(A, B) A ## B
/** Picks NAME followed by an argument count. */
#define ___libbpf_select(NAME, NUM) ___libbpf_cat(NAME, NUM)
/** Returns its seventh argument. */
#define ___libbpf_nth(_1, _2, _3, _4, _5, _6, N, ...) N
/** Counts its arguments (1 to 6). */
#define ___libbpf_cnt(...) ___libbpf_nth(__VA_ARGS__, 6, 5, 4, 3, 2, 1)
/** Calls NAME<number of arguments>(arguments). */
#define ___libbpf_overload(NAME, ...) ___libbpf_select(NAME, ___libbpf_cnt(__VA_ARGS__))(__VA_ARGS__)

/**
 * Declares an options struct named NAME of type struct TYPE with every
 * byte zero (padding included), sz set to sizeof(struct TYPE), and the
 * designated initializers given after NAME applied, e.g.
 * @code
 * LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.cnt = 1);
 * @endcode
 */
#define LIBBPF_OPTS(TYPE, NAME, ...)					    \
	struct TYPE NAME = ({ 						    \
		memset(&NAME, 0, sizeof(struct TYPE));			    \
		(struct TYPE) {						    \
			.sz = sizeof(struct TYPE),			    \
			__VA_ARGS__					    \
		};							    \
	})

/**
 * Sets every byte of the options struct NAME back to zero, sz to its size,
 * then applies the designated initializers given after NAME, e.g.
 * @code
 * LIBBPF_OPTS_RESET(opts, .flags = BPF_F_REPLACE);
 * @endcode
 */
#define LIBBPF_OPTS_RESET(NAME, ...)					    \
	do {								    \
		typeof(NAME) ___##NAME = ({ 				    \
			memset(&___##NAME, 0, sizeof(NAME));		    \
			(typeof(NAME)) {				    \
				.sz = sizeof(NAME),			    \
				__VA_ARGS__				    \
			};						    \
		});							    \
		memcpy(&NAME, &___##NAME, sizeof(NAME));		    \
	} while (0)

#endif /* __LIBBPF_LIBBPF_COMMON_H */

#ifndef DECLARE_LIBBPF_OPTS
/** The older name of LIBBPF_OPTS(). */
#define DECLARE_LIBBPF_OPTS LIBBPF_OPTS
#endif
"#;

/// The libbpf version the headers announce: the link API's (libbpf 1.8's
/// `bpf_link_create_opts` and `bpf_link_info`); the functions stay in
/// libbpf's symbol nodes up to LIBBPF_1.7.0 (1.8 adds no link function).
const LIBBPF_VERSION: (u32, u32) = (1, 8);

/// `libbpf_version.h`, as libbpf ships it (same guard, same macros): the
/// version C code tests with `LIBBPF_MAJOR_VERSION` / `LIBBPF_MINOR_VERSION`
/// and libbpf's `__LIBBPF_CURRENT_VERSION_GEQ()`. When libbpf's own copy
/// is included first, its version wins and the members marked
/// `@since libbpf 1.8` below are left out: the structs then read as that
/// libbpf's (their layout is the same either way).
fn version_header() -> String {
    let (major, minor) = LIBBPF_VERSION;
    format!(
        "{LICENSE}
/**
 * @file libbpf_version.h
 * @brief The libbpf version bpflink's link API corresponds to.
 *
 * Part of bpflink. Generated by xtask; do not edit: run `make header`.
 */
#ifndef __LIBBPF_VERSION_H
#define __LIBBPF_VERSION_H

/** The libbpf major version bpflink's link API corresponds to. */
#define LIBBPF_MAJOR_VERSION {major}
/** The libbpf minor version bpflink's link API corresponds to. */
#define LIBBPF_MINOR_VERSION {minor}

#endif /* __LIBBPF_VERSION_H */
"
    )
}

struct Header {
    /// File name under include/.
    name: &'static str,
    /// Rust sources cbindgen reads.
    sources: &'static [&'static str],
    include_guard: &'static str,
    /// Text after the system includes.
    prelude: &'static str,
    sys_includes: &'static [&'static str],
    /// One-paragraph description for the doxygen @file block.
    about: &'static str,
    /// The visibility macro put before each function.
    fn_prefix: &'static str,
}

const HEADERS: &[Header] = &[
    Header {
        name: "bpf/bpf.h",
        sources: &["src/capi/bpf.rs", "src/opts/types.rs", "src/sys/info.rs"],
        include_guard: "__LIBBPF_BPF_H",
        prelude: COMMON_MACROS,
        sys_includes: &["linux/bpf.h", "stdbool.h", "stddef.h", "stdint.h"],
        about: "libbpf's low-level BPF link functions (create, detach, update, \
                enumerate, open by id, query), with libbpf v1.7.0's prototypes, \
                options structs and return conventions.",
        fn_prefix: "LIBBPF_API",
    },
    Header {
        name: "bpf/libbpf.h",
        sources: &["src/capi/libbpf.rs", "src/log/mod.rs", "src/object/mod.rs"],
        include_guard: "__LIBBPF_LIBBPF_H",
        prelude: "\n#include \"bpf.h\"\n",
        sys_includes: &[
            "stdarg.h",
            "stdio.h",
            "stdint.h",
            "stdbool.h",
            "sys/types.h",
            "linux/bpf.h",
        ],
        about: "libbpf's link object (struct bpf_link and the bpf_link__ functions), \
                its logging hook and link type names, with libbpf v1.7.0's prototypes.",
        fn_prefix: "LIBBPF_API",
    },
    Header {
        name: "bpflink.h",
        sources: &["src/capi/bpflink.rs", "src/object/mod.rs"],
        include_guard: "__BPFLINK_H",
        prelude: "\n#include <bpf/libbpf.h>\n\n\
                  #ifndef BPFLINK_API\n\
                  /** Marks a function exported by bpflink. */\n\
                  #define BPFLINK_API __attribute__((visibility(\"default\")))\n\
                  #endif\n",
        sys_includes: &[],
        about: "bpflink's additions to libbpf's link API; they are not part of \
                libbpf and carry the bpflink_ prefix. Setting the environment \
                variable BPFLINK_TRACE=1 makes every bpflink function print one \
                line to stderr (function, arguments, result).",
        fn_prefix: "BPFLINK_API",
    },
];

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("header") {
        eprintln!("usage: cargo run -p xtask -- header [DIR]");
        std::process::exit(2);
    }
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| top.join("include"));
    let config = cbindgen::Config::from_file(top.join("cbindgen.toml")).expect("cbindgen.toml");
    // Each options type's last field, from the type itself.
    let last_fields = [
        (
            bpf_link_create_opts::NAME,
            bpf_link_create_opts::LAST_FIELD,
            bpf_link_create_opts::LAST_FIELD_1_7,
        ),
        (
            bpf_link_update_opts::NAME,
            bpf_link_update_opts::LAST_FIELD,
            bpf_link_update_opts::LAST_FIELD_1_7,
        ),
        (
            bpf_get_fd_by_id_opts::NAME,
            bpf_get_fd_by_id_opts::LAST_FIELD,
            bpf_get_fd_by_id_opts::LAST_FIELD_1_7,
        ),
    ]
    .map(|(name, field, field_1_7)| LastField {
        ty: name.to_str().expect("ASCII name").to_string(),
        field: field.to_string(),
        field_1_7: field_1_7.to_string(),
    });
    fs::create_dir_all(dir.join("bpf")).expect("mkdir include/bpf");
    for h in HEADERS {
        let text = generate(&top, &config, h);
        let text = inline_helper_types(&text);
        let text = guard_versioned_members(&text);
        let text = add_opts_extras(&text, &last_fields);
        fs::write(dir.join(h.name), text).expect("write header");
    }
    fs::write(dir.join("bpf/libbpf_version.h"), version_header()).expect("write header");
}

fn generate(top: &Path, base: &cbindgen::Config, h: &Header) -> String {
    let mut config = base.clone();
    config.include_guard = Some(h.include_guard.into());
    config.sys_includes = h.sys_includes.iter().map(|s| s.to_string()).collect();
    config.header = Some(format!(
        "{LICENSE}\n/**\n * @file {name}\n * @brief {about}\n *\n * Part of bpflink. Generated by xtask (cbindgen) from {srcs};\n * do not edit: change the Rust definitions and run `make header`.\n */",
        name = Path::new(h.name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(h.name),
        about = h.about,
        srcs = h.sources.join(", "),
    ));
    config.after_includes = Some(h.prelude.into());
    config.function.prefix = Some(h.fn_prefix.into());
    let mut b = cbindgen::Builder::new().with_config(config);
    for s in h.sources {
        b = b.with_src(top.join(s));
    }
    let mut buf = Vec::new();
    b.generate().expect("cbindgen").write(&mut buf);
    String::from_utf8(buf).expect("utf-8 header")
}

/// A top-level `struct NAME {` / `union NAME {` definition of the output.
struct Def {
    kind: String,
    /// Lines strictly between the opening and closing brace lines.
    body: Vec<String>,
}

/// Prints every `bpf_link_create_opts_*` type inline at its use and drops
/// its own definition (see the module comment).
fn inline_helper_types(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut defs = std::collections::BTreeMap::new();
    let mut keep = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some((kind, name)) = def_start(lines[i]) {
            if name.starts_with(INLINE_PREFIX) {
                // Drop the doc comment above the definition too.
                while keep
                    .last()
                    .is_some_and(|l: &&str| l.starts_with("/**") || l.starts_with(" *"))
                {
                    keep.pop();
                }
                let mut body = Vec::new();
                i += 1;
                while lines[i] != "};" {
                    body.push(lines[i].to_string());
                    i += 1;
                }
                i += 1;
                // Skip the blank line that separated it from the next item.
                if i < lines.len() && lines[i].is_empty() {
                    i += 1;
                }
                defs.insert(
                    name.to_string(),
                    Def {
                        kind: kind.to_string(),
                        body,
                    },
                );
                continue;
            }
        }
        keep.push(lines[i]);
        i += 1;
    }
    let mut out = String::new();
    for line in expand(
        &keep.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        &defs,
    ) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn def_start(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_suffix(" {")?;
    let (kind, name) = rest.split_once(' ')?;
    matches!(kind, "struct" | "union").then_some((kind, name))
}

fn expand(lines: &[String], defs: &std::collections::BTreeMap<String, Def>) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let member = trimmed
            .strip_suffix(';')
            .and_then(|m| {
                let mut parts = m.split(' ');
                Some((parts.next()?, parts.next()?, parts.next()?, parts.next()))
            })
            .filter(|(kind, ty, _, extra)| {
                matches!(*kind, "struct" | "union") && extra.is_none() && defs.contains_key(*ty)
            });
        match member {
            Some((_, ty, field, _)) => {
                let def = &defs[ty];
                out.push(format!("{indent}{} {{", def.kind));
                for inner in expand(&def.body, defs) {
                    out.push(if inner.is_empty() {
                        inner
                    } else {
                        format!("{indent}{inner}")
                    });
                }
                if ty.ends_with("_union") {
                    out.push(format!("{indent}}};"));
                } else {
                    out.push(format!("{indent}}} {field};"));
                }
            }
            None => out.push(line.clone()),
        }
    }
    out
}

/// An options struct's `__last_field`: now, and in libbpf 1.7's headers.
struct LastField {
    ty: String,
    field: String,
    field_1_7: String,
}

/// The doc-comment marker of a member libbpf added in 1.8.
const SINCE_1_8: &str = "@since libbpf 1.8";

/// Puts each member whose doc comment says [`SINCE_1_8`] (comment and
/// declaration, an inlined struct with all its lines) under
/// `#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)`, so that C code built against
/// libbpf 1.7's version header sees the structs as 1.7 declares them.
fn guard_versioned_members(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("/**") {
            // The whole comment, then see whether it is marked.
            let start = i;
            while !lines[i].trim_end().ends_with("*/") {
                i += 1;
            }
            i += 1;
            let comment = &lines[start..i];
            if !comment.iter().any(|l| l.contains(SINCE_1_8)) {
                out.extend_from_slice(comment);
                continue;
            }
            // The member: one line, or an inlined struct up to its `}`
            // at the same indent.
            let indent = &line[..line.len() - trimmed.len()];
            let first = i;
            if lines[i].trim_end().ends_with('{') {
                while !(lines[i].starts_with(&format!("{indent}}}")) && lines[i].ends_with(';')) {
                    i += 1;
                }
            }
            i += 1;
            out.push("#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)");
            out.extend_from_slice(comment);
            out.extend_from_slice(&lines[first..i]);
            out.push("#endif");
            continue;
        }
        out.push(line);
        i += 1;
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// Adds `size_t :0;` and the `__last_field` macro to the options structs.
fn add_opts_extras(text: &str, last_fields: &[LastField]) -> String {
    let mut out = String::new();
    let mut open: Option<&str> = None;
    for line in text.lines() {
        if let Some((_, name)) = def_start(line) {
            open = Some(name);
        }
        if line == "};" {
            if let Some(name) = open.take() {
                if ZERO_WIDTH_TAIL.contains(&name) {
                    out.push_str(
                        "    /** Zero-width member: makes compilers clear the tail padding of compound literals. */\n",
                    );
                    out.push_str("    size_t :0;\n");
                }
                out.push_str("};\n");
                if let Some(LastField {
                    ty,
                    field,
                    field_1_7,
                }) = last_fields.iter().find(|l| l.ty == name)
                {
                    out.push_str(&format!(
                        "/** The last field of struct {ty} this library knows. */\n"
                    ));
                    if field == field_1_7 {
                        out.push_str(&format!("#define {ty}__last_field {field}\n"));
                    } else {
                        out.push_str(&format!(
                            "#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)\n\
                             #define {ty}__last_field {field}\n\
                             #else\n\
                             #define {ty}__last_field {field_1_7}\n\
                             #endif\n"
                        ));
                    }
                }
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
