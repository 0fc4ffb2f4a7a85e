//! The separate marks of a picture's ink, and which of them make the digit.
//!
//! [`find_components`] labels the 8-connected groups of candidate ink pixels
//! of an [`InkMap`] and keeps those that rise to its strong threshold and its
//! contrast floor. [`digit_group`] applies the size rule for one digit: the
//! largest mark, and the marks near it that are large enough to be part of it
//! (a 5's flag, a broken stroke); specks and dust are left out.
//! [`prepare_components`] prepares any chosen set of marks as one digit.

use super::ink::InkMap;
use super::{MIN_CONTRAST, NoDigit, Prepared, Target};

/// A box `(x, y, width, height)` in pixels.
pub type PixelBox = (usize, usize, usize, usize);

/// Marks with fewer pixels than this fraction of the largest mark are specks.
const SPECK_FRACTION: f32 = 0.05;

/// A mark belongs to the digit when its box is at most this many times the
/// largest mark's box height away from that box.
const NEAR_FRACTION: f32 = 0.25;

/// A digit's largest mark spans at least this fraction of the analysed
/// picture's shorter side (a smaller mark is dust, not a digit).
const MIN_DIGIT_FRACTION: f32 = 0.04;

/// A mark along at least this fraction of one side of the picture that fills at
/// least [`EDGE_FILL`] of its box is a shadow's or the page's edge
/// ([`is_page_edge`]): a digit's strokes fill a third of its box or so.
const EDGE_SPAN: f32 = 0.9;
const EDGE_FILL: f32 = 0.6;

/// The digit's box holds its pixels with at least this much ink (of a full stroke).
const BOX_LEVEL: f32 = 0.1;

/// One mark: an 8-connected group of candidate ink pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// Its box in the ink map's (analysis) pixels; [`InkMap::to_picture`]
    /// converts it to the picture's pixels.
    pub bbox: PixelBox,
    /// How many ink-map pixels it holds.
    pub pixels: usize,
    /// The sum of its pixels' ink strengths.
    pub mass: f32,
    /// Its strongest pixel's ink strength.
    pub peak: f32,
}

/// The marks of an ink map and which mark each pixel belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Components {
    /// The marks that pass the strong threshold and the contrast floor, largest
    /// (most pixels) first.
    pub list: Vec<Component>,
    /// Per ink-map pixel: `0` for paper, else `1 +` the index of its mark in `list`.
    pub labels: Vec<u32>,
    /// Columns of the ink map.
    pub width: usize,
}

/// Labels the marks of `ink` (see the module docs). Marks that never reach the
/// strong threshold or the contrast floor ([`MIN_CONTRAST`]) are grain, not ink;
/// the edge of a shadow or of the page (`is_page_edge`) is no mark either.
pub fn find_components(ink: &InkMap) -> Components {
    let raw = label(ink);
    let mut found: Vec<(u32, Component)> = Vec::new();
    let mut stats: Vec<Option<Component>> = vec![None; raw.count];
    let mut on_edges = vec![[0usize; 4]; raw.count];
    for (i, &l) in raw.labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let (x, y, s) = (i % ink.width, i / ink.width, ink.strength[i]);
        let c = stats[l as usize - 1].get_or_insert(Component {
            bbox: (x, y, 1, 1),
            pixels: 0,
            mass: 0.0,
            peak: 0.0,
        });
        c.bbox = grow(c.bbox, x, y);
        c.pixels += 1;
        c.mass += s;
        c.peak = c.peak.max(s);
        let sides = [x == 0, y == 0, x + 1 == ink.width, y + 1 == ink.height];
        for (count, on) in on_edges[l as usize - 1].iter_mut().zip(sides) {
            *count += usize::from(on);
        }
    }
    let floor = ink.strong.max(MIN_CONTRAST);
    let size = (ink.width, ink.height);
    for (l, c) in stats.into_iter().enumerate() {
        let kept = c.filter(|c| c.peak >= floor && !is_page_edge(c, on_edges[l], size));
        if let Some(c) = kept {
            found.push((l as u32 + 1, c));
        }
    }
    found.sort_by(|a, b| b.1.pixels.cmp(&a.1.pixels).then(a.0.cmp(&b.0)));
    let mut renumber = vec![0u32; raw.count + 1];
    for (new, (old, _)) in found.iter().enumerate() {
        renumber[*old as usize] = new as u32 + 1;
    }
    Components {
        list: found.into_iter().map(|(_, c)| c).collect(),
        labels: raw.labels.iter().map(|&l| renumber[l as usize]).collect(),
        width: ink.width,
    }
}

