//! Training curves: loss per epoch (training and validation) and validation
//! accuracy, with the epoch whose weights were kept marked by a vertical line.
//!
//! The epoch axis has whole-number ticks ([`epoch_ticks`]) and half an epoch of room at
//! each end, so a mark at the first or last epoch stands clear of the frame; each
//! legend goes to the corner its curves leave emptiest ([`legend_corner`]).

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::colors::{INK, KEPT_MARK, PAPER, TRAIN_LINE, VAL_LINE};
use super::{DrawResult, Picture, text};
use crate::experiment::RunSummary;
use crate::train::{EpochStats, RecipeKind};

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
            RecipeKind::Blog => "error (the post's, per epoch)",
            RecipeKind::Standard => "cross-entropy",
        };
        Self::new(&summary.history, summary.kept_epoch, loss_name)
    }

    fn has_validation(&self) -> bool {
        self.history.iter().any(|h| h.val_accuracy.is_some())
    }

    /// The last epoch, 1-based as the report counts them (the axis runs 1..last).
    fn last_epoch(&self) -> f64 {
        self.history.last().map_or(1, |h| h.epoch + 1) as f64
    }

    fn loss_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let train: Vec<(f64, f64)> = points(self.history, |h| Some(h.train_loss));
        let val: Vec<(f64, f64)> = points(self.history, |h| h.val_loss);
        let top = train.iter().chain(&val).map(|p| p.1).fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.05 } else { 1.0 };
        let mut chart = chart(area, "loss per epoch", self.last_epoch(), 0.0..top)?;
        mesh(&mut chart, self.loss_name)?;
        let corner = self.legend_corner(&[&train, &val], 0.0..top);
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
        legend(&mut chart, corner)
    }

    fn accuracy_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let acc = points(self.history, |h| h.val_accuracy.map(|a| 100.0 * a));
        let low = acc.iter().map(|p| p.1).fold(100.0, f64::min);
        let low = (low - 2.0).clamp(0.0, 99.0).floor();
        let mut chart = chart(area, "validation accuracy", self.last_epoch(), low..100.0)?;
        mesh(&mut chart, "accuracy (%)")?;
        let corner = self.legend_corner(&[&acc], low..100.0);
        chart
            .draw_series(LineSeries::new(acc, VAL_LINE.stroke_width(2)))?
            .label("validation")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], VAL_LINE.stroke_width(2)));
        self.kept_mark(&mut chart, low, 100.0)?;
        legend(&mut chart, corner)
    }

    /// Where this panel's legend covers the fewest points of its curves and kept mark.
    fn legend_corner(&self, curves: &[&[(f64, f64)]], y: std::ops::Range<f64>) -> Corner {
        let x = x_range(self.last_epoch());
        let kept = (self.kept_epoch + 1) as f64;
        let mark = [(kept, y.start), (kept, y.end)];
        let mut lines: Vec<&[(f64, f64)]> = curves.to_vec();
        lines.push(&mark);
        legend_corner(&lines, x, y)
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

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<EpochAxis, RangedCoordf64>>;

/// The epoch axis: a linear scale whose labelled points are [`epoch_ticks`].
pub struct EpochAxis {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl EpochAxis {
    fn new(last_epoch: f64) -> Self {
        EpochAxis {
            linear: x_range(last_epoch).into(),
            ticks: epoch_ticks(last_epoch as usize)
                .into_iter()
                .map(|t| t as f64)
                .collect(),
        }
    }
}

impl Ranged for EpochAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

/// The most tick labels on the epoch axis.
const MAX_TICKS: usize = 10;

/// The epoch axis's tick positions for a run of `last` epochs: whole epochs, every one
/// up to [`MAX_TICKS`], else 1 and the multiples of a round step (2, 5, 10, 20, 50...).
pub fn epoch_ticks(last: usize) -> Vec<usize> {
    let last = last.max(1);
    let step = [1, 2, 5]
        .into_iter()
        .cycle()
        .scan(1, |scale, m| {
            let step = m * *scale;
            if m == 5 {
                *scale *= 10;
            }
            Some(step)
        })
        .find(|&step| last / step <= MAX_TICKS)
        .unwrap_or(last);
    if step == 1 {
        return (1..=last).collect();
    }
    // 1 and the multiples of the step, without a multiple crowding 1.
    std::iter::once(1)
        .chain(
            (1..=last / step)
                .map(|k| k * step)
                .filter(|&t| t > 1 + step / 2),
        )
        .collect()
}

/// The epoch axis: half an epoch of room at each end, so that a mark on the first or
/// last epoch is not drawn on the frame.
fn x_range(last_epoch: f64) -> std::ops::Range<f64> {
    0.5..last_epoch + 0.5
}

/// The places a legend may go, in the order preferred when several are equally empty.
const CORNERS: [Corner; 6] = [
    Corner::UpperRight,
    Corner::UpperLeft,
    Corner::LowerRight,
    Corner::LowerLeft,
    Corner::UpperMiddle,
    Corner::LowerMiddle,
];

/// Where a legend goes: one of plotters' label positions.
pub type Corner = SeriesLabelPosition;

/// The share of the plot's width and height a legend of up to three entries covers.
const LEGEND_BOX: (f64, f64) = (0.42, 0.3);

/// The part of the unit square (x to the right, y upwards) that a legend at `corner`
/// covers.
fn legend_box(corner: &Corner) -> ([f64; 2], [f64; 2]) {
    let (w, h) = LEGEND_BOX;
    let x = match corner {
        Corner::UpperLeft | Corner::LowerLeft => [0.0, w],
        Corner::UpperRight | Corner::LowerRight => [1.0 - w, 1.0],
        _ => [0.5 - w / 2.0, 0.5 + w / 2.0],
    };
    let y = match corner {
        Corner::UpperLeft | Corner::UpperRight | Corner::UpperMiddle => [1.0 - h, 1.0],
        _ => [0.0, h],
    };
    (x, y)
}

/// The corner whose legend box covers the fewest points of `lines` (each a polyline in
/// data coordinates, sampled along its segments) in a plot of ranges `x` and `y`.
pub fn legend_corner(
    lines: &[&[(f64, f64)]],
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Corner {
    let unit = |(px, py): (f64, f64)| {
        (
            (px - x.start) / (x.end - x.start),
            (py - y.start) / (y.end - y.start),
        )
    };
    let mut samples = Vec::new();
    for line in lines {
        for pair in line.windows(2) {
            let (a, b) = (unit(pair[0]), unit(pair[1]));
            samples.extend((0..20).map(|k| {
                let t = f64::from(k) / 20.0;
                (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
            }));
        }
        samples.extend(line.last().map(|&p| unit(p)));
    }
    let covered = |corner: &Corner| {
        let ([x0, x1], [y0, y1]) = legend_box(corner);
        samples
            .iter()
            .filter(|(px, py)| (x0..=x1).contains(px) && (y0..=y1).contains(py))
            .count()
    };
    CORNERS
        .into_iter()
        .min_by_key(covered)
        .unwrap_or(Corner::UpperRight)
}

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
        .build_cartesian_2d(EpochAxis::new(last_epoch), y)
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

fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>, at: Corner) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(at)
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
    use crate::plot::{Rgb, render_rgb, render_svg};

    /// 20 epochs: training loss falls, validation loss is lowest at epoch 15.
    fn history(validation: bool) -> Vec<EpochStats> {
        history_of(20, validation)
    }

    fn history_of(epochs: usize, validation: bool) -> Vec<EpochStats> {
        (0..epochs)
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

    /// The texts of an SVG picture with their positions: `(x, y, text)`.
    fn svg_texts(svg: &str) -> Vec<(f64, f64, String)> {
        let attr = |tag: &str, name: &str| -> f64 {
            let at = tag.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
            tag[at..].split('"').next().unwrap().parse().unwrap()
        };
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let (tag, rest) = t.split_once('>').unwrap();
                let body = rest.split("</text>").next().unwrap();
                (attr(tag, "x"), attr(tag, "y"), body.trim().to_string())
            })
            .collect()
    }

    /// The tick labels under the left panel's epoch axis, left to right.
    fn epoch_labels(epochs: usize) -> Vec<String> {
        let h = history_of(epochs, true);
        let svg = render_svg(&Curves::new(&h, epochs - 1, "cross-entropy")).unwrap();
        let texts: Vec<_> = svg_texts(&svg)
            .into_iter()
            .filter(|t| t.0 < f64::from(WIDTH / 2))
            .collect();
        // The axis title "epoch" sits under the tick labels, in the same column band.
        let title_y = texts.iter().find(|t| t.2 == "epoch").expect("axis title").1;
        let row_y = texts
            .iter()
            .filter(|t| t.1 < title_y)
            .map(|t| t.1)
            .fold(0.0, f64::max);
        let mut row: Vec<_> = texts.into_iter().filter(|t| t.1 == row_y).collect();
        row.sort_by(|a, b| a.0.total_cmp(&b.0));
        row.into_iter().map(|t| t.2).collect()
    }

    #[test]
    fn short_runs_have_one_tick_per_whole_epoch() {
        assert_eq!(epoch_labels(3), ["1", "2", "3"]);
        assert_eq!(epoch_labels(5), ["1", "2", "3", "4", "5"]);
        assert_eq!(epoch_ticks(1), [1]);
        assert_eq!(epoch_ticks(10), (1..=10).collect::<Vec<_>>());
        assert_eq!(epoch_ticks(24), [1, 5, 10, 15, 20]);
        assert_eq!(
            epoch_ticks(200),
            [1, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
        );
        for last in 1..1000 {
            let ticks = epoch_ticks(last);
            assert!(
                ticks.len() <= MAX_TICKS + 1 && ticks.is_sorted(),
                "{last}: {ticks:?}"
            );
            assert!(
                ticks[0] == 1 && *ticks.last().unwrap() <= last,
                "{last}: {ticks:?}"
            );
        }
    }

    /// The column of the kept mark: the one holding most of its colour.
    fn mark_column(rgb: &Rgb, xs: std::ops::Range<u32>) -> (u32, usize) {
        columns(rgb, xs, KEPT_MARK)
            .into_iter()
            .max_by_key(|c| c.1)
            .unwrap()
    }

    /// The vertical axis and the right end of the horizontal one in the left panel.
    fn axis_ends(rgb: &Rgb) -> (u32, u32) {
        let dark = |x: u32, y: u32| crate::plot::testing::is_dark(rgb.pixel(x, y));
        let y_axis = (0..WIDTH / 2)
            .find(|&x| (0..HEIGHT).filter(|&y| dark(x, y)).count() > 200)
            .expect("a vertical axis");
        let x_axis_row = (0..HEIGHT)
            .max_by_key(|&y| (0..WIDTH / 2).filter(|&x| dark(x, y)).count())
            .unwrap();
        let right = (0..WIDTH / 2).rev().find(|&x| dark(x, x_axis_row)).unwrap();
        (y_axis, right)
    }

    #[test]
    fn a_kept_first_or_last_epoch_is_drawn_clear_of_the_frame() {
        let h = history_of(6, true);
        for kept in [0, 5] {
            let rgb = render_rgb(&Curves::new(&h, kept, "cross-entropy")).unwrap();
            let (left, right) = axis_ends(&rgb);
            let (x, n) = mark_column(&rgb, 0..WIDTH / 2);
            assert!(n > 200, "kept epoch {kept}: the mark is {n} pixels tall");
            assert!(
                x >= left + 10 && x + 10 <= right,
                "kept epoch {kept}: mark at x {x}, axis from {left} to {right}"
            );
        }
    }

    #[test]
    fn the_legend_goes_where_the_curves_leave_room() {
        let (x, y) = (0.5..20.5, 0.0..1.0);
        let falling: Vec<(f64, f64)> = (1..=20).map(|e| (e as f64, 1.0 / e as f64)).collect();
        let rising: Vec<(f64, f64)> = falling.iter().map(|&(e, v)| (e, 1.0 - v)).collect();
        let mark = [(20.0, 0.0), (20.0, 1.0)];
        let at =
            |lines: &[&[(f64, f64)]]| format!("{:?}", legend_corner(lines, x.clone(), y.clone()));
        assert_eq!(at(&[&falling]), "UpperRight");
        assert_eq!(at(&[&rising]), "LowerRight");
        // A kept mark on the right edge moves the legend off it, to the empty middle.
        assert_eq!(at(&[&falling, &mark]), "UpperMiddle");
    }

    /// The box a legend's border draws: the rows holding a long run of its grey.
    fn legend_box_pixels(rgb: &Rgb, xs: std::ops::Range<u32>) -> [(u32, u32); 2] {
        let border = [180, 180, 180];
        let mut bounds = [(u32::MAX, u32::MAX), (0, 0)];
        for y in 0..rgb.height {
            let (mut start, mut run) = (0, 0);
            for x in xs.clone() {
                if rgb.pixel(x, y) == border {
                    if run == 0 {
                        start = x;
                    }
                    run += 1;
                    if run >= 60 {
                        bounds[0] = (bounds[0].0.min(start), bounds[0].1.min(y));
                        bounds[1] = (bounds[1].0.max(x), bounds[1].1.max(y));
                    }
                } else {
                    run = 0;
                }
            }
        }
        bounds
    }

    #[test]
    fn no_legend_covers_its_curves() {
        // The blog recipe's shape: one falling error curve, the last epoch kept.
        let blog: Vec<EpochStats> = history_of(30, false);
        let with_validation = history(true);
        for (h, kept) in [(&blog, 29), (&with_validation, 15), (&with_validation, 0)] {
            let rgb = render_rgb(&Curves::new(h, kept, "error")).unwrap();
            let panels: Vec<std::ops::Range<u32>> = if h[0].val_loss.is_some() {
                vec![0..WIDTH / 2, WIDTH / 2..WIDTH]
            } else {
                std::iter::once(0..WIDTH).collect()
            };
            for xs in panels {
                let [(x0, y0), (x1, y1)] = legend_box_pixels(&rgb, xs);
                assert!(x1 > x0 + 50 && y1 > y0 + 20, "no legend found");
                // Inside the box only the legend's own 20-pixel samples may be line-coloured.
                for color in [TRAIN_LINE, VAL_LINE, KEPT_MARK] {
                    let inside = (x0..=x1)
                        .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
                        .filter(|&(x, y)| rgb.pixel(x, y) == [color.0, color.1, color.2])
                        .count();
                    assert!(
                        inside <= 70,
                        "kept {kept}: {inside} pixels of {color:?} under the legend"
                    );
                }
            }
        }
    }
}
