//! The source gate: a second wall in front of the compiler. What the
//! compiler can reach is the cell's business ([`crate::sandbox`], which
//! holds with the gate switched off); the gate makes a refusal say why, and
//! stands where the cell is weak.
//!
//! A submission is one module of plain Rust. The gate reads it with rustc's
//! own lexer (`rustc_lexer`, as published from the Rust repository), so a
//! word inside any string (raw, byte, C, raw C), comment (nested) or char
//! literal is never taken for code, and refuses, token by token:
//! - a `#!` anywhere: a shebang line, or an inner (crate or module)
//!   attribute such as `#![debugger_visualizer]`, which reads a file;
//! - the macros that read a file or the assembler (`include!`,
//!   `include_str!`, `include_bytes!`, `asm!`, `global_asm!`, `naked_asm!`,
//!   whose `.incbin` reads one), as any identifier, raw or not;
//! - any attribute but the ones plain code needs ([`ATTRIBUTES`]): so no
//!   `#[path]`, `#[cfg_attr]` (which can add one), `#[link_section]`,
//!   `#[export_name]` or an attribute a macro builds;
//! - `extern crate`, and `mod name;` (a module in another file);
//! - non-ASCII identifiers (look-alikes of the words above), and tokens
//!   rustc does not accept (an unterminated literal or comment, an unknown
//!   prefix such as `k#`).

use ra_ap_rustc_lexer::{strip_shebang, tokenize, FrontmatterAllowed, LiteralKind, TokenKind};

/// The attributes a submission may use (the first name of the path).
pub const ATTRIBUTES: [&str; 16] = [
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "derive",
    "inline",
    "cold",
    "must_use",
    "doc",
    "cfg",
    "test",
    "track_caller",
    "repr",
    "non_exhaustive",
    "deprecated",
];

/// Macros that read a file at compile time, directly or through the
/// assembler.
const READERS: [&str; 6] = ["include", "include_str", "include_bytes", "asm", "global_asm", "naked_asm"];

/// A token that counts (not whitespace or a comment) and its text.
struct Token<'a> {
    kind: TokenKind,
    text: &'a str,
}

impl Token<'_> {
    /// The identifier it is, raw or not.
    fn word(&self) -> Option<&str> {
        match self.kind {
            TokenKind::Ident => Some(self.text),
            TokenKind::RawIdent => Some(self.text.trim_start_matches("r#")),
            _ => None,
        }
    }
}

/// Whether a literal is complete.
fn terminated(kind: LiteralKind) -> bool {
    match kind {
        LiteralKind::Char { terminated }
        | LiteralKind::Byte { terminated }
        | LiteralKind::Str { terminated }
        | LiteralKind::ByteStr { terminated }
        | LiteralKind::CStr { terminated } => terminated,
        LiteralKind::RawStr { n_hashes } | LiteralKind::RawByteStr { n_hashes } | LiteralKind::RawCStr { n_hashes } => {
            n_hashes.is_some()
        }
        LiteralKind::Int { empty_int, .. } => !empty_int,
        LiteralKind::Float { empty_exponent, .. } => !empty_exponent,
    }
}

/// Every token of `source` (rustc's lexer) with its text, to the end.
pub(crate) fn lexed(source: &str) -> impl Iterator<Item = (TokenKind, &str)> {
    let mut at = 0;
    tokenize(source, FrontmatterAllowed::No).map(move |t| {
        let text = &source[at..at + t.len as usize];
        at += t.len as usize;
        (t.kind, text)
    })
}

/// The tokens of `source` that count, or why it does not lex as Rust.
fn tokens(source: &str) -> Result<Vec<Token<'_>>, String> {
    let mut out = Vec::new();
    for (kind, text) in lexed(source) {
        match kind {
            TokenKind::Whitespace | TokenKind::LineComment { .. } => {}
            TokenKind::BlockComment { terminated, .. } => {
                if !terminated {
                    return Err("it has a block comment that never ends".into());
                }
            }
            TokenKind::Literal { kind, .. } if !terminated(kind) => {
                return Err(format!("it has a literal that never ends or is malformed: `{}`", head(text)));
            }
            TokenKind::InvalidIdent
            | TokenKind::UnknownPrefix
            | TokenKind::UnknownPrefixLifetime
            | TokenKind::GuardedStrPrefix
            | TokenKind::ForcedKeywordIdent
            | TokenKind::Frontmatter { .. }
            | TokenKind::Unknown => return Err(format!("it has a token Rust does not accept: `{}`", head(text))),
            TokenKind::Ident | TokenKind::RawIdent | TokenKind::Lifetime { .. } | TokenKind::RawLifetime
                if !text.is_ascii() =>
            {
                return Err(format!("it has a non-ASCII identifier `{}`", head(text)));
            }
            TokenKind::Eof => break,
            kind => out.push(Token { kind, text }),
        }
    }
    Ok(out)
}

