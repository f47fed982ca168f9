//! What every chart shares: its size, fonts, and the style of each series.
//!
//! A series' style is a colour of the Okabe-Ito palette (distinguishable
//! with every common colour-vision deficiency; its yellow is left out, it
//! does not show on white) and a dash pattern. The optimizers of the
//! registry keep one style each in every chart, a family sharing a colour
//! (Adam, AMSGrad, AdamW in blue; momentum's forms in orange) and told apart
//! by the dash. Any other label (a batching mode, an epsilon, a schedule)
//! takes the first style no other series of its chart uses, so no two
//! series of one chart ever look alike.

/// Width and height of a line chart, in pixels.
pub const LINE_SIZE: (u32, u32) = (680, 380);
/// Width and height of a contour chart.
pub const CONTOUR_SIZE: (u32, u32) = (600, 480);
/// Font of titles, labels and legends.
pub const FONT: &str = "sans-serif";
/// Title size, in pixels.
pub const TITLE_SIZE: u32 = 17;
/// Axis label and legend size.
pub const LABEL_SIZE: u32 = 12;
/// Grid lines.
pub const GRID: (u8, u8, u8) = (232, 232, 232);

/// Okabe & Ito (2008), without yellow: black, orange, sky blue, bluish
/// green, blue, vermillion, reddish purple.
pub const PALETTE: [(u8, u8, u8); 7] =
    [(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (0, 114, 178), (213, 94, 0), (204, 121, 167)];

/// A dash pattern, as SVG's `stroke-dasharray`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dash {
    /// Unbroken.
    Solid,
    /// Long dashes.
    Dashed,
    /// Dots.
    Dotted,
    /// Dash and dot.
    DashDot,
}

impl Dash {
    /// Every pattern, in the order they are handed out.
    pub const ALL: [Dash; 4] = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::DashDot];

    /// The `stroke-dasharray` value, `None` when solid.
    pub fn dasharray(self) -> Option<&'static str> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some("8 4"),
            Dash::Dotted => Some("2 3"),
            Dash::DashDot => Some("9 3 2 3"),
        }
    }
}

/// How one series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Style {
    /// RGB.
    pub colour: (u8, u8, u8),
    /// Dash pattern.
    pub dash: Dash,
}

impl Style {
    /// `#rrggbb`.
    pub fn hex(&self) -> String {
        let (r, g, b) = self.colour;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

const fn style(colour: usize, dash: Dash) -> Style {
    Style { colour: PALETTE[colour], dash }
}

const BLACK: usize = 0;
const ORANGE: usize = 1;
const SKY: usize = 2;
const GREEN: usize = 3;
const BLUE: usize = 4;
const VERMILLION: usize = 5;
const PURPLE: usize = 6;

/// The fixed style of each optimizer of the registry (and of `gd`, the
/// name experiments give plain full-batch gradient descent).
const FIXED: &[(&str, Style)] = &[
    ("sgd", style(BLACK, Dash::Solid)),
    ("gd", style(BLACK, Dash::Dashed)),
    ("momentum", style(ORANGE, Dash::Solid)),
    ("heavy_ball", style(ORANGE, Dash::Dashed)),
    ("momentum_ema", style(ORANGE, Dash::Dotted)),
    ("nesterov", style(SKY, Dash::Solid)),
    ("nesterov_lookahead", style(SKY, Dash::Dashed)),
    ("adagrad", style(GREEN, Dash::Solid)),
    ("adamax", style(GREEN, Dash::Dashed)),
    ("nadam", style(GREEN, Dash::Dotted)),
    ("adam", style(BLUE, Dash::Solid)),
    ("amsgrad", style(BLUE, Dash::Dashed)),
    ("amsgrad_reddi", style(BLUE, Dash::Dotted)),
    ("adamw", style(BLUE, Dash::DashDot)),
    ("rmsprop", style(VERMILLION, Dash::Solid)),
    ("rmsprop_seed", style(VERMILLION, Dash::Dashed)),
    ("radam", style(VERMILLION, Dash::Dotted)),
    ("adadelta", style(PURPLE, Dash::Solid)),
    ("adadelta_zeiler", style(PURPLE, Dash::Dashed)),
];

/// The fixed style of `key` when it is an optimizer's name.
pub fn fixed_style(key: &str) -> Option<Style> {
    FIXED.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

/// Every style, solid ones first (each colour once), then dashed, dotted,
/// dash-dot: the order free styles are handed out in.
fn all_styles() -> impl Iterator<Item = Style> {
    Dash::ALL.into_iter().flat_map(|dash| PALETTE.into_iter().map(move |colour| Style { colour, dash }))
}

/// One style per key, distinct within the list as long as there are at
/// most 28 distinct keys: optimizers keep their fixed style, every other key
/// takes the first style nobody in the list uses. Equal keys get equal
/// styles (a raw curve and its smoothed twin).
pub fn styles_for<S: AsRef<str>>(keys: &[S]) -> Vec<Style> {
    let mut taken: Vec<Style> = keys.iter().filter_map(|k| fixed_style(k.as_ref())).collect();
    let mut given: Vec<(&str, Style)> = Vec::new();
    keys.iter()
        .map(|k| {
            let k = k.as_ref();
            if let Some(s) = fixed_style(k) {
                return s;
            }
            if let Some((_, s)) = given.iter().find(|(g, _)| *g == k) {
                return *s;
            }
            // Past 28 keys styles repeat (no chart of the report comes near).
            let s = all_styles().find(|s| !taken.contains(s)).unwrap_or_else(|| style(BLACK, Dash::Solid));
            taken.push(s);
            given.push((k, s));
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use descent::optim::OPTIMIZER_NAMES;
    use std::collections::HashSet;

    #[test]
    fn every_optimizer_of_the_registry_has_its_own_style() {
        let mut seen = HashSet::new();
        for (name, _) in OPTIMIZER_NAMES {
            let s = fixed_style(name).unwrap_or_else(|| panic!("{name} has no fixed style"));
            assert!(seen.insert(s), "{name} shares its style with another optimizer");
        }
        assert!(seen.insert(fixed_style("gd").unwrap()));
    }

    #[test]
    fn no_two_series_of_a_chart_share_a_style() {
        // The registry's names with the labels experiments use, in many
        // combinations: any list of distinct keys gets distinct styles.
        let mut keys: Vec<String> = OPTIMIZER_NAMES.iter().map(|(n, _)| n.to_string()).collect();
        keys.extend(["bgd", "mbgd", "gd", "he", "normal(0, 0.01)", "constant", "step", "cosine"].map(String::from));
        keys.extend(["eps=1e-8", "eps=1e-6", "eps=1e-4", "eps=1e-2", "u0=0", "u0=1e-4"].map(String::from));
        let n = keys.len();
        let total = Dash::ALL.len() * PALETTE.len();
        let mut checked = 0;
        for start in 0..n {
            for len in 1..=n {
                let chosen: Vec<&String> = (0..len).map(|i| &keys[(start + i * 7) % n]).collect();
                let distinct: HashSet<&&String> = chosen.iter().collect();
                // Distinct as long as there are styles enough: 28 in all.
                if distinct.len() > total {
                    continue;
                }
                let styles = styles_for(&chosen);
                let styles: HashSet<Style> = styles.into_iter().collect();
                assert_eq!(styles.len(), distinct.len(), "{chosen:?}");
                checked += 1;
            }
        }
        assert!(checked > 500);
        // Equal keys, equal styles.
        let s = styles_for(&["eps=1", "adam", "eps=1"]);
        assert_eq!(s[0], s[2]);
        assert_ne!(s[0], s[1]);
    }
}
