//! The text report: the original post's lines first, then what it left out.

use std::fmt::Write;

use crate::experiment::{CrossValidation, RunSummary};
use crate::score::metrics::Confusion;
use crate::train::{RecipeKind, Stop};

/// The report of one run, as printed by `digitnet train`, without colour.
pub fn render(s: &RunSummary) -> String {
    render_colored(s, false)
}

/// The report of one run; with `color`, the confusion matrix's diagonal is
/// highlighted with ANSI escapes (the caller decides whether the terminal wants them).
pub fn render_colored(s: &RunSummary, color: bool) -> String {
    let mut out = String::new();
    let shape: Vec<String> = s.hidden.iter().map(usize::to_string).collect();
    let augmented = if s.augment.is_some() {
        ", augmented"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "digitnet: {} data, {} recipe, hidden {} ({}), dropout {}, seed {}{augmented}",
        s.dataset,
        s.recipe,
        shape.join(","),
        s.activation,
        s.dropout,
        s.seed
    );
    let validated = match s.validation_size {
        0 => String::new(),
        n => format!(", validated on {n}"),
    };
    let _ = writeln!(
        out,
        "trained on {} images{validated}, tested on {}: {} in {:.3} s\n",
        s.train_size - s.validation_size,
        s.test_size,
        epochs(s.epochs_run),
        s.train_seconds
    );
    let _ = writeln!(out, "{}", stop_line(s));
    let _ = match s.recipe {
        RecipeKind::Blog => writeln!(out, "average error: {:.6}", s.train_error),
        RecipeKind::Standard => writeln!(
            out,
            "average training loss (cross-entropy, epoch {}): {:.6}",
            s.kept_epoch + 1,
            s.train_error
        ),
    };
    let _ = writeln!(out, "average test set error: {:.6}", s.test_error);
    let _ = writeln!(out, "percent correct: {:.2}", 100.0 * s.strict_accuracy);
    let _ = writeln!(out, "argmax accuracy: {:.2}%", 100.0 * s.test_accuracy);
    let _ = writeln!(
        out,
        "  (percent correct is the post's strict rule: the outputs rounded to 0 or 1 must \
         equal the one-hot label))"
    );
    let _ = writeln!(out, "test log loss: {:.4}", s.test_log_loss);
    let table = match s.recipe {
        RecipeKind::Blog => confusion_table(&s.confusion, color),
        RecipeKind::Standard => table(&s.confusion, color, NoDigit::Column),
    };
    let _ = writeln!(out, "\n{table}");
    out
}

/// `1 epoch`, `2 epochs`.
fn epochs(n: usize) -> String {
    format!("{n} epoch{}", if n == 1 { "" } else { "s" })
}

/// The post's first line, and what the recipes add to it. Epochs count from 1 here,
/// except the post's own `converged at iteration: N`, which keeps its 0-based index.
fn stop_line(s: &RunSummary) -> String {
    let validated = s.history.iter().any(|h| h.val_loss.is_some());
    match s.stop {
        Stop::Converged { epoch } => format!("converged at iteration: {epoch}"),
        Stop::EpochLimit if s.recipe == RecipeKind::Blog => "failed to converge".into(),
        Stop::EpochLimit if validated => format!(
            "ran {}; kept epoch {} (best validation loss)",
            epochs(s.epochs_run),
            s.kept_epoch + 1
        ),
        Stop::EpochLimit => format!("ran {}", epochs(s.epochs_run)),
        Stop::EarlyStopped { epoch } => format!(
            "stopped early after epoch {}: kept epoch {} (best validation loss)",
            epoch + 1,
            s.kept_epoch + 1
        ),
        Stop::Diverged { epoch, .. } if s.recipe == RecipeKind::Blog => {
            format!("diverged at iteration: {epoch} (a value became NaN or infinite)")
        }
        Stop::Diverged { epoch, .. } => format!(
            "diverged in epoch {} (a value became NaN or infinite); kept the weights of epoch {}",
            epoch + 1,
            s.kept_epoch + 1
        ),
        Stop::Interrupted { epoch } => format!(
            "interrupted in epoch {}; kept epoch {}",
            epoch + 1,
            s.kept_epoch + 1
        ),
    }
}

/// ANSI styles of the table: correct answers bold green, errors red.
const CORRECT: &str = "\x1b[1;32m";
const WRONG: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// How a table shows the strict rule's "no digit selected" answers.
#[derive(Clone, Copy, PartialEq)]
enum NoDigit {
    /// The post's `-1` row and column.
    Post,
    /// A column labelled `none`, without the row (no image's true label is "no digit").
    Column,
}

