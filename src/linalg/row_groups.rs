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

use super::masks::{MASK_LANES, nonzero_masks};
use crate::simd::Level;

/// Rows listed together.
pub const GROUP: usize = 4;

/// The nonzero entries of a sparse matrix, listed by groups of [`GROUP`] rows: for
/// each column nonzero in any row of the group, the column and the group's values in
/// it (zero for the rows where it is zero, and for rows past the last).
#[derive(Clone, Debug, Default)]
pub struct RowGroups {
    /// Columns of the matrix listed: every listed column is below it.
    cols: usize,
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
        self.cols = cols;
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
/// stays in the core's cache while every group is summed from it.
///
/// The block is as wide as `level`'s registers allow for four rows: 64 columns with
/// AVX-512 (16 sums in 32 registers of 16 floats), 24 with AVX2 (12 sums, three
/// columns of weights and a broadcast value fill its 16 registers of 8 floats; see
/// [`group_block_24_avx2`]), 16 otherwise; narrower blocks finish the columns.
#[inline(always)]
pub fn combine_groups(groups: &RowGroups, b: &[f32], m: usize, out: &mut [f32], level: Level) {
    let rows = out.len() / m.max(1);
    let mut c = 0;
    match level {
        Level::Avx512 => c = blocks::<64>(groups, rows, b, m, c, out),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 if Level::Avx2.supported() => c = blocks_24_avx2(groups, rows, b, m, out),
        _ => {}
    }
    c = blocks::<16>(groups, rows, b, m, c, out);
    c = blocks::<8>(groups, rows, b, m, c, out);
    blocks::<1>(groups, rows, b, m, c, out);
}

/// Every whole block of 24 columns from column 0 on, for all rows of `out`, through
/// [`group_block_24_avx2`]; returns the first column not done. Only for a
/// processor with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn blocks_24_avx2(groups: &RowGroups, rows: usize, b: &[f32], m: usize, out: &mut [f32]) -> usize {
    assert!(
        Level::Avx2.supported() && m.checked_mul(groups.cols).is_some_and(|km| km <= b.len()),
        "AVX2 and a k x m matrix b"
    );
    let mut c = 0;
    while c + 24 <= m {
        for (i, rows_out) in out[..rows * m].chunks_mut(GROUP * m).enumerate() {
            // SAFETY: AVX2 and FMA are present and every listed column p is below
            // `groups.cols`, so row p's columns c..c + 24 lie inside b (asserted).
            let sums = unsafe { group_block_24_avx2(groups.group(i), b, m, c) };
            for (row_out, sum) in rows_out.chunks_exact_mut(m).zip(&sums) {
                row_out[c..c + 24].copy_from_slice(sum);
            }
        }
        c += 24;
    }
    c
}