/// Whether a mark is the edge of a shadow or of the page rather than ink: it runs
/// along at least [`EDGE_SPAN`] of one of the picture's sides (`on_edges`: its
/// pixels on the left column, top row, right column and bottom row of a `(width,
/// height)` picture), reaches at most half way across the picture from it, and
/// fills at least [`EDGE_FILL`] of its box: a band rather than strokes, and not a
/// digit cropped tight (which reaches across). (The paper's estimate cannot follow
/// a shadow along an edge that is narrower than its window, and such a shadow is
/// darker than the estimate.)
fn is_page_edge(c: &Component, on_edges: [usize; 4], (width, height): (usize, usize)) -> bool {
    let (_, _, w, h) = c.bbox;
    // Per side: its length, and how far the mark reaches across from it.
    let sides = [(height, w, width), (width, h, height)];
    let band = on_edges.iter().enumerate().any(|(k, &n)| {
        let (length, reach, across) = sides[k % 2];
        n as f32 >= EDGE_SPAN * length as f32 && 2 * reach <= across
    });
    band && c.pixels as f32 >= EDGE_FILL * (w * h) as f32
}

/// `bbox` grown to hold pixel `(x, y)`.
fn grow((bx, by, bw, bh): PixelBox, x: usize, y: usize) -> PixelBox {
    let (x0, y0) = (bx.min(x), by.min(y));
    let (x1, y1) = ((bx + bw).max(x + 1), (by + bh).max(y + 1));
    (x0, y0, x1 - x0, y1 - y0)
}

/// Raw labels `1..=count` of the 8-connected candidate ink pixels, `0` for paper.
struct Labelled {
    labels: Vec<u32>,
    count: usize,
}

/// Two-pass connected-component labelling with union-find.
fn label(ink: &InkMap) -> Labelled {
    let (w, h) = (ink.width, ink.height);
    let mut labels = vec![0u32; w * h];
    let mut parent: Vec<u32> = vec![0];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !ink.is_ink(i) {
                continue;
            }
            let mut own = 0u32;
            for (dx, dy) in [(-1isize, 0isize), (-1, -1), (0, -1), (1, -1)] {
                let (nx, ny) = (x as isize + dx, y as isize + dy);
                if nx < 0 || ny < 0 || nx >= w as isize {
                    continue;
                }
                let n = labels[ny as usize * w + nx as usize];
                if n == 0 {
                    continue;
                }
                own = if own == 0 {
                    n
                } else {
                    union(&mut parent, own, n)
                };
            }
            if own == 0 {
                own = parent.len() as u32;
                parent.push(own);
            }
            labels[i] = own;
        }
    }
    let mut dense = vec![0u32; parent.len()];
    let mut count = 0;
    for l in 1..parent.len() {
        let root = find(&mut parent, l as u32) as usize;
        if dense[root] == 0 {
            count += 1;
            dense[root] = count as u32;
        }
        dense[l] = dense[root];
    }
    labels.iter_mut().for_each(|l| *l = dense[*l as usize]);
    Labelled { labels, count }
}

fn find(parent: &mut [u32], mut l: u32) -> u32 {
    while parent[l as usize] != l {
        parent[l as usize] = parent[parent[l as usize] as usize];
        l = parent[l as usize];
    }
    l
}

/// Joins the sets of `a` and `b`; returns the root of the joined set.
fn union(parent: &mut [u32], a: u32, b: u32) -> u32 {
    let (ra, rb) = (find(parent, a), find(parent, b));
    let (lo, hi) = (ra.min(rb), ra.max(rb));
    parent[hi as usize] = lo;
    lo
}

