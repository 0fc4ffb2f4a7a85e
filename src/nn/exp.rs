//! `exp` for `f32` written as plain arithmetic, so that a loop over lanes compiles
//! to vector instructions (a call to libm's `expf` per value cannot).
//!
//! It is glibc's `expf` algorithm (Szabolcs Nagy's, glibc 2.27 and later) step for
//! step: `exp(x) = 2^(k/32) 2^(r/32)` in `f64`, with `2^(k/32)` from a 32-entry table
//! and `2^(r/32)` from a cubic, the steps fused as the build that x86-64 processors
//! with FMA run (`__expf_fma`) fuses them. Every operation rounds once and in the
//! same order, so the results are that build's bit for bit (tested over a sample
//! here; checked by hand over every `f32` below 89, see `docs/performance.md`),
//! within 0.502 ULP of the true value, and the same on every processor and level
//! of [`crate::simd`].

/// `32 / ln 2`: `x` in units of `ln 2 / 32`.
const INV_LN2_N: f64 = f64::from_bits(0x4047_1547_652b_82fe);
/// `1.5 * 2^52`: adding it rounds to an integer, kept in the low bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
/// The cubic's coefficients for `2^(r/32) - 1`, highest power first.
const C: [f64; 3] = [
    f64::from_bits(0x3ebc_6af8_4b91_2394),
    f64::from_bits(0x3f2e_bfce_50fa_c4f3),
    f64::from_bits(0x3f96_2e42_ff0c_52d6),
];
/// `2^(i/32)` for `i` in 0..32 as `f64` bits, minus `i << 47`, so that adding
/// `k << 47` (for `k = i mod 32`) puts `k / 32`'s integer part in the exponent.
const TABLE: [u64; 32] = [
    0x3ff0_0000_0000_0000,
    0x3fef_d9b0_d315_8574,
    0x3fef_b558_6cf9_890f,
    0x3fef_9301_d012_5b51,
    0x3fef_72b8_3c7d_517b,
    0x3fef_5487_3168_b9aa,
    0x3fef_387a_6e75_6238,
    0x3fef_1e9d_f51f_dee1,
    0x3fef_06fe_0a31_b715,
    0x3fee_f1a7_373a_a9cb,
    0x3fee_dea6_4c12_3422,
    0x3fee_ce08_6061_892d,
    0x3fee_bfda_d536_2a27,
    0x3fee_b42b_569d_4f82,
    0x3fee_ab07_dd48_5429,
    0x3fee_a47e_b03a_5585,
    0x3fee_a09e_667f_3bcd,
    0x3fee_9f75_e8ec_5f74,
    0x3fee_a114_73eb_0187,
    0x3fee_a589_994c_ce13,
    0x3fee_ace5_422a_a0db,
    0x3fee_b737_b0cd_c5e5,
    0x3fee_c491_82a3_f090,
    0x3fee_d503_b23e_255d,
    0x3fee_e89f_995a_d3ad,
    0x3fee_ff76_f2fb_5e47,
    0x3fef_199b_dd85_529c,
    0x3fef_3720_dcef_9069,
    0x3fef_5818_dcfb_a487,
    0x3fef_7c97_337b_9b5f,
    0x3fef_a4af_a2a4_90da,
    0x3fef_d076_5b6e_4540,
];
/// Above this `exp` overflows (`ln 2^128`).
const OVERFLOW: f32 = 88.722_83;
/// Below this `exp` rounds to zero (`ln 2^-150`).
const UNDERFLOW: f32 = -103.972_08;
/// Below this (and not below [`UNDERFLOW`]) `exp` rounds to the least subnormal.
const LEAST_SUBNORMAL: f32 = -103.278_92;

