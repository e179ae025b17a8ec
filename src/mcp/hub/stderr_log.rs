//! The stderr of an attached stdio server: drained continuously (an unread pipe would block
//! the child once full) into a ring of lines, scrubbed of the server's secrets. Nothing reaches
//! the terminal: in the console a child's stderr would paint over the screen.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::line_ring::{LineRing, Numbered};
use super::redactor::Redactor;

/// Lines kept per server.
pub const STDERR_LINES: usize = 1000;

/// Longer lines are cut to this many bytes.
pub const MAX_LINE_BYTES: usize = 4096;

/// A server's captured stderr.
#[derive(Clone)]
pub struct StderrLog {
    ring: Arc<Mutex<LineRing<String>>>,
    redactor: Redactor,
    on_push: Arc<dyn Fn(u64) + Send + Sync>,
}

impl std::fmt::Debug for StderrLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StderrLog").finish_non_exhaustive()
    }
}

impl StderrLog {
    /// An empty log scrubbing with `redactor`; `on_push` is told each new line's number.
    pub fn new(redactor: Redactor, on_push: Arc<dyn Fn(u64) + Send + Sync>) -> StderrLog {
        StderrLog {
            ring: Arc::new(Mutex::new(LineRing::new(STDERR_LINES))),
            redactor,
            on_push,
        }
    }

    /// Appends one line (scrubbed).
    pub fn push(&self, line: &str) {
        let line = self.redactor.scrub(line).into_owned();
        let seq = match self.ring.lock() {
            Ok(mut ring) => ring.push(line),
            Err(poisoned) => poisoned.into_inner().push(line),
        };
        (self.on_push)(seq);
    }

    /// The lines numbered above `after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<Numbered<String>> {
        match self.ring.lock() {
            Ok(ring) => ring.since(after),
            Err(poisoned) => poisoned.into_inner().since(after),
        }
    }

    /// The newest `n` lines joined by newlines (for error reports).
    pub fn tail_text(&self, n: usize) -> String {
        let lines = match self.ring.lock() {
            Ok(ring) => ring.tail(n),
            Err(poisoned) => poisoned.into_inner().tail(n),
        };
        lines
            .into_iter()
            .map(|l| l.item)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads `pipe` to its end, line by line, into the log.
    pub async fn drain(self, pipe: impl AsyncRead + Unpin) {
        let mut reader = BufReader::new(pipe);
        let mut line: Vec<u8> = Vec::new();
        loop {
            let buf = match reader.fill_buf().await {
                Ok(buf) => buf,
                Err(e) => {
                    self.push(&format!("(reading stderr failed: {e})"));
                    break;
                }
            };
            if buf.is_empty() {
                break;
            }
            let (take, consumed, complete) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(line.len());
            line.extend_from_slice(&take[..take.len().min(room)]);
            reader.consume(consumed);
            if complete {
                self.push_bytes(&line);
                line.clear();
            }
        }
        if !line.is_empty() {
            self.push_bytes(&line);
        }
    }

    fn push_bytes(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        self.push(text.trim_end_matches('\r'));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_lines_cuts_long_ones_and_keeps_a_last_partial_line() {
        let log = StderrLog::new(Redactor::default(), Arc::new(|_| {}));
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let input = format!("one\r\ntwo\n{long}\nlast");
        log.clone().drain(input.as_bytes()).await;
        let lines: Vec<String> = log.since(0).into_iter().map(|l| l.item).collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "one");
        assert_eq!(lines[2].len(), MAX_LINE_BYTES);
        assert_eq!(lines[3], "last");
    }
}