/// The indices (into `components.list`) of the marks that make one digit: the
/// largest mark and the marks near it that are not specks. Empty when even
/// the largest mark is too small to be a digit in a picture `short_side` long.
pub fn digit_group(components: &Components, short_side: usize) -> Vec<usize> {
    let Some(main) = components.list.first() else {
        return vec![];
    };
    let span = main.bbox.2.max(main.bbox.3) as f32;
    if span < MIN_DIGIT_FRACTION * short_side as f32 {
        return vec![];
    }
    let reach = NEAR_FRACTION * main.bbox.3.max(main.bbox.2) as f32;
    let least = SPECK_FRACTION * main.pixels as f32;
    (0..components.list.len())
        .filter(|&i| {
            let c = &components.list[i];
            i == 0 || (c.pixels as f32 >= least && box_gap(main.bbox, c.bbox) <= reach)
        })
        .collect()
}

/// The distance between two boxes (0 when they overlap), the larger of the
/// horizontal and vertical gaps.
pub fn box_gap(a: PixelBox, b: PixelBox) -> f32 {
    let gap = |a0: usize, al: usize, b0: usize, bl: usize| {
        (b0.saturating_sub(a0 + al)).max(a0.saturating_sub(b0 + bl))
    };
    gap(a.0, a.2, b.0, b.2).max(gap(a.1, a.3, b.1, b.3)) as f32
}

/// The ink of the chosen marks alone: their pixels' strengths and those of
/// the pixels touching them (the anti-aliased edge below the weak threshold),
/// scaled so a full stroke is 1; everything else is paper (0). Row-major, the
/// ink map's size; with the box `(x, y, w, h)` of the chosen marks.
pub fn chosen_ink(ink: &InkMap, components: &Components, chosen: &[usize]) -> (Vec<f32>, PixelBox) {
    let (w, h) = (ink.width, ink.height);
    let mut keep = vec![false; components.list.len() + 1];
    chosen
        .iter()
        .filter(|&&c| c < components.list.len())
        .for_each(|&c| keep[c + 1] = true);
    let is_kept = |i: usize| keep[components.labels[i] as usize];
    let (x0, y0, rw, rh) = reach(ink, components, chosen);
    let mut out = vec![0.0f32; w * h];
    let mut bbox: Option<PixelBox> = None;
    for y in y0..y0 + rh {
        for x in x0..x0 + rw {
            let i = y * w + x;
            if is_kept(i) {
                bbox = Some(bbox.map_or((x, y, 1, 1), |b| grow(b, x, y)));
                for yy in y.saturating_sub(1)..(y + 2).min(h) {
                    for xx in x.saturating_sub(1)..(x + 2).min(w) {
                        out[yy * w + xx] = ink.strength[yy * w + xx];
                    }
                }
            }
        }
    }
    let rows = || {
        out.chunks_exact(w)
            .skip(y0)
            .take(rh)
            .map(|r| &r[x0..x0 + rw])
    };
    let full = stroke_level(rows().flatten().copied(), ink.strong);
    for row in out.chunks_exact_mut(w).skip(y0).take(rh) {
        row[x0..x0 + rw]
            .iter_mut()
            .for_each(|v| *v = (*v / full).clamp(0.0, 1.0));
    }
    let faint = faint_box(&out, w, (x0, y0, rw, rh))
        .or(bbox)
        .unwrap_or((0, 0, 0, 0));
    (out, faint)
}

