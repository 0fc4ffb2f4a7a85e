//! A photo of a number with what was read in it: each digit's box, the digit and its
//! probability above the box, and the whole reading in a band above the photo.
//!
//! The photo is drawn greyscale, scaled to at most [`MAX_WIDTH`] pixels wide (a
//! 12-megapixel photo becomes a picture a screen shows whole). Sure digits are
//! framed green, doubtful ones (below the minimum confidence, or cut from touching
//! digits) orange.

use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors::{INK, PAPER};
use super::{DrawResult, Picture, text};
use crate::number::{DigitReading, NumberReading};
use crate::preprocess::{self, Gray};

/// The widest the photo is drawn.
pub const MAX_WIDTH: usize = 1000;
/// The narrowest: a small photo is enlarged so the labels fit.
pub const MIN_WIDTH: usize = 480;
/// The band above the photo that holds the reading.
const BAND: i32 = 64;
/// Room above the photo for the labels of digits at its top edge.
const LABEL_ROOM: i32 = 30;

/// A sure digit's frame.
pub const SURE: RGBColor = RGBColor(22, 150, 60);
/// A doubtful digit's frame.
pub const DOUBTFUL: RGBColor = RGBColor(235, 120, 0);

/// The photo (scaled) and the reading, ready to draw.
pub struct NumberPicture {
    /// The photo scaled to the drawn size, as RGB bytes.
    photo: Vec<u8>,
    width: usize,
    height: usize,
    /// Drawn pixels per pixel of the photo's file.
    scale: f32,
    reading: NumberReading,
    min_confidence: f32,
}

impl NumberPicture {
    /// `photo` with `reading`; digits below `min_confidence` are framed as doubtful.
    /// The boxes are in the pixels of the picture `photo` stands for
    /// ([`Gray::source_size`]), and so is the drawn size.
    pub fn new(photo: &Gray, reading: &NumberReading, min_confidence: f32) -> Self {
        let (source_width, source_height) = photo.source_size();
        let width = source_width.clamp(MIN_WIDTH, MAX_WIDTH);
        let scale = width as f32 / source_width.max(1) as f32;
        let height = ((source_height as f32 * scale).round() as usize).max(1);
        let small =
            preprocess::resize(photo.pixels(), photo.width(), photo.height(), width, height);
        let photo = small
            .iter()
            .flat_map(|&v| [(v.clamp(0.0, 1.0) * 255.0).round() as u8; 3])
            .collect();
        NumberPicture {
            photo,
            width,
            height,
            scale,
            reading: reading.clone(),
            min_confidence,
        }
    }

    /// The line in the band: the number and whether it is sure, or why there is none.
    pub fn headline(&self) -> String {
        let r = &self.reading;
        match (&r.number, r.uncertain) {
            (Some(n), false) => format!("read: {n}"),
            (Some(n), true) => format!("read: {n} (not sure)"),
            (None, _) => format!("no number: {}", r.reason.as_deref().unwrap_or("no digit")),
        }
    }

    /// Whether digit `d` is drawn as doubtful.
    fn doubtful(&self, d: &DigitReading) -> bool {
        d.note.is_some() || d.confidence < self.min_confidence
    }

    /// A digit's box in the drawn picture's pixels: top-left and bottom-right corners.
    pub fn frame(&self, d: &DigitReading) -> [(i32, i32); 2] {
        let [x, y, w, h] = d.rect.map(|v| (v as f32 * self.scale).round() as i32);
        let top = BAND + LABEL_ROOM;
        [(x, top + y), (x + w.max(1), top + y + h.max(1))]
    }
}

impl Picture for NumberPicture {
    fn name(&self) -> &'static str {
        "number"
    }

    fn size(&self) -> (u32, u32) {
        (
            self.width as u32,
            (BAND + LABEL_ROOM) as u32 + self.height as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&PAPER)?;
        let size = (self.width as u32, self.height as u32);
        if let Some(photo) =
            BitMapElement::with_owned_buffer((0, BAND + LABEL_ROOM), size, self.photo.clone())
        {
            root.draw(&photo)?;
        }
        let head = text(30.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(self.headline(), (12, BAND / 2), head))?;
        for d in &self.reading.digits {
            self.draw_digit(root, d)?;
        }
        Ok(())
    }
}

