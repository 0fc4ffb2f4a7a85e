//! Grouping the marks of a picture into the digits of one row, from their boxes alone.
//!
//! The input is every connected piece of ink (a [`Mark`]: its box and its pixel
//! count). The steps, each a function below:
//!
//! 1. [`drop_lines`]: long thin marks (a ruled page's lines, an underline) are no digit,
//!    and [`drop_specks`]: marks with a tiny share of the ink are dust;
//! 2. [`merge_overlapping`]: pieces stacked in one column (a 5's flag, a broken stroke,
//!    a 4 with an open top) become one group;
//! 3. [`row_height`]: the height of a digit in this row, from the tall groups (a row
//!    shorter than [`MIN_DIGIT_FRACTION`] of the picture is dust, not digits);
//! 4. [`attach_small`]: pieces too short to be a digit join their nearest group (or
//!    are dropped as stray marks when no group is near), and [`attach_partial`]:
//!    pieces shorter than a digit right beside another (a 4's detached stroke) join it;
//! 5. [`check_one_row`]: groups stacked in several rows (a page of text) are no number;
//! 6. at most [`MAX_DIGITS`] groups, left to right.
//!
//! Splitting a group too wide for one digit needs its ink, so it is
//! [`super::split`]'s; [`too_wide`] only says which groups to split.

use super::Rect;

/// The most digits `--number` reads in one row.
pub const MAX_DIGITS: usize = 8;

/// A mark at least this many times wider than tall is a line, not a digit
/// (MNIST's widest digits are about 1.3 times wider than tall).
pub const LINE_ASPECT: f32 = 6.0;

/// Two pieces whose horizontal extents overlap by at least this fraction of the
/// narrower one belong to one digit when they are stacked.
pub const OVERLAP_FRACTION: f32 = 0.5;

/// Stacked pieces of one digit are at most this far apart vertically, in row heights.
pub const STACK_GAP: f32 = 0.35;

/// A group shorter than this fraction of the row height is a piece of a digit.
pub const SMALL_FRACTION: f32 = 0.45;

/// A group shorter than this fraction of the row height is part of a digit when it
/// is right beside another group.
pub const PARTIAL_FRACTION: f32 = 0.7;

/// "Right beside": at most this many row heights apart horizontally.
pub const BESIDE_GAP: f32 = 0.12;

/// A piece farther than this (in row heights) from every digit is a stray mark.
pub const ATTACH_DISTANCE: f32 = 1.0;

/// A mark with fewer pixels than this fraction of the largest mark's is a speck.
pub const SPECK_FRACTION: f32 = 0.03;

/// Digits are at least this fraction of the picture's shorter side tall.
pub const MIN_DIGIT_FRACTION: f32 = 0.04;

/// A group wider than this many times its height holds touching digits.
pub const WIDE_ASPECT: f32 = 1.3;

/// One connected piece of ink: its box in the picture and its number of ink pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub rect: Rect,
    pub pixels: usize,
}

/// Marks taken as one digit: indices into the marks given to [`group`], and
/// their joint box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub members: Vec<usize>,
    pub rect: Rect,
}

/// What the marks of a picture make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// 1 to [`MAX_DIGITS`] digits, left to right; `height` is the row's digit height.
    Row { groups: Vec<Group>, height: usize },
    /// No number: the reason, for the user.
    NoNumber(String),
    /// More digit-like groups than [`MAX_DIGITS`] in one row.
    TooMany(usize),
}

/// Groups `marks` of a picture whose shorter side is `short_side` pixels into the
/// digits of one row (see the module docs).
pub fn group(marks: &[Mark], short_side: usize) -> Layout {
    if marks.is_empty() {
        return Layout::NoNumber("no ink stands out from the paper".into());
    }
    let kept = drop_lines(marks);
    if kept.is_empty() {
        return Layout::NoNumber(format!(
            "the only marks are {} long straight line{} (a ruled page?), no digit",
            marks.len(),
            if marks.len() == 1 { "" } else { "s" }
        ));
    }
    let kept = drop_specks(marks, &kept);
    let groups = merge_overlapping(marks, &kept);
    let height = row_height(&groups);
    if (height as f32) < MIN_DIGIT_FRACTION * short_side as f32 {
        return Layout::NoNumber(format!(
            "the marks are at most {height} pixels tall, too small for digits in a picture \
             {short_side} pixels high (specks or dust?)"
        ));
    }
    let groups = attach_partial(attach_small(groups, height), height);
    if let Err(reason) = check_one_row(&groups, height) {
        return Layout::NoNumber(reason);
    }
    if groups.len() > MAX_DIGITS {
        return Layout::TooMany(groups.len());
    }
    Layout::Row { groups, height }
}