/// `e^x`, rounded as glibc's `expf` rounds it. Branch-free: the out-of-range
/// cases are selected at the end, so a loop over it vectorises.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let xd = f64::from(x);
    let z = INV_LN2_N.mul_add(xd, SHIFT);
    let k = z.to_bits();
    let r = INV_LN2_N.mul_add(xd, -(z - SHIFT));
    let scale = f64::from_bits(TABLE[(k % 32) as usize].wrapping_add(k << 47));
    let poly = C[0].mul_add(r, C[1]).mul_add(r * r, C[2].mul_add(r, 1.0));
    let y = (poly * scale) as f32;
    if x.is_nan() {
        x + x
    } else if x > OVERFLOW {
        f32::INFINITY
    } else if x < UNDERFLOW {
        0.0
    } else if x < LEAST_SUBNORMAL {
        f32::from_bits(1)
    } else {
        y
    }
}

/// Values per vector of [`exp_minus_in_place`]: one AVX-512 register of `f32`.
const LANES: usize = 16;

/// `v = e^(v - shift)` for every value, [`LANES`] at a time in fixed-size arrays,
/// which compile to vector instructions whatever the length (a loop over a short
/// slice would run its remainder one value at a time).
#[inline(always)]
pub fn exp_minus_in_place(values: &mut [f32], shift: f32) {
    for chunk in values.chunks_mut(LANES) {
        let mut lanes = [0.0f32; LANES];
        for (lane, &v) in lanes.iter_mut().zip(chunk.iter()) {
            *lane = v;
        }
        for lane in lanes.iter_mut() {
            *lane = exp_f32(*lane - shift);
        }
        for (v, &lane) in chunk.iter_mut().zip(lanes.iter()) {
            *v = lane;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `e^x` correctly rounded, from `f64`'s `exp` (far more precise than `f32`).
    fn true_exp(x: f32) -> f32 {
        f64::from(x).exp() as f32
    }

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// Every 997th `f32` bit pattern (positive and negative), and the edges.
    fn sample() -> impl Iterator<Item = f32> {
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            88.0,
            -88.0,
            OVERFLOW,
            f32::from_bits(OVERFLOW.to_bits() + 1),
            UNDERFLOW,
            f32::from_bits(UNDERFLOW.to_bits() + 1),
            LEAST_SUBNORMAL,
            f32::from_bits(LEAST_SUBNORMAL.to_bits() + 1),
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::MIN,
        ];
        (0..u32::MAX / 997)
            .map(|n| f32::from_bits(n * 997))
            .chain(edges)
    }

    #[test]
    fn the_table_holds_the_powers_of_two_to_the_32nd() {
        for (i, &t) in TABLE.iter().enumerate() {
            let value = f64::from_bits(t + ((i as u64) << 47));
            let exact = (i as f64 / 32.0).exp2();
            assert!((value - exact).abs() <= exact * f64::EPSILON, "entry {i}");
        }
    }

    #[test]
    fn within_one_ulp_of_the_true_value_and_exact_at_the_edges() {
        for x in sample().filter(|x| !x.is_nan()) {
            let (got, want) = (exp_f32(x), true_exp(x));
            assert!(ulps(got, want) <= 1, "exp({x:e}) = {got:e}, true {want:e}");
        }
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(1.0), std::f32::consts::E);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(-104.0), 0.0);
        assert_eq!(exp_f32(-103.5), f32::from_bits(1));
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    /// glibc's x86-64 `expf` with FMA is the function this one follows: the same
    /// bits wherever that is what `f32::exp` calls.
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_same_bits_as_glibc_expf_with_fma() {
        if !std::arch::is_x86_feature_detected!("fma") {
            return;
        }
        for x in sample().filter(|x| !x.is_nan()) {
            assert_eq!(exp_f32(x).to_bits(), x.exp().to_bits(), "exp({x:e})");
        }
    }

    #[test]
    fn exp_minus_in_place_is_exp_f32_on_every_value_of_any_length() {
        for len in [0, 1, 10, 16, 17, 40] {
            let values: Vec<f32> = (0..len).map(|i| (i as f32 * 0.73).sin() * 30.0).collect();
            let mut got = values.clone();
            exp_minus_in_place(&mut got, 2.5);
            let want: Vec<f32> = values.iter().map(|&v| exp_f32(v - 2.5)).collect();
            assert_eq!(got, want, "length {len}");
        }
    }
}
