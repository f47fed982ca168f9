//! Contour plots: iso-lines of a function of two variables (marching
//! squares on a grid, segments joined into paths) with trajectories over
//! them, as SVG.

use super::line::{legend_width, unique_labels, Axes, Line};
use super::style::{styles_for, Style, CONTOUR_SIZE};
use super::svg::{draw_frame, escape, grid, legend, points_attribute, polyline, thin, Frame};
use super::ticks::linear_ticks;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Grid points per side on which the function is sampled.
const GRID: usize = 120;
/// Iso-lines drawn.
const LEVELS: usize = 14;

/// A function over a rectangle `((x0, x1), (y0, y1))`: what a contour plot
/// draws.
pub struct Field<'a> {
    /// The window.
    pub window: ((f64, f64), (f64, f64)),
    /// The function.
    pub f: Box<dyn Fn(f64, f64) -> f64 + 'a>,
}

/// A contour plot of `field` (iso-lines of `log(1 + f - min)`, evenly
/// spaced, light to dark as `f` grows) with each line's path over it and a
/// dot where it ended; paths leaving the window are clipped to its edge.
pub fn contour_chart(axes: &Axes, field: &Field, lines: &[Line]) -> Option<String> {
    let ((x0, x1), (y0, y1)) = field.window;
    let styles: Vec<Style> = styles_for(&lines.iter().map(|l| l.key.as_str()).collect::<Vec<_>>());
    let labelled = unique_labels(lines, &styles);
    let mut svg = String::new();
    let frame = draw_frame(&mut svg, CONTOUR_SIZE, axes, (x0, x1), (y0, y1), legend_width(&labelled), 48)?;
    let mut overlay = grid(&frame, &linear_ticks(x0, x1, 5), &linear_ticks(y0, y1, 5), (false, false), false);
    overlay.push_str(&iso_lines(field, &frame));
    for (line, style) in lines.iter().zip(&styles) {
        let pixels: Vec<(f64, f64)> = line
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| frame.pixel((x.clamp(x0, x1), y.clamp(y0, y1))))
            .collect();
        let Some(&(ex, ey)) = pixels.last() else { continue };
        overlay.push_str(&polyline(&pixels, style, 2.0, line.faint));
        let _ = writeln!(overlay, "<circle cx=\"{ex:.1}\" cy=\"{ey:.1}\" r=\"4\" fill=\"{}\"/>", style.hex());
    }
    overlay.push_str(&legend(&labelled, frame.right() + 12.0, frame.top() + 4.0));
    let _ = writeln!(overlay, "<desc>{}</desc>", escape(&axes.title));
    Some(super::svg::append(svg, &overlay))
}

/// The iso-lines of `field` as one `<path>` per level.
fn iso_lines(field: &Field, frame: &Frame) -> String {
    let ((x0, x1), (y0, y1)) = field.window;
    let at = |i: usize, j: usize| {
        (x0 + (x1 - x0) * i as f64 / (GRID - 1) as f64, y0 + (y1 - y0) * j as f64 / (GRID - 1) as f64)
    };
    let mut values = vec![0.0; GRID * GRID];
    for j in 0..GRID {
        for i in 0..GRID {
            let (x, y) = at(i, j);
            values[j * GRID + i] = (field.f)(x, y);
        }
    }
    let min = values.iter().copied().filter(|v| v.is_finite()).fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return String::new();
    }
    // Levels evenly spaced in log(1 + f - min): valleys and peaks both show.
    for v in &mut values {
        *v = if v.is_finite() { (1.0 + *v - min).ln() } else { f64::NAN };
    }
    let max = values.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let mut out = String::new();
    for level in 1..=LEVELS {
        let t = level as f64 / (LEVELS + 1) as f64;
        let paths = join(&marching_squares(&values, t * max));
        if paths.is_empty() {
            continue;
        }
        // Light grey-blue for low levels, darker for high ones.
        let shade = |lo: f64, hi: f64| (lo + (hi - lo) * t) as u8;
        let colour = format!("#{:02x}{:02x}{:02x}", shade(190.0, 70.0), shade(205.0, 90.0), shade(225.0, 130.0));
        let mut d = String::new();
        for path in paths {
            let pixels: Vec<(f64, f64)> = path.iter().map(|&(gi, gj)| frame.pixel(grid_point(gi, gj, field))).collect();
            let thinned = thin(&pixels);
            if thinned.len() < 2 {
                continue;
            }
            let _ = write!(d, "M{}", points_attribute(&thinned).replacen(' ', " L", thinned.len()));
        }
        let _ = writeln!(out, "<path fill=\"none\" stroke=\"{colour}\" stroke-width=\"1\" d=\"{d}\"/>");
    }
    out
}

/// A point in grid units (fractional) as data coordinates.
fn grid_point(gi: f64, gj: f64, field: &Field) -> (f64, f64) {
    let ((x0, x1), (y0, y1)) = field.window;
    (x0 + (x1 - x0) * gi / (GRID - 1) as f64, y0 + (y1 - y0) * gj / (GRID - 1) as f64)
}

