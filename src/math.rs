//! The update rules as LaTeX, converted to MathML when the report renders
//! (so the math shows offline in any browser, without scripts).

use descent::{Error, Result};
use latex2mathml::{latex_to_mathml, DisplayStyle};

/// `(key, label, LaTeX)` of every formula the report shows. `g_t` is the
/// gradient at step `t`, `\eta` the learning rate; torch's forms.
pub const FORMULAS: &[(&str, &str, &str)] = &[
    (
        "sgd",
        "Gradient descent (batch, stochastic or mini-batch by the gradient's sample)",
        r"\theta_{t} = \theta_{t-1} - \eta g_{t}",
    ),
    (
        "momentum",
        "Momentum (torch; the EMA and heavy-ball forms are rescalings)",
        r"b_{t} = \mu b_{t-1} + g_{t}, \quad \theta_{t} = \theta_{t-1} - \eta b_{t}",
    ),
    (
        "nesterov",
        "Nesterov momentum (torch)",
        r"b_{t} = \mu b_{t-1} + g_{t}, \quad \theta_{t} = \theta_{t-1} - \eta ( g_{t} + \mu b_{t} )",
    ),
    (
        "adagrad",
        "Adagrad",
        r"G_{t} = G_{t-1} + {g_{t}}^{2}, \quad \theta_{t} = \theta_{t-1} - \frac{\eta}{\sqrt{G_{t}} + \epsilon} g_{t}",
    ),
    (
        "rmsprop",
        "RMSprop",
        r"v_{t} = \alpha v_{t-1} + (1 - \alpha) {g_{t}}^{2}, \quad \theta_{t} = \theta_{t-1} - \frac{\eta}{\sqrt{v_{t}} + \epsilon} g_{t}",
    ),
    (
        "adadelta",
        "Adadelta",
        r"v_{t} = \rho v_{t-1} + (1 - \rho) {g_{t}}^{2}, \quad \Delta_{t} = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_{t} + \epsilon}} g_{t}, \quad u_{t} = \rho u_{t-1} + (1 - \rho) {\Delta_{t}}^{2}, \quad \theta_{t} = \theta_{t-1} - \eta \Delta_{t}",
    ),
    (
        "adam",
        "Adam",
        r"m_{t} = \beta_{1} m_{t-1} + (1 - \beta_{1}) g_{t}, \quad v_{t} = \beta_{2} v_{t-1} + (1 - \beta_{2}) {g_{t}}^{2}, \quad \theta_{t} = \theta_{t-1} - \eta \frac{m_{t} / (1 - {\beta_{1}}^{t})}{\sqrt{v_{t} / (1 - {\beta_{2}}^{t})} + \epsilon}",
    ),
    (
        "amsgrad",
        "AMSGrad (Reddi et al., Algorithm 2)",
        r"\hat{v}_{t} = \max ( \hat{v}_{t-1}, v_{t} ), \quad \theta_{t} = \theta_{t-1} - \frac{\eta_{t}}{\sqrt{\hat{v}_{t}} + \epsilon} m_{t}",
    ),
    (
        "effective_rate",
        "Momentum's terminal velocity under a constant gradient g",
        r"\Delta \theta_{\infty} = - \frac{\eta}{1 - \mu} g",
    ),
    ("regret", "Average regret", r"\frac{R_{T}}{T} = \frac{1}{T} \sum_{t=1}^{T} ( f_{t}(x_{t}) - f_{t}(x^{*}) )"),
    (
        "least_squares",
        "Least squares and its minimum-norm solution",
        r"\min_{w} \frac{1}{2} \| X w - y \|^{2}, \quad w^{*} = X^{T} ( X X^{T} )^{-1} y",
    ),
    (
        "toy",
        "Seed 003's toy function and its true derivative",
        r"f(x) = x^{3} - 3 x^{2} + 4 x, \quad f'(x) = 3 ( x - 1 )^{2} + 1 \geq 1",
    ),
    ("he", "He initialization", r"W_{ij} \sim N ( 0, 2 / n_{in} )"),
    (
        "batch_norm",
        "Batch normalization (per channel c, over the batch B; running statistics in evaluation)",
        r"\hat{x}_{i} = \frac{x_{i} - \mu_{B}}{\sqrt{\sigma_{B}^{2} + \epsilon}}, \quad y_{i} = \gamma \hat{x}_{i} + \beta",
    ),
    (
        "layer_norm",
        "Layer normalization (per example, over its features H)",
        r"\mu = \frac{1}{H} \sum_{j} x_{j}, \quad \sigma^{2} = \frac{1}{H} \sum_{j} ( x_{j} - \mu )^{2}, \quad y_{j} = \gamma_{j} \frac{x_{j} - \mu}{\sqrt{\sigma^{2} + \epsilon}} + \beta_{j}",
    ),
];

/// The MathML of formula `key` (display style).
pub fn mathml(key: &str) -> Result<(String, String)> {
    let (_, label, latex) = FORMULAS
        .iter()
        .find(|f| f.0 == key)
        .ok_or_else(|| Error::invalid("report", "formula", format!("no formula {key:?}")))?;
    let m = latex_to_mathml(latex, DisplayStyle::Block)
        .map_err(|e| Error::invalid("report", "formula", format!("{key}: {e:?}")))?;
    Ok((label.to_string(), m))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_formula_converts_to_mathml() {
        for (key, _, _) in super::FORMULAS {
            let (_, m) = super::mathml(key).unwrap();
            assert!(m.starts_with("<math") && m.contains("</math>"), "{key}: {m}");
            assert!(!m.contains('\\') && !m.contains("ERROR"), "{key}: unconverted LaTeX left: {m}");
        }
    }
}
