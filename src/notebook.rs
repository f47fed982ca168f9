//! What the notebooks show of the lab: an experiment's charts and tables as
//! the report draws them ([`crate::experiments::Experiment::visuals`]), its
//! claims, and DataFrames as tables. Charts, figures and tables themselves
//! are `descent_plot`'s ([`descent_plot::display`]), re-exported here.

use crate::experiments::{by_name, Claim, Outcome};
use descent::{Error, Result};
pub use descent_plot::display::{chart, join, Html, Svg};
use descent_plot::ChartView;
use descent_plot::TableView;
use polars::prelude::DataFrame;

/// The charts the report draws for experiment `name` from `outcome`, as one
/// figure.
pub fn section_charts(name: &str, outcome: &Outcome) -> Result<Svg> {
    figure(&by_name(name)?.visuals(outcome)?.charts, 2)
}

/// Several charts laid out as one figure ([`descent_plot::figure`]), with
/// descent's error.
pub fn figure(charts: &[ChartView], columns: usize) -> Result<Svg> {
    descent_plot::figure(charts, columns).map_err(|e| Error::invalid(e.what, "charts", e.reason))
}

/// The tables the report shows for experiment `name` (its own tables and
/// the run's notes), then its claims.
pub fn section_tables(name: &str, outcome: &Outcome) -> Result<Html> {
    let mut tables = by_name(name)?.visuals(outcome)?.tables;
    tables.push(claims_table(&outcome.claims));
    Ok(join(&tables))
}

fn claims_table(claims: &[Claim]) -> TableView {
    TableView {
        caption: "Claims and what this run says".into(),
        header: ["claim", "source", "criterion", "verdict", "numbers"].map(String::from).to_vec(),
        rows: claims
            .iter()
            .map(|c| {
                vec![
                    c.statement.clone(),
                    c.source.clone(),
                    c.criterion.clone(),
                    c.label(),
                    match c.protocol_text() {
                        Some(p) => format!("{} Protocol: {p}.", c.detail),
                        None => c.detail.clone(),
                    },
                ]
            })
            .collect(),
    }
}

/// A list of claims as a table.
pub fn claims(claims: &[Claim]) -> Html {
    join(&[claims_table(claims)])
}

/// A DataFrame as a table: its first `max_rows` rows (all when it has no
/// more), with the shape in the caption.
pub fn table(df: &DataFrame, max_rows: usize) -> Html {
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let shown = df.height().min(max_rows);
    let rows = (0..shown)
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(v) => v.to_string().trim_matches('"').to_string(),
                    Err(e) => format!("<{e}>"),
                })
                .collect()
        })
        .collect();
    let caption = if shown < df.height() {
        format!("{} rows x {} columns (first {shown} shown)", df.height(), df.width())
    } else {
        format!("{} rows x {} columns", df.height(), df.width())
    };
    join(&[TableView { caption, header, rows }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, DataFrame};

    #[test]
    fn a_table_shows_its_rows_its_shape_and_escapes_cells() {
        let df = DataFrame::new(
            3,
            vec![Column::new("name".into(), ["a<b", "c", "d"]), Column::new("value".into(), [1.5, 2.0, 3.0])],
        )
        .unwrap();
        let t = table(&df, 2);
        assert!(t.html.contains("<td>a&lt;b</td><td>1.5</td>"));
        assert!(!t.html.contains("<td>d</td>"));
        assert!(t.text.starts_with("3 rows x 2 columns (first 2 shown)\nname  value\na<b   1.5"));
    }
}
