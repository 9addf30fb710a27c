//! "Did you mean ..?" for names users type: rule ids, configuration keys.

/// The candidate closest to `name` by edit distance, when it is close enough to be a typo.
pub fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn typos_find_their_rule() {
        let rules = ["nested_block_on", "runtime_per_call", "client_per_request"];
        assert_eq!(
            super::nearest("nested_blockon", &rules),
            Some("nested_block_on")
        );
        assert_eq!(
            super::nearest("client_per_requests", &rules),
            Some("client_per_request")
        );
        assert_eq!(super::nearest("something_else", &rules), None);
    }
}
