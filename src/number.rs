//! Reading a whole number: a row of 1 to [`MAX_DIGITS`] handwritten digits in one picture.
//!
//! The steps:
//!
//! 1. the picture's ink and its connected pieces ([`crate::preprocess`]);
//! 2. the pieces grouped into digits from their boxes ([`group`]): lines dropped,
//!    stacked pieces joined, small pieces given to their nearest digit, one row
//!    checked, at most [`MAX_DIGITS`];
//! 3. a group too wide for one digit (touching digits) cut where its ink is thinnest
//!    ([`split`]), each piece then marked uncertain;
//! 4. each digit prepared alone as the model's training images were, and read.
//!
//! The answer is a [`NumberReading`]: the number, each digit with its probability and
//! box, and `uncertain` when any digit is below the minimum confidence or was cut
//! from touching digits. A picture with no digit is an answer with a reason; more
//! than [`MAX_DIGITS`] digit-like marks is refused ([`TooManyMarks`]).

pub mod group;
mod read;
pub mod split;

use std::fmt;

use serde::Serialize;

use crate::preprocess::Prepared;

pub use group::MAX_DIGITS;

/// A box in a picture, in pixels: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

impl Rect {
    pub fn new(x: usize, y: usize, w: usize, h: usize) -> Self {
        Rect { x, y, w, h }
    }

    /// One past the rightmost column.
    pub fn right(&self) -> usize {
        self.x + self.w
    }

    /// One past the bottom row.
    pub fn bottom(&self) -> usize {
        self.y + self.h
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        let (r, b) = (
            self.right().max(other.right()),
            self.bottom().max(other.bottom()),
        );
        Rect::new(x, y, r - x, b - y)
    }

    /// How many columns both boxes cover.
    pub fn h_overlap(&self, other: &Rect) -> usize {
        self.right()
            .min(other.right())
            .saturating_sub(self.x.max(other.x))
    }

    /// Rows between the two boxes (0 when their rows overlap or touch).
    pub fn v_gap(&self, other: &Rect) -> usize {
        self.y
            .max(other.y)
            .saturating_sub(self.bottom().min(other.bottom()))
    }

    /// Columns between the two boxes (0 when their columns overlap or touch).
    pub fn h_gap(&self, other: &Rect) -> usize {
        self.x
            .max(other.x)
            .saturating_sub(self.right().min(other.right()))
    }

    /// The larger of the horizontal and vertical gaps: how far apart the boxes are.
    pub fn distance(&self, other: &Rect) -> usize {
        self.h_gap(other).max(self.v_gap(other))
    }

    /// `[x, y, w, h]`, as the JSON answer gives a box.
    pub fn to_array(&self) -> [usize; 4] {
        [self.x, self.y, self.w, self.h]
    }
}

/// One digit of a number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DigitReading {
    /// The most probable digit.
    pub digit: usize,
    /// Its probability.
    pub confidence: f32,
    /// Where it is in the picture: `[x, y, width, height]`.
    #[serde(rename = "box")]
    pub rect: [usize; 4],
    /// The probability of each digit 0..9.
    pub probabilities: Vec<f32>,
    /// Why this digit is doubtful whatever its probability (cut from touching digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the network read.
    #[serde(skip)]
    pub input: Option<Prepared>,
}

impl DigitReading {
    /// The answer for one digit from the network's probabilities.
    pub fn new(rect: Rect, probabilities: Vec<f32>, input: Option<Prepared>) -> Self {
        let digit = crate::nn::argmax(&probabilities);
        DigitReading {
            digit,
            confidence: probabilities.get(digit).copied().unwrap_or(0.0),
            rect: rect.to_array(),
            probabilities,
            note: None,
            input,
        }
    }
}

/// The note on a digit read from a piece of a group too wide for one digit.
pub const CUT_NOTE: &str = "cut from a mark too wide for one digit (touching digits?)";

/// The note on a digit wider than one digit that could not be cut into digits.
pub const WIDE_NOTE: &str =
    "wider than one digit, and no cut gives pieces as tall as digits (touching digits?)";

/// What a picture of a number reads as.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NumberReading {
    /// The digits left to right, or `None` when the picture holds no number.
    pub number: Option<String>,
    /// True when a digit is below the minimum confidence or was cut from touching
    /// digits, or when there is no number.
    pub uncertain: bool,
    /// Each digit, left to right.
    pub digits: Vec<DigitReading>,
    /// Why there is no number, or why it is uncertain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NumberReading {
    /// The number the digits make, uncertain when a digit's confidence is below
    /// `min_confidence` or a digit carries a note.
    pub fn from_digits(digits: Vec<DigitReading>, min_confidence: f32) -> Self {
        if digits.is_empty() {
            return Self::none("no digit found");
        }
        if digits
            .iter()
            .any(|d| !d.probabilities.iter().all(|p| p.is_finite()))
        {
            // Never a number from NaN.
            return Self::none(crate::model::predict::NOT_A_NUMBER);
        }
        let number: String = digits.iter().map(|d| d.digit.to_string()).collect();
        let doubts: Vec<String> = digits
            .iter()
            .enumerate()
            .filter_map(|(i, d)| doubt(i, d, min_confidence))
            .collect();
        NumberReading {
            number: Some(number),
            uncertain: !doubts.is_empty(),
            digits,
            reason: (!doubts.is_empty()).then(|| doubts.join("; ")),
        }
    }

    /// The answer as text for `file`: the number (or `no number`) on one line,
    /// then each digit with its probability and box; with `show`, each prepared
    /// input as a small text picture.
    pub fn to_text(&self, file: &str, show: bool) -> String {
        let mut out = match (&self.number, &self.reason) {
            (Some(n), None) => format!("{file}: {n}\n"),
            (Some(n), Some(why)) => format!("{file}: {n} (not sure: {why})\n"),
            (None, why) => format!("{file}: no number ({})\n", why.as_deref().unwrap_or("")),
        };
        for d in &self.digits {
            let [x, y, w, h] = d.rect;
            out.push_str(&format!(
                "  {}  {:5.1}%  box x {x}, y {y}, {w}x{h}\n",
                d.digit,
                100.0 * d.confidence
            ));
            if let (true, Some(input)) = (show, &d.input) {
                out.push_str(&input.to_text());
            }
        }
        out
    }

    /// No number, with the reason.
    pub fn none(reason: impl Into<String>) -> Self {
        NumberReading {
            number: None,
            uncertain: true,
            digits: Vec::new(),
            reason: Some(reason.into()),
        }
    }
}

