//! 128-bit fingerprints: identity by hash where keeping the hashed data would cost too much (the
//! cache's key of a whole workspace, the call graph's definition paths). XXH3's 128-bit hash
//! (several times faster than SipHash, which the graph's paths spent 3% of a run on); a
//! collision among even millions of keys is vanishingly unlikely (about 2^-88 for a million).

use xxhash_rust::xxh3::Xxh3Default;

/// The fingerprint of what `feed` writes.
pub fn hash128(feed: impl FnOnce(&mut Xxh3Default)) -> u128 {
    let mut h = Xxh3Default::new();
    feed(&mut h);
    h.digest128()
}

#[cfg(test)]
mod tests {
    use std::hash::Hash;

    fn of<T: Hash + ?Sized>(value: &T) -> u128 {
        super::hash128(|h| value.hash(h))
    }

    #[test]
    fn segment_boundaries_count() {
        let a: &[String] = &["ab".into(), "c".into()];
        let b: &[String] = &["a".into(), "bc".into()];
        assert_ne!(of(a), of(b));
        assert_eq!(of(a), of(&a.to_vec()[..]));
    }
}
