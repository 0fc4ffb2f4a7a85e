//! Drawing a small image (8x8, 28x28...) into a square of the picture, and the
//! grid geometry the digit, mistake and weight pictures share.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;

/// Where a grid of equal cells sits: `cols` across, cells of `cell` pixels, `gap` between them,
/// starting at `origin`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub origin: (i32, i32),
    pub cols: usize,
    pub cell: i32,
    pub gap: i32,
    /// Extra space above each cell (for a caption).
    pub caption: i32,
}

impl Grid {
    /// The top-left corner of the image part of cell `i` (row-major).
    pub fn cell_origin(&self, i: usize) -> (i32, i32) {
        let (col, row) = ((i % self.cols) as i32, (i / self.cols) as i32);
        (
            self.origin.0 + col * (self.cell + self.gap),
            self.origin.1 + row * (self.cell + self.gap + self.caption) + self.caption,
        )
    }

    /// The height `n` cells take.
    pub fn height(&self, n: usize) -> i32 {
        let rows = n.div_ceil(self.cols).max(1) as i32;
        rows * (self.cell + self.gap + self.caption) - self.gap
    }
}

/// Draws `values` (`rows x cols`, row-major) as a `size x size` square at `at`,
/// each value coloured by `color`. Cells coloured `skip` are left as they are
/// (the background), which keeps SVGs of mostly blank images small.
pub fn draw_image<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    size: i32,
    values: &[f32],
    (rows, cols): (usize, usize),
    color: impl Fn(f32) -> RGBColor,
    skip: Option<RGBColor>,
) -> DrawResult<DB> {
    let edge = |k: usize, n: usize| (k as i32 * size) / n as i32;
    for r in 0..rows {
        for c in 0..cols {
            let fill = color(values[r * cols + c]);
            if Some(fill) == skip {
                continue;
            }
            let top_left = (at.0 + edge(c, cols), at.1 + edge(r, rows));
            let bottom_right = (at.0 + edge(c + 1, cols), at.1 + edge(r + 1, rows));
            area.draw(&Rectangle::new([top_left, bottom_right], fill.filled()))?;
        }
    }
    Ok(())
}

/// The centre of pixel `(r, c)` of an image drawn by [`draw_image`] (for tests).
#[cfg(test)]
pub fn pixel_centre(
    at: (i32, i32),
    size: i32,
    (rows, cols): (usize, usize),
    r: usize,
    c: usize,
) -> (u32, u32) {
    let x = at.0 + (2 * c as i32 + 1) * size / (2 * cols as i32);
    let y = at.1 + (2 * r as i32 + 1) * size / (2 * rows as i32);
    (x as u32, y as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_advance_by_cell_gap_and_caption() {
        let g = Grid {
            origin: (10, 20),
            cols: 3,
            cell: 50,
            gap: 5,
            caption: 15,
        };
        assert_eq!(g.cell_origin(0), (10, 35));
        assert_eq!(g.cell_origin(4), (65, 35 + 70));
        assert_eq!(g.height(4), 2 * 70 - 5);
        assert_eq!(g.height(0), 70 - 5);
    }
}
