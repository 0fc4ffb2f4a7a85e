//! Products with a mostly-zero left operand: the first layer of a net fed raw
//! images.
//!
//! An MNIST digit scaled to 0..1 is about 81% exact zeros (the background), and
//! input dropout zeroes more. A dense GEMM multiplies every one of them; these
//! kernels list each row's nonzero entries once per batch and touch only the weight
//! rows they select, which is about a fifth of the work for the forward product
//! `X W` and for the weight gradient `X^T D`. Batches of [`GROUPED_FROM_ROWS`] rows
//! or more go four rows at a time in the forward product ([`super::row_groups`]).
//!
//! Every output element is a chain of fused multiply-adds over the nonzero entries
//! in ascending index order, so the bits do not depend on how the work is split
//! between threads. (They differ in the last place from the dense GEMM's, which
//! sums in another order.)

use super::masks::nonzero_masks;
use super::row_groups::{GROUP, RowGroups, combine_groups};

/// The nonzero entries of a row-major `rows x cols` matrix, listed by row (CSR)
/// and by column (CSC). The buffers are kept and reused from batch to batch.
#[derive(Clone, Debug, Default)]
pub struct SparseRows {
    rows: usize,
    cols: usize,
    /// Row `i`'s entries are `row_entries[row_starts[i] .. row_starts[i + 1]]`.
    row_starts: Vec<usize>,
    row_entries: Vec<(u32, f32)>,
    /// Column `p`'s entries (as (row, value)), likewise.
    col_starts: Vec<usize>,
    col_entries: Vec<(u32, f32)>,
    /// Scratch for [`SparseRows::list_columns`]: each column's next free slot.
    next_slot: Vec<usize>,
    /// Whether the by-row lists are filled. From [`GROUPED_FROM_ROWS`] rows on the
    /// forward product does not need them (see [`sparse_times_dense`]), so
    /// [`SparseRows::gather_if_sparse`] only estimates the nonzero entries.
    rows_listed: bool,
    /// The nonzero entries: counted, or estimated from the first rows.
    nonzero: usize,
    /// The rows in groups for the forward product: one list per thread, each
    /// listed by its thread straight from the dense matrix.
    groups: Vec<RowGroups>,
}

/// Below this fraction of nonzero entries the sparse products beat the dense GEMM
/// (measured on the 784-800-10 net: the sparse kernels reach about half the GEMM's
/// rate per multiply-add, so they win while they do less than half the work).
pub const SPARSE_BELOW: f64 = 0.4;

impl SparseRows {
    /// Lists the nonzero entries of `a`, a row-major `rows x cols` matrix, by row
    /// (whatever its size); [`SparseRows::list_columns`] adds the by-column lists a
    /// gradient needs.
    pub fn gather(&mut self, a: &[f32], rows: usize, cols: usize) {
        self.gather_up_to(a, rows, cols, rows * cols);
    }

    /// Whether less than `max_density` of `a`'s entries are nonzero; if so, `a` is
    /// ready for the sparse products. A batch of fewer than [`GROUPED_FROM_ROWS`]
    /// rows is listed by row, and given up as soon as the rows read so far hold too
    /// many entries; a larger one is judged on its first rows (its forward product
    /// lists its own groups of rows, on every thread, and its rows are listed when
    /// a gradient asks for its columns).
    pub fn gather_if_sparse(
        &mut self,
        a: &[f32],
        rows: usize,
        cols: usize,
        max_density: f64,
    ) -> bool {
        if rows < GROUPED_FROM_ROWS {
            let limit = (max_density * (rows * cols) as f64).ceil() as usize;
            return self.gather_up_to(a, rows, cols, limit) && self.density() < max_density;
        }
        self.start(a, rows, cols);
        // Judged on the first rows: reading the whole batch once more, on one
        // thread, takes a tenth of an inference pass (the batch streams from memory).
        let sample = &a[..DENSITY_SAMPLE_ROWS * cols];
        self.nonzero = count_nonzero(sample) * rows / DENSITY_SAMPLE_ROWS;
        self.density() < max_density
    }

    /// Takes `a` (`rows x cols`) as the new matrix, with nothing listed yet.
    fn start(&mut self, a: &[f32], rows: usize, cols: usize) {
        assert_eq!(a.len(), rows * cols, "matrix is not rows x cols");
        (self.rows, self.cols) = (rows, cols);
        self.row_starts.clear();
        self.row_entries.clear();
        self.col_starts.clear();
        self.rows_listed = false;
    }

