//! The committed notebooks as files: in reading order, headed, depending on
//! the crates by path (the first five on the core and its charts alone), and
//! saved with their outputs (charts and tables), so a
//! reader sees results before running anything. Executing them is
//! `scripts/notebooks/run.py`'s job (it needs the evcxr kernel); this test
//! catches a notebook committed without its outputs or with an error in them.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn notebooks() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("notebooks/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    paths.sort();
    paths
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

#[test]
fn there_are_nine_notebooks_numbered_in_reading_order() {
    let names: Vec<String> =
        notebooks().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        assert!(name.starts_with(&format!("{:02}-", i + 1)), "{name} out of order in {names:?}");
    }
}

#[test]
fn every_notebook_is_headed_explained_and_saved_with_its_outputs() {
    for path in notebooks() {
        let name = path.display().to_string();
        let nb: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("valid JSON");
        assert_eq!(nb["metadata"]["kernelspec"]["name"], "rust", "{name}: kernel");
        let cells = nb["cells"].as_array().expect("cells");
        assert!(text(&cells[0]["source"]).starts_with("# "), "{name}: first cell is not a heading");
        let code: Vec<&Value> = cells.iter().filter(|c| c["cell_type"] == "code").collect();
        // Notebooks 1-5 need the core and its charts only, so a reader's
        // first notebook compiles neither polars nor the lab; 6-9 run the
        // lab's experiments.
        let core = r#":dep descent = { path = "../crates/descent" }
:dep descent-plot = { path = "../crates/plot" }"#;
        let lab = format!("{core}\n:dep descent-lab = {{ path = \"..\", default-features = false }}");
        let number: u32 = path.file_name().unwrap().to_string_lossy()[..2].parse().unwrap();
        let deps = if number <= 5 { core.to_string() } else { lab };
        assert_eq!(text(&code[0]["source"]), deps, "{name}: first code cell");
        if number <= 5 {
            let all: String = code.iter().map(|c| text(&c["source"])).collect();
            assert!(!all.contains("descent_lab") && !all.contains("polars"), "{name} uses the lab");
        }
        let (mut charts, mut tables) = (0, 0);
        for (i, cell) in cells.iter().enumerate() {
            if cell["cell_type"] != "code" {
                continue;
            }
            let source = text(&cell["source"]);
            let at = format!("{name}, cell {i} ({:?})", source.lines().next().unwrap_or(""));
            assert_eq!(cells[i - 1]["cell_type"], "markdown", "{at}: no markdown before it");
            let outputs = cell["outputs"].as_array().expect("outputs");
            for out in outputs {
                assert_ne!(out["output_type"], "error", "{at}: saved with an error");
                assert!(out["name"] != "stderr", "{at}: saved with stderr output: {}", text(&out["text"]));
            }
            let data = |mime: &str| outputs.iter().map(|o| text(&o["data"][mime])).collect::<String>();
            let tags: Vec<&str> =
                cell["metadata"]["tags"].as_array().map_or(vec![], |t| t.iter().filter_map(Value::as_str).collect());
            if tags.contains(&"chart") {
                let svg = data("image/svg+xml");
                assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{at}: tagged chart, saved without one");
                charts += 1;
            }
            if tags.contains(&"table") {
                assert!(data("text/html").contains("<table>"), "{at}: tagged table, saved without one");
                tables += 1;
            }
            if source.contains("println!") {
                assert!(
                    !data("text/plain").is_empty() || outputs.iter().any(|o| o["name"] == "stdout"),
                    "{at}: prints, saved without its output"
                );
            }
        }
        assert!(charts >= 1, "{name}: no chart");
        assert!(tables + charts >= 2, "{name}: too little to see");
    }
}
