//! What each section shows: its charts, tables and formulas, drawn from the
//! experiment's frames.

use super::charts::{contour_chart, line_chart, Axes, Line};
use super::math::mathml;
use crate::experiments::surfaces::Surface;
use crate::experiments::{series, Outcome};
use crate::Result;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

/// A chart in the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChartView {
    /// Caption under the chart.
    pub caption: String,
    /// Inline SVG.
    pub svg: String,
}

/// A table in the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableView {
    /// Caption.
    pub caption: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

/// A formula in the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MathView {
    /// What it is.
    pub label: String,
    /// MathML.
    pub mathml: String,
}

/// Charts, tables and formulas of a section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Visuals {
    /// Charts.
    pub charts: Vec<ChartView>,
    /// Tables.
    pub tables: Vec<TableView>,
    /// Formulas.
    pub math: Vec<MathView>,
}

fn distinct(df: &DataFrame, column: &str) -> Vec<String> {
    crate::experiments::labels(df, column).unwrap_or_default()
}

fn frame<'a>(o: &'a Outcome, name: &str) -> Option<&'a DataFrame> {
    o.frames.iter().find(|(n, _)| n == name).map(|(_, df)| df)
}

impl Visuals {
    fn chart(&mut self, caption: &str, svg: Option<String>) {
        if let Some(svg) = svg {
            self.charts.push(ChartView { caption: caption.into(), svg });
        }
    }

    fn formulas(&mut self, keys: &[&str]) -> Result<()> {
        for k in keys {
            let (label, mathml) = mathml(k)?;
            self.math.push(MathView { label, mathml });
        }
        Ok(())
    }

    /// One line per (optimizer, setting) pair of `df` for `metric`, keyed
    /// by `key_by` ("optimizer" or "setting").
    fn lines(df: &DataFrame, metric: &str, settings: Option<&[String]>, key_by_setting: bool) -> Result<Vec<Line>> {
        let mut lines = Vec::new();
        let all_settings = distinct(df, "setting");
        let settings = settings.unwrap_or(&all_settings);
        for opt in distinct(df, "optimizer") {
            for s in settings {
                let pts = series(df, &opt, s, metric)?;
                if pts.is_empty() {
                    continue;
                }
                let (label, key) = if key_by_setting { (s.clone(), s.clone()) } else { (opt.clone(), opt.clone()) };
                lines.push(Line::new(label, key, pts));
            }
        }
        Ok(lines)
    }
}

fn notes_table(o: &Outcome) -> Option<TableView> {
    (!o.notes.is_empty()).then(|| TableView {
        caption: "Notes from the run".into(),
        header: vec!["note".into()],
        rows: o.notes.iter().map(|n| vec![n.clone()]).collect(),
    })
}

