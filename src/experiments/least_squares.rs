//! Least-squares pieces the synthetic experiments share.

use ndarray::{Array1, Array2};

/// `X_Bᵀ r` for the rows `B` of `X`, summed row by row over `X`'s
/// contiguous rows. For all rows in order it is `x.t().dot(&r)` bit for bit
/// (each coordinate the same sum, from zero, of the same products in the
/// same order: tested), without the strided columns that cost more than the
/// rest of a gradient step.
pub fn transpose_times(x: &Array2<f64>, r: &Array1<f64>, rows: impl IntoIterator<Item = usize>) -> Array1<f64> {
    let cols = x.ncols();
    let standard = x.as_standard_layout();
    let values = standard.as_slice().expect("standard layout");
    let mut g = vec![0.0; cols];
    for i in rows {
        let ri = r[i];
        // `g + r_i x_i` rounded twice, as ndarray's `scaled_add` computes
        // it, in a loop over slices: the zip's set-up per row cost about as
        // much as the row's 150 products on Wilson's construction.
        for (g, &xij) in g.iter_mut().zip(&values[i * cols..(i + 1) * cols]) {
            *g += ri * xij;
        }
    }
    Array1::from(g)
}

#[cfg(test)]
mod tests {
    use super::transpose_times;
    use descent::rng::seeded;
    use ndarray::{Array1, Array2};
    use rand::Rng;

    #[test]
    fn all_rows_in_order_are_x_transposed_times_r_bit_for_bit() {
        let bits = |a: &Array1<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let mut rng = seeded(5);
        // Dense values of mixed signs and scales, zeros among them, and a
        // wide sparse matrix like Wilson's construction.
        let dense = Array2::from_shape_fn((5_000, 20), |_| {
            let v: f64 = rng.gen_range(-1.0..1.0);
            if v.abs() < 0.1 {
                0.0
            } else {
                v * 10f64.powi(rng.gen_range(-3..4))
            }
        });
        let (wide, _) = crate::experiments::wilson::construction(60, 0.7, &mut seeded(4));
        for x in [dense, wide] {
            let r: Array1<f64> = (0..x.nrows()).map(|i| ((i as f64) * 0.61).sin() * 1e-2).collect();
            assert_eq!(bits(&transpose_times(&x, &r, 0..x.nrows())), bits(&x.t().dot(&r)));
        }
    }
}