/// An edge of the grid: horizontal `(0, i, j)` from `(i, j)` to `(i+1, j)`,
/// vertical `(1, i, j)` from `(i, j)` to `(i, j+1)`.
type Edge = (u8, usize, usize);

/// Segments of the iso-line `values = level`, each between two grid edges,
/// with the crossing points (grid units).
fn marching_squares(values: &[f64], level: f64) -> Vec<[(Edge, (f64, f64)); 2]> {
    let v = |i: usize, j: usize| values[j * GRID + i];
    let cross = |e: Edge| -> (f64, f64) {
        let (a, b, (i, j)) = match e {
            (0, i, j) => (v(i, j), v(i + 1, j), (i, j)),
            (_, i, j) => (v(i, j), v(i, j + 1), (i, j)),
        };
        let t = if (b - a).abs() > 0.0 { ((level - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 };
        if e.0 == 0 {
            (i as f64 + t, j as f64)
        } else {
            (i as f64, j as f64 + t)
        }
    };
    let mut segments = Vec::new();
    for j in 0..GRID - 1 {
        for i in 0..GRID - 1 {
            let corners = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
            if corners.iter().any(|c| !c.is_finite()) {
                continue;
            }
            let case = corners.iter().enumerate().fold(0, |acc, (k, &c)| acc | (usize::from(c > level) << k));
            // Edges of the cell: bottom, right, top, left.
            let (bottom, right, top, left) = ((0, i, j), (1, i + 1, j), (0, i, j + 1), (1, i, j));
            let centre_above = corners.iter().sum::<f64>() / 4.0 > level;
            let pairs: &[(Edge, Edge)] = match case {
                0 | 15 => &[],
                1 | 14 => &[(left, bottom)],
                2 | 13 => &[(bottom, right)],
                3 | 12 => &[(left, right)],
                4 | 11 => &[(right, top)],
                6 | 9 => &[(bottom, top)],
                7 | 8 => &[(left, top)],
                // Saddles: the centre decides which corners connect.
                5 if centre_above => &[(left, top), (bottom, right)],
                5 => &[(left, bottom), (right, top)],
                10 if centre_above => &[(left, bottom), (right, top)],
                _ => &[(left, top), (bottom, right)],
            };
            for &(a, b) in pairs {
                segments.push([(a, cross(a)), (b, cross(b))]);
            }
        }
    }
    segments
}

/// Segments joined end to end into paths (open or closed).
fn join(segments: &[[(Edge, (f64, f64)); 2]]) -> Vec<Vec<(f64, f64)>> {
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (k, s) in segments.iter().enumerate() {
        for end in s {
            at.entry(end.0).or_default().push(k);
        }
    }
    let mut used = vec![false; segments.len()];
    let mut paths = Vec::new();
    // Open paths start at an edge with one segment; then what is left are loops.
    let mut starts: Vec<usize> =
        segments.iter().enumerate().filter(|(_, s)| s.iter().any(|e| at[&e.0].len() == 1)).map(|(k, _)| k).collect();
    starts.extend(0..segments.len());
    for start in starts {
        if used[start] {
            continue;
        }
        used[start] = true;
        let s = &segments[start];
        // Orient the first segment so that it leaves from its free end.
        let (first, mut tail) =
            if at[&s[1].0].len() == 1 && at[&s[0].0].len() != 1 { (s[1], s[0]) } else { (s[0], s[1]) };
        let mut path = vec![first.1, tail.1];
        while let Some(&next) = at[&tail.0].iter().find(|&&k| !used[k]) {
            used[next] = true;
            let n = &segments[next];
            tail = if n[0].0 == tail.0 { n[1] } else { n[0] };
            path.push(tail.1);
        }
        paths.push(path);
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circles_give_closed_iso_lines_and_the_chart_draws_paths() {
        let field = Field { window: ((-2.0, 2.0), (-2.0, 2.0)), f: Box::new(|x, y| x * x + y * y) };
        let mut values = vec![0.0; GRID * GRID];
        for j in 0..GRID {
            for i in 0..GRID {
                let (x, y) = grid_point(i as f64, j as f64, &field);
                values[j * GRID + i] = x * x + y * y;
            }
        }
        let paths = join(&marching_squares(&values, 1.0));
        assert_eq!(paths.len(), 1, "one circle");
        let circle = &paths[0];
        assert!((circle[0].0 - circle[circle.len() - 1].0).abs() < 1e-9, "closed");
        for &(gi, gj) in circle {
            let (x, y) = grid_point(gi, gj, &field);
            assert!(((x * x + y * y).sqrt() - 1.0).abs() < 0.01, "({x}, {y}) is off the unit circle");
        }
        let path = Line::new("adam", "adam", vec![(1.5, 1.5), (0.5, 0.2), (0.0, 0.0)]);
        let svg = contour_chart(&Axes::new("bowl", "x", "y"), &field, &[path]).unwrap();
        assert!(
            svg.matches("<path").count() >= LEVELS - 2 && svg.contains("<circle") && svg.matches("<rect").count() <= 2
        );
    }
}
