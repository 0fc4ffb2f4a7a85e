//! The forward sparse product `X W` four rows at a time.
//!
//! One row at a time, every nonzero entry `x_p` loads a block of row `p` of `W` from
//! the L2 cache for a handful of multiply-adds, and the loads, not the arithmetic,
//! set the pace. Four rows listed together by the union of their nonzero columns
//! share each loaded block: an MNIST digit has about 151 nonzero pixels, four of
//! them about 298 together, so a block is loaded half as often. A column that is
//! zero in some of the four rows gives those rows `0 * w` to add, which leaves
//! their sums exactly as they were (for finite weights), so the bits are those of
//! the row-by-row product: each output is still a chain of fused multiply-adds over
//! its row's nonzero entries in ascending column order.

use super::sparse::{MASK_LANES, nonzero_masks};

/// Rows listed together.
pub const GROUP: usize = 4;

/// The nonzero entries of a sparse matrix, listed by groups of [`GROUP`] rows: for
/// each column nonzero in any row of the group, the column and the group's values in
/// it (zero for the rows where it is zero, and for rows past the last).
#[derive(Clone, Debug, Default)]
pub struct RowGroups {
    /// Group `q`'s entries are `entries[starts[q] .. starts[q + 1]]`.
    starts: Vec<usize>,
    entries: Vec<(u32, [f32; GROUP])>,
    /// Scratch: the current group's masks of nonzero columns, 16 columns a word.
    union: Vec<u32>,
}

impl RowGroups {
    /// Lists the groups of the row-major matrix `a` with rows of `cols` values.
    /// Columns go 16 at a time: the group's rows' masks of nonzero values, OR-ed,
    /// name the columns to list.
    #[inline(always)]
    pub fn list(&mut self, a: &[f32], cols: usize) {
        self.starts.clear();
        self.entries.clear();
        self.starts.push(0);
        for group in a.chunks(GROUP * cols.max(1)) {
            let mut rows: [&[f32]; GROUP] = [&[]; GROUP];
            for (r, row) in rows.iter_mut().zip(group.chunks_exact(cols)) {
                *r = row;
            }
            self.union.clear();
            self.union.resize(cols.div_ceil(MASK_LANES), 0);
            for row in rows {
                for (u, (_, bits)) in self.union.iter_mut().zip(nonzero_masks(row)) {
                    *u |= bits;
                }
            }
            for (c, &bits) in self.union.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let p = c * MASK_LANES + bits.trailing_zeros() as usize;
                    let values = rows.map(|row| row.get(p).copied().unwrap_or(0.0));
                    self.entries.push((p as u32, values));
                    bits &= bits - 1;
                }
            }
            self.starts.push(self.entries.len());
        }
    }

    fn group(&self, q: usize) -> &[(u32, [f32; GROUP])] {
        &self.entries[self.starts[q]..self.starts[q + 1]]
    }
}

/// `out = X B` for the listed `X` (`rows x k`) and the dense row-major `k x m`
/// matrix `b`. Column blocks go outermost, so the block of `b` the groups share
/// stays in the core's cache while every group is summed from it. `wide`: the
/// processor has 32 vector registers of 16 floats (AVX-512), enough for a block of
/// 64 columns of four rows; with fewer, 16 columns.
#[inline(always)]
pub fn combine_groups(groups: &RowGroups, b: &[f32], m: usize, out: &mut [f32], wide: bool) {
    let rows = out.len() / m.max(1);
    let mut c = 0;
    if wide {
        c = blocks::<64>(groups, rows, b, m, c, out);
    }
    c = blocks::<16>(groups, rows, b, m, c, out);
    c = blocks::<8>(groups, rows, b, m, c, out);
    blocks::<1>(groups, rows, b, m, c, out);
}

