//! What this processor can do at most: the peak f32 rate that achieved GFLOP/s are
//! compared against.
//!
//! `peak = cores x FMA units x f32 lanes x 2 x clock` (an FMA is two operations).
//! Assumptions, since no portable interface reports them:
//! - the clock is the `cpu MHz` line of `/proc/cpuinfo`: the nominal clock inside a
//!   virtual machine, so a core that boosts above it can measure above "peak";
//! - lanes: those of the instructions the kernels run ([`Machine::at_level`]): 16
//!   with AVX-512, 8 with AVX2+FMA, 4 for the portable code (SSE2 or NEON);
//! - FMA units, counted in full-width (lanes-wide) units: AMD Zen 2-4 (family
//!   0x17 and 0x19) have two 256-bit FMA pipes, so one 512-bit unit with AVX-512 and
//!   two 256-bit ones with AVX2; everything else is taken to have two (Intel's client
//!   cores with AVX-512 and some Xeons have only one: the peak is then twice too high).
//!   The portable x86-64 code has no FMA instruction; its peak counts a multiply and
//!   an add pipe per unit, the same operations per cycle.

use std::fmt;

use serde::Serialize;

use crate::simd::Level;

/// The processor, as far as the peak rate is concerned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Machine {
    /// The `model name` line, e.g. "AMD EPYC".
    pub model: String,
    /// Cores this process may run on.
    pub cores: usize,
    /// Nominal clock, GHz (0 when unknown).
    pub clock_ghz: f64,
    /// f32 values per vector register.
    pub lanes: usize,
    /// Fused multiply-add units, each `lanes` wide.
    pub fma_units: usize,
    /// Whether the FMA pipes are 256 bits wide whatever the instructions (AMD Zen 2-4).
    #[serde(skip)]
    fma_256_bit: bool,
}

impl Machine {
    /// This machine, read from `/proc/cpuinfo` (Linux) and the scheduler's core count.
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self::from_cpuinfo(&text, cores)
    }

    /// Parses the first processor's block of a `/proc/cpuinfo` text.
    pub fn from_cpuinfo(text: &str, cores: usize) -> Self {
        let field = |name: &str| {
            text.lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .and_then(|l| l.split_once(':'))
                .map_or("", |(_, v)| v.trim())
        };
        let flags: Vec<&str> = field("flags").split_whitespace().collect();
        let has = |f: &str| flags.contains(&f);
        let best = if has("avx512f") {
            Level::Avx512
        } else if has("avx2") && has("fma") {
            Level::Avx2
        } else {
            Level::Portable
        };
        let machine = Machine {
            model: field("model name").to_string(),
            cores,
            clock_ghz: field("cpu MHz").parse::<f64>().map_or(0.0, |mhz| mhz / 1e3),
            lanes: 0,
            fma_units: 0,
            fma_256_bit: field("vendor_id") == "AuthenticAMD"
                && matches!(field("cpu family").parse::<u32>(), Ok(23 | 25)),
        };
        machine.at_level(best)
    }

    /// The same machine running kernels compiled for `level` (no wider than what
    /// it was detected to have): its lanes, FMA units and so its peak.
    pub fn at_level(mut self, level: Level) -> Self {
        self.lanes = match self.lanes {
            0 => level.lanes(),
            detected => level.lanes().min(detected),
        };
        self.fma_units = if self.fma_256_bit && self.lanes == 16 {
            1
        } else {
            2
        };
        self
    }

    /// Peak f32 GFLOP/s on `cores` cores (0 when the clock is unknown).
    pub fn peak_gflops(&self, cores: usize) -> f64 {
        (cores * self.fma_units * self.lanes * 2) as f64 * self.clock_ghz
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} cores at {:.2} GHz, {} FMA unit(s) x {} f32 lanes: peak {:.0} GFLOP/s",
            self.model,
            self.cores,
            self.clock_ghz,
            self.fma_units,
            self.lanes,
            self.peak_gflops(self.cores)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZEN4: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\
        model\t\t: 17\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.144\n\
        flags\t\t: fpu sse2 avx fma avx2 avx512f avx512dq\n\nprocessor\t: 1\n";

    #[test]
    fn zen4_peak_counts_one_512_bit_fma_unit() {
        let m = Machine::from_cpuinfo(ZEN4, 2);
        assert_eq!((m.lanes, m.fma_units, m.cores), (16, 1, 2));
        assert_eq!(m.model, "AMD EPYC");
        // 2 cores x 1 unit x 16 lanes x 2 flops x 2.596144 GHz
        assert!((m.peak_gflops(2) - 166.153_216).abs() < 1e-6);
    }

    #[test]
    fn avx2_intel_has_two_units_of_eight_lanes() {
        let text = "vendor_id\t: GenuineIntel\ncpu family\t: 6\ncpu MHz\t\t: 3000.0\n\
                    flags\t\t: avx2 fma\n";
        let m = Machine::from_cpuinfo(text, 4);
        assert_eq!((m.lanes, m.fma_units), (8, 2));
        assert!((m.peak_gflops(1) - 96.0).abs() < 1e-9);
    }

    #[test]
    fn zen4_restricted_to_avx2_has_two_256_bit_units_and_the_same_peak() {
        let m = Machine::from_cpuinfo(ZEN4, 2).at_level(Level::Avx2);
        assert_eq!((m.lanes, m.fma_units), (8, 2));
        assert!((m.peak_gflops(2) - 166.153_216).abs() < 1e-6);
        let p = m.at_level(Level::Portable);
        assert_eq!((p.lanes, p.fma_units), (4, 2));
        assert!((p.peak_gflops(1) - 41.538_304).abs() < 1e-6);
        // No level widens a machine beyond what it has.
        let avx2_only = Machine::from_cpuinfo(&ZEN4.replace(" avx512f", ""), 2);
        assert_eq!(avx2_only.at_level(Level::Avx512).lanes, 8);
    }

    #[test]
    fn unknown_machine_has_no_peak_but_does_not_fail() {
        let m = Machine::from_cpuinfo("", 1);
        assert_eq!(m.peak_gflops(1), 0.0);
        assert_eq!(m.lanes, 4);
    }
}
