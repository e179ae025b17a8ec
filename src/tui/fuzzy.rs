//! Fuzzy matching for the palette and the help search: the query's characters must appear in
//! order; consecutive runs, word starts and a prefix score higher.

/// The score of `candidate` for `query` (higher is better), or `None` when it does not match.
/// An empty query matches everything with score 0.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i32> {
    let query: Vec<char> = query
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if query.is_empty() {
        return Some(0);
    }
    let cand: Vec<char> = candidate.to_lowercase().chars().collect();
    let mut score = 0;
    let mut qi = 0;
    let mut prev: Option<usize> = None;
    for (ci, c) in cand.iter().enumerate() {
        if qi < query.len() && *c == query[qi] {
            score += 1;
            if prev.is_some_and(|p| p + 1 == ci) {
                score += 5;
            }
            if ci == 0 {
                score += 8;
            } else if matches!(cand[ci - 1], ' ' | '.' | '_' | '-' | '/') {
                score += 4;
            }
            prev = Some(ci);
            qi += 1;
        }
    }
    (qi == query.len()).then(|| score - (cand.len() as i32) / 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequences_match_and_tight_matches_win() {
        assert!(fuzzy_score("snw", "snapshot now").is_some());
        assert!(fuzzy_score("xyz", "snapshot now").is_none());
        let tight = fuzzy_score("sync", "sync now").unwrap();
        let loose = fuzzy_score("sync", "snapshot ... yearly nc").unwrap_or(0);
        assert!(tight > loose);
        assert_eq!(fuzzy_score("", "anything"), Some(0));
    }
}