    /// Lists `a`'s nonzero entries by row while there are at most `limit`; returns
    /// whether all were listed.
    fn gather_up_to(&mut self, a: &[f32], rows: usize, cols: usize, limit: usize) -> bool {
        self.start(a, rows, cols);
        self.row_starts.push(0);
        let all = list_rows(a, cols, limit, &mut self.row_starts, &mut self.row_entries);
        self.nonzero = self.row_entries.len();
        self.rows_listed = all;
        all
    }

    /// Fills the by-column lists from the by-row ones (a counting sort, so each
    /// column's rows stay in ascending order), unless already done; `a` is the
    /// matrix gathered, for the rows of a batch that was only counted. Inference
    /// needs no columns; training's weight gradient does.
    pub fn list_columns(&mut self, a: &[f32]) {
        if self.col_starts.len() == self.cols + 1 {
            return;
        }
        if !self.rows_listed {
            self.gather(a, self.rows, self.cols);
        }
        self.col_starts.clear();
        self.col_starts.resize(self.cols + 1, 0);
        for &(p, _) in &self.row_entries {
            self.col_starts[p as usize + 1] += 1;
        }
        for p in 0..self.cols {
            self.col_starts[p + 1] += self.col_starts[p];
        }
        self.next_slot.clone_from(&self.col_starts);
        self.col_entries.clear();
        self.col_entries.resize(self.row_entries.len(), (0, 0.0));
        for (i, bounds) in self.row_starts.windows(2).enumerate() {
            for &(p, v) in &self.row_entries[bounds[0]..bounds[1]] {
                let slot = &mut self.next_slot[p as usize];
                self.col_entries[*slot] = (i as u32, v);
                *slot += 1;
            }
        }
    }

    /// The fraction of entries that are nonzero (1 for an empty matrix).
    pub fn density(&self) -> f64 {
        let all = self.rows * self.cols;
        if all == 0 {
            1.0
        } else {
            self.nonzero as f64 / all as f64
        }
    }

    #[cfg(test)]
    fn row(&self, i: usize) -> &[(u32, f32)] {
        &self.row_entries[self.row_starts[i]..self.row_starts[i + 1]]
    }

    #[cfg(test)]
    fn col(&self, p: usize) -> &[(u32, f32)] {
        &self.col_entries[self.col_starts[p]..self.col_starts[p + 1]]
    }
}

/// Appends `row`'s nonzero entries `(index, value)` to `entries`. The row goes in
/// chunks of 16 whose nonzero values are found by one vector compare into a bit
/// mask; only the set bits are visited. (Testing value by value mispredicts a
/// branch at every edge of a digit's strokes: 2.5 cycles a pixel.)
#[inline(always)]
pub(super) fn list_nonzero(row: &[f32], entries: &mut Vec<(u32, f32)>) {
    for (c, bits) in nonzero_masks(row) {
        let mut bits = bits;
        while bits != 0 {
            let i = c + bits.trailing_zeros() as usize;
            entries.push((i as u32, row[i]));
            bits &= bits - 1;
        }
    }
}

/// Appends the rows of `a` (`cols` wide) to the by-row lists while they hold at
/// most `limit` entries; returns whether all fit. Compiled for AVX2 and AVX-512 too.
fn list_rows(
    a: &[f32],
    cols: usize,
    limit: usize,
    starts: &mut Vec<usize>,
    entries: &mut Vec<(u32, f32)>,
) -> bool {
    crate::simd::run(
        #[inline(always)]
        || {
            for row in a.chunks_exact(cols.max(1)) {
                list_nonzero(row, entries);
                starts.push(entries.len());
                if entries.len() > limit {
                    return false;
                }
            }
            true
        },
    )
}

/// The number of nonzero entries of `a` (compiled for AVX2 and AVX-512 as well).
fn count_nonzero(a: &[f32]) -> usize {
    crate::simd::run(
        #[inline(always)]
        || {
            nonzero_masks(a)
                .map(|(_, bits)| bits.count_ones() as usize)
                .sum()
        },
    )
}

/// From this many rows on, the forward product goes by groups of rows (see
/// `super::row_groups`; the same bits). It pays when many groups share each block
/// of `b` from the L2 cache: at inference's batches of 1000 it makes the 784-800-10
/// net's pass 1.3-1.5x faster, while at training's 128 fetching the block from
/// memory dominates and the extra zero multiply-adds make the epoch 5% slower.
pub const GROUPED_FROM_ROWS: usize = 512;

/// Rows whose density stands for a batch of at least [`GROUPED_FROM_ROWS`] rows
/// (until a gradient lists them all).
const DENSITY_SAMPLE_ROWS: usize = 64;

