//! Training curves: loss per epoch (training and validation) and validation
//! accuracy, with the epoch whose weights were kept marked by a vertical line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::colors::{INK, KEPT_MARK, PAPER, TRAIN_LINE, VAL_LINE};
use super::{DrawResult, Picture, text};
use crate::experiment::RunSummary;
use crate::train::{EpochStats, Recipe};

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 500;

/// Per-epoch history of one training run.
pub struct Curves<'a> {
    history: &'a [EpochStats],
    /// 0-based, as in [`RunSummary::kept_epoch`]; drawn 1-based like the report.
    kept_epoch: usize,
    loss_name: &'static str,
}

impl<'a> Curves<'a> {
    /// `loss_name` labels the loss axis ("cross-entropy", "squared error"...).
    pub fn new(history: &'a [EpochStats], kept_epoch: usize, loss_name: &'static str) -> Self {
        Curves {
            history,
            kept_epoch,
            loss_name,
        }
    }

    /// The curves of a finished run, named as its recipe measures loss.
    pub fn of_run(summary: &'a RunSummary) -> Self {
        let loss_name = match summary.recipe {
            Recipe::Blog => "error (the post's, per epoch)",
            Recipe::Standard => "cross-entropy",
        };
        Self::new(&summary.history, summary.kept_epoch, loss_name)
    }

    fn has_validation(&self) -> bool {
        self.history.iter().any(|h| h.val_accuracy.is_some())
    }

    /// The last epoch, 1-based as the report counts them (the axis runs 1..last).
    fn last_epoch(&self) -> f64 {
        self.history.last().map_or(2, |h| (h.epoch + 1).max(2)) as f64
    }

    fn loss_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let train: Vec<(f64, f64)> = points(self.history, |h| Some(h.train_loss));
        let val: Vec<(f64, f64)> = points(self.history, |h| h.val_loss);
        let top = train.iter().chain(&val).map(|p| p.1).fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.05 } else { 1.0 };
        let mut chart = chart(area, "loss per epoch", self.last_epoch(), 0.0..top)?;
        mesh(&mut chart, self.loss_name)?;
        let series = [
            ("training", train, TRAIN_LINE),
            ("validation", val, VAL_LINE),
        ];
        for (name, line, color) in series.into_iter().filter(|s| !s.1.is_empty()) {
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        self.kept_mark(&mut chart, 0.0, top)?;
        legend(&mut chart)
    }

    fn accuracy_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let acc = points(self.history, |h| h.val_accuracy.map(|a| 100.0 * a));
        let low = acc.iter().map(|p| p.1).fold(100.0, f64::min);
        let low = (low - 2.0).clamp(0.0, 99.0).floor();
        let mut chart = chart(area, "validation accuracy", self.last_epoch(), low..100.0)?;
        mesh(&mut chart, "accuracy (%)")?;
        chart
            .draw_series(LineSeries::new(acc, VAL_LINE.stroke_width(2)))?
            .label("validation")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], VAL_LINE.stroke_width(2)));
        self.kept_mark(&mut chart, low, 100.0)?;
        legend(&mut chart)
    }

    /// The vertical line at the kept epoch (1-based, as the report names it).
    fn kept_mark<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart<'c, DB>,
        low: f64,
        high: f64,
    ) -> DrawResult<DB> {
        let x = (self.kept_epoch + 1) as f64;
        chart
            .draw_series(LineSeries::new(
                [(x, low), (x, high)],
                KEPT_MARK.stroke_width(2),
            ))?
            .label(format!("kept epoch {}", self.kept_epoch + 1))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], KEPT_MARK.stroke_width(2)));
        Ok(())
    }
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// `(1-based epoch, value)` for every epoch where `value` is finite.
fn points(history: &[EpochStats], value: impl Fn(&EpochStats) -> Option<f64>) -> Vec<(f64, f64)> {
    history
        .iter()
        .filter_map(|h| {
            value(h)
                .filter(|v| v.is_finite())
                .map(|v| ((h.epoch + 1) as f64, v))
        })
        .collect()
}

fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    last_epoch: f64,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .caption(caption, text(24.0, INK))
        .margin(15)
        .x_label_area_size(55)
        .y_label_area_size(75)
        .build_cartesian_2d(1.0..last_epoch, y)
}

fn mesh<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>, y_name: &str) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_name)
        .label_style(text(16.0, INK))
        .axis_desc_style(text(19.0, INK))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
}

fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(text(16.0, INK))
        .background_style(PAPER.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
}

impl Picture for Curves<'_> {
    fn name(&self) -> &'static str {
        "curves"
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        if self.has_validation() {
            let (left, right) = root.split_horizontally(WIDTH / 2);
            self.loss_panel(&left)?;
            self.accuracy_panel(&right)
        } else {
            self.loss_panel(root)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::testing::assert_not_blank;
    use crate::plot::{Rgb, render_rgb};

    /// 20 epochs: training loss falls, validation loss is lowest at epoch 15.
    fn history(validation: bool) -> Vec<EpochStats> {
        (0..20)
            .map(|e| {
                let x = e as f64;
                EpochStats {
                    epoch: e,
                    train_loss: 2.0 / (x + 1.0),
                    val_loss: validation.then(|| 0.3 + 0.004 * (x - 15.0).powi(2)),
                    val_accuracy: validation.then_some(0.8 + 0.01 * x),
                    lr: 1e-3,
                    seconds: x,
                }
            })
            .collect()
    }

    /// Columns in `xs` holding pixels of `color`, with how many each holds.
    fn columns(rgb: &Rgb, xs: std::ops::Range<u32>, color: RGBColor) -> Vec<(u32, usize)> {
        xs.map(|x| {
            let n = (0..rgb.height)
                .filter(|&y| rgb.pixel(x, y) == [color.0, color.1, color.2])
                .count();
            (x, n)
        })
        .filter(|c| c.1 > 0)
        .collect()
    }

    #[test]
    fn the_kept_epoch_is_marked_where_it_belongs_and_loss_falls() {
        let h = history(true);
        let picture = Curves::new(&h, 15, "cross-entropy");
        let rgb = render_rgb(&picture).unwrap();
        assert_eq!((rgb.width, rgb.height), (WIDTH, HEIGHT));
        assert_not_blank(&rgb);
        let left = 0..WIDTH / 2;
        let train = columns(&rgb, left.clone(), TRAIN_LINE);
        let (x0, x1) = (train[0].0 as f64, train.last().unwrap().0 as f64);
        let mark = columns(&rgb, left, KEPT_MARK)
            .into_iter()
            .max_by_key(|c| c.1)
            .unwrap();
        let at = (mark.0 as f64 - x0) / (x1 - x0);
        assert!(
            (at - 15.0 / 19.0).abs() < 0.03,
            "kept mark at {at:.3} of the axis"
        );
        // A falling loss is drawn high on the left and low on the right (y grows downwards).
        let mean_y = |x: u32| {
            let ys: Vec<u32> = (0..rgb.height)
                .filter(|&y| rgb.pixel(x, y) == [31, 119, 180])
                .collect();
            ys.iter().sum::<u32>() as f64 / ys.len().max(1) as f64
        };
        assert!(mean_y(x0 as u32 + 1) < mean_y(x1 as u32 - 1) - 100.0);
        // The right half holds the validation accuracy.
        assert!(!columns(&rgb, WIDTH / 2..WIDTH, VAL_LINE).is_empty());
    }

    #[test]
    fn without_validation_one_panel_fills_the_picture() {
        let h = history(false);
        let rgb = render_rgb(&Curves::new(&h, 19, "error")).unwrap();
        assert_not_blank(&rgb);
        let train = columns(&rgb, 0..WIDTH, TRAIN_LINE);
        assert!(
            train.last().unwrap().0 > 3 * WIDTH / 4,
            "the loss should span the width"
        );
        assert!(columns(&rgb, 0..WIDTH, VAL_LINE).is_empty());
    }
}
