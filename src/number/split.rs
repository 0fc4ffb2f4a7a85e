//! Cutting a group too wide for one digit (touching digits) into pieces.
//!
//! Touching digits are one piece of ink, so no gap separates them. The cut goes
//! where the ink is thinnest: near each of the evenly spaced positions that
//! `pieces` digits of equal width would have, the column holding the least ink.
//! A cut can go through a stroke, so every digit read from a cut piece is
//! marked uncertain by the caller.

/// Each cut is searched within this fraction of a piece's width around its even position.
pub const SEARCH_FRACTION: f32 = 0.3;

/// The columns (indices into `profile`) where a group `profile.len()` columns wide
/// is cut into `pieces`: `pieces - 1` increasing columns, each the one of least
/// ink near its even position (the nearest to it among equals).
pub fn cut_columns(profile: &[f32], pieces: usize) -> Vec<usize> {
    let width = profile.len();
    if pieces < 2 || width < 2 * pieces {
        return Vec::new();
    }
    let step = width as f32 / pieces as f32;
    let reach = (SEARCH_FRACTION * step).floor() as usize;
    (1..pieces)
        .map(|k| {
            let even = (k as f32 * step).round() as usize;
            let lo = even.saturating_sub(reach).max(1);
            let hi = (even + reach).min(width - 1);
            (lo..=hi)
                .min_by(|&a, &b| {
                    profile[a]
                        .total_cmp(&profile[b])
                        .then(a.abs_diff(even).cmp(&b.abs_diff(even)))
                })
                .unwrap_or(even)
        })
        .collect()
}

/// The column ranges `[start, end)` of the pieces that `cuts` make of `width` columns.
pub fn pieces(width: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut edges = Vec::with_capacity(cuts.len() + 2);
    edges.push(0);
    edges.extend_from_slice(cuts);
    edges.push(width);
    edges.windows(2).map(|e| (e[0], e[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_falls_on_the_thinnest_column_near_the_middle() {
        // Two blobs joined by a thin bridge at column 11 (not the middle, 10).
        let mut profile = vec![8.0; 20];
        profile[11] = 1.0;
        assert_eq!(cut_columns(&profile, 2), vec![11]);
        // A thinner column far from the middle is not taken.
        profile[1] = 0.0;
        assert_eq!(cut_columns(&profile, 2), vec![11]);
    }

    #[test]
    fn equal_ink_cuts_at_the_even_positions() {
        assert_eq!(cut_columns(&[5.0; 30], 3), vec![10, 20]);
        assert_eq!(pieces(30, &[10, 20]), vec![(0, 10), (10, 20), (20, 30)]);
    }

    #[test]
    fn too_narrow_to_cut_gives_one_piece() {
        assert!(cut_columns(&[1.0; 3], 2).is_empty());
        assert!(cut_columns(&[1.0; 30], 1).is_empty());
        assert_eq!(pieces(3, &[]), vec![(0, 3)]);
    }
}