/// The confusion matrix as an aligned table, rows = true label, columns = predicted,
/// with the post's `-1` row and column ("no digit selected"). With `color`, the
/// diagonal is bold green and non-zero errors red; the escapes wrap the padded
/// numbers, so columns stay aligned on screen.
pub fn confusion_table(c: &Confusion, color: bool) -> String {
    table(c, color, NoDigit::Post)
}

fn table(c: &Confusion, color: bool, no_digit: NoDigit) -> String {
    let width = c
        .matrix
        .iter()
        .flatten()
        .map(|v| v.to_string().len())
        .max()
        .unwrap_or(1)
        .max(if no_digit == NoDigit::Column { 4 } else { 3 });
    let mut out = String::from(match no_digit {
        NoDigit::Post => {
            "confusion matrix (rows: true label, columns: predicted; -1: no digit selected)\n"
        }
        NoDigit::Column => {
            "confusion matrix (rows: true label, columns: predicted by the strict rule; \
             none: no digit selected)\n"
        }
    });
    let _ = write!(out, "{:>5}", "");
    for &l in &c.labels {
        if l < 0 && no_digit == NoDigit::Column {
            let _ = write!(out, " {:>width$}", "none");
        } else {
            let _ = write!(out, " {l:>width$}");
        }
    }
    out.push('\n');
    for (i, (l, row)) in c.labels.iter().zip(&c.matrix).enumerate() {
        if *l < 0 && no_digit == NoDigit::Column {
            continue;
        }
        let _ = write!(out, "{l:>5}");
        for (j, v) in row.iter().enumerate() {
            let style = match (color, i == j && *l >= 0, *v > 0) {
                (false, _, _) => "",
                (true, true, _) => CORRECT,
                (true, false, true) => WRONG,
                (true, false, false) => "",
            };
            let reset = if style.is_empty() { "" } else { RESET };
            let _ = write!(out, " {style}{v:>width$}{reset}");
        }
        out.push('\n');
    }
    out
}

/// The report of a cross-validation.
pub fn render_cross_validation(cv: &CrossValidation) -> String {
    let mut out = format!(
        "digitnet: {} data, {} recipe, {}-fold stratified cross-validation, seed {}\n",
        cv.dataset,
        cv.recipe,
        cv.folds.len(),
        cv.seed
    );
    for (i, a) in cv.folds.iter().enumerate() {
        let _ = writeln!(out, "fold {i}: {:.2}%", 100.0 * a);
    }
    let _ = writeln!(
        out,
        "mean accuracy: {:.2}% (standard deviation {:.2})",
        100.0 * cv.mean,
        100.0 * cv.std
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_table_is_aligned() {
        let c = Confusion {
            labels: vec![-1, 0, 1],
            matrix: vec![vec![0, 0, 0], vec![1, 1234, 0], vec![0, 2, 5]],
        };
        let t = confusion_table(&c, false);
        let lines: Vec<&str> = t.lines().skip(1).collect();
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{t}");
        assert!(lines[2].ends_with("    1 1234    0"), "{t}");
        assert!(!t.contains('\x1b'));
    }

    #[test]
    fn the_standard_table_has_a_none_column_and_no_minus_one_row() {
        let c = Confusion {
            labels: vec![-1, 0, 1],
            matrix: vec![vec![0, 0, 0], vec![1, 12, 0], vec![0, 2, 5]],
        };
        let t = table(&c, false, NoDigit::Column);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert_eq!(lines[1], "      none    0    1");
        assert_eq!(lines[2], "    0    1   12    0");
        assert!(!t.contains("-1"), "{t}");
        assert_eq!(epochs(1), "1 epoch");
        assert_eq!(epochs(2), "2 epochs");
    }

    /// Removes ANSI escape sequences (ESC [ ... m).
    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(ch) = chars.next() {
            if ch == '\x1b' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(ch);
            }
        }
        out
    }

    #[test]
    fn coloured_table_highlights_the_diagonal_and_keeps_alignment() {
        let c = Confusion {
            labels: vec![-1, 0, 1],
            matrix: vec![vec![0, 0, 0], vec![1, 1234, 0], vec![0, 2, 5]],
        };
        let t = confusion_table(&c, true);
        assert_eq!(strip_ansi(&t), confusion_table(&c, false));
        assert!(t.contains(&format!("{CORRECT}1234{RESET}")), "{t}");
        assert!(t.contains(&format!("{CORRECT}   5{RESET}")), "{t}");
        assert!(t.contains(&format!("{WRONG}   2{RESET}")), "{t}");
        // The -1 row's empty cell at (-1, -1) is not a correct answer.
        assert!(!t.lines().nth(2).unwrap().contains('\x1b'), "{t}");
    }
}