/// The start of a token, for a message.
fn head(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Why a submission's source is refused before it is compiled (see the
/// module's list), or `None`.
pub fn refused(source: &str) -> Option<String> {
    let said = |what: &str| {
        Some(format!(
            "the submission is refused before compiling: {what}. A submission is one module of plain Rust; \
             remove it and submit again."
        ))
    };
    if strip_shebang(source.trim_start_matches('\u{feff}')).is_some() {
        return said("it starts with a `#!` line");
    }
    let toks = match tokens(source) {
        Ok(t) => t,
        Err(why) => return said(&why),
    };
    let kind = |i: usize| toks.get(i).map(|t| t.kind);
    let word = |i: usize| toks.get(i).and_then(Token::word);
    for (i, t) in toks.iter().enumerate() {
        if let Some(w) = t.word() {
            if READERS.contains(&w) {
                return said(&format!("it uses `{w}`, which reads a file at compile time"));
            }
            if w == "extern" && word(i + 1) == Some("crate") {
                return said("it has `extern crate`");
            }
            if w == "mod"
                && kind(i + 1).is_some_and(|k| matches!(k, TokenKind::Ident | TokenKind::RawIdent))
                && kind(i + 2) == Some(TokenKind::Semi)
            {
                return said("it declares a module in another file (`mod name;`)");
            }
        }
        if t.kind == TokenKind::Pound {
            match kind(i + 1) {
                Some(TokenKind::Bang) => return said("it has an inner attribute `#![...]`"),
                Some(TokenKind::OpenBracket) => match word(i + 2) {
                    Some(name) if ATTRIBUTES.contains(&name) => {}
                    Some(name) => {
                        return said(&format!("it has the attribute `#[{name}]`, which a submission does not need"))
                    }
                    None => return said("it has an attribute that is not a plain name (one a macro builds)"),
                },
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::refused;

    /// Sources the gate must let through: the forbidden words inside every
    /// kind of literal and comment the Rust reference's lexical grammar
    /// has, and lifetimes, labels and chars that look like the start of one.
    #[test]
    fn words_inside_literals_and_comments_are_not_code() {
        let ok = [
            // Strings: escapes, an escaped quote, a line continuation.
            "const A: &str = \"include_str!(\\\"/x\\\") \\\" asm!() \\\n  #![x]\";",
            // Raw strings with hashes, a quote and hashes inside.
            "const R: &str = r#\"a \" include!(\"/x\") \"#; const R2: &str = r##\"\"# #[path] \"##;",
            // Byte strings and raw byte strings; byte literals.
            "const B: &[u8] = b\"include_bytes!\"; const BR: &[u8] = br#\"\" global_asm!\"#; const C: u8 = b'\\'';",
            // C strings and raw C strings (edition 2021).
            "const CS: &std::ffi::CStr = c\"include_str!\"; const CR: &std::ffi::CStr = cr#\"\" asm!(\"#;",
            // Line comments, doc comments, nested block comments.
            "// include_str!(\"/y\")\n/// #[path = \"x\"] mod y;\n/* a /* include!(\"/x\") */ still a comment */ fn f() {}",
            "/** outer doc: extern crate x; */ fn g() {}",
            // Chars versus lifetimes and labels.
            "fn h<'a>(x: &'a str) -> char { let _ = x; 'outer: loop { break 'outer; } '\"' }",
            "fn k() -> (char, char, char) { ('\\'', '\\u{1F600}', '#') }",
            // Raw identifiers that are not the readers; a module inline.
            "fn r#match() {} mod inline { pub fn h() {} }",
            // Numbers the lexer must not split: floats, suffixes, tuple fields, ranges.
            "fn n() -> f64 { let t = ((1, 2), 3); let _ = t.0.1; let _ = 0..2; 1.0e-5f64 + 0x1f as f64 + 1_000.5 }",
            // The attributes plain code needs.
            "#[derive(Clone, Debug)]\n#[allow(dead_code)]\npub struct S;\n#[inline]\n#[must_use]\nfn m() -> S { S }",
        ];
        for source in ok {
            assert_eq!(refused(source), None, "{source}");
        }
    }

    #[test]
    fn every_way_to_read_a_file_or_change_the_crate_is_refused() {
        let bad = [
            ("const S: &str = include_str!(\"/h.json\");", "include_str"),
            ("fn f() { let s = \"//\"; let t = include_bytes!(\"/h\"); }", "include_bytes"),
            ("fn c() -> char { '\"' } const S: &str = include_str!(\"/h\");", "include_str"),
            ("const R: &str = r\"x\"; const S: &str = r#include!(\"/h\");", "include"),
            ("macro_rules! m { ($i:ident) => { $i!(\"/h\") } } const S: &str = m!(include_str);", "include_str"),
            ("std::arch::global_asm!(\".incbin \\\"/h\\\"\");", "global_asm"),
            ("fn f() { unsafe { core::arch::asm!(\"nop\") } }", "asm"),
            ("#![allow(unused)]", "#![...]"),
            ("# ! [no_std]", "#![...]"),
            ("mod m { #![debugger_visualizer(natvis_file = \"/h\")] }", "#![...]"),
            ("#!/usr/bin/env run\nfn main() {}", "#!"),
            ("extern crate std as s;", "extern crate"),
            ("#[path = \"/h.rs\"] mod h;", "#[path]"),
            ("#[cfg_attr(all(), path = \"/h.rs\")] mod h {}", "#[cfg_attr]"),
            ("#[link_section = \".text\"] static X: u8 = 0;", "#[link_section]"),
            ("#[unsafe(no_mangle)] fn f() {}", "#[unsafe]"),
            ("macro_rules! a { ($m:meta) => { #[$m] fn f() {} } }", "not a plain name"),
            ("mod other;", "mod name;"),
            ("mod r#other ;", "mod name;"),
            ("const S: &str = іnclude_str!(\"/h\");", "non-ASCII"),
            ("const S: &str = \"never ends;", "never ends"),
            ("/* never ends", "never ends"),
            ("const S: &str = r#\"x\"; const T: u8 = 0;", "never ends"),
            ("const K: u8 = k#x;", "does not accept"),
            ("const K: &str = k\"x\";", "does not accept"),
        ];
        for (source, what) in bad {
            let why = refused(source).unwrap_or_else(|| panic!("{source} was let through"));
            assert!(why.contains(what), "{source}: {why}");
        }
    }
}
