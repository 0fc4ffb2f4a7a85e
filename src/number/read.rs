//! The number reader itself: the picture's ink and marks from [`crate::preprocess`],
//! grouped by [`super::group`], too-wide groups cut by [`super::split`], each digit
//! prepared alone and read by the model.

use super::group::{self, Group, Layout, Mark};
use super::split;
use super::{CUT_NOTE, DigitReading, NumberReading, Rect, TooManyMarks, WIDE_NOTE};
use crate::model::Model;
use crate::preprocess::components::{self, Components, PixelBox};
use crate::preprocess::ink::{self, InkMap};
use crate::preprocess::{self, Gray, NoDigit, Prepared, Target};

/// A piece cut from a too-wide group is a digit only when it is at least this
/// fraction of the row height tall.
pub const MIN_PIECE_FRACTION: f32 = 0.6;

impl Model {
    /// Reads the row of 1 to [`super::MAX_DIGITS`] digits in `image`, left to right.
    ///
    /// A picture with no digit (blank, only lines or dust, several lines of marks) is
    /// an answer without a number and with the reason; more digit-like marks than a
    /// number holds is refused. Digits below `min_confidence`, or cut from touching
    /// digits, make the answer uncertain.
    pub fn read_number(
        &self,
        image: &Gray,
        min_confidence: f32,
    ) -> Result<NumberReading, TooManyMarks> {
        let page = match Page::of(image) {
            Ok(page) => page,
            Err(no) => return Ok(NumberReading::none(no.reason)),
        };
        let digits = match group::group(&page.marks(), page.ink.width.min(page.ink.height)) {
            Layout::Row { groups, height } => page.digits(&groups, height, self.target()),
            Layout::NoNumber(reason) => return Ok(NumberReading::none(reason)),
            Layout::TooMany(count) => return Err(TooManyMarks { count }),
        };
        if digits.len() > super::MAX_DIGITS {
            return Err(TooManyMarks {
                count: digits.len(),
            });
        }
        let read = digits
            .into_iter()
            .map(|(prepared, note)| self.read_digit(prepared, note))
            .collect();
        Ok(NumberReading::from_digits(read, min_confidence))
    }

    /// One prepared digit through the network.
    fn read_digit(&self, prepared: Prepared, note: Option<&str>) -> DigitReading {
        let (x, y, w, h) = prepared.ink_box;
        let probabilities = self.probabilities_of(&prepared);
        let mut digit = DigitReading::new(Rect::new(x, y, w, h), probabilities, Some(prepared));
        digit.note = note.map(str::to_string);
        digit
    }
}

/// A picture's cleaned ink and its marks.
struct Page {
    ink: InkMap,
    marks: Components,
}

impl Page {
    /// The ink and marks of `image`, or why it holds no digit.
    fn of(image: &Gray) -> Result<Page, NoDigit> {
        if image
            .pixels()
            .first()
            .is_some_and(|&p0| image.pixels().iter().all(|&v| v == p0))
        {
            return Err(NoDigit {
                reason: "the picture is blank (every pixel has the same shade)".into(),
            });
        }
        let ink = ink::ink_map(image)?;
        let marks = components::find_components(&ink);
        Ok(Page { ink, marks })
    }

    /// Every mark's box (in the ink map's pixels) and size, for [`group::group`].
    fn marks(&self) -> Vec<Mark> {
        self.marks
            .list
            .iter()
            .map(|c| {
                let (x, y, w, h) = c.bbox;
                Mark {
                    rect: Rect::new(x, y, w, h),
                    pixels: c.pixels,
                }
            })
            .collect()
    }