/// The visuals of experiment `name`.
pub fn visuals(name: &str, o: &Outcome) -> Result<Visuals> {
    let mut v = Visuals::default();
    match name {
        "batch_modes" => {
            let df = frame(o, "loss").expect("frame");
            v.formulas(&["sgd"])?;
            let l = Visuals::lines(df, "full loss vs updates", None, true)?;
            v.chart(
                "Full-data loss against updates: BGD needs the fewest.",
                line_chart(&Axes::new("Loss vs updates", "updates", "MSE").log_x().log_y(), &l),
            );
            let l = Visuals::lines(df, "full loss vs examples", None, true)?;
            v.chart(
                "Full-data loss against examples processed: SGD uses each example best.",
                line_chart(&Axes::new("Loss vs examples", "examples processed", "MSE").log_x().log_y(), &l),
            );
            let l = Visuals::lines(df, "batch loss", None, true)?;
            v.chart(
                "Each update's own batch loss: the noise of the gradient estimate.",
                line_chart(&Axes::new("Batch loss", "updates", "batch MSE").log_x().log_y(), &l),
            );
        }
        "linear_regression" => {
            let df = frame(o, "loss").expect("frame");
            v.formulas(&["sgd", "momentum", "adagrad", "adam"])?;
            for set in distinct(df, "setting") {
                let l = Visuals::lines(df, "loss - optimum", Some(std::slice::from_ref(&set)), false)?;
                v.chart(
                    &format!("{set}: excess loss over the closed-form optimum, per epoch."),
                    line_chart(&Axes::new(format!("{set}: loss − optimum"), "epoch", "MSE − optimal MSE").log_y(), &l),
                );
            }
        }
        "surfaces" => {
            let df = frame(o, "trajectories").expect("frame");
            v.formulas(&["momentum", "nesterov", "adam"])?;
            for (surface, sname) in Surface::ALL {
                let mut lines = Vec::new();
                for opt in distinct(df, "optimizer") {
                    let xs = series(df, &opt, sname, "x")?;
                    let ys = series(df, &opt, sname, "y")?;
                    lines.push(Line::new(
                        opt.clone(),
                        opt.clone(),
                        xs.iter().zip(&ys).map(|(a, b)| (a.1, b.1)).collect(),
                    ));
                }
                let f = move |x: f64, y: f64| surface.eval(&[x, y]).0;
                v.chart(
                    &format!("{sname}: every optimizer's path (dot: where it ended)."),
                    contour_chart(&Axes::new(sname, "x", "y"), surface.window(), f, &lines),
                );
            }
        }
        "toy_function" => {
            let df = frame(o, "trajectory").expect("frame");
            v.formulas(&["toy", "adam"])?;
            let l = Visuals::lines(df, "x[0]", None, true)?;
            v.chart(
                "First coordinate under Adam: the seed's gradient stops at 2; the true one keeps going down.",
                line_chart(&Axes::new("x[0] under Adam", "step", "x"), &l),
            );
        }
        "mnist_mlp" => {
            let df = frame(o, "history").expect("frame");
            v.formulas(&["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "amsgrad"])?;
            let l = Visuals::lines(df, "batch loss (smoothed)", None, false)?;
            v.chart(
                "Training loss (exponentially smoothed, 0.9).",
                line_chart(&Axes::new("MLP training loss", "update", "cross-entropy (nats)").log_y(), &l),
            );
            let l = Visuals::lines(df, "test accuracy", None, false)?;
            v.chart(
                "Test accuracy after each epoch.",
                line_chart(&Axes::new("MLP test accuracy", "epoch", "accuracy"), &l),
            );
        }
        "cnn_grid" => {
            let df = frame(o, "history").expect("frame");
            v.formulas(&["adam", "sgd", "rmsprop", "adadelta"])?;
            for lr in crate::experiments::cnn_grid::LRS {
                let mut lines = Vec::new();
                for opt in crate::experiments::cnn_grid::OPTIMIZERS {
                    let pick = |m: &str| -> Result<Vec<(f64, f64)>> {
                        let all = crate::experiments::frame_rows(df, opt, "cnn", m, lr)?;
                        Ok(all)
                    };
                    let mut raw = Line::new(opt, opt, pick("batch loss")?);
                    raw.faint = true;
                    lines.push(raw);
                    lines.push(Line::new(opt, opt, pick("batch loss (smoothed)")?));
                }
                v.chart(
                    &format!("lr {lr}: training loss, raw (faint) and smoothed."),
                    line_chart(&Axes::new(format!("CNN, lr = {lr}"), "update", "cross-entropy (nats)").log_y(), &lines),
                );
            }
            let mut rows = Vec::new();
            for lr in crate::experiments::cnn_grid::LRS {
                for opt in crate::experiments::cnn_grid::OPTIMIZERS {
                    let acc = crate::experiments::frame_rows(df, opt, "cnn", "test accuracy", lr)?;
                    let loss = crate::experiments::frame_rows(df, opt, "cnn", "test loss", lr)?;
                    let last = |s: &[(f64, f64)]| s.last().map_or("–".into(), |p| format!("{:.4}", p.1));
                    rows.push(vec![format!("{lr}"), opt.to_string(), last(&loss), last(&acc)]);
                }
            }
            v.tables.push(TableView {
                caption: "Final test loss and accuracy of the grid.".into(),
                header: vec!["lr".into(), "optimizer".into(), "test loss".into(), "test accuracy".into()],
                rows,
            });
        }
        "wilson" => {
            let df = frame(o, "construction").expect("frame");
            v.formulas(&["least_squares", "adagrad"])?;
            let l = Visuals::lines(df, "train loss", None, false)?;
            v.chart(
                "Training loss on the constructed problem (full batch).",
                line_chart(&Axes::new("Wilson et al. construction", "step", "(1/2)||Xw − y||²").log_y(), &l),
            );
            let mut rows = Vec::new();
            for opt in distinct(df, "optimizer") {
                let get = |m: &str| {
                    series(df, &opt, "construction", m)
                        .ok()
                        .and_then(|s| s.last().map(|p| p.1))
                        .map_or("–".into(), |x| format!("{x:.4}"))
                };
                rows.push(vec![
                    opt.clone(),
                    get("test error"),
                    get("distance to min-norm (relative)"),
                    get("cosine with sign(X^T y)"),
                ]);
            }
            v.tables.push(TableView {
                caption: "Where each method ends.".into(),
                header: vec![
                    "method".into(),
                    "test error".into(),
                    "|w − w*| / |w*|".into(),
                    "cos(w, sign(Xᵀy))".into(),
                ],
                rows,
            });
        }
        "amsgrad" => {
            let df = frame(o, "path").expect("frame");
            v.formulas(&["adam", "amsgrad", "regret"])?;
            for s in distinct(df, "setting") {
                let l = Visuals::lines(df, "x_t", Some(std::slice::from_ref(&s)), false)?;
                v.chart(
                    &format!("{s}: the iterate x_t (optimum −1)."),
                    line_chart(&Axes::new(format!("{s}: x_t"), "t", "x_t").log_x(), &l),
                );
                let l = Visuals::lines(df, "R_t/t", Some(std::slice::from_ref(&s)), false)?;
                v.chart(
                    &format!("{s}: average regret."),
                    line_chart(&Axes::new(format!("{s}: R_t / t"), "t", "R_t / t").log_x(), &l),
                );
            }
        }
        "adadelta_eps" => {
            let df = frame(o, "sweep").expect("frame");
            v.formulas(&["adadelta"])?;
            let settings = distinct(df, "setting");
            let with = |prefix: &str| settings.iter().filter(|s| s.starts_with(prefix)).cloned().collect::<Vec<_>>();
            let l = Visuals::lines(df, "loss", Some(&with("eps=")), true)?;
            v.chart(
                "Regression: full-data loss per epoch, one line per epsilon.",
                line_chart(&Axes::new("Adadelta: epsilon", "epoch", "MSE").log_y(), &l),
            );
            let l = Visuals::lines(df, "loss", Some(&with("u0=")), true)?;
            v.chart(
                "Regression: one line per initial accumulated update u0 (eps 1e-6).",
                line_chart(&Axes::new("Adadelta: initial accumulated update", "epoch", "MSE").log_y(), &l),
            );
            let l = Visuals::lines(df, "batch loss (smoothed)", Some(&with("mnist")), true)?;
            v.chart(
                "MNIST MLP: training loss (smoothed), one line per epsilon.",
                line_chart(&Axes::new("Adadelta on MNIST", "update", "cross-entropy (nats)").log_y(), &l),
            );
        }
        "adagrad_sparse" => {
            let df = frame(o, "runs").expect("frame");
            v.formulas(&["adagrad"])?;
            let l = Visuals::lines(df, "error on rare coefficients", Some(&["sparse regression".into()]), false)?;
            v.chart(
                "Error on the coefficients of rare features.",
                line_chart(&Axes::new("Rare features", "step", "||w_rare − w*_rare||").log_y(), &l),
            );
            let mut lines = Vec::new();
            for m in ["effective step, dense coordinate 0", "effective step, rare coordinate 10"] {
                lines.push(Line::new(m, m, series(df, "adagrad", "effective step", m)?));
            }
            v.chart(
                "Adagrad's per-coordinate step lr / sqrt(G_t): it only shrinks.",
                line_chart(&Axes::new("Effective step", "step", "lr / sqrt(G_t)").log_x().log_y(), &lines),
            );
        }
        "seed004" => {
            let df = frame(o, "results").expect("frame");
            v.formulas(&["effective_rate", "he"])?;
            let l = Visuals::lines(df, "step size", None, false)?;
            v.chart(
                "Step under a constant gradient 1 (lr 0.01, mu 0.9) approaches lr / (1 − mu) = 0.1.",
                line_chart(&Axes::new("Momentum's terminal velocity", "step", "displacement per step"), &l),
            );
            let l = Visuals::lines(df, "activation variance", None, true)?;
            v.chart(
                "Activation variance through 10 ReLU layers.",
                line_chart(&Axes::new("He vs naive initialization", "layer", "variance").log_y(), &l),
            );
            let l = Visuals::lines(df, "learning rate", None, true)?;
            v.chart(
                "The learning-rate schedules (per epoch).",
                line_chart(&Axes::new("Schedules", "epoch", "learning rate"), &l),
            );
            let l = Visuals::lines(df, "test accuracy", None, true)?;
            v.chart(
                "MNIST MLP test accuracy under each schedule.",
                line_chart(&Axes::new("Schedules on MNIST", "epoch", "accuracy"), &l),
            );
        }
        _ => {}
    }
    if let Some(t) = notes_table(o) {
        v.tables.push(t);
    }
    Ok(v)
}