/// Why digit `i` (0-based) is doubtful, if it is.
fn doubt(i: usize, d: &DigitReading, min_confidence: f32) -> Option<String> {
    let place = i + 1;
    if let Some(note) = &d.note {
        return Some(format!("digit {place} was {note}"));
    }
    (d.confidence < min_confidence).then(|| {
        format!(
            "digit {place} has probability {:.3}, below the minimum confidence {min_confidence}",
            d.confidence
        )
    })
}

/// More digit-like marks than a number of [`MAX_DIGITS`] digits holds: refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyMarks {
    pub count: usize,
}

impl fmt::Display for TooManyMarks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "found {} separate digit-like marks, but a number is read from one row of 1 to \
             {MAX_DIGITS} handwritten digits",
            self.count
        )
    }
}

impl std::error::Error for TooManyMarks {}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit(d: usize, p: f32) -> DigitReading {
        let mut probabilities = vec![(1.0 - p) / 9.0; 10];
        probabilities[d] = p;
        DigitReading::new(Rect::new(10 * d, 0, 8, 12), probabilities, None)
    }

    #[test]
    fn boxes_measure_overlaps_and_gaps() {
        let a = Rect::new(0, 0, 10, 20);
        let b = Rect::new(6, 25, 10, 5);
        assert_eq!(a.h_overlap(&b), 4);
        assert_eq!((a.v_gap(&b), a.h_gap(&b)), (5, 0));
        assert_eq!(a.union(&b), Rect::new(0, 0, 16, 30));
        let c = Rect::new(30, 5, 4, 4);
        assert_eq!((a.h_overlap(&c), a.h_gap(&c), a.distance(&c)), (0, 20, 20));
        assert_eq!(a.to_array(), [0, 0, 10, 20]);
    }

    #[test]
    fn the_number_is_its_digits_left_to_right() {
        let r = NumberReading::from_digits(vec![digit(2, 0.99), digit(0, 0.9), digit(7, 0.8)], 0.6);
        assert_eq!(r.number.as_deref(), Some("207"));
        assert!(!r.uncertain && r.reason.is_none());
        assert_eq!(r.digits[2].confidence, 0.8);
        assert_eq!(r.digits[1].rect, [0, 0, 8, 12]);
    }

    #[test]
    fn one_doubtful_digit_makes_the_number_uncertain() {
        let r = NumberReading::from_digits(vec![digit(2, 0.99), digit(5, 0.4)], 0.6);
        assert_eq!(r.number.as_deref(), Some("25"));
        assert!(r.uncertain);
        let reason = r.reason.unwrap();
        assert!(reason.contains("digit 2 has probability 0.400"), "{reason}");
        let mut cut = digit(1, 0.99);
        cut.note = Some(CUT_NOTE.into());
        let r = NumberReading::from_digits(vec![cut, digit(1, 0.99)], 0.6);
        assert!(r.uncertain && r.reason.unwrap().contains("digit 1 was cut"));
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let r = NumberReading::from_digits(vec![digit(4, 0.75)], 0.5);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["number"], "4");
        assert_eq!(json["uncertain"], false);
        let d = &json["digits"][0];
        assert_eq!(d["digit"], 4);
        assert_eq!(d["box"], serde_json::json!([40, 0, 8, 12]));
        assert_eq!(d["probabilities"].as_array().unwrap().len(), 10);
        assert!(d.get("note").is_none() && json.get("reason").is_none());
        let none = serde_json::to_value(NumberReading::none("blank")).unwrap();
        assert_eq!(none["number"], serde_json::Value::Null);
        assert_eq!(none["reason"], "blank");
        assert_eq!(none["digits"], serde_json::json!([]));
    }

    #[test]
    fn the_text_names_the_number_each_digit_and_its_box() {
        let r = NumberReading::from_digits(vec![digit(2, 0.99), digit(5, 0.4)], 0.6);
        let text = r.to_text("a.jpg", false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("a.jpg: 25 (not sure: digit 2 has"),
            "{text}"
        );
        assert_eq!(lines[1], "  2   99.0%  box x 20, y 0, 8x12");
        assert_eq!(lines[2], "  5   40.0%  box x 50, y 0, 8x12");
        let none = NumberReading::none("the picture is blank").to_text("b.png", true);
        assert_eq!(none, "b.png: no number (the picture is blank)\n");
    }

    #[test]
    fn too_many_marks_says_what_a_number_is() {
        let msg = TooManyMarks { count: 12 }.to_string();
        assert!(
            msg.contains("12 separate") && msg.contains("1 to 8"),
            "{msg}"
        );
    }
}
