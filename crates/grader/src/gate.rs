//! The source gate: a second wall in front of the compiler. A submission is
//! one module of plain Rust, so source that reads files at compile time
//! (`include!`, `include_str!`, `include_bytes!`, `#[path]` or a `mod` in
//! another file), changes the crate (`#![...]`) or brings another crate
//! (`extern crate`) is refused with a clear message before `rustc` runs.
//! What the compiler can reach is the cell's business ([`crate::sandbox`]),
//! not this file's: the gate only makes a refusal say why.

/// Why a submission's source is refused before it is compiled: a
/// submission is one module of plain Rust, so nothing that reads files at
/// compile time (`include!`, `include_str!`, `include_bytes!`, `#[path]`
/// or a `mod` in another file), changes the crate (`#![...]`) or brings
/// another (`extern crate`).
pub fn refused(source: &str) -> Option<String> {
    let code = strip_comments_and_strings(source);
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    let flat: String = code.split_whitespace().collect();
    let said = |what: &str| {
        Some(format!(
            "the submission is refused before compiling: {what}. A submission is one module of plain Rust; \
             remove it and submit again."
        ))
    };
    for w in &words {
        if ["include", "include_str", "include_bytes"].contains(&w.trim_start_matches("r#")) {
            return said(&format!("it uses `{w}`, which reads a file at compile time"));
        }
    }
    if flat.contains("#![") {
        return said("it has a crate attribute `#![...]`");
    }
    if flat.contains("#[path") {
        return said("it has a `#[path]` attribute");
    }
    if words.windows(2).any(|w| w == ["extern", "crate"]) {
        return said("it has `extern crate`");
    }
    // `mod name;` (a module in another file); `mod name { ... }` is fine.
    let bytes: Vec<&str> = code.split_whitespace().collect();
    if bytes.windows(2).any(|w| w[0] == "mod" && w[1].ends_with(';')) || flat.contains("mod;") {
        return said("it declares a module in another file (`mod name;`)");
    }
    None
}

/// `source` with comments, string and char literals blanked (so words in
/// them are not taken for code): a small lexer of Rust's line and nested
/// block comments, strings with escapes, raw strings (`r#"..."#`, `br"..."`)
/// and char literals (told apart from lifetimes).
fn strip_comments_and_strings(source: &str) -> String {
    let c: Vec<char> = source.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < c.len() {
        if at(i) == '/' && at(i + 1) == '/' {
            while i < c.len() && at(i) != '\n' {
                i += 1;
            }
        } else if at(i) == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if at(i) == 'r'
            && (i == 0 || !ident(at(i - 1)) || (at(i - 1) == 'b' && (i < 2 || !ident(at(i - 2)))))
            && (at(i + 1) == '"'
                || (at(i + 1) == '#' && {
                    let mut k = i + 1;
                    while at(k) == '#' {
                        k += 1;
                    }
                    at(k) == '"'
                }))
        {
            // A raw string: r, n hashes, ", then up to " and n hashes.
            let mut k = i + 1;
            let mut hashes = 0;
            while at(k) == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            while k < c.len() && !(at(k) == '"' && (1..=hashes).all(|h| at(k + h) == '#')) {
                k += 1;
            }
            i = k + 1 + hashes;
            out.push_str(" \"\" ");
        } else if at(i) == '"' {
            i += 1;
            while i < c.len() && at(i) != '"' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str(" \"\" ");
        } else if at(i) == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
            i += 1;
            while i < c.len() && at(i) != '\'' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str(" ' ' ");
        } else {
            out.push(at(i));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::refused;

    #[test]
    fn the_source_gate_sees_through_strings_comments_and_chars() {
        let ok = [
            "fn f() -> &'static str { \"include_str!(\\\"/x\\\")\" } // include_str!(\"/y\")",
            "/* include_bytes!(\"/x\") /* nested */ still a comment */ fn g<'a>(x: &'a str) -> &'a str { x }",
            "const R: &str = r#\"a \" include!(\"/x\") \"#; mod inline { pub fn h() {} }",
            "fn c() -> char { '\"' }",
        ];
        for source in ok {
            assert_eq!(refused(source), None, "{source}");
        }
        let bad = [
            ("const S: &str = include_str!(\"/h.json\");", "include_str"),
            ("fn f() { let s = \"//\"; let t = include_bytes!(\"/h\"); }", "include_bytes"),
            ("fn c() -> char { '\"' } const S: &str = include_str!(\"/h\");", "include_str"),
            ("const R: &str = r\"x\"; const S: &str = r#include!(\"/h\");", "include"),
            ("macro_rules! m { ($i:ident) => { $i!(\"/h\") } } const S: &str = m!(include_str);", "include_str"),
            ("#![allow(unused)]", "#![...]"),
            ("# ! [no_std]", "#![...]"),
            ("extern crate std as s;", "extern crate"),
            ("#[path = \"/h.rs\"] mod h;", "#[path]"),
            ("mod other;", "mod name;"),
        ];
        for (source, what) in bad {
            let why = refused(source).unwrap_or_else(|| panic!("{source} was let through"));
            assert!(why.contains(what), "{source}: {why}");
        }
    }
}
