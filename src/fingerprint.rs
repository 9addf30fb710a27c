//! 128-bit fingerprints: identity by hash where keeping the hashed data would cost too much (the
//! cache's key of a whole workspace, the call graph's definition paths). Two differently seeded
//! SipHash-1-3 hashes; a collision among even millions of keys is vanishingly unlikely (about
//! 2^-88 for a million).

use std::hash::{DefaultHasher, Hash, Hasher};

/// The fingerprint of what `feed` writes.
pub fn hash128(feed: impl Fn(&mut DefaultHasher)) -> u128 {
    let half = |seed: u8| {
        let mut h = DefaultHasher::new();
        seed.hash(&mut h);
        feed(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// The fingerprint of one value.
pub fn of<T: Hash + ?Sized>(value: &T) -> u128 {
    hash128(|h| value.hash(h))
}

#[cfg(test)]
mod tests {
    #[test]
    fn segment_boundaries_count() {
        let a: &[String] = &["ab".into(), "c".into()];
        let b: &[String] = &["a".into(), "bc".into()];
        assert_ne!(super::of(a), super::of(b));
        assert_eq!(super::of(a), super::of(&a.to_vec()[..]));
    }
}
