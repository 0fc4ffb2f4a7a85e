//! Scores computed from predicted probabilities and true labels.
//!
//! Two ways to read a prediction:
//! - *argmax*: the class with the highest probability;
//! - *strict*, the original post's rule: round every output to 0 or 1 and count a
//!   hit only when the rounded vector equals the one-hot target. With a softmax at
//!   most one output can exceed 0.5; when none does the answer is "no digit
//!   selected", class `-1` in the confusion matrix.

use serde::Serialize;

use crate::nn::argmax;

/// The strict rule's answer for one row: the class whose output rounds to 1, if any.
///
/// Rounding follows numpy (`round(0.5) == 0`), so an output must exceed 0.5.
pub fn strict_prediction(row: &[f32]) -> Option<usize> {
    row.iter().position(|&p| p > 0.5)
}

/// Fraction of rows whose argmax is the label.
pub fn accuracy(probs: &[f32], labels: &[u8]) -> f64 {
    let classes = (probs.len() / labels.len().max(1)).max(1);
    let hits = probs
        .chunks_exact(classes)
        .zip(labels)
        .filter(|(row, y)| argmax(row) == usize::from(**y))
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// Fraction of rows whose rounded outputs equal the one-hot label.
pub fn strict_accuracy(probs: &[f32], labels: &[u8]) -> f64 {
    let classes = (probs.len() / labels.len().max(1)).max(1);
    let hits = probs
        .chunks_exact(classes)
        .zip(labels)
        .filter(|(row, y)| strict_prediction(row) == Some(usize::from(**y)))
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// Mean cross-entropy `-ln p[label]`, probabilities clipped at 1e-15 as scikit-learn does.
pub fn log_loss(probs: &[f32], labels: &[u8]) -> f64 {
    let classes = (probs.len() / labels.len().max(1)).max(1);
    let total: f64 = probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &y)| -f64::from(row[usize::from(y)]).max(1e-15).ln())
        .sum();
    total / labels.len().max(1) as f64
}

/// Mean over rows of the summed squared error against the one-hot label
/// (the post's "average test set error").
pub fn mean_squared_error(probs: &[f32], labels: &[u8]) -> f64 {
    let classes = (probs.len() / labels.len().max(1)).max(1);
    let total: f64 = probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &y)| {
            row.iter()
                .enumerate()
                .map(|(k, &p)| (f64::from(p) - if k == usize::from(y) { 1.0 } else { 0.0 }).powi(2))
                .sum::<f64>()
        })
        .sum();
    total / labels.len().max(1) as f64
}

/// Confusion matrix under the strict rule, with the extra class -1 ("no digit
/// selected") first: `matrix[t + 1][p + 1]` counts rows of true label `t` answered `p`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// `[-1, 0, 1, ..., classes-1]`.
    pub labels: Vec<i32>,
    /// Rows: true label; columns: predicted label; both in the order of `labels`.
    pub matrix: Vec<Vec<u32>>,
}

impl Confusion {
    /// Builds the matrix from probabilities (strict rule) and labels.
    pub fn strict(probs: &[f32], labels: &[u8], classes: usize) -> Self {
        let mut matrix = vec![vec![0u32; classes + 1]; classes + 1];
        for (row, &y) in probs.chunks_exact(classes.max(1)).zip(labels) {
            let predicted = strict_prediction(row).map_or(0, |p| p + 1);
            matrix[usize::from(y) + 1][predicted] += 1;
        }
        Confusion {
            labels: std::iter::once(-1).chain(0..classes as i32).collect(),
            matrix,
        }
    }

    /// Builds the matrix from argmax answers (the -1 row and column stay empty).
    pub fn argmax(probs: &[f32], labels: &[u8], classes: usize) -> Self {
        let mut matrix = vec![vec![0u32; classes + 1]; classes + 1];
        for (row, &y) in probs.chunks_exact(classes.max(1)).zip(labels) {
            matrix[usize::from(y) + 1][argmax(row) + 1] += 1;
        }
        Confusion {
            labels: std::iter::once(-1).chain(0..classes as i32).collect(),
            matrix,
        }
    }
}

/// Precision, recall and F1 of one class (argmax answers).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    pub class: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Per-class precision, recall and F1 from argmax answers.
pub fn per_class(probs: &[f32], labels: &[u8], classes: usize) -> Vec<ClassScores> {
    let m = Confusion::argmax(probs, labels, classes).matrix;
    (0..classes)
        .map(|c| {
            let tp = f64::from(m[c + 1][c + 1]);
            let predicted: f64 = m.iter().map(|r| f64::from(r[c + 1])).sum();
            let actual: u32 = m[c + 1].iter().sum();
            let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, f64::from(actual));
            ClassScores {
                class: c,
                precision,
                recall,
                f1: ratio(2.0 * precision * recall, precision + recall),
                support: actual as usize,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Three rows, two classes: confident right, unsure (no output above 0.5... impossible
    // with 2 classes unless exactly 0.5), confident wrong.
    const PROBS: [f32; 6] = [0.9, 0.1, 0.5, 0.5, 0.2, 0.8];
    const LABELS: [u8; 3] = [0, 0, 0];

    #[test]
    fn argmax_and_strict_accuracy_by_hand() {
        // argmax: row 0 right, row 1 tie -> class 0 right, row 2 wrong: 2/3.
        assert!((accuracy(&PROBS, &LABELS) - 2.0 / 3.0).abs() < 1e-12);
        // strict: only row 0 rounds to the one-hot target: 1/3.
        assert!((strict_accuracy(&PROBS, &LABELS) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn strict_confusion_has_a_no_digit_column() {
        let c = Confusion::strict(&PROBS, &LABELS, 2);
        assert_eq!(c.labels, [-1, 0, 1]);
        // true 0: one "no digit" (row 1), one 0, one 1.
        assert_eq!(c.matrix, [[0, 0, 0], [1, 1, 1], [0, 0, 0]]);
    }

    #[test]
    fn losses_by_hand() {
        let ll = log_loss(&PROBS, &LABELS);
        let expected = -(0.9f64.ln() + 0.5f64.ln() + 0.2f64.ln()) / 3.0;
        assert!((ll - expected).abs() < 1e-6);
        // squared errors: 0.01+0.01, 0.25+0.25, 0.64+0.64 -> mean 1.8/3 = 0.6
        assert!((mean_squared_error(&PROBS, &LABELS) - 0.6).abs() < 1e-6);
    }

    #[test]
    fn per_class_scores_by_hand() {
        // true [0,0,1,1], predicted [0,1,1,1]
        let probs = [0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
        let s = per_class(&probs, &[0, 0, 1, 1], 2);
        assert_eq!((s[0].precision, s[0].recall), (1.0, 0.5));
        assert!((s[1].precision - 2.0 / 3.0).abs() < 1e-12 && s[1].recall == 1.0);
        assert!((s[1].f1 - 0.8).abs() < 1e-12);
        assert_eq!(s[1].support, 2);
    }
}