/// The part of the ink map that [`chosen_ink`] may fill: the chosen marks' boxes
/// and the pixels around them. The whole map when the strong threshold is not
/// above paper (0), so that the paper's pixels count as strokes as they should.
fn reach(ink: &InkMap, components: &Components, chosen: &[usize]) -> PixelBox {
    let marks = chosen.iter().filter_map(|&c| components.list.get(c));
    let union = marks.map(|c| c.bbox).reduce(|a, b| {
        let a = grow(a, b.0, b.1);
        grow(a, b.0 + b.2 - 1, b.1 + b.3 - 1)
    });
    match union {
        Some((x, y, bw, bh)) if ink.strong > 0.0 => {
            let (x0, y0) = (x.saturating_sub(1), y.saturating_sub(1));
            let (x1, y1) = ((x + bw + 1).min(ink.width), (y + bh + 1).min(ink.height));
            (x0, y0, x1 - x0, y1 - y0)
        }
        _ => (0, 0, ink.width, ink.height),
    }
}

/// The box of the values at least [`BOX_LEVEL`] within `region` of a picture
/// `width` wide: like MNIST's, it holds the faint anti-aliased edge of the strokes.
pub(crate) fn faint_box(
    values: &[f32],
    width: usize,
    (x0, y0, rw, rh): PixelBox,
) -> Option<PixelBox> {
    let mut found: Option<PixelBox> = None;
    for (y, row) in values.chunks_exact(width).enumerate().skip(y0).take(rh) {
        for (x, &v) in row.iter().enumerate().skip(x0).take(rw) {
            if v >= BOX_LEVEL {
                found = Some(found.map_or((x, y, 1, 1), |b| grow(b, x, y)));
            }
        }
    }
    found
}

/// The strength of a full stroke: the 75th percentile of the strengths above
/// the strong threshold (`strong` itself when none is).
fn stroke_level(values: impl Iterator<Item = f32>, strong: f32) -> f32 {
    let mut above: Vec<f32> = values.filter(|&v| v >= strong).collect();
    if above.is_empty() {
        return strong.max(f32::MIN_POSITIVE);
    }
    let k = (above.len() - 1) * 3 / 4;
    *above.select_nth_unstable_by(k, f32::total_cmp).1
}

/// Prepares the chosen marks (indices into `components.list`) as one digit
/// for `target`; the box in the result is in the picture's pixels. The number
/// reader prepares each digit of a row so.
pub fn prepare_components(
    ink: &InkMap,
    components: &Components,
    chosen: &[usize],
    target: Target,
) -> Result<Prepared, NoDigit> {
    prepare_with(ink, components, chosen, target, super::fit)
}

/// [`prepare_components`] for a digit photographed alone, straightened half way
/// first ([`super::fit_upright`]). The digits of a number are not: on 900 photos
/// of numbers of held-out training digits (seeds 1 to 3), 4 fewer numbers are
/// read right when they are.
pub fn prepare_single(
    ink: &InkMap,
    components: &Components,
    chosen: &[usize],
    target: Target,
) -> Result<Prepared, NoDigit> {
    prepare_with(ink, components, chosen, target, super::fit_upright)
}