/// Every whole block of `N` columns from column `c` on, for all rows of `out`;
/// returns the first column not done.
#[inline(always)]
fn blocks<const N: usize>(
    groups: &RowGroups,
    rows: usize,
    b: &[f32],
    m: usize,
    mut c: usize,
    out: &mut [f32],
) -> usize {
    while c + N <= m {
        for (i, rows_out) in out[..rows * m].chunks_mut(GROUP * m).enumerate() {
            let sums = group_block::<N>(groups.group(i), b, m, c);
            for (row_out, sum) in rows_out.chunks_exact_mut(m).zip(&sums) {
                row_out[c..c + N].copy_from_slice(sum);
            }
        }
        c += N;
    }
    c
}

/// Columns `c .. c + N` of one group's rows of the product, summed in registers.
#[inline(always)]
fn group_block<const N: usize>(
    entries: &[(u32, [f32; GROUP])],
    b: &[f32],
    m: usize,
    c: usize,
) -> [[f32; N]; GROUP] {
    let mut acc = [[0.0f32; N]; GROUP];
    for &(p, v) in entries {
        let start = p as usize * m + c;
        let w: &[f32; N] = b[start..start + N].try_into().expect("N columns");
        for (acc, &v) in acc.iter_mut().zip(&v) {
            for l in 0..N {
                acc[l] = v.mul_add(w[l], acc[l]);
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_list_the_union_of_their_rows_columns_with_zeros_elsewhere() {
        // Five rows of 71 values: a group of four, then one of a single row.
        let mut a = vec![0.0; 5 * 71];
        for (i, p, v) in [
            (0, 1, 1.0),
            (0, 3, 2.0),
            (1, 0, 3.0),
            (3, 3, 4.0),
            (3, 70, 5.0),
            (4, 2, 6.0),
        ] {
            a[i * 71 + p] = v;
        }
        let mut g = RowGroups::default();
        g.list(&a, 71);
        assert_eq!(
            g.group(0),
            [
                (0, [0.0, 3.0, 0.0, 0.0]),
                (1, [1.0, 0.0, 0.0, 0.0]),
                (3, [2.0, 0.0, 0.0, 4.0]),
                (70, [0.0, 0.0, 0.0, 5.0]),
            ]
        );
        assert_eq!(g.group(1), [(2, [6.0, 0.0, 0.0, 0.0])]);
        // Listing again starts afresh.
        g.list(&a[4 * 71..], 71);
        assert_eq!(g.group(0), [(2, [6.0, 0.0, 0.0, 0.0])]);
    }

    #[test]
    fn both_block_widths_give_the_row_by_row_fused_sums() {
        // 6 rows (a group and a half) of 5 columns times 5 x 90 (a block of 64, one
        // of 16, one of 8 and two single columns in the wide case).
        let (n, k, m) = (6, 5, 90);
        let a: Vec<f32> = (0..n * k)
            .map(|q| if q % 3 == 0 { 0.0 } else { q as f32 * 0.25 })
            .collect();
        let b: Vec<f32> = (0..k * m).map(|q| (q as f32 * 0.37).sin()).collect();
        let lists: Vec<Vec<(u32, f32)>> = a
            .chunks(k)
            .map(|row| {
                (0u32..)
                    .zip(row.iter().copied())
                    .filter(|e| e.1 != 0.0)
                    .collect()
            })
            .collect();
        let mut want = vec![0.0f32; n * m];
        for (i, list) in lists.iter().enumerate() {
            for &(p, v) in list {
                for j in 0..m {
                    want[i * m + j] = v.mul_add(b[p as usize * m + j], want[i * m + j]);
                }
            }
        }
        let mut g = RowGroups::default();
        g.list(&a, k);
        for wide in [false, true] {
            let mut out = vec![f32::NAN; n * m];
            combine_groups(&g, &b, m, &mut out, wide);
            assert_eq!(out, want, "wide {wide}");
        }
        // Rows 4.. alone, as a thread given them lists and sums them.
        g.list(&a[4 * k..], k);
        for wide in [false, true] {
            let mut tail = vec![f32::NAN; 2 * m];
            combine_groups(&g, &b, m, &mut tail, wide);
            assert_eq!(tail, want[4 * m..], "wide {wide}, rows 4..");
        }
    }
}
