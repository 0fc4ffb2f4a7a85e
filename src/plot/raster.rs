//! Drawing a small image (8x8, 28x28...) into a square of the picture, and the
//! grid geometry the digit, mistake and weight pictures share.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, colors};
use crate::data::Dataset;

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
    /// `cols` cells across a picture `width` wide, with `margin` left and right and the
    /// first row starting at `top`: the cell size follows.
    pub fn fitting(
        width: u32,
        margin: i32,
        top: i32,
        (cols, gap, caption): (usize, i32, i32),
    ) -> Self {
        Grid {
            origin: (margin, top),
            cols,
            cell: (width as i32 - 2 * margin - (cols as i32 - 1) * gap) / cols as i32,
            gap,
            caption,
        }
    }

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

/// Draws image `row` of `data` in ink on paper, framed in light grey, in the cell at `at`.
pub fn draw_digit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    size: i32,
    data: &Dataset,
    row: usize,
) -> DrawResult<DB> {
    let frame = [at, (at.0 + size, at.1 + size)];
    area.draw(&Rectangle::new(frame, RGBColor(200, 200, 200)))?;
    let max = data.pixel_max;
    let ink = |v: f32| colors::ink(f64::from(v / max));
    let shape = (data.height, data.width);
    draw_image(
        area,
        at,
        size,
        data.image(row),
        shape,
        ink,
        Some(colors::PAPER),
    )
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
    fn fitting_cells_fill_the_width_between_margins() {
        let g = Grid::fitting(1000, 20, 50, (10, 6, 0));
        assert_eq!((g.cell, g.origin), (90, (20, 50)));
        assert!(g.cell_origin(9).0 + g.cell <= 1000 - 20);
    }

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
