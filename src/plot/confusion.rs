//! The confusion heatmap: counts in every cell, correct answers on a blue scale and
//! errors on a red one, so the diagonal and the mistakes never look alike.
//!
//! An error cell's red grows with its share of the true class's images, not with its
//! count against the largest error: one mistake among 980 sevens is a faint pink,
//! while a tenth of a class read as one other digit is a strong red.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors::{self, INK, PAPER};
use super::{DrawResult, Picture, draw_title, text};
use crate::score::metrics::Confusion;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 840;
const CELL: i32 = 60;
/// Top-left corner of the matrix.
const ORIGIN: (i32, i32) = (130, 80);
/// Height of one colour bar and where the bars start.
const BAR: (i32, i32) = (30, 660);
const BARS_X: i32 = 820;
const STRIPS: i32 = 60;
const GRID_LINE: RGBColor = RGBColor(210, 210, 210);
const ZERO_TEXT: RGBColor = RGBColor(170, 170, 170);

/// A heatmap of a strict-rule confusion matrix (rows: true label, columns: predicted).
pub struct ConfusionHeatmap<'a> {
    confusion: &'a Confusion,
}

impl<'a> ConfusionHeatmap<'a> {
    pub fn new(confusion: &'a Confusion) -> Self {
        ConfusionHeatmap { confusion }
    }

    /// The pixel rectangle of cell (`row`, `col`), as indices into the matrix.
    pub fn cell_rect(row: usize, col: usize) -> [(i32, i32); 2] {
        let (x, y) = (ORIGIN.0 + col as i32 * CELL, ORIGIN.1 + row as i32 * CELL);
        [(x, y), (x + CELL, y + CELL)]
    }

    /// The largest count on the diagonal (at least 1).
    fn diagonal_max(&self) -> u32 {
        let mut diag = 1;
        for (i, row) in self.confusion.matrix.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if self.is_correct(i, j) {
                    diag = diag.max(v);
                }
            }
        }
        diag
    }

    /// The share of true class `i`'s images that cell (`i`, `j`) holds.
    fn row_rate(&self, i: usize, j: usize) -> f64 {
        let row = &self.confusion.matrix[i];
        let total: u32 = row.iter().sum();
        f64::from(row[j]) / f64::from(total.max(1))
    }

    /// Whether cell (`i`, `j`) counts right answers: same label, and not "no digit".
    fn is_correct(&self, i: usize, j: usize) -> bool {
        i == j && self.confusion.labels[i] >= 0
    }

    fn cell_color(&self, i: usize, j: usize, diag: u32) -> RGBColor {
        let v = self.confusion.matrix[i][j];
        if v == 0 {
            PAPER
        } else if self.is_correct(i, j) {
            colors::correct(f64::from(v) / f64::from(diag))
        } else {
            colors::error_rate(self.row_rate(i, j))
        }
    }

    fn draw_cells<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let maxima = self.diagonal_max();
        let centre = Pos::new(HPos::Center, VPos::Center);
        for (i, row) in self.confusion.matrix.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let rect = Self::cell_rect(i, j);
                let fill = self.cell_color(i, j, maxima);
                root.draw(&Rectangle::new(rect, fill.filled()))?;
                root.draw(&Rectangle::new(rect, GRID_LINE))?;
                let ink = if v == 0 {
                    ZERO_TEXT
                } else {
                    colors::text_on(fill)
                };
                let at = (rect[0].0 + CELL / 2, rect[0].1 + CELL / 2);
                root.draw(&Text::new(v.to_string(), at, text(22.0, ink).pos(centre)))?;
            }
        }
        Ok(())
    }

    fn draw_axes<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.confusion.labels.len() as i32;
        let centre = Pos::new(HPos::Center, VPos::Center);
        let tick = text(20.0, INK).pos(centre);
        for (k, label) in self.confusion.labels.iter().enumerate() {
            let mid = k as i32 * CELL + CELL / 2;
            let below = (ORIGIN.0 + mid, ORIGIN.1 + n * CELL + 18);
            root.draw(&Text::new(label.to_string(), below, tick.clone()))?;
            let left = (ORIGIN.0 - 22, ORIGIN.1 + mid);
            root.draw(&Text::new(label.to_string(), left, tick.clone()))?;
        }
        let axis = text(24.0, INK).pos(centre);
        let x_title = (ORIGIN.0 + n * CELL / 2, ORIGIN.1 + n * CELL + 55);
        root.draw(&Text::new("predicted label", x_title, axis.clone()))?;
        let y_title = (ORIGIN.0 - 75, ORIGIN.1 + n * CELL / 2);
        let rotated = axis.transform(FontTransform::Rotate270);
        root.draw(&Text::new("true label", y_title, rotated))?;
        let title = "confusion matrix (strict rule; -1: no digit selected)";
        draw_title(root, title, (WIDTH, 35), 26.0)
    }

    /// One vertical colour bar at `x`, from `low` (bottom) to the top of `scale`.
    fn draw_bar<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        x: i32,
        name: &str,
        (low, high): (&str, &str),
        scale: impl Fn(f64) -> RGBColor,
    ) -> DrawResult<DB> {
        let (w, h) = BAR;
        let top = ORIGIN.1;
        for s in 0..STRIPS {
            let t = 1.0 - f64::from(s) / f64::from(STRIPS - 1);
            let y0 = top + s * h / STRIPS;
            let y1 = top + (s + 1) * h / STRIPS;
            root.draw(&Rectangle::new([(x, y0), (x + w, y1)], scale(t).filled()))?;
        }
        root.draw(&Rectangle::new([(x, top), (x + w, top + h)], INK))?;
        let left = text(18.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(high, (x + w + 6, top + 8), left.clone()))?;
        root.draw(&Text::new(low, (x + w + 6, top + h - 8), left))?;
        let caption = text(18.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            name.to_string(),
            (x + w / 2, top + h + 8),
            caption,
        ))?;
        Ok(())
    }
}