/// The indices of the marks that are not lines: a line is [`LINE_ASPECT`] times
/// wider than tall.
pub fn drop_lines(marks: &[Mark]) -> Vec<usize> {
    (0..marks.len())
        .filter(|&i| {
            let r = marks[i].rect;
            (r.w as f32) < LINE_ASPECT * r.h as f32
        })
        .collect()
}

/// The marks of `kept` that hold at least [`SPECK_FRACTION`] of the largest one's pixels.
pub fn drop_specks(marks: &[Mark], kept: &[usize]) -> Vec<usize> {
    let largest = kept.iter().map(|&i| marks[i].pixels).max().unwrap_or(0);
    let least = SPECK_FRACTION * largest as f32;
    kept.iter()
        .copied()
        .filter(|&i| marks[i].pixels as f32 >= least)
        .collect()
}

/// One group per set of stacked pieces: pieces are joined (transitively) when their
/// horizontal extents overlap by [`OVERLAP_FRACTION`] of the narrower and the vertical
/// gap between them is at most [`STACK_GAP`] of the taller. Groups come left to right.
pub fn merge_overlapping(marks: &[Mark], kept: &[usize]) -> Vec<Group> {
    let mut groups: Vec<Group> = kept
        .iter()
        .map(|&i| Group {
            members: vec![i],
            rect: marks[i].rect,
        })
        .collect();
    // Joining grows boxes, which can make new pairs overlap: repeat until stable.
    while let Some((a, b)) = find_pair(&groups, stacked) {
        let absorbed = groups.swap_remove(b);
        join(&mut groups[a], absorbed);
    }
    sort_left_to_right(&mut groups);
    groups
}

/// Whether two boxes are pieces of one digit stacked in one column.
pub fn stacked(a: &Rect, b: &Rect) -> bool {
    let narrower = a.w.min(b.w) as f32;
    let gap = a.v_gap(b) as f32;
    a.h_overlap(b) as f32 >= OVERLAP_FRACTION * narrower && gap <= STACK_GAP * a.h.max(b.h) as f32
}

/// The first pair `(a, b)`, `a < b`, that `related` joins.
fn find_pair(groups: &[Group], related: fn(&Rect, &Rect) -> bool) -> Option<(usize, usize)> {
    (0..groups.len()).find_map(|a| {
        (a + 1..groups.len())
            .find(|&b| related(&groups[a].rect, &groups[b].rect))
            .map(|b| (a, b))
    })
}

/// Adds `other`'s marks and box to `group`.
fn join(group: &mut Group, other: Group) {
    group.members.extend(other.members);
    group.members.sort_unstable();
    group.rect = group.rect.union(&other.rect);
}

fn sort_left_to_right(groups: &mut [Group]) {
    groups.sort_by_key(|g| (g.rect.x, g.rect.y));
}

/// The height of a digit in the row: the median height of the groups at least half
/// as tall as the tallest (so specks and flags do not count).
pub fn row_height(groups: &[Group]) -> usize {
    let tallest = groups.iter().map(|g| g.rect.h).max().unwrap_or(0);
    let mut tall: Vec<usize> = groups
        .iter()
        .map(|g| g.rect.h)
        .filter(|&h| 2 * h >= tallest)
        .collect();
    tall.sort_unstable();
    tall.get(tall.len() / 2).copied().unwrap_or(tallest).max(1)
}

/// Joins each group shorter than [`SMALL_FRACTION`] of the row height to the
/// nearest full-height group, or drops it when none is within [`ATTACH_DISTANCE`]
/// row heights. When no group is full height, all are kept as they are.
pub fn attach_small(groups: Vec<Group>, height: usize) -> Vec<Group> {
    let is_small = |g: &Group| (g.rect.h as f32) < SMALL_FRACTION * height as f32;
    let (small, mut digits): (Vec<Group>, Vec<Group>) = groups.into_iter().partition(is_small);
    if digits.is_empty() {
        return small;
    }
    for piece in small {
        let nearest = (0..digits.len())
            .min_by_key(|&i| (digits[i].rect.distance(&piece.rect), i))
            .unwrap_or(0);
        let near = digits[nearest].rect.distance(&piece.rect) as f32;
        if near <= ATTACH_DISTANCE * height as f32 {
            join(&mut digits[nearest], piece);
        }
    }
    sort_left_to_right(&mut digits);
    digits
}

