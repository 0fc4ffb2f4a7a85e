//! The misclassified test images, most confident mistakes first, each titled
//! `true -> predicted (p)`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors::{INK, PAPER};
use super::raster::{Grid, draw_digit};
use super::{DrawResult, Picture, draw_title, text};
use crate::data::Dataset;
use crate::nn::argmax;

const WIDTH: u32 = 1000;
const MARGIN: i32 = 20;
const TITLE: i32 = 50;
const COLS: usize = 8;
const GAP: i32 = 14;
const CAPTION: i32 = 28;
/// The most mistakes drawn.
pub const MAX_SHOWN: usize = 48;

/// One misclassified image: the net's argmax answer differs from the label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mistake {
    /// Row in the data set.
    pub index: usize,
    pub truth: u8,
    pub predicted: usize,
    /// The probability the net gave its (wrong) answer.
    pub p: f32,
}

/// Every row whose argmax answer is wrong, most confident first (ties by row).
pub fn misclassified(probs: &[f32], labels: &[u8]) -> Vec<Mistake> {
    let classes = probs.len() / labels.len().max(1);
    let mut out: Vec<Mistake> = probs
        .chunks_exact(classes.max(1))
        .zip(labels)
        .enumerate()
        .filter_map(|(index, (row, &truth))| {
            let predicted = argmax(row);
            (predicted != usize::from(truth)).then_some(Mistake {
                index,
                truth,
                predicted,
                p: row[predicted],
            })
        })
        .collect();
    out.sort_by(|a, b| b.p.total_cmp(&a.p).then(a.index.cmp(&b.index)));
    out
}

/// A grid of the misclassified images of `data`, given the net's probabilities.
pub struct Mistakes<'a> {
    data: &'a Dataset,
    mistakes: Vec<Mistake>,
}

impl<'a> Mistakes<'a> {
    /// `probs` is `data.len() x classes`, row-major (as `Evaluation::probabilities`).
    pub fn new(data: &'a Dataset, probs: &[f32]) -> Self {
        Mistakes {
            data,
            mistakes: misclassified(probs, &data.labels),
        }
    }

    fn shown(&self) -> &[Mistake] {
        &self.mistakes[..self.mistakes.len().min(MAX_SHOWN)]
    }

    fn grid() -> Grid {
        Grid::fitting(WIDTH, MARGIN, TITLE, (COLS, GAP, CAPTION))
    }

    fn title(&self) -> String {
        let (n, total) = (self.mistakes.len(), self.data.len());
        match n {
            0 => format!("no misclassified images among {total} (argmax answers)"),
            _ if n > MAX_SHOWN => format!(
                "{n} of {total} images misclassified (argmax); the {MAX_SHOWN} most confident \
                    mistakes"
            ),
            _ => format!("{n} of {total} images misclassified (argmax), most confident first"),
        }
    }
}

impl Picture for Mistakes<'_> {
    fn name(&self) -> &'static str {
        "mistakes"
    }

    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            (TITLE + Self::grid().height(self.shown().len()) + MARGIN) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        draw_title(root, &self.title(), (WIDTH, TITLE / 2), 24.0)?;
        let grid = Self::grid();
        let caption = text(19.0, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
        for (k, m) in self.shown().iter().enumerate() {
            let at = grid.cell_origin(k);
            draw_digit(root, at, grid.cell, self.data, m.index)?;
            let label = format!("{} -> {} ({:.2})", m.truth, m.predicted, m.p);
            root.draw(&Text::new(
                label,
                (at.0 + grid.cell / 2, at.1 - 4),
                caption.clone(),
            ))?;
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

    /// Probabilities that answer every image's label right, except image 1 (label 1)
    /// read as 7 with p = 0.9 and image 3 (label 3) read as 5 with p = 0.6.
    fn probs(data: &Dataset) -> Vec<f32> {
        let mut p = vec![0.0; data.len() * 10];
        for (i, &y) in data.labels.iter().enumerate() {
            let answer = match i {
                1 => (7, 0.9),
                3 => (5, 0.6),
                _ => (usize::from(y), 1.0),
            };
            p[i * 10 + answer.0] = answer.1;
            p[i * 10 + usize::from(y)] += 1.0 - answer.1;
        }
        p
    }

    #[test]
    fn mistakes_are_found_most_confident_first() {
        let data = tiny_dataset();
        let m = misclassified(&probs(&data), &data.labels);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].index, m[0].truth, m[0].predicted), (1, 1, 7));
        assert!((m[0].p - 0.9).abs() < 1e-6);
        assert_eq!((m[1].index, m[1].predicted), (3, 5));
    }

    #[test]
    fn the_first_cell_shows_the_most_confident_mistake() {
        let data = tiny_dataset();
        let picture = Mistakes::new(&data, &probs(&data));
        let rgb = render_rgb(&picture).unwrap();
        assert_eq!((rgb.width, rgb.height), picture.size());
        assert_not_blank(&rgb);
        // Image 1 has ink in its left half only.
        let g = Mistakes::grid();
        for r in 0..8 {
            for c in 0..8 {
                let p = rgb.pixel_at(pixel_centre(g.cell_origin(0), g.cell, (8, 8), r, c));
                assert_eq!(is_dark(p), c < 4, "pixel ({r},{c})");
            }
        }
        // Its caption sits above it; the third cell is empty (two mistakes only).
        let at = g.cell_origin(0);
        let caption_ink = (at.0..at.0 + g.cell)
            .flat_map(|x| (at.1 - CAPTION..at.1).map(move |y| (x, y)))
            .filter(|&(x, y)| is_dark(rgb.pixel(x as u32, y as u32)))
            .count();
        assert!(caption_ink > 50, "no caption over the first mistake");
        let third = g.cell_origin(2);
        assert_eq!(
            rgb.pixel(third.0 as u32 + 5, third.1 as u32 + 5),
            [255, 255, 255]
        );
    }

    #[test]
    fn a_perfect_run_draws_a_title_only() {
        let data = tiny_dataset();
        let mut p = vec![0.0; data.len() * 10];
        for (i, &y) in data.labels.iter().enumerate() {
            p[i * 10 + usize::from(y)] = 1.0;
        }
        let picture = Mistakes::new(&data, &p);
        assert!(picture.title().starts_with("no misclassified images"));
        assert!(render_rgb(&picture).is_ok());
    }
}