/// Columns `c .. c + 24` of one group's rows of the product, with AVX2 and FMA: the
/// twelve sums (four rows of three vectors) stay in registers 0-11, the entry's
/// three vectors of `b` in 12-14 and each row's broadcast value in 15. Written in
/// assembly because the compiler, given the same loop in intrinsics or plain Rust,
/// keeps a sum on the stack (it wants a second register for the broadcasts), and
/// that sum's chain of store, load and FMA halved the kernel's rate. Each sum is
/// the chain of `vfmadd231ps` over the entries in order: the bits of
/// [`group_block`] and of the row-by-row product.
///
/// # Safety
/// The processor has AVX2 and FMA; for every entry `(p, _)`, `p * m + c + 24 <=
/// b.len()`.
#[cfg(target_arch = "x86_64")]
unsafe fn group_block_24_avx2(
    entries: &[(u32, [f32; GROUP])],
    b: &[f32],
    m: usize,
    c: usize,
) -> [[f32; 24]; GROUP] {
    const { assert!(std::mem::size_of::<(u32, [f32; GROUP])>() == 20) };
    let mut sums = [[0.0f32; 24]; GROUP];
    let range = entries.as_ptr_range();
    // SAFETY: the caller guarantees the instructions and that every row read lies
    // in b; the entries are read from `range` (20 bytes each: the column, then the
    // four values), and 384 bytes are written to `sums`.
    unsafe {
        std::arch::asm!(
            "vxorps ymm0, ymm0, ymm0",
            "vxorps ymm1, ymm1, ymm1",
            "vxorps ymm2, ymm2, ymm2",
            "vxorps ymm3, ymm3, ymm3",
            "vxorps ymm4, ymm4, ymm4",
            "vxorps ymm5, ymm5, ymm5",
            "vxorps ymm6, ymm6, ymm6",
            "vxorps ymm7, ymm7, ymm7",
            "vxorps ymm8, ymm8, ymm8",
            "vxorps ymm9, ymm9, ymm9",
            "vxorps ymm10, ymm10, ymm10",
            "vxorps ymm11, ymm11, ymm11",
            "cmp {e}, {end}",
            "je 3f",
            "2:",
            "mov {p:e}, dword ptr [{e}]",
            "imul {p}, {m}",
            "vmovups ymm12, ymmword ptr [{w} + 4*{p}]",
            "vmovups ymm13, ymmword ptr [{w} + 4*{p} + 32]",
            "vmovups ymm14, ymmword ptr [{w} + 4*{p} + 64]",
            "vbroadcastss ymm15, dword ptr [{e} + 4]",
            "vfmadd231ps ymm0, ymm15, ymm12",
            "vfmadd231ps ymm1, ymm15, ymm13",
            "vfmadd231ps ymm2, ymm15, ymm14",
            "vbroadcastss ymm15, dword ptr [{e} + 8]",
            "vfmadd231ps ymm3, ymm15, ymm12",
            "vfmadd231ps ymm4, ymm15, ymm13",
            "vfmadd231ps ymm5, ymm15, ymm14",
            "vbroadcastss ymm15, dword ptr [{e} + 12]",
            "vfmadd231ps ymm6, ymm15, ymm12",
            "vfmadd231ps ymm7, ymm15, ymm13",
            "vfmadd231ps ymm8, ymm15, ymm14",
            "vbroadcastss ymm15, dword ptr [{e} + 16]",
            "vfmadd231ps ymm9, ymm15, ymm12",
            "vfmadd231ps ymm10, ymm15, ymm13",
            "vfmadd231ps ymm11, ymm15, ymm14",
            "add {e}, 20",
            "cmp {e}, {end}",
            "jne 2b",
            "3:",
            "vmovups ymmword ptr [{out}], ymm0",
            "vmovups ymmword ptr [{out} + 32], ymm1",
            "vmovups ymmword ptr [{out} + 64], ymm2",
            "vmovups ymmword ptr [{out} + 96], ymm3",
            "vmovups ymmword ptr [{out} + 128], ymm4",
            "vmovups ymmword ptr [{out} + 160], ymm5",
            "vmovups ymmword ptr [{out} + 192], ymm6",
            "vmovups ymmword ptr [{out} + 224], ymm7",
            "vmovups ymmword ptr [{out} + 256], ymm8",
            "vmovups ymmword ptr [{out} + 288], ymm9",
            "vmovups ymmword ptr [{out} + 320], ymm10",
            "vmovups ymmword ptr [{out} + 352], ymm11",
            "vzeroupper",
            e = inout(reg) range.start => _,
            end = in(reg) range.end,
            p = out(reg) _,
            m = in(reg) m,
            w = in(reg) b.as_ptr().add(c),
            out = in(reg) sums.as_mut_ptr(),
            out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
            out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
            out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
            out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
            options(nostack),
        );
    }
    sums
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
    fn every_level_gives_the_row_by_row_fused_sums() {
        // 6 rows (a group and a half) of 5 columns times 5 x 90: blocks of 64, 16, 8
        // and 1 columns (AVX-512), of 24, 16 and 1 (AVX2) or of 16, 8 and 1.
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
        for level in Level::ALL {
            let mut out = vec![f32::NAN; n * m];
            combine_groups(&g, &b, m, &mut out, level);
            assert_eq!(out, want, "{level:?}");
        }
        // Rows 4.. alone, as a thread given them lists and sums them.
        g.list(&a[4 * k..], k);
        for level in Level::ALL {
            let mut tail = vec![f32::NAN; 2 * m];
            combine_groups(&g, &b, m, &mut tail, level);
            assert_eq!(tail, want[4 * m..], "{level:?}, rows 4..");
        }
    }
}
