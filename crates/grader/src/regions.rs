//! The regions of a reference solution that students write, between
//! `// BEGIN SOLUTION` and `// END SOLUTION`, and the starter code that
//! replaces each with `todo!()`: for a Rust file ([`crate::kit`]) and for a
//! notebook's solution cells ([`crate::exercise`]) alike.

use descent::{Error, Result};

/// Marks the start of a region students write.
pub const BEGIN: &str = "// BEGIN SOLUTION";
/// Marks its end.
pub const END: &str = "// END SOLUTION";

/// `source` with each solution region replaced by `todo!("...")` at the
/// region's indentation. An unclosed or nested region is an error.
pub fn strip_solution(source: &str) -> Result<String> {
    let mut out = String::new();
    let mut open: Option<usize> = None;
    for (i, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed == BEGIN {
            if open.is_some() {
                return Err(Error::data("solution.rs", format!("line {}: a solution region inside another", i + 1)));
            }
            open = Some(i);
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!("{indent}todo!(\"your code here\")\n"));
        } else if trimmed == END {
            if open.take().is_none() {
                return Err(Error::data("solution.rs", format!("line {}: {END} without {BEGIN}", i + 1)));
            }
        } else if open.is_none() {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(start) = open {
        return Err(Error::data("solution.rs", format!("line {}: {BEGIN} is never closed", start + 1)));
    }
    Ok(out)
}