/// Joins each group shorter than [`PARTIAL_FRACTION`] of the row height to its
/// nearest neighbour when they are at most [`BESIDE_GAP`] row heights apart and
/// the two together are no wider than a digit ([`WIDE_ASPECT`] row heights).
pub fn attach_partial(mut groups: Vec<Group>, height: usize) -> Vec<Group> {
    let h = height as f32;
    let fits = |a: &Rect, b: &Rect| {
        let short = (a.h.min(b.h) as f32) < PARTIAL_FRACTION * h;
        let beside = (a.h_gap(b) as f32) <= BESIDE_GAP * h;
        short && beside && (a.union(b).w as f32) <= WIDE_ASPECT * h
    };
    while let Some((a, b)) = (0..groups.len()).find_map(|a| {
        (a + 1..groups.len())
            .find(|&b| fits(&groups[a].rect, &groups[b].rect))
            .map(|b| (a, b))
    }) {
        let absorbed = groups.swap_remove(b);
        join(&mut groups[a], absorbed);
    }
    sort_left_to_right(&mut groups);
    groups
}

/// `Ok` when every group shares the row's band (the median group's vertical
/// extent, widened by half a row height each way); otherwise the reason.
pub fn check_one_row(groups: &[Group], height: usize) -> Result<(), String> {
    let mut centres: Vec<usize> = groups.iter().map(|g| g.rect.y + g.rect.h / 2).collect();
    centres.sort_unstable();
    let centre = centres[centres.len() / 2] as f32;
    let reach = height as f32;
    let off = groups
        .iter()
        .filter(|g| ((g.rect.y + g.rect.h / 2) as f32 - centre).abs() > reach)
        .count();
    if off == 0 {
        return Ok(());
    }
    Err(format!(
        "{off} of {} marks lie above or below the others: a number is read from one row \
         of 1 to {MAX_DIGITS} digits, not from several lines",
        groups.len()
    ))
}

