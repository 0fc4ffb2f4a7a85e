//! A matrix whose rows start on 64-byte boundaries: each row padded with zeros to
//! a whole number of 16-float vectors, the first row aligned.
//!
//! The blog's `U` is swept one 16-float vector at a time. With rows of 200 floats
//! (800 bytes) every other row started in the middle of a cache line, so every
//! vector load and store on it touched two lines; and a masked store of a row's
//! last, partial vector overlapped the next row's first vector, which then waited
//! for it. Padded and aligned, every vector is one line and no two rows share one.

/// Floats per 64-byte line.
const LINE: usize = 16;

/// `rows x width` floats in rows of `stride` (the zero padding is never written
/// but by the sweep, which keeps it zero).
#[derive(Debug)]
pub struct PaddedRows {
    data: Vec<f32>,
    /// Index in `data` of the first row (the first 64-byte boundary).
    start: usize,
    rows: usize,
    width: usize,
    stride: usize,
}

/// Floats from one row's start to the next for rows of `width`: whole lines.
pub fn stride_for(width: usize) -> usize {
    width.next_multiple_of(LINE)
}

impl PaddedRows {
    /// The row-major `m` (rows of `width`), padded.
    pub fn from_rows(m: &[f32], width: usize) -> Self {
        let stride = stride_for(width);
        let rows = m.len().checked_div(width).unwrap_or(0);
        let data = vec![0.0f32; rows * stride + LINE];
        let misalignment = (data.as_ptr() as usize / 4) % LINE;
        let start = (LINE - misalignment) % LINE;
        let mut padded = PaddedRows {
            data,
            start,
            rows,
            width,
            stride,
        };
        for (dst, src) in padded
            .all_mut()
            .chunks_exact_mut(stride)
            .zip(m.chunks_exact(width))
        {
            dst[..width].copy_from_slice(src);
        }
        padded
    }

    /// Floats from one row's start to the next's: a multiple of 16.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The rows without their padding.
    pub fn rows(&self) -> impl Iterator<Item = &[f32]> {
        self.all()
            .chunks_exact(self.stride)
            .map(|row| &row[..self.width])
    }

    /// The rows without their padding, as one row-major matrix.
    pub fn to_rows(&self) -> Vec<f32> {
        self.rows().flatten().copied().collect()
    }

    /// All `rows x stride` floats, the padding included, from the aligned start.
    pub fn all_mut(&mut self) -> &mut [f32] {
        let len = self.rows * self.stride;
        &mut self.data[self.start..self.start + len]
    }

    fn all(&self) -> &[f32] {
        &self.data[self.start..self.start + self.rows * self.stride]
    }
}

impl Clone for PaddedRows {
    /// A fresh allocation, aligned afresh (a copied `Vec` may start elsewhere).
    fn clone(&self) -> Self {
        PaddedRows::from_rows(&self.to_rows(), self.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_padded_aligned_and_read_back_unchanged() {
        let m: Vec<f32> = (0..3 * 20).map(|i| i as f32).collect();
        let mut p = PaddedRows::from_rows(&m, 20);
        assert_eq!(p.stride(), 32);
        assert_eq!(p.all_mut().as_ptr() as usize % 64, 0);
        assert_eq!(p.to_rows(), m);
        assert_eq!(p.all_mut()[32..34], [20.0, 21.0]);
        assert!(p.all_mut()[20..32].iter().all(|&v| v == 0.0));
        let copy = p.clone();
        assert_eq!(copy.to_rows(), m);
        assert_eq!(copy.all().as_ptr() as usize % 64, 0);
    }
}
