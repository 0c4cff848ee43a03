//! A fixed-size set of customer ordinals, one bit each: the unit every condition evaluates to.
//! Groups are word-wise AND / OR / NOT, so combining conditions costs n/64 operations.

use rayon::prelude::*;

use super::column::Column;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits {
    /// Mapped from the kept index for tags and consent; copied when changed.
    words: Column<u64>,
    len: usize,
}

impl Bits {
    pub fn none(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)].into(),
            len,
        }
    }

    pub fn all(len: usize) -> Bits {
        let mut b = Bits {
            words: vec![u64::MAX; len.div_ceil(64)].into(),
            len,
        };
        b.clear_tail();
        b
    }

    /// Bit `i` is `test(i)`; evaluated on all cores, 64 customers per task step.
    pub fn from_fn(len: usize, test: impl Fn(usize) -> bool + Sync) -> Bits {
        let mut b = Bits::none(len);
        b.words
            .make_mut()
            .par_iter_mut()
            .with_min_len(256)
            .enumerate()
            .for_each(|(w, word)| {
                let start = w * 64;
                let end = (start + 64).min(len);
                let mut bits = 0u64;
                for i in start..end {
                    bits |= (test(i) as u64) << (i - start);
                }
                *word = bits;
            });
        b
    }

    /// A set stored as words (from the kept index); `None` unless there are exactly enough.
    pub(super) fn from_words(words: Column<u64>, len: usize) -> Option<Bits> {
        (words.len() == len.div_ceil(64)).then_some(Bits { words, len })
    }

    pub(super) fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    pub fn insert(&mut self, i: usize) {
        self.words.make_mut()[i / 64] |= 1 << (i % 64);
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn and(&mut self, other: &Bits) {
        self.words
            .make_mut()
            .iter_mut()
            .zip(other.words.iter())
            .for_each(|(a, b)| *a &= b);
    }

    pub fn or(&mut self, other: &Bits) {
        self.words
            .make_mut()
            .iter_mut()
            .zip(other.words.iter())
            .for_each(|(a, b)| *a |= b);
    }

    pub fn and_not(&mut self, other: &Bits) {
        self.words
            .make_mut()
            .iter_mut()
            .zip(other.words.iter())
            .for_each(|(a, b)| *a &= !b);
    }

    pub fn not(&mut self) {
        self.words.make_mut().iter_mut().for_each(|w| *w = !*w);
        self.clear_tail();
    }

    /// The ordinals in the set, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
    }

    fn clear_tail(&mut self) {
        if !self.len.is_multiple_of(64) {
            if let Some(last) = self.words.make_mut().last_mut() {
                *last &= (1u64 << (self.len % 64)) - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn negation_never_sets_bits_past_the_end() {
        let mut b = Bits::none(70);
        b.insert(3);
        b.not();
        assert_eq!(b.count(), 69);
        assert!(!b.contains(3) && b.contains(69));
        assert_eq!(Bits::all(70).count(), 70);
        let odd = Bits::from_fn(70, |i| i % 2 == 1);
        assert_eq!(odd.ones().take(3).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(odd.count(), 35);
    }
}