/// How many digits a group too wide for one probably holds (at least 2), or `None`
/// when it is no wider than [`WIDE_ASPECT`] times its height.
pub fn too_wide(rect: &Rect) -> Option<usize> {
    let (w, h) = (rect.w as f32, rect.h.max(1) as f32);
    if w <= WIDE_ASPECT * h {
        return None;
    }
    // Side by side, handwritten digits are about 0.8 of their height apart.
    Some(((w / (0.8 * h)).round() as usize).clamp(2, MAX_DIGITS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(x: usize, y: usize, w: usize, h: usize) -> Mark {
        Mark {
            rect: Rect { x, y, w, h },
            pixels: (w * h / 4).max(1),
        }
    }

    fn row_of(layout: &Layout) -> &[Group] {
        match layout {
            Layout::Row { groups, .. } => groups,
            other => panic!("expected a row, got {other:?}"),
        }
    }

    fn members(layout: &Layout) -> Vec<Vec<usize>> {
        row_of(layout).iter().map(|g| g.members.clone()).collect()
    }

    #[test]
    fn digits_separated_by_gaps_are_read_left_to_right() {
        // Given out of order: 3 marks 60 tall, 40 wide, 20 apart.
        let marks = [
            mark(120, 10, 40, 60),
            mark(0, 12, 40, 58),
            mark(60, 8, 40, 62),
        ];
        let layout = group(&marks, 100);
        assert_eq!(members(&layout), vec![vec![1], vec![2], vec![0]]);
        assert!(matches!(layout, Layout::Row { height: 60, .. }));
    }

    #[test]
    fn a_fives_flag_joins_its_body() {
        // The flag: a short bar above the body, overlapping its right half, 3 px gap.
        let marks = [
            mark(0, 30, 40, 50),
            mark(20, 10, 35, 8),
            mark(80, 10, 40, 70),
        ];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_broken_stroke_joins_across_its_gap() {
        // A "1" broken in the middle: two thin pieces, one column, 6 px apart.
        let marks = [mark(10, 0, 8, 35), mark(11, 41, 8, 39), mark(50, 0, 40, 80)];
        let layout = group(&marks, 100);
        assert_eq!(members(&layout), vec![vec![0, 1], vec![2]]);
        assert_eq!(row_of(&layout)[0].rect, Rect::new(10, 0, 9, 80));
    }

    #[test]
    fn a_four_with_an_open_top_is_one_digit() {
        // The left stroke with the bar (an "L"), and the tall right stroke that
        // crosses the bar's right end without touching the left stroke.
        let marks = [mark(0, 0, 45, 50), mark(30, 0, 10, 80), mark(70, 0, 40, 80)];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_short_piece_right_beside_a_digit_joins_it() {
        // A slanted 4 whose right stroke (60 of 100 tall) is 4 px from the rest.
        let marks = [
            mark(0, 30, 50, 70),
            mark(54, 0, 25, 60),
            mark(120, 0, 50, 100),
            mark(200, 0, 50, 100),
        ];
        assert_eq!(
            members(&group(&marks, 100)),
            vec![vec![0, 1], vec![2], vec![3]]
        );
        // Full-height neighbours as close stay apart (a 1 beside a 7).
        let marks = [mark(0, 0, 12, 100), mark(16, 0, 50, 100)];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0], vec![1]]);
        // A short digit beside a wide one is not joined into something too wide.
        let marks = [mark(0, 0, 90, 100), mark(95, 40, 50, 60)];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0], vec![1]]);
    }

    #[test]
    fn slanted_neighbours_that_barely_overlap_stay_apart() {
        // Two 40-wide digits whose boxes overlap by 8 px (a slanted hand).
        let marks = [mark(0, 0, 40, 80), mark(32, 0, 40, 80)];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0], vec![1]]);
        // Two ones, 10 px wide, side by side with a 4 px overlap of their boxes.
        let ones = [mark(0, 0, 10, 80), mark(6, 0, 10, 80)];
        assert_eq!(members(&group(&ones, 100)), vec![vec![0], vec![1]]);
    }

    #[test]
    fn stacked_digits_far_apart_are_not_one_digit() {
        // Same column, a full row height apart: two rows, not one digit.
        let layout = group(&[mark(0, 0, 40, 60), mark(0, 120, 40, 60)], 100);
        assert!(matches!(layout, Layout::NoNumber(ref r) if r.contains("several lines")));
    }

    #[test]
    fn small_pieces_join_their_nearest_digit_and_strays_are_dropped() {
        // A blob 5 px right of the first digit joins it; one 360 px away is dropped.
        let marks = [
            mark(0, 0, 40, 80),
            mark(45, 30, 12, 12),
            mark(100, 0, 40, 80),
            mark(500, 40, 12, 12),
        ];
        assert_eq!(members(&group(&marks, 100)), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn specks_and_dust_are_not_digits() {
        // A speck of 2 pixels beside a digit of 1200 is dropped, not joined to it.
        let mut marks = vec![mark(0, 0, 40, 80), mark(42, 10, 2, 2)];
        marks[1].pixels = 2;
        assert_eq!(members(&group(&marks, 100)), vec![vec![0]]);
        // Only dust in a 1000-pixel-high picture: no number.
        let dust = [mark(10, 10, 5, 6), mark(400, 300, 6, 5)];
        let Layout::NoNumber(reason) = group(&dust, 1000) else {
            panic!("dust read as digits")
        };
        assert!(reason.contains("specks or dust"), "{reason}");
    }

    #[test]
    fn a_ruled_page_is_no_number() {
        let lines = [
            mark(0, 50, 900, 3),
            mark(0, 100, 900, 3),
            mark(0, 150, 880, 2),
        ];
        let Layout::NoNumber(reason) = group(&lines, 100) else {
            panic!("lines read as digits")
        };
        assert!(reason.contains("3 long straight lines"), "{reason}");
        // Digits written between the lines are still read.
        let mut marks = lines.to_vec();
        marks.extend([mark(100, 60, 20, 35), mark(130, 60, 20, 35)]);
        assert_eq!(members(&group(&marks, 100)), vec![vec![3], vec![4]]);
    }

    #[test]
    fn no_marks_is_no_number() {
        assert!(matches!(group(&[], 100), Layout::NoNumber(r) if r.contains("no ink")));
    }

    #[test]
    fn lines_of_text_are_no_number() {
        // Three lines of ten letters each, 20 tall, 30 apart.
        let marks: Vec<Mark> = (0..3)
            .flat_map(|line| (0..10).map(move |i| mark(i * 18, line * 30, 14, 20)))
            .collect();
        let Layout::NoNumber(reason) = group(&marks, 100) else {
            panic!("text read as a number")
        };
        assert!(
            reason.contains("of 30 marks lie above or below"),
            "{reason}"
        );
    }

    #[test]
    fn more_than_eight_digits_are_too_many() {
        let nine: Vec<Mark> = (0..9).map(|i| mark(i * 50, 0, 40, 60)).collect();
        assert_eq!(group(&nine, 100), Layout::TooMany(9));
        assert_eq!(row_of(&group(&nine[..8], 100)).len(), 8);
    }

    #[test]
    fn the_row_height_ignores_short_pieces() {
        let g = |h| Group {
            members: vec![],
            rect: Rect::new(0, 0, 10, h),
        };
        assert_eq!(row_height(&[g(80), g(10), g(70), g(78), g(5)]), 78);
        assert_eq!(row_height(&[g(3)]), 3);
    }

    #[test]
    fn only_groups_wider_than_a_digit_are_split() {
        assert_eq!(too_wide(&Rect::new(0, 0, 50, 60)), None);
        assert_eq!(too_wide(&Rect::new(0, 0, 78, 60)), None);
        assert_eq!(too_wide(&Rect::new(0, 0, 96, 60)), Some(2));
        assert_eq!(too_wide(&Rect::new(0, 0, 150, 60)), Some(3));
        assert_eq!(too_wide(&Rect::new(0, 0, 5000, 10)), Some(MAX_DIGITS));
    }
}
