//! The blog's output step: softmax of the logits, and the error it back-propagates
//! (quirks 1 and 2 of the module docs), on one vector of 16 lanes.
//!
//! Per sample this takes two softmaxes of ten values. Through libm's `expf`, one
//! value at a time, they were a tenth of a step; here `exp` is a polynomial the
//! compiler computes on all 16 lanes at once.

use crate::nn::softmax_in_place;

/// Lanes: the most classes [`output_error`] handles in one vector.
const LANES: usize = 16;

/// From the summed logits: `out = softmax(logits)` (in place), the residual
/// `delta = out - t` and `e = delta * s (1 - s)` with `s = softmax(out)` (quirks 1
/// and 2). Returns the summed `delta^2`.
#[inline(always)]
pub fn output_error(logits: &mut [f32], label: u8, e: &mut [f32]) -> f64 {
    let classes = logits.len();
    if classes > LANES {
        softmax_in_place(logits);
        e.copy_from_slice(logits);
        softmax_in_place(e);
    } else {
        let mut v = [f32::NEG_INFINITY; LANES];
        v[..classes].copy_from_slice(logits);
        softmax_lanes(&mut v);
        logits.copy_from_slice(&v[..classes]);
        v[classes..].fill(f32::NEG_INFINITY);
        softmax_lanes(&mut v);
        e.copy_from_slice(&v[..classes]);
    }
    let mut sum_sq = 0.0f64;
    for (k, (e, &o)) in e.iter_mut().zip(logits.iter()).enumerate() {
        let delta = o - if k == usize::from(label) { 1.0 } else { 0.0 };
        sum_sq += f64::from(delta * delta);
        *e = delta * *e * (1.0 - *e);
    }
    sum_sq
}

/// Stable softmax of 16 lanes (unused lanes hold `-inf` and come out 0).
#[inline(always)]
fn softmax_lanes(v: &mut [f32; LANES]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for x in v.iter_mut() {
        *x = exp_nonpositive(*x - max);
    }
    // A fixed tree of sums: the same bits however it is compiled.
    let mut s = *v;
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            s[i] += s[i + width];
        }
        width /= 2;
    }
    let inv = 1.0 / s[0];
    for x in v.iter_mut() {
        *x *= inv;
    }
}

/// `e^x` for `x <= 0` (NaN stays NaN, so divergence is still seen), within 2 ulp of the exact value; 0 below the
/// smallest normal result. Cephes' method: `x = n ln 2 + r` with `|r| <= ln 2 / 2`,
/// a degree-7 polynomial for `e^r`, and `2^n` put in the exponent bits. No
/// branches or calls, so 16 lanes run as one vector.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts: n * LN2_HI is exact for the n that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        0.166_666_65,
        0.5,
    ];
    let clamped = x.max(-87.0);
    let n = (clamped * LOG2E).round();
    let r = (-n).mul_add(LN2_HI, clamped);
    let r = (-n).mul_add(LN2_LO, r);
    let mut p = P[0];
    for &c in &P[1..] {
        p = p.mul_add(r, c);
    }
    let e_r = (p * r).mul_add(r, r) + 1.0;
    // n is in -126 ..= 0: 2^n is a normal number.
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    let y = e_r * scale;
    if x.is_nan() {
        x
    } else if x < -87.0 {
        0.0
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place (both finite and positive).
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_is_within_two_ulp_down_to_the_smallest_normal() {
        let mut worst = 0;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let exact = (f64::from(x)).exp() as f32;
            worst = worst.max(ulps(exp_nonpositive(x), exact));
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-100.0), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive(f32::NAN).is_nan());
    }

    #[test]
    fn the_vector_softmax_matches_the_plain_one() {
        let logits: Vec<f32> = (0..10).map(|i| (i as f32 * 1.7).sin() * 9.0).collect();
        let mut plain = logits.clone();
        softmax_in_place(&mut plain);
        let mut lanes = [f32::NEG_INFINITY; LANES];
        lanes[..10].copy_from_slice(&logits);
        softmax_lanes(&mut lanes);
        for (a, b) in lanes.iter().zip(&plain) {
            assert!(ulps(*a, *b) <= 4, "{a} vs {b}");
        }
        assert!(lanes[10..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn output_error_by_hand() {
        // logits equal: out = [1/2, 1/2]; label 0: delta = [-1/2, 1/2], sum 1/2;
        // s = softmax(out) = [1/2, 1/2], e = delta / 4.
        let mut logits = [0.3, 0.3];
        let mut e = [0.0; 2];
        assert_eq!(output_error(&mut logits, 0, &mut e), 0.5);
        assert_eq!(e, [-0.125, 0.125]);
    }

    #[test]
    fn many_classes_take_the_plain_softmax() {
        let mut logits = [0.0f32; 20];
        logits[3] = 2.0;
        let mut e = [0.0; 20];
        let sum_sq = output_error(&mut logits, 3, &mut e);
        let p = 2f32.exp() / (2f32.exp() + 19.0);
        assert!((logits[3] - p).abs() < 1e-6);
        assert!((sum_sq - f64::from((p - 1.0).powi(2) + 19.0 * logits[0].powi(2))).abs() < 1e-6);
    }
}
