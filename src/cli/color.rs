//! `--color auto|always|never`: whether the report may use colour.

use std::io::IsTerminal;

/// The user's colour choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, NO_COLOR is unset or empty, and TERM is not dumb.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stdout. An explicit choice wins over `NO_COLOR` (see no-color.org).
    pub fn enabled(self) -> bool {
        let env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        self.decide(
            std::io::stdout().is_terminal(),
            env("NO_COLOR").is_some(),
            env("TERM").is_some_and(|t| t == "dumb"),
        )
    }

    fn decide(self, terminal: bool, no_color: bool, dumb: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color && !dumb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_needs_a_terminal_and_respects_no_color() {
        use ColorChoice::*;
        assert!(Auto.decide(true, false, false));
        assert!(!Auto.decide(false, false, false));
        assert!(!Auto.decide(true, true, false));
        assert!(!Auto.decide(true, false, true));
        assert!(Always.decide(false, true, true));
        assert!(!Never.decide(true, false, false));
    }
}
