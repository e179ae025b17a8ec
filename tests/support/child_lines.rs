//! A child process's output as a channel of lines, read on a thread of its own, so a test can
//! wait for a line with a deadline (`recv_timeout`) instead of blocking on the pipe.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, Receiver};

/// The lines `out` produces, until it closes or the receiver is dropped.
pub fn lines_of(out: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}