/// `C = A B` for the sparse `n x k` matrix `a` (as gathered from `dense`) and the
/// dense row-major `k x m` matrix `b`; `c` is `n x m`, overwritten. Rows of `C` are
/// shared among `threads`; from [`GROUPED_FROM_ROWS`] rows on, in whole groups,
/// each thread listing its own from `dense`.
pub fn sparse_times_dense(
    a: &mut SparseRows,
    dense: &[f32],
    b: &[f32],
    m: usize,
    c: &mut [f32],
    threads: usize,
) {
    assert!(b.len() >= a.cols * m && c.len() >= a.rows * m);
    assert_eq!(dense.len(), a.rows * a.cols, "not the matrix gathered");
    let c = &mut c[..a.rows * m];
    if a.rows < GROUPED_FROM_ROWS {
        assert!(a.rows_listed, "gather first");
        let rows = Lists {
            starts: &a.row_starts,
            entries: &a.row_entries,
        };
        return combine_in_threads(rows, b, m, c, threads);
    }
    let k = a.cols;
    split_rows(
        c,
        m,
        threads,
        GROUP,
        &mut a.groups,
        |first, block, groups| {
            let mine = &dense[first * k..][..block.len() / m * k];
            crate::simd::run(
                #[inline(always)]
                || {
                    groups.list(mine, k);
                    combine_groups(groups, b, m, block, crate::simd::level())
                },
            )
        },
    );
}

/// `G = A^T D` for the sparse `n x k` matrix `a` and the dense row-major `n x m`
/// matrix `d`; `g` is `k x m`, overwritten. Rows of `G` are shared among `threads`.
pub fn sparse_transpose_times_dense(
    a: &SparseRows,
    d: &[f32],
    m: usize,
    g: &mut [f32],
    threads: usize,
) {
    assert!(d.len() >= a.rows * m && g.len() >= a.cols * m);
    assert_eq!(a.col_starts.len(), a.cols + 1, "list_columns first");
    let cols = Lists {
        starts: &a.col_starts,
        entries: &a.col_entries,
    };
    combine_in_threads(cols, d, m, &mut g[..a.cols * m], threads);
}

/// Row `q` of `out` = the combination of `b`'s rows that list `q` names, the rows of
/// `out` shared among `threads`, compiled for the best vector instructions.
fn combine_in_threads(lists: Lists<'_>, b: &[f32], m: usize, out: &mut [f32], threads: usize) {
    split_rows(out, m, threads, 1, &mut Vec::new(), |first, block, ()| {
        let mine = Lists {
            starts: &lists.starts[first..],
            entries: lists.entries,
        };
        crate::simd::run(
            #[inline(always)]
            || combine_all(mine, b, m, block),
        )
    });
}

/// Lists of entries: list `q` is `entries[starts[q] .. starts[q + 1]]`.
#[derive(Clone, Copy)]
struct Lists<'a> {
    starts: &'a [usize],
    entries: &'a [(u32, f32)],
}

impl Lists<'_> {
    fn get(&self, q: usize) -> &[(u32, f32)] {
        &self.entries[self.starts[q]..self.starts[q + 1]]
    }
}

/// Row `q` of `out` (`m` wide) = the combination of `b`'s rows that list `q` names,
/// for every row of `out`. Column blocks go outermost, so the block of `b` that the
/// rows share (every row of `b`, 64 columns: 200 KB for 784 rows) stays in the
/// core's cache while all rows of `out` are summed from it, instead of all of `b`
/// streaming from memory once per row.
#[inline(always)]
fn combine_all(lists: Lists<'_>, b: &[f32], m: usize, out: &mut [f32]) {
    let rows = out.len() / m.max(1);
    let mut c = 0;
    while c + WIDE <= m {
        for q in 0..rows {
            combine_block::<WIDE>(lists.get(q), b, m, c, &mut out[q * m..(q + 1) * m]);
        }
        c += WIDE;
    }
    for q in 0..rows {
        combine_tail(lists.get(q), b, m, c, &mut out[q * m..(q + 1) * m]);
    }
}

/// `out = sum over (r, v) in entries of v * (row r of the row-major matrix b, m wide)`,
/// in the order listed.
///
/// The columns go in blocks whose sums stay in registers while the entries stream
/// past, so each selected row of `b` is read once and `out` is written once.
#[inline(always)]
pub(super) fn combine_rows(entries: &[(u32, f32)], b: &[f32], m: usize, out: &mut [f32]) {
    let mut c = 0;
    while c + WIDE <= m {
        combine_block::<WIDE>(entries, b, m, c, out);
        c += WIDE;
    }
    combine_tail(entries, b, m, c, out);
}

