//! The digit grid: images of a data set in a 10-wide grid, each label in a corner.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use super::colors::{LABEL, PAPER};
use super::raster::{Grid, draw_digit};
use super::{DrawResult, Picture, draw_title, text};
use crate::data::Dataset;

const WIDTH: u32 = 1000;
const MARGIN: i32 = 20;
const TITLE: i32 = 50;
const COLS: usize = 10;
const GAP: i32 = 6;

/// Images of `data` at `rows`, drawn in ink on paper with their labels.
pub struct DigitGrid<'a> {
    data: &'a Dataset,
    rows: Vec<usize>,
    title: String,
}

impl<'a> DigitGrid<'a> {
    /// The first `n` images (fewer if the set is smaller), as the original post shows them.
    pub fn first(data: &'a Dataset, n: usize) -> Self {
        let n = n.min(data.len());
        DigitGrid {
            data,
            rows: (0..n).collect(),
            title: format!("the first {n} images of {}", data.name),
        }
    }

    /// `n` images drawn at random (seeded, without repeats).
    pub fn random(data: &'a Dataset, n: usize, seed: u64) -> Self {
        let mut rows: Vec<usize> = (0..data.len()).collect();
        rows.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
        rows.truncate(n);
        DigitGrid {
            data,
            title: format!(
                "{} random images of {} (seed {seed})",
                rows.len(),
                data.name
            ),
            rows,
        }
    }

    /// Every image of `data` in order, under `title` (a picture made for the purpose,
    /// such as a row of distortions of each digit).
    pub fn titled(data: &'a Dataset, title: impl Into<String>) -> Self {
        DigitGrid {
            data,
            rows: (0..data.len()).collect(),
            title: title.into(),
        }
    }

    /// The rows of the data set shown, in grid order.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    fn grid() -> Grid {
        Grid::fitting(WIDTH, MARGIN, TITLE, (COLS, GAP, 0))
    }
}

impl Picture for DigitGrid<'_> {
    fn name(&self) -> &'static str {
        "digits"
    }

    fn size(&self) -> (u32, u32) {
        let h = TITLE + Self::grid().height(self.rows.len()) + MARGIN;
        (WIDTH, h as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        draw_title(root, &self.title, (WIDTH, TITLE / 2), 26.0)?;
        let grid = Self::grid();
        let label_style = text(grid.cell as f64 * 0.3, LABEL).pos(Pos::new(HPos::Left, VPos::Top));
        for (i, &row) in self.rows.iter().enumerate() {
            let at = grid.cell_origin(i);
            draw_digit(root, at, grid.cell, self.data, row)?;
            let label = self.data.labels[row].to_string();
            root.draw(&Text::new(label, (at.0 + 3, at.1 + 2), label_style.clone()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::raster::pixel_centre;
    use crate::plot::render_rgb;
    use crate::plot::testing::{assert_not_blank, is_dark, tiny_dataset};

    #[test]
    fn first_images_are_drawn_where_their_ink_is() {
        let data = tiny_dataset();
        let grid = DigitGrid::first(&data, 100);
        assert_eq!(grid.rows(), &(0..data.len()).collect::<Vec<_>>());
        let rgb = render_rgb(&grid).unwrap();
        assert_eq!((rgb.width, rgb.height), grid.size());
        assert!((800..=1200).contains(&rgb.width));
        assert_not_blank(&rgb);
        // Image 0 has ink in its right half only; check every pixel away from the label corner.
        let g = DigitGrid::grid();
        let at = g.cell_origin(0);
        for r in 3..8 {
            for c in 0..8 {
                let (x, y) = pixel_centre(at, g.cell, (8, 8), r, c);
                let has_ink = data.image(0)[r * 8 + c] > 0.0;
                assert_eq!(
                    is_dark(rgb.pixel(x, y)),
                    has_ink,
                    "pixel ({r},{c}) of image 0"
                );
            }
        }
    }

    #[test]
    fn labels_are_written_in_the_top_left_corner() {
        let data = tiny_dataset();
        let rgb = render_rgb(&DigitGrid::first(&data, 1)).unwrap();
        let at = DigitGrid::grid().cell_origin(0);
        // Image 0's top-left is blank paper, so red there is the label.
        let red = (at.0..at.0 + 30)
            .flat_map(|x| (at.1..at.1 + 30).map(move |y| (x, y)))
            .filter(|&(x, y)| {
                let [r, g, b] = rgb.pixel(x as u32, y as u32);
                r > 150 && g < 120 && b < 120
            })
            .count();
        assert!(red > 20, "only {red} label pixels");
    }

    #[test]
    fn random_choice_is_seeded_and_without_repeats() {
        let data = tiny_dataset();
        let a = DigitGrid::random(&data, 3, 7);
        assert_eq!(a.rows(), DigitGrid::random(&data, 3, 7).rows());
        let mut rows = a.rows().to_vec();
        rows.sort();
        rows.dedup();
        assert_eq!(rows.len(), 3);
    }
}