impl Picture for ConfusionHeatmap<'_> {
    fn name(&self) -> &'static str {
        "confusion"
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        self.draw_cells(root)?;
        self.draw_axes(root)?;
        let diag = self.diagonal_max().to_string();
        // The correct scale runs from white (0) to the largest count; the error scale
        // from the palest red to the rate at which it saturates.
        Self::draw_bar(root, BARS_X, "correct", ("0", &diag), colors::correct)?;
        let full = format!("{:.0}%+", 100.0 * colors::ERROR_RATE_FULL);
        let scale = |t: f64| colors::error_rate(t * t * colors::ERROR_RATE_FULL);
        Self::draw_bar(root, BARS_X + 80, "% of row", ("0%", &full), scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::colors::luminance;
    use crate::plot::render_rgb;
    use crate::plot::testing::{assert_not_blank, is_dark};

    /// Diagonal 40..49, a few errors of 1..3, some "no digit" answers.
    fn known() -> Confusion {
        let mut matrix = vec![vec![0u32; 11]; 11];
        for (k, row) in matrix.iter_mut().enumerate().skip(1) {
            row[k] = 39 + k as u32;
        }
        matrix[4][9] = 3; // true 3 read as 8
        matrix[8][4] = 1; // true 7 read as 3
        matrix[2][0] = 2; // true 1: no digit selected
        Confusion {
            labels: (-1..=9).collect(),
            matrix,
        }
    }

    /// A cell's colour, sampled in its corner, away from the count written in its middle.
    fn cell_color(rgb: &crate::plot::Rgb, i: usize, j: usize) -> RGBColor {
        let [(x, y), _] = ConfusionHeatmap::cell_rect(i, j);
        let [r, g, b] = rgb.pixel(x as u32 + 5, y as u32 + 5);
        RGBColor(r, g, b)
    }

    #[test]
    fn the_diagonal_is_darkest_and_blue_while_errors_are_red() {
        let c = known();
        let heatmap = ConfusionHeatmap::new(&c);
        let rgb = render_rgb(&heatmap).unwrap();
        assert_eq!((rgb.width, rgb.height), (WIDTH, HEIGHT));
        assert_not_blank(&rgb);
        let lightest_diagonal = (1..11)
            .map(|k| luminance(cell_color(&rgb, k, k)))
            .fold(0.0, f64::max);
        for i in 0..11 {
            for j in (0..11).filter(|&j| j != i) {
                let off = cell_color(&rgb, i, j);
                assert!(
                    luminance(off) > lightest_diagonal,
                    "cell ({i},{j}) is as dark as the diagonal"
                );
                if c.matrix[i][j] > 0 {
                    assert!(
                        off.0 > off.2 + 50,
                        "error cell ({i},{j}) is not red: {off:?}"
                    );
                } else {
                    assert_eq!(off, PAPER, "empty cell ({i},{j})");
                }
            }
            if i > 0 {
                let d = cell_color(&rgb, i, i);
                assert!(d.2 > d.0 + 50, "diagonal cell {i} is not blue: {d:?}");
            }
        }
    }

    #[test]
    fn counts_and_axis_titles_are_written() {
        let c = known();
        let rgb = render_rgb(&ConfusionHeatmap::new(&c)).unwrap();
        // The middle of a diagonal cell carries its count in white on dark blue.
        let [(x, y), _] = ConfusionHeatmap::cell_rect(10, 10);
        let light = (x + 15..x + 45)
            .flat_map(|px| (y + 20..y + 40).map(move |py| (px, py)))
            .filter(|&(px, py)| !is_dark(rgb.pixel(px as u32, py as u32)))
            .count();
        assert!(light > 15, "no count written in cell (9,9)");
        // "predicted label" under the matrix, "true label" left of it.
        let dark_in = |x0: i32, x1: i32, y0: i32, y1: i32| {
            (x0..x1)
                .flat_map(|px| (y0..y1).map(move |py| (px, py)))
                .filter(|&(px, py)| is_dark(rgb.pixel(px as u32, py as u32)))
                .count()
        };
        let bottom = ORIGIN.1 + 11 * CELL;
        assert!(dark_in(ORIGIN.0 + 200, ORIGIN.0 + 460, bottom + 40, bottom + 70) > 100);
        assert!(dark_in(ORIGIN.0 - 90, ORIGIN.0 - 60, ORIGIN.1 + 250, ORIGIN.1 + 410) > 100);
    }

    #[test]
    fn one_error_among_many_is_faint_and_a_tenth_of_a_class_is_strong() {
        // An MNIST-like matrix: about 980 images a class, mostly right.
        let mut matrix = vec![vec![0u32; 10]; 10];
        for (k, row) in matrix.iter_mut().enumerate() {
            row[k] = 970;
            row[(k + 1) % 10] = 1;
        }
        matrix[7][2] = 98; // a tenth of the sevens read as 2
        matrix[3][5] = 10;
        let c = Confusion {
            labels: (0..10).collect(),
            matrix,
        };
        let rgb = render_rgb(&ConfusionHeatmap::new(&c)).unwrap();
        let one = cell_color(&rgb, 0, 1);
        let ten = cell_color(&rgb, 3, 5);
        let many = cell_color(&rgb, 7, 2);
        assert_ne!(one, PAPER, "a single error must still show");
        assert!(
            luminance(one) > 0.85,
            "one error in 971 is not faint: {one:?}"
        );
        assert!(luminance(many) < 0.6, "98 of 1068 is not strong: {many:?}");
        assert!(luminance(one) > luminance(ten) + 0.05 && luminance(ten) > luminance(many) + 0.05);
        assert!(
            one.0 > one.2 && many.0 > many.2 + 100,
            "errors are red: {one:?} {many:?}"
        );
    }
}
