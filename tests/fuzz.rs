//! Property-based tests of the lab's readers: random and mutated inputs
//! thrown at saved sections, `summary.json` and the report's command line.
//! Each must answer with a value or a typed error, never a panic. (The
//! core's readers, IDX files and optimizer checkpoints, have theirs in
//! `crates/descent/tests/fuzz.rs`, whose JSON mutations this file shares.)
//!
//! `cargo test --release --test fuzz` runs a bounded number of cases per
//! property (`PROPTEST_CASES`, default 256); a longer campaign is the same
//! command with, say, `PROPTEST_CASES=100000`.

#[path = "../crates/descent/tests/common/mutate.rs"]
mod mutate;

use descent_lab::report::{cli, Section, Summary};
use mutate::{json_value, replace_node};
use proptest::prelude::*;
use serde_json::json;

proptest! {
    #[test]
    fn saved_sections_and_summaries_are_read_or_refused(node in any::<usize>(), with in json_value(), cut in any::<usize>()) {
        let section = json!({
            "name": "toy_function", "title": "t", "question": "q", "sources": "s", "status": "ran",
            "reason": null, "profile": "quick", "seed": 0, "seconds": 1.5,
            "claims": [{"id": "toy_function.x", "source": "seed 003", "statement": "s", "criterion": "c",
                        "value": null, "verdict": "full_profile_only", "detail": "d"}],
            "notes": ["n"], "visuals": {"charts": [{"caption": "c", "svg": "<svg/>"}], "tables": [], "math": []},
            "csv": ["toy_function_trajectory.csv"]
        });
        prop_assert!(Section::parse(section.to_string().as_bytes()).is_ok());
        let summary = json!({
            "metadata": {"profile": "quick", "seed": 0, "version": "0.1.0", "commit": "abc", "rustc": "r",
                         "cpu": "c", "threads": 2, "seconds": "1.0", "only": ""},
            "claims": [{"section": "toy_function", "id": "toy_function.x", "source": "s", "statement": "s",
                        "criterion": "c", "value": 1.0, "verdict": "supported", "detail": "d"}],
            "sections": [{"name": "toy_function", "status": "ran", "reason": null, "profile": "quick",
                          "seconds": 1.0, "csv": []}]
        });
        prop_assert!(Summary::parse(summary.to_string().as_bytes()).is_ok());
        for mut doc in [section, summary] {
            replace_node(&mut doc, node, &with);
            let text = doc.to_string();
            let _ = Section::parse(text.as_bytes());
            let _ = Summary::parse(text.as_bytes());
            let truncated = &text.as_bytes()[..cut % (text.len() + 1)];
            let _ = Section::parse(truncated);
            let _ = Summary::parse(truncated);
        }
    }

    #[test]
    fn the_report_command_line_parses_or_says_why(
        args in prop::collection::vec(
            prop_oneof![
                Just("--profile".to_string()), Just("--only".to_string()), Just("--seed".to_string()),
                Just("--out".to_string()), Just("--mnist-dir".to_string()), Just("quick".to_string()),
                Just("full".to_string()), Just("toy_function,nope".to_string()), Just("-1".to_string()),
                Just("18446744073709551616".to_string()), Just("".to_string()), Just(",,".to_string()),
                "[ -~]{0,12}",
            ],
            0..8,
        )
    ) {
        let argv = std::iter::once("report".to_string()).chain(args);
        if let Ok(opts) = cli::parse(argv, false) {
            // What parses is usable: known sections only.
            for name in opts.only.iter().flatten() {
                prop_assert!(descent_lab::experiments::by_name(name).is_ok());
            }
        }
    }
}