/// The preparation of the chosen marks with `fit` (see [`super::fit`]).
fn prepare_with(
    ink: &InkMap,
    components: &Components,
    chosen: &[usize],
    target: Target,
    fit: fn(&[f32], usize, PixelBox, Target) -> Vec<f32>,
) -> Result<Prepared, NoDigit> {
    if chosen.iter().all(|&c| c >= components.list.len()) {
        return Err(NoDigit {
            reason: "no mark stands out from the paper".into(),
        });
    }
    let (values, bbox) = chosen_ink(ink, components, chosen);
    let [x, y, w, h] = ink.to_picture(bbox);
    Ok(Prepared {
        target,
        pixels: fit(&values, ink.width, bbox, target),
        dark_ink: ink.dark_ink,
        ink_box: (x, y, w, h),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ink map from rows of text: `#` strong ink, `+` weak ink, `.` paper.
    fn map(rows: &[&str]) -> InkMap {
        let width = rows[0].len();
        let strength = rows
            .iter()
            .flat_map(|r| r.chars())
            .map(|c| match c {
                '#' => 1.0,
                '+' => 0.3,
                _ => 0.0,
            })
            .collect();
        InkMap {
            width,
            height: rows.len(),
            factor: 2,
            picture: (2 * width, 2 * rows.len()),
            strength,
            weak: 0.2,
            strong: 0.5,
            dark_ink: true,
        }
    }

    #[test]
    fn marks_are_8_connected_and_weak_only_marks_are_grain() {
        let ink = map(&[
            "#.......++",
            ".#......++",
            "..#.......",
            "..#...##..",
            "......#...",
        ]);
        let c = find_components(&ink);
        assert_eq!(c.list.len(), 2, "{:?}", c.list);
        assert_eq!(c.list[0].bbox, (0, 0, 3, 4));
        assert_eq!(c.list[0].pixels, 4);
        assert_eq!(c.list[1].bbox, (6, 3, 2, 2));
        assert_eq!(c.labels[0], 1);
        assert_eq!(c.labels[9], 0, "the weak-only mark is dropped");
        assert_eq!(ink.to_picture(c.list[1].bbox), [12, 6, 4, 4]);
    }

    #[test]
    fn labels_join_a_u_shape_from_both_arms() {
        let ink = map(&["#...#", "#...#", "#####"]);
        let c = find_components(&ink);
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.list[0].pixels, 9);
    }

    #[test]
    fn the_digit_keeps_near_pieces_and_drops_specks_and_far_marks() {
        let mut rows = vec!["....................................".to_string(); 30];
        let mut put = |x: usize, y: usize| rows[y].replace_range(x..x + 1, "#");
        for y in 3..28 {
            put(10, y); // the main stroke: 25 pixels
        }
        for x in 12..15 {
            put(x, 5); // a flag 1 pixel away, 3 pixels (12%)
        }
        put(8, 15); // a speck beside it: 1 pixel (4%, below the 5% floor)
        for y in 10..14 {
            put(33, y); // a mark far away: 4 pixels
        }
        let strs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let c = find_components(&map(&strs));
        assert_eq!(c.list.len(), 4);
        let group = digit_group(&c, 30);
        let boxes: Vec<PixelBox> = group.iter().map(|&i| c.list[i].bbox).collect();
        assert_eq!(boxes, vec![(10, 3, 1, 25), (12, 5, 3, 1)]);
    }

    #[test]
    fn chosen_ink_keeps_the_edge_of_the_strokes_only() {
        let ink = map(&["......", ".+##+.", "......", "....#."]);
        let c = find_components(&ink);
        let (values, bbox) = chosen_ink(&ink, &c, &[0]);
        assert_eq!(bbox, (1, 1, 4, 1));
        assert_eq!(values[6 + 2], 1.0);
        assert!((values[6 + 1] - 0.3).abs() < 1e-6);
        assert_eq!(values[3 * 6 + 4], 0.0, "the other mark is left out");
        assert!(prepare_components(&ink, &c, &[7], Target::MNIST).is_err());
        let p = prepare_components(&ink, &c, &[0, 1], Target::MNIST).unwrap();
        assert_eq!(p.ink_box, (2, 2, 8, 6));
    }

    #[test]
    fn a_band_along_an_edge_is_no_mark_but_a_digit_touching_it_is() {
        // A shadow's band along the top, a mark below it, and a band along the
        // right side that stops short of the bottom (less than 90% of the side).
        let shadow = map(&[
            "##########",
            "##########",
            "..........",
            "...#......",
            "...#.....#",
            "...#.....#",
            ".........#",
            "..........",
        ]);
        let c = find_components(&shadow);
        let boxes: Vec<PixelBox> = c.list.iter().map(|m| m.bbox).collect();
        assert_eq!(boxes, vec![(3, 3, 1, 3), (9, 4, 1, 3)]);
        assert_eq!(c.labels[0], 0, "the band is paper");
        // A 7 cropped tight to its box: its bar runs along the whole top edge, but its
        // strokes fill little of the box.
        let seven = map(&["######", "....#.", "...#..", "..#...", "..#..."]);
        let c = find_components(&seven);
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.list[0].bbox, (0, 0, 6, 5));
        // A bar cropped tight fills its box but reaches across the picture.
        let one = map(&["##", "##", "##", "##"]);
        assert_eq!(find_components(&one).list.len(), 1);
    }
}