/// [`combine_rows`] for the columns from `c` on, fewer than a wide block.
#[inline(always)]
fn combine_tail(entries: &[(u32, f32)], b: &[f32], m: usize, mut c: usize, out: &mut [f32]) {
    while c + NARROW <= m {
        combine_block::<NARROW>(entries, b, m, c, out);
        c += NARROW;
    }
    while c < m {
        combine_block::<1>(entries, b, m, c, out);
        c += 1;
    }
}

/// Columns summed together: 64 floats are four AVX-512 or eight AVX2 registers,
/// enough independent chains to keep the FMA units busy.
const WIDE: usize = 64;
/// The block for what is left of the columns after the wide ones.
const NARROW: usize = 8;

#[inline(always)]
fn combine_block<const N: usize>(
    entries: &[(u32, f32)],
    b: &[f32],
    m: usize,
    c: usize,
    out: &mut [f32],
) {
    let mut acc = [0.0f32; N];
    for &(r, v) in entries {
        let start = r as usize * m + c;
        let row: &[f32; N] = b[start..start + N].try_into().expect("N columns");
        for l in 0..N {
            acc[l] = v.mul_add(row[l], acc[l]);
        }
    }
    out[c..c + N].copy_from_slice(&acc);
}

/// Runs `work(first_row, rows, scratch)` on `threads` contiguous parts of the
/// row-major matrix `c` (`m` wide), each but the last a multiple of `align` rows and
/// each with its own element of `scratch` (grown to one per part): the calling
/// thread takes the first part, scoped threads the others (at its [`crate::simd::level`]).
fn split_rows<S: Default + Send>(
    c: &mut [f32],
    m: usize,
    threads: usize,
    align: usize,
    scratch: &mut Vec<S>,
    work: impl Fn(usize, &mut [f32], &mut S) + Sync,
) {
    let rows = c.len().checked_div(m).unwrap_or(0);
    let per = rows.div_ceil(threads.max(1)).next_multiple_of(align).max(1);
    let threads = rows.div_ceil(per).max(1);
    if scratch.len() < threads {
        scratch.resize_with(threads, S::default);
    }
    let mut parts = c.chunks_mut(per * m).zip(scratch.iter_mut()).enumerate();
    let Some((_, (mine, my_scratch))) = parts.next() else {
        return;
    };
    let level = crate::simd::level();
    std::thread::scope(|scope| {
        for (t, (part, scratch)) in parts {
            let work = &work;
            scope.spawn(move || crate::simd::with_level(level, || work(t * per, part, scratch)));
        }
        work(0, mine, my_scratch);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{supported_levels, with_level};

    /// Every supported level, over and over: each thread count meets a level.
    fn levels() -> impl Iterator<Item = crate::simd::Level> {
        supported_levels().into_iter().rev().cycle()
    }

    /// A `rows x cols` matrix with zeros where `(i * 7 + p * 3) % 5 < 3`.
    fn mostly_zero(rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols)
            .map(|q| {
                let (i, p) = (q / cols, q % cols);
                if (i * 7 + p * 3) % 5 < 3 {
                    0.0
                } else {
                    (q as f32 * 0.37).sin()
                }
            })
            .collect()
    }

    fn dense(rows: usize, cols: usize, salt: f32) -> Vec<f32> {
        (0..rows * cols).map(|q| (q as f32 * salt).cos()).collect()
    }

    /// The plain triple loop summing in ascending order with fused multiply-adds.
    fn product(a: &[f32], ta: bool, b: &[f32], n: usize, k: usize, m: usize) -> Vec<f32> {
        let at = |i: usize, p: usize| if ta { a[p * n + i] } else { a[i * k + p] };
        let mut c = vec![0.0f32; n * m];
        for i in 0..n {
            for j in 0..m {
                for p in 0..k {
                    if at(i, p) != 0.0 {
                        c[i * m + j] = at(i, p).mul_add(b[p * m + j], c[i * m + j]);
                    }
                }
            }
        }
        c
    }

    #[test]
    fn lists_the_nonzero_entries_by_row_and_by_column() {
        let a = [0.0, 2.0, 0.0, 3.0, 0.0, 4.0];
        let mut s = SparseRows::default();
        s.gather(&a, 2, 3);
        s.list_columns(&a);
        assert_eq!(
            (s.row(0), s.row(1)),
            (&[(1, 2.0)][..], &[(0, 3.0), (2, 4.0)][..])
        );
        assert_eq!(s.col(0), &[(1, 3.0)]);
        assert_eq!(s.col(1), &[(0, 2.0)]);
        assert_eq!(s.col(2), &[(1, 4.0)]);
        assert!((s.density() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rows_wider_than_a_chunk_list_every_nonzero_in_order() {
        let mut row = vec![0.0; 37];
        for (p, v) in [(0, 1.0), (15, -2.0), (16, 3.0), (31, 4.0), (36, f32::NAN)] {
            row[p] = v;
        }
        let mut s = SparseRows::default();
        s.gather(&row, 1, 37);
        let listed: Vec<u32> = s.row(0).iter().map(|e| e.0).collect();
        assert_eq!(listed, [0, 15, 16, 31, 36]);
        assert_eq!(s.row(0)[1].1, -2.0);
        assert!(s.row(0)[4].1.is_nan());
    }

    #[test]
    fn only_a_sparse_enough_matrix_is_listed() {
        let (n, k) = (9, 13);
        let a = mostly_zero(n, k); // 2 in 5 nonzero
        let mut s = SparseRows::default();
        assert!(s.gather_if_sparse(&a, n, k, 0.5));
        let mut all = SparseRows::default();
        all.gather(&a, n, k);
        assert_eq!(
            (s.row_starts, s.row_entries),
            (all.row_starts, all.row_entries)
        );
        let mut t = SparseRows::default();
        assert!(!t.gather_if_sparse(&a, n, k, 0.3));
        assert!(!t.gather_if_sparse(&dense(n, k, 0.1), n, k, 0.4));
    }

    #[test]
    fn forward_product_matches_the_triple_loop_bit_for_bit_on_any_thread_count() {
        // 75 columns: one wide block, one narrow block and three single columns;
        // row by row, and by groups of rows (the last group not full).
        for n in [9, GROUPED_FROM_ROWS + 3] {
            let (k, m) = (13, 75);
            let (a, b) = (mostly_zero(n, k), dense(k, m, 0.11));
            let mut s = SparseRows::default();
            assert!(s.gather_if_sparse(&a, n, k, 0.5));
            let want = product(&a, false, &b, n, k, m);
            for (threads, level) in [1, 2, 4, 20].into_iter().zip(levels()) {
                let mut c = vec![f32::NAN; n * m];
                with_level(level, || {
                    sparse_times_dense(&mut s, &a, &b, m, &mut c, threads)
                });
                assert_eq!(c, want, "{n} rows, {threads} threads, {level:?}");
            }
        }
    }

    #[test]
    fn a_large_batch_is_counted_then_listed_by_row_when_its_columns_are_asked_for() {
        let (n, k) = (GROUPED_FROM_ROWS + 1, 13);
        let a = mostly_zero(n, k); // 2 in 5 nonzero
        let mut s = SparseRows::default();
        assert!(!s.gather_if_sparse(&a, n, k, 0.3));
        assert!(s.gather_if_sparse(&a, n, k, 0.5));
        assert!(!s.rows_listed && s.row_entries.is_empty());
        let mut all = SparseRows::default();
        all.gather(&a, n, k);
        assert!((s.density() - all.density()).abs() < 0.02);
        s.list_columns(&a);
        assert_eq!(s.density(), all.density());
        all.list_columns(&a);
        assert_eq!(
            (&s.row_entries, &s.col_entries),
            (&all.row_entries, &all.col_entries)
        );
    }

    #[test]
    fn gradient_product_matches_the_triple_loop_bit_for_bit_on_any_thread_count() {
        let (n, k, m) = (11, 7, 70);
        let (a, d) = (mostly_zero(n, k), dense(n, m, 0.23));
        let mut s = SparseRows::default();
        s.gather(&a, n, k);
        s.list_columns(&a);
        // A^T is k x n; its transpose-view of `a` is read with ta = true.
        let want = product(&a, true, &d, k, n, m);
        for (threads, level) in [1, 2, 3].into_iter().zip(levels()) {
            let mut g = vec![f32::NAN; k * m];
            with_level(level, || {
                sparse_transpose_times_dense(&s, &d, m, &mut g, threads)
            });
            assert_eq!(g, want, "{threads} threads, {level:?}");
        }
    }

    #[test]
    fn an_all_zero_column_gives_a_zero_gradient_row() {
        let a = [0.0, 1.0, 0.0, 2.0];
        let mut s = SparseRows::default();
        s.gather(&a, 2, 2);
        s.list_columns(&a);
        let mut g = vec![9.0; 2 * 3];
        sparse_transpose_times_dense(&s, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, &mut g, 2);
        assert_eq!(g, [0.0, 0.0, 0.0, 9.0, 12.0, 15.0]);
    }
}
