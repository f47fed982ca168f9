//! Code similarity across a class's submissions: a flag for a teacher to
//! read, never a score.
//!
//! Each submission is reduced to rustc's own tokens ([`ra_ap_rustc_lexer`],
//! the gate's lexer) with comments and whitespace dropped, identifiers and
//! literals replaced by their kind (so renaming and reformatting change
//! nothing; keywords and punctuation stay), then fingerprinted by
//! winnowing (Schleimer, Wilkerson and Aiken 2003, the method of MOSS):
//! hashes of every [`K`] consecutive tokens, of which each window of [`W`]
//! keeps its smallest. A pair's similarity is the share of the smaller
//! submission's fingerprints the other also has, after removing every
//! fingerprint of the reference solution and of the kit's skeleton (code
//! every student was given, or every correct answer shares).

use crate::gate::lexed;
use ra_ap_rustc_lexer::TokenKind;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// Tokens per hashed k-gram (a guarantee threshold of `K + W − 1` tokens:
/// any shared run that long is found).
pub const K: usize = 12;
/// Window of the winnowing.
pub const W: usize = 8;
/// Pairs at or above this similarity are listed on the class page.
pub const FLAG: f64 = 0.8;

/// Rust's keywords (strict and reserved) kept as themselves.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
];

/// The normalised tokens of `source`.
pub fn tokens(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, text) in lexed(source) {
        match kind {
            TokenKind::Whitespace | TokenKind::LineComment { .. } | TokenKind::BlockComment { .. } => {}
            TokenKind::Ident | TokenKind::RawIdent => {
                let word = text.trim_start_matches("r#");
                out.push(if KEYWORDS.contains(&word) { word.to_string() } else { "I".to_string() });
            }
            TokenKind::Literal { .. } => out.push("L".to_string()),
            TokenKind::Lifetime { .. } | TokenKind::RawLifetime => out.push("'".to_string()),
            TokenKind::Eof => break,
            _ => out.push(text.to_string()),
        }
    }
    out
}

fn hash(gram: &[String]) -> u64 {
    // FNV-1a over the tokens: the same on every machine and run.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    gram.hash(&mut h);
    h.finish()
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// The winnowed fingerprints of `source`.
pub fn fingerprints(source: &str) -> BTreeSet<u64> {
    let tokens = tokens(source);
    let hashes: Vec<u64> = tokens.windows(K).map(hash).collect();
    if hashes.len() <= W {
        return hashes.into_iter().collect();
    }
    hashes.windows(W).map(|w| *w.iter().min().expect("a full window")).collect()
}

/// Two submissions and how alike they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// One student.
    pub a: String,
    /// The other.
    pub b: String,
    /// Shared fingerprints over the smaller submission's, in [0, 1].
    pub similarity: f64,
    /// Fingerprints they share.
    pub shared: usize,
}

/// Every pair of `students` (name and source), most similar first, with
/// the fingerprints of `given` (the reference solution, the kit's skeleton)
/// left out of every submission. A submission left with no fingerprint of
/// its own is alike to nobody.
pub fn pairs(students: &[(String, String)], given: &[&str]) -> Vec<Pair> {
    let excluded: BTreeSet<u64> = given.iter().flat_map(|g| fingerprints(g)).collect();
    let prints: Vec<BTreeSet<u64>> =
        students.iter().map(|(_, s)| fingerprints(s).difference(&excluded).copied().collect()).collect();
    let mut out = Vec::new();
    for i in 0..students.len() {
        for j in i + 1..students.len() {
            let shared = prints[i].intersection(&prints[j]).count();
            let smaller = prints[i].len().min(prints[j].len());
            let similarity = if smaller == 0 { 0.0 } else { shared as f64 / smaller as f64 };
            out.push(Pair { a: students[i].0.clone(), b: students[j].0.clone(), similarity, shared });
        }
    }
    out.sort_by(|x, y| y.similarity.total_cmp(&x.similarity).then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b))));
    out
}

/// `similarity.csv`: every pair, most similar first.
pub fn csv(pairs: &[Pair]) -> String {
    let mut out = String::from("student_a,student_b,similarity,shared_fingerprints\n");
    for p in pairs {
        out.push_str(&format!(
            "{},{},{:.3},{}\n",
            descent::files::csv_field(&p.a),
            descent::files::csv_field(&p.b),
            p.similarity,
            p.shared
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADAM: &str = r#"
pub fn step(params: &mut [f64], grads: &[f64], m: &mut [f64], v: &mut [f64], t: i32, lr: f64) {
    // first moment, second moment, bias correction
    for i in 0..params.len() {
        m[i] = 0.9 * m[i] + 0.1 * grads[i];
        v[i] = 0.999 * v[i] + 0.001 * grads[i] * grads[i];
        let m_hat = m[i] / (1.0 - 0.9f64.powi(t));
        let v_hat = v[i] / (1.0 - 0.999f64.powi(t));
        params[i] -= lr * m_hat / (v_hat.sqrt() + 1e-8);
    }
}
"#;

    /// The same code renamed, reformatted and recommented.
    const RENAMED: &str = r#"
pub fn step(p: &mut [f64], g: &[f64], first: &mut [f64], second: &mut [f64], step: i32, rate: f64)
{
    for k in 0..p.len() { /* moments */
        first[k] = 0.8 * first[k] + 0.2 * g[k];
        second[k] = 0.99 * second[k] + 0.01 * g[k] * g[k];
        let a = first[k] / (1.0 - 0.8f64.powi(step));
        let b = second[k] / (1.0 - 0.99f64.powi(step));
        p[k] -= rate * a / (b.sqrt() + 1e-6);
    }
}
"#;

    const OTHER: &str = r#"
pub fn step(params: &mut [f64], grads: &[f64], velocity: &mut Vec<f64>, lr: f64, mu: f64) {
    if velocity.is_empty() {
        *velocity = vec![0.0; params.len()];
    }
    params.iter_mut().zip(grads).zip(velocity.iter_mut()).for_each(|((p, g), b)| {
        *b = mu * *b + g;
        *p -= lr * *b;
    });
}
"#;

    #[test]
    fn renaming_and_reformatting_change_nothing_and_other_code_is_not_alike() {
        assert_eq!(tokens(ADAM), tokens(RENAMED));
        let students = [("a".to_string(), ADAM.to_string()), ("b".into(), RENAMED.into()), ("c".into(), OTHER.into())];
        let p = pairs(&students, &[]);
        assert_eq!((p[0].a.as_str(), p[0].b.as_str(), p[0].similarity), ("a", "b", 1.0));
        assert!(p[1].similarity < 0.3 && p[2].similarity < 0.3, "{p:?}");
    }

    #[test]
    fn what_every_student_was_given_is_left_out() {
        // Two students who both submit the reference itself share only given code: alike to nobody.
        let students = [("a".to_string(), ADAM.to_string()), ("b".into(), RENAMED.into())];
        let p = pairs(&students, &[ADAM]);
        assert_eq!((p[0].similarity, p[0].shared), (0.0, 0));
        assert!(csv(&p).starts_with("student_a,student_b,similarity,shared_fingerprints\na,b,0.000,0\n"));
    }
}
