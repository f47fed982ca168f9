//! The sizes of one convolution, and the walk over its kernel taps.

use crate::{Error, Result};

/// Stride and zero padding of a convolution, per spatial dimension `(h, w)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conv2dOptions {
    /// Step between receptive fields, `(sh, sw)`; PyTorch's `stride`.
    pub stride: (usize, usize),
    /// Zeros added on each side, `(ph, pw)`; PyTorch's `padding`.
    pub padding: (usize, usize),
}

impl Default for Conv2dOptions {
    /// Stride 1, no padding (PyTorch's defaults).
    fn default() -> Self {
        Conv2dOptions { stride: (1, 1), padding: (0, 0) }
    }
}

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub(crate) n: usize,
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) o: usize,
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) opts: Conv2dOptions,
    pub(crate) oh: usize,
    pub(crate) ow: usize,
}

impl Geometry {
    /// Rows of `cols`: one per (channel, kernel row, kernel column).
    pub(crate) fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Columns of `cols`: one per output pixel.
    pub(crate) fn p(&self) -> usize {
        self.oh * self.ow
    }
    /// Input elements per sample.
    pub(crate) fn image(&self) -> usize {
        self.c * self.h * self.w
    }

    /// The range of output columns `ow` whose input column
    /// `ow*sw + kw - pw` falls inside the image, for kernel column `kw`.
    pub(crate) fn valid_cols(&self, kw: usize) -> (usize, usize) {
        let (sw, pw) = (self.opts.stride.1, self.opts.padding.1);
        // First ow with ow*sw + kw >= pw, and first ow with ow*sw + kw >= pw + w.
        let lo = pw.saturating_sub(kw).div_ceil(sw).min(self.ow);
        let hi = (pw + self.w).saturating_sub(kw).div_ceil(sw).min(self.ow);
        (lo, hi.max(lo))
    }

    /// Input row for output row `oh` and kernel row `kh`, if inside the image.
    pub(crate) fn input_row(&self, oh: usize, kh: usize) -> Option<usize> {
        let ih = (oh * self.opts.stride.0 + kh).checked_sub(self.opts.padding.0)?;
        (ih < self.h).then_some(ih)
    }

    /// Calls `f(cols_index, image_index, lo, hi, first_input_col)` for every
    /// (kernel tap, output row) whose input row exists, where output columns
    /// `lo..hi` read input columns `first_input_col + (ow - lo) * sw`.
    /// Shared by im2col, im2row and row2im, so that they agree on every index.
    pub(crate) fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize, usize, usize)) {
        for c in 0..self.c {
            for kh in 0..self.kh {
                for kw in 0..self.kw {
                    let row = (c * self.kh + kh) * self.kw + kw;
                    let (lo, hi) = self.valid_cols(kw);
                    if lo == hi {
                        continue;
                    }
                    let first = lo * self.opts.stride.1 + kw - self.opts.padding.1;
                    for oh in 0..self.oh {
                        if let Some(ih) = self.input_row(oh, kh) {
                            f(row * self.p() + oh * self.ow, (c * self.h + ih) * self.w, lo, hi, first);
                        }
                    }
                }
            }
        }
    }

    /// Stride 1 and no padding: the common case, with a faster im2col.
    pub(crate) fn dense(&self) -> bool {
        self.opts == Conv2dOptions::default()
    }

    /// Whether im2col leaves some entries of `cols` unwritten (padding).
    pub(crate) fn pads(&self) -> bool {
        self.opts.padding != (0, 0)
    }
}

pub(crate) fn geometry(x: &[usize], w: &[usize], opts: Conv2dOptions) -> Result<Geometry> {
    if x.len() != 4 || w.len() != 4 {
        return Err(Error::shape("conv2d", x, w, "input must be (N, C, H, W) and weight (O, C, KH, KW)"));
    }
    if x[1] != w[1] {
        return Err(Error::shape("conv2d", x, w, format!("input has {} channels, weight expects {}", x[1], w[1])));
    }
    if opts.stride.0 == 0 || opts.stride.1 == 0 {
        return Err(Error::invalid("conv2d", "stride", format!("{:?} must be positive", opts.stride)));
    }
    let (h, wd) = (x[2] + 2 * opts.padding.0, x[3] + 2 * opts.padding.1);
    if h < w[2] || wd < w[3] || w[2] == 0 || w[3] == 0 {
        return Err(Error::shape(
            "conv2d",
            x,
            w,
            format!("kernel {}x{} does not fit the padded input {h}x{wd}", w[2], w[3]),
        ));
    }
    Ok(Geometry {
        n: x[0],
        c: x[1],
        h: x[2],
        w: x[3],
        o: w[0],
        kh: w[2],
        kw: w[3],
        opts,
        oh: (h - w[2]) / opts.stride.0 + 1,
        ow: (wd - w[3]) / opts.stride.1 + 1,
    })
}
