//! Bit masks of where a row's values are not zero, sixteen values at a time: what
//! both the by-row lists (`sparse.rs`) and the row groups (`row_groups.rs`) are
//! built from, kept apart so that neither of the two needs the other for it.

/// Lanes per nonzero mask.
pub(super) const MASK_LANES: usize = 16;

/// For each chunk of 16 values of `values` (the last may be shorter): its first
/// index, and a mask with bit `i` set where its value `i` is not zero. Whole chunks
/// compare as one fixed-size array, which compiles to a vector compare and a move
/// of its mask.
#[inline(always)]
pub(super) fn nonzero_masks(values: &[f32]) -> impl Iterator<Item = (usize, u32)> + '_ {
    let chunks = values.chunks_exact(MASK_LANES);
    let tail_start = values.len() - chunks.remainder().len();
    let whole = chunks.enumerate().map(|(c, chunk)| {
        let chunk: &[f32; MASK_LANES] = chunk.try_into().expect("a whole chunk");
        (c * MASK_LANES, mask_of(chunk))
    });
    let tail = chunks_tail(values, tail_start);
    whole.chain(tail)
}

#[inline(always)]
fn mask_of(chunk: &[f32; MASK_LANES]) -> u32 {
    let mut bits = 0u32;
    for (i, &v) in chunk.iter().enumerate() {
        bits |= u32::from(v != 0.0) << i;
    }
    bits
}

/// The last, partial chunk of [`nonzero_masks`], if any.
#[inline(always)]
fn chunks_tail(values: &[f32], start: usize) -> Option<(usize, u32)> {
    let tail = &values[start..];
    (!tail.is_empty()).then(|| {
        let mut padded = [0.0f32; MASK_LANES];
        padded[..tail.len()].copy_from_slice(tail);
        (start, mask_of(&padded))
    })
}
