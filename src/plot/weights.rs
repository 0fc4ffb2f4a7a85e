//! What the hidden units learned: each unit's incoming weights drawn as an image of
//! the input's shape, red for positive, blue for negative, white for zero.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors::{self, INK, PAPER};
use super::raster::{Grid, draw_image};
use super::{DrawResult, Picture, draw_title, text};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::nn::{Dense, Mlp};

const WIDTH: u32 = 1000;
const MARGIN: i32 = 20;
const TITLE: i32 = 60;
const LEGEND: i32 = 60;
const COLS: usize = 10;
const GAP: i32 = 6;
/// The most units drawn.
pub const MAX_UNITS: usize = 100;

/// The first `MAX_UNITS` units of a layer whose inputs form a `height x width` image.
pub struct WeightGrid<'a> {
    layer: &'a Dense,
    shape: (usize, usize),
}

impl<'a> WeightGrid<'a> {
    /// `layer`'s units, each drawn as a `height x width` image; the layer must have
    /// exactly `height * width` inputs.
    pub fn new(layer: &'a Dense, (height, width): (usize, usize)) -> Result<Self> {
        if layer.inputs != height * width {
            return Err(Error::config(format!(
                "a layer with {} inputs cannot be drawn as {height}x{width} images",
                layer.inputs
            )));
        }
        Ok(WeightGrid {
            layer,
            shape: (height, width),
        })
    }

    /// The first hidden layer of `net`, drawn in the shape of `data`'s images.
    pub fn first_layer(net: &'a Mlp, data: &Dataset) -> Result<Self> {
        let layer = net
            .layers
            .first()
            .ok_or_else(|| Error::config("the network has no layers"))?;
        Self::new(layer, (data.height, data.width))
    }

    fn units(&self) -> usize {
        self.layer.outputs.min(MAX_UNITS)
    }

    /// Unit `j`'s incoming weights (column `j` of the row-major `inputs x outputs` matrix),
    /// divided by their largest magnitude so every unit uses the whole scale.
    pub fn unit_weights(&self, j: usize) -> Vec<f32> {
        let n = self.layer.outputs;
        let column: Vec<f32> = (0..self.layer.inputs)
            .map(|i| self.layer.weight[i * n + j])
            .collect();
        let scale = column.iter().fold(0f32, |m, w| m.max(w.abs()));
        if scale > 0.0 && scale.is_finite() {
            column.iter().map(|w| w / scale).collect()
        } else {
            vec![0.0; column.len()]
        }
    }

    fn grid() -> Grid {
        Grid::fitting(WIDTH, MARGIN, TITLE, (COLS, GAP, 0))
    }

    fn draw_legend<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, top: i32) -> DrawResult<DB> {
        let (x0, width, height) = (WIDTH as i32 / 2 - 150, 300, 16);
        for s in 0..width {
            let v = 2.0 * f64::from(s) / f64::from(width - 1) - 1.0;
            let strip = [(x0 + s, top), (x0 + s + 1, top + height)];
            root.draw(&Rectangle::new(strip, colors::diverging(v).filled()))?;
        }
        let below = |h| text(17.0, INK).pos(Pos::new(h, VPos::Top));
        let y = top + height + 4;
        root.draw(&Text::new("negative", (x0, y), below(HPos::Left)))?;
        root.draw(&Text::new("0", (x0 + width / 2, y), below(HPos::Center)))?;
        root.draw(&Text::new("positive", (x0 + width, y), below(HPos::Right)))
    }
}

impl Picture for WeightGrid<'_> {
    fn name(&self) -> &'static str {
        "weights"
    }

    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            (TITLE + Self::grid().height(self.units()) + LEGEND + MARGIN) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        let (h, w) = self.shape;
        let title = format!(
            "incoming weights of the first {} of {} hidden units, each scaled to its largest \
                |weight|",
            self.units(),
            self.layer.outputs
        );
        draw_title(root, &title, (WIDTH, TITLE / 2), 21.0)?;
        let grid = Self::grid();
        let color = |v: f32| colors::diverging(f64::from(v));
        for j in 0..self.units() {
            let at = grid.cell_origin(j);
            draw_image(
                root,
                at,
                grid.cell,
                &self.unit_weights(j),
                (h, w),
                color,
                None,
            )?;
        }
        Self::draw_legend(root, TITLE + grid.height(self.units()) + 15)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Activation;
    use crate::plot::raster::pixel_centre;
    use crate::plot::render_rgb;
    use crate::plot::testing::assert_not_blank;

    /// 64 inputs, 3 units: unit 0 is +1 on the left half and -1 on the right,
    /// unit 1 the opposite, unit 2 all zero.
    fn halves() -> Dense {
        let outputs = 3;
        let mut weight = vec![0.0; 64 * outputs];
        for i in 0..64 {
            let left = i % 8 < 4;
            weight[i * outputs] = if left { 1.0 } else { -1.0 };
            weight[i * outputs + 1] = if left { -0.5 } else { 0.5 };
        }
        Dense {
            inputs: 64,
            outputs,
            weight,
            bias: vec![],
            activation: Activation::Tanh,
        }
    }

    #[test]
    fn positive_weights_are_red_and_negative_blue_in_their_places() {
        let layer = halves();
        let picture = WeightGrid::new(&layer, (8, 8)).unwrap();
        let rgb = render_rgb(&picture).unwrap();
        assert_eq!((rgb.width, rgb.height), picture.size());
        assert_not_blank(&rgb);
        let g = WeightGrid::grid();
        let red = |p: [u8; 3]| p[0] > p[2] + 80;
        let blue = |p: [u8; 3]| p[2] > p[0] + 80;
        for r in 0..8 {
            for c in 0..8 {
                let unit0 = rgb.pixel_at(pixel_centre(g.cell_origin(0), g.cell, (8, 8), r, c));
                let unit1 = rgb.pixel_at(pixel_centre(g.cell_origin(1), g.cell, (8, 8), r, c));
                let unit2 = rgb.pixel_at(pixel_centre(g.cell_origin(2), g.cell, (8, 8), r, c));
                if c < 4 {
                    assert!(red(unit0) && blue(unit1), "left pixel ({r},{c})");
                } else {
                    assert!(blue(unit0) && red(unit1), "right pixel ({r},{c})");
                }
                assert_eq!(unit2, [255, 255, 255], "a zero unit is white");
            }
        }
    }

    #[test]
    fn a_layer_of_the_wrong_size_is_refused() {
        let layer = halves();
        let err = WeightGrid::new(&layer, (28, 28)).err().unwrap().to_string();
        assert!(err.contains("64 inputs") && err.contains("28x28"), "{err}");
    }
}