    /// Each group prepared as a digit for `target`, left to right. A group too wide
    /// for one digit gives one digit per piece when every piece is as tall as a digit
    /// of the row (`height`), each with [`CUT_NOTE`]; otherwise (a 2's long foot, a
    /// 5's long flag) it stays whole, with [`WIDE_NOTE`].
    fn digits(
        &self,
        groups: &[Group],
        height: usize,
        target: Target,
    ) -> Vec<(Prepared, Option<&'static str>)> {
        let mut out = Vec::new();
        for g in groups {
            let (cut, note) = match group::too_wide(&g.rect) {
                None => (None, None),
                Some(pieces) => match self.cut(g, pieces, height, target) {
                    Some(cut) => (Some(cut), Some(CUT_NOTE)),
                    None => (None, Some(WIDE_NOTE)),
                },
            };
            match cut {
                Some(cut) => out.extend(cut.into_iter().map(|p| (p, note))),
                None => out.extend(
                    components::prepare_components(&self.ink, &self.marks, &g.members, target)
                        .ok()
                        .map(|p| (p, note)),
                ),
            }
        }
        out
    }

    /// Group `g` cut into `pieces` digits where its ink is thinnest, or `None` when a
    /// piece would be shorter than [`MIN_PIECE_FRACTION`] of the row's `height` (a
    /// tail cut off a digit, not a digit).
    fn cut(
        &self,
        g: &Group,
        pieces: usize,
        height: usize,
        target: Target,
    ) -> Option<Vec<Prepared>> {
        let cuts = split::cut_columns(&self.column_profile(g), pieces);
        if cuts.is_empty() {
            return None;
        }
        let min_height = (MIN_PIECE_FRACTION * height as f32) as usize;
        split::pieces(g.rect.w, &cuts)
            .into_iter()
            .map(|(a, b)| {
                let (x0, x1) = (g.rect.x + a, g.rect.x + b);
                let bbox = self.box_in_columns(g, (x0, x1))?;
                (bbox.3 >= min_height).then(|| self.prepare_columns(g, (x0, x1), bbox, target))
            })
            .collect()
    }

    /// Whether ink-map pixel `i` belongs to one of `g`'s marks.
    fn in_group(&self, g: &Group, i: usize) -> bool {
        let label = self.marks.labels[i] as usize;
        label > 0 && g.members.binary_search(&(label - 1)).is_ok()
    }

    /// The ink of `g`'s marks summed down each column of its box.
    fn column_profile(&self, g: &Group) -> Vec<f32> {
        let w = self.ink.width;
        (g.rect.x..g.rect.right())
            .map(|x| {
                (g.rect.y..g.rect.bottom())
                    .map(|y| y * w + x)
                    .filter(|&i| self.in_group(g, i))
                    .map(|i| self.ink.strength[i])
                    .sum()
            })
            .collect()
    }

    /// The box of `g`'s ink in columns `[x0, x1)` (`None` when they hold none of it).
    fn box_in_columns(&self, g: &Group, (x0, x1): (usize, usize)) -> Option<PixelBox> {
        let w = self.ink.width;
        let mut bbox: Option<PixelBox> = None;
        for y in g.rect.y..g.rect.bottom() {
            for x in x0..x1 {
                if self.in_group(g, y * w + x) {
                    bbox = Some(bbox.map_or((x, y, 1, 1), |b| grow(b, x, y)));
                }
            }
        }
        bbox
    }

    /// `g`'s ink in columns `[x0, x1)` alone (whose box is `bbox`), prepared as one digit.
    fn prepare_columns(
        &self,
        g: &Group,
        (x0, x1): (usize, usize),
        bbox: PixelBox,
        target: Target,
    ) -> Prepared {
        let w = self.ink.width;
        let (mut values, _) = components::chosen_ink(&self.ink, &self.marks, &g.members);
        for (i, v) in values.iter_mut().enumerate() {
            if !(x0..x1).contains(&(i % w)) {
                *v = 0.0;
            }
        }
        let [x, y, bw, bh] = self.ink.to_picture(bbox);
        Prepared {
            target,
            pixels: preprocess::fit(&values, w, bbox, target),
            dark_ink: self.ink.dark_ink,
            ink_box: (x, y, bw, bh),
        }
    }
}

/// `b` grown to hold pixel `(x, y)`.
fn grow((bx, by, bw, bh): PixelBox, x: usize, y: usize) -> PixelBox {
    let (x0, y0) = (bx.min(x), by.min(y));
    let (x1, y1) = ((bx + bw).max(x + 1), (by + bh).max(y + 1));
    (x0, y0, x1 - x0, y1 - y0)
}