impl NumberPicture {
    /// One digit: a frame three pixels thick and `digit p%` above it.
    fn draw_digit<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        d: &DigitReading,
    ) -> DrawResult<DB> {
        let color = if self.doubtful(d) { DOUBTFUL } else { SURE };
        let [(x0, y0), (x1, y1)] = self.frame(d);
        for k in 0..3 {
            root.draw(&Rectangle::new([(x0 - k, y0 - k), (x1 + k, y1 + k)], color))?;
        }
        let label = format!("{} {:.0}%", d.digit, 100.0 * d.confidence);
        let style = text(22.0, color).pos(Pos::new(HPos::Left, VPos::Bottom));
        root.draw(&Text::new(label, (x0 - 2, y0 - 5), style))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Rect;
    use crate::plot::render_rgb;

    fn reading(confidences: &[f32]) -> NumberReading {
        let digits = confidences
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let mut probabilities = vec![(1.0 - p) / 9.0; 10];
                probabilities[i] = p;
                DigitReading::new(Rect::new(100 + 150 * i, 100, 100, 160), probabilities, None)
            })
            .collect();
        NumberReading::from_digits(digits, 0.6)
    }

    fn grey_photo(width: usize, height: usize) -> Gray {
        Gray::new(width, height, vec![0.5; width * height])
    }

    #[test]
    fn boxes_are_drawn_where_the_digits_are_in_the_colour_of_their_certainty() {
        let r = reading(&[0.99, 0.3]);
        let picture = NumberPicture::new(&grey_photo(2000, 800), &r, 0.6);
        assert_eq!(picture.size(), (1000, (BAND + LABEL_ROOM) as u32 + 400));
        let rgb = render_rgb(&picture).unwrap();
        // Digit 0 at x 100..200 of the photo: 50..100 drawn, under the band.
        let [(x0, y0), (x1, _)] = picture.frame(&r.digits[0]);
        assert_eq!((x0, x1, y0), (50, 100, BAND + LABEL_ROOM + 50));
        let at = |x: i32, y: i32| rgb.pixel(x as u32, y as u32);
        let sure = [SURE.0, SURE.1, SURE.2];
        let doubtful = [DOUBTFUL.0, DOUBTFUL.1, DOUBTFUL.2];
        assert_eq!(at(x0, y0 + 20), sure);
        let [(x0, y0), _] = picture.frame(&r.digits[1]);
        assert_eq!(at(x0, y0 + 20), doubtful);
        // Inside a box, the photo's grey.
        assert_eq!(at(x0 + 20, y0 + 20), [128, 128, 128]);
        assert!(picture.headline().contains("read: 01 (not sure)"));
    }

    #[test]
    fn a_photo_read_shrunk_is_drawn_as_at_its_full_size() {
        // Dark where digit 0's box is (x 100..200, y 100..260), light elsewhere.
        let dark_box = |x: usize, y: usize| (100..200).contains(&x) && (100..260).contains(&y);
        let pixels = (0..4000 * 1600)
            .map(|i| {
                if dark_box(i % 4000, i / 4000) {
                    0.0
                } else {
                    1.0
                }
            })
            .collect();
        let full = Gray::new(4000, 1600, pixels);
        let shrunk = preprocess::ink::shrink(&full, 4);
        let r = reading(&[0.99]);
        let (big, small) = (
            NumberPicture::new(&full, &r, 0.6),
            NumberPicture::new(&shrunk, &r, 0.6),
        );
        assert_eq!(small.size(), big.size());
        assert_eq!(small.frame(&r.digits[0]), big.frame(&r.digits[0]));
        // The dark box is drawn inside the frame: x 25..50, y 25..65 drawn.
        let rgb = render_rgb(&small).unwrap();
        let top = (BAND + LABEL_ROOM) as u32;
        assert!(rgb.pixel(37, top + 45)[0] < 30);
        assert!(rgb.pixel(70, top + 45)[0] > 220);
    }

    #[test]
    fn no_number_shows_the_reason() {
        let r = NumberReading::none("the picture is blank");
        let picture = NumberPicture::new(&grey_photo(300, 200), &r, 0.6);
        assert_eq!(picture.size().0 as usize, MIN_WIDTH);
        assert_eq!(picture.headline(), "no number: the picture is blank");
        let rgb = render_rgb(&picture).unwrap();
        // The headline's text darkens part of the band.
        let band_ink = (0..BAND as u32)
            .flat_map(|y| (0..300).map(move |x| (x, y)))
            .filter(|&(x, y)| rgb.pixel(x, y)[0] < 128)
            .count();
        assert!(band_ink > 100, "{band_ink}");
    }
}
