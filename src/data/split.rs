//! Seeded splits: train/test hold-out and stratified K-fold.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::error::{Error, Result};

/// Row indices of a hold-out split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Shuffles `0..n` with `seed` and holds out `ceil(n * test_fraction)` rows for testing,
/// as scikit-learn's `train_test_split` does (1797 rows at 0.25 give 1347 / 450).
pub fn shuffle_split(n: usize, test_fraction: f64, seed: u64) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::config(format!(
            "invalid test fraction {test_fraction}, which should be a number between 0 and 1 \
                (exclusive), e.g. 0.25"
        )));
    }
    let test_len = (n as f64 * test_fraction).ceil() as usize;
    if test_len == 0 || test_len >= n {
        return Err(Error::config(format!(
            "a test fraction of {test_fraction} of {n} images leaves no images for training or \
                testing"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
    let train = order.split_off(test_len);
    Ok(Split { train, test: order })
}

/// Stratified K-fold over `labels`: each fold's test part holds about 1/K of every class.
/// Returns K splits of indices into `labels`.
pub fn stratified_folds(labels: &[u8], classes: usize, k: usize, seed: u64) -> Result<Vec<Split>> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[usize::from(l)].push(i);
    }
    let smallest = by_class
        .iter()
        .map(Vec::len)
        .filter(|&c| c > 0)
        .min()
        .unwrap_or(0);
    if k < 2 || k > smallest {
        return Err(Error::config(format!(
            "invalid number of folds {k}, which should be at least 2 and at most {smallest} (the \
                size of the smallest class)"
        )));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut fold_of = vec![0usize; labels.len()];
    for members in &mut by_class {
        members.shuffle(&mut rng);
        for (j, &i) in members.iter().enumerate() {
            fold_of[i] = j % k;
        }
    }
    Ok((0..k)
        .map(|f| {
            let (test, train) = (0..labels.len()).partition(|&i| fold_of[i] == f);
            Split { train, test }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sizes_match_scikit_learn() {
        let s = shuffle_split(1797, 0.25, 0).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (1347, 450));
    }

    #[test]
    fn split_is_a_seeded_permutation() {
        let a = shuffle_split(100, 0.3, 7).unwrap();
        assert_eq!(a, shuffle_split(100, 0.3, 7).unwrap());
        assert_ne!(a, shuffle_split(100, 0.3, 8).unwrap());
        let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn split_refuses_fractions_outside_zero_one() {
        for f in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(shuffle_split(100, f, 0).is_err(), "{f}");
        }
    }

    #[test]
    fn folds_are_stratified_and_cover_every_row_once() {
        let labels: Vec<u8> = (0..60).map(|i| (i % 3) as u8).collect();
        let folds = stratified_folds(&labels, 3, 4, 1).unwrap();
        let mut seen = vec![0; 60];
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 60);
            for c in 0..3u8 {
                let n = f.test.iter().filter(|&&i| labels[i] == c).count();
                assert!((4..=6).contains(&n), "class {c} has {n} test rows");
            }
            for &i in &f.test {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&s| s == 1));
    }

    #[test]
    fn folds_refuse_more_folds_than_the_smallest_class() {
        let labels = [0u8, 0, 0, 1, 1];
        assert!(stratified_folds(&labels, 2, 3, 0).is_err());
        assert!(stratified_folds(&labels, 2, 1, 0).is_err());
        assert!(stratified_folds(&labels, 2, 2, 0).is_ok());
    }
}
