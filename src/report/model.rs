//! Text for the commands that use a saved model: `info`, `eval` and `predict`.

use std::fmt::Write;

use crate::model::Metadata;
use crate::model::Prediction;
use crate::report::run::confusion_table;
use crate::score::Evaluation;

/// What `digitnet info` prints: the network, its input convention and its training.
pub fn render_info(path: &str, m: &Metadata) -> String {
    let mut out = format!(
        "{path}: digitnet model, format version {}\n",
        m.format_version
    );
    let sizes: Vec<String> = std::iter::once(m.layers.first().map_or(0, |l| l.inputs))
        .chain(m.layers.iter().map(|l| l.outputs))
        .map(|s| s.to_string())
        .collect();
    let _ = writeln!(out, "network: {}", sizes.join("-"));
    for (i, l) in m.layers.iter().enumerate() {
        let bias = if l.bias { "with bias" } else { "no bias" };
        let _ = writeln!(
            out,
            "  layer {i}: {} -> {}, {}, {bias}",
            l.inputs, l.outputs, l.activation
        );
    }
    let parameters: usize = m
        .layers
        .iter()
        .map(|l| l.inputs * l.outputs + if l.bias { l.outputs } else { 0 })
        .sum();
    let _ = writeln!(out, "parameters: {parameters}");
    let i = &m.input;
    let _ = writeln!(
        out,
        "input: {}x{} pixels, values 0..{}, prepared {}-style",
        i.height, i.width, i.pixel_max, i.preparation
    );
    let _ = writeln!(out, "normalisation: {}", normalizer_text(&m.normalizer));
    let _ = writeln!(out, "classes: {}", m.classes.join(" "));
    let t = &m.training;
    let _ = writeln!(
        out,
        "trained on: {} ({} images, {} held out), {} recipe, seed {}, {} epochs, dropout {}",
        t.dataset, t.train_size, t.test_size, t.recipe, t.seed, t.epochs, t.dropout
    );
    if let Some(a) = t.test_accuracy {
        let _ = writeln!(out, "test accuracy: {:.2}%", 100.0 * a);
    }
    terminal_safe(&out)
}

/// `text` with every control character but the line break shown as an escape
/// (`\u{1b}`): names and metadata come from files, and a raw escape sequence could
/// rewrite the terminal.
pub fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn normalizer_text(n: &crate::normalize::Normalizer) -> String {
    use crate::normalize::Normalizer;
    match n {
        Normalizer::BlogMeanVar { mean, var } => {
            format!("(x - {mean}) / {var} (the post's mean and variance)")
        }
        Normalizer::Standardize { mean, .. } => format!(
            "per-pixel standardisation (x - mean) / std over {} pixels",
            mean.len()
        ),
        Normalizer::Scale { pixel_max } => format!("x / {pixel_max}"),
    }
}

/// What `digitnet eval` prints: overall scores, per-class scores, confusion.
pub fn render_evaluation(model: &str, dataset: &str, images: usize, e: &Evaluation) -> String {
    let mut out = format!("{model} on {dataset} ({images} images)\n\n");
    let _ = writeln!(out, "accuracy: {:.2}%", 100.0 * e.accuracy);
    let _ = writeln!(
        out,
        "strict accuracy (percent correct, the post's rule): {:.2}%",
        100.0 * e.strict_accuracy
    );
    let _ = writeln!(out, "log loss: {:.4}", e.log_loss);
    let _ = writeln!(out, "average squared error: {:.6}\n", e.squared_error);
    let _ = writeln!(
        out,
        "{:>5} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "F1", "support"
    );
    for c in &e.per_class {
        let _ = writeln!(
            out,
            "{:>5} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            c.class, c.precision, c.recall, c.f1, c.support
        );
    }
    let _ = writeln!(out, "\n{}", confusion_table(&e.confusion, false));
    out
}

/// One line of `digitnet predict`: the answer, its probability and the top 3, each
/// by its name in `classes` (the model's), or `?` with the reason; with `show`, the
/// prepared input as a text picture.
pub fn render_prediction(file: &str, p: &Prediction, classes: &[String], show: bool) -> String {
    let mut out = match (&p.label, p.probability()) {
        (Some(label), Some(prob)) => format!("{file}: {label} ({:.1}%)", 100.0 * prob),
        _ => format!("{file}: ?"),
    };
    if !p.probabilities.is_empty() {
        let top: Vec<String> = p
            .top(3)
            .iter()
            .map(|&(c, prob)| format!("{} {:.1}%", class_name(classes, c), 100.0 * prob))
            .collect();
        let _ = write!(out, "  top 3: {}", top.join(", "));
    }
    if let Some(reason) = &p.reason {
        let _ = write!(out, "  ({reason})");
    }
    out.push('\n');
    if let (true, Some(input)) = (show, &p.input) {
        out.push_str(&input.to_text());
    }
    terminal_safe(&out)
}

/// Class `index`'s name in `classes`, or the index itself when the list has none.
pub fn class_name(classes: &[String], index: usize) -> String {
    classes
        .get(index)
        .cloned()
        .unwrap_or_else(|| index.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_from_a_file_are_shown_not_sent() {
        let shown = terminal_safe("seven\u{1b}[2J\r\u{9b}31m\nnext");
        assert_eq!(shown, "seven\\u{1b}[2J\\u{d}\\u{9b}31m\nnext");
    }

    #[test]
    fn a_prediction_line_names_the_answer_and_the_runners_up() {
        let p = Prediction {
            digit: Some(2),
            label: Some("2".into()),
            probabilities: vec![0.05, 0.15, 0.8],
            reason: None,
            input: None,
        };
        let digits: Vec<String> = (0..3).map(|c| c.to_string()).collect();
        assert_eq!(
            render_prediction("a.png", &p, &digits, true),
            "a.png: 2 (80.0%)  top 3: 2 80.0%, 1 15.0%, 0 5.0%\n"
        );
        let named = ["cat", "dog", "owl"].map(String::from);
        let owl = Prediction {
            label: Some("owl".into()),
            ..p.clone()
        };
        assert_eq!(
            render_prediction("a.png", &owl, &named, false),
            "a.png: owl (80.0%)  top 3: owl 80.0%, dog 15.0%, cat 5.0%\n"
        );
        let unsure = p.require_confidence(0.9);
        let line = render_prediction("a.png", &unsure, &digits, false);
        assert!(line.starts_with("a.png: ?  top 3: 2 80.0%"), "{line}");
        assert!(line.contains("below the minimum confidence 0.9"), "{line}");
    }
}
