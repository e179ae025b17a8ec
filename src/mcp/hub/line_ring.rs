//! A bounded ring of numbered entries: the last N lines a server wrote to stderr, or the last N
//! JSON-RPC messages of its wire log. Every entry gets the next sequence number, so a reader
//! asks for what came after the last number it saw and never re-reads or misses silently
//! (entries older than the ring are gone; the first number returned shows the gap).

use std::collections::VecDeque;

/// One entry with its sequence number (counting from 1 over the ring's lifetime).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Numbered<T> {
    /// The entry's number.
    pub seq: u64,
    /// The entry.
    pub item: T,
}

/// The last `capacity` entries pushed.
#[derive(Debug)]
pub struct LineRing<T> {
    entries: VecDeque<Numbered<T>>,
    capacity: usize,
    last_seq: u64,
}

impl<T: Clone> LineRing<T> {
    /// An empty ring keeping at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        LineRing {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            last_seq: 0,
        }
    }

    /// Appends `item`, dropping the oldest entry when full; returns its number.
    pub fn push(&mut self, item: T) -> u64 {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.last_seq += 1;
        self.entries.push_back(Numbered {
            seq: self.last_seq,
            item,
        });
        self.last_seq
    }

    /// The number of the newest entry (0 when nothing was ever pushed).
    #[cfg(test)]
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The entries numbered above `after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<Numbered<T>> {
        self.entries
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect()
    }

    /// The newest `n` entries, oldest first.
    pub fn tail(&self, n: usize) -> Vec<Numbered<T>> {
        let skip = self.entries.len().saturating_sub(n);
        self.entries.iter().skip(skip).cloned().collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_entries_and_numbers_them() {
        let mut ring = LineRing::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.last_seq(), 5);
        let all: Vec<_> = ring.since(0).into_iter().map(|e| (e.seq, e.item)).collect();
        assert_eq!(all, vec![(3, 2), (4, 3), (5, 4)]);
        assert_eq!(ring.since(4).len(), 1);
        assert_eq!(ring.tail(2)[0].item, 3);
    }
}
