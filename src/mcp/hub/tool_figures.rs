//! Per-tool call figures of an attached server: how many calls, how they ended (ok, a result
//! with `isError`, a protocol error, a timeout, a cancellation), and their latency.

use std::time::Duration;

use serde::Serialize;

/// How one call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallEnd {
    /// A result without `isError`.
    Ok,
    /// A result with `isError: true` (the tool ran and failed).
    IsError,
    /// A JSON-RPC error or a broken connection.
    ProtocolError,
    /// No answer within the timeout (the request was cancelled).
    Timeout,
    /// Cancelled by the caller.
    Cancelled,
}

/// The figures of one tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ToolFigures {
    /// Calls made.
    pub calls: u64,
    /// Calls that returned a result without `isError`.
    pub ok: u64,
    /// Calls that returned `isError: true`.
    pub is_error: u64,
    /// Calls that failed at the protocol level (JSON-RPC error, connection lost).
    pub protocol_errors: u64,
    /// Calls that timed out.
    pub timeouts: u64,
    /// Calls cancelled by the caller.
    pub cancelled: u64,
    /// Fastest answered call, in milliseconds.
    pub latency_min_ms: Option<f64>,
    /// Mean over answered calls (ok and isError), in milliseconds.
    pub latency_avg_ms: Option<f64>,
    /// Slowest answered call, in milliseconds.
    pub latency_max_ms: Option<f64>,
}

impl ToolFigures {
    /// Counts one call that ended as `end` after `took`; latency counts only answered calls.
    pub fn record(&mut self, end: CallEnd, took: Duration) {
        self.calls += 1;
        match end {
            CallEnd::Ok => self.ok += 1,
            CallEnd::IsError => self.is_error += 1,
            CallEnd::ProtocolError => self.protocol_errors += 1,
            CallEnd::Timeout => self.timeouts += 1,
            CallEnd::Cancelled => self.cancelled += 1,
        }
        if matches!(end, CallEnd::Ok | CallEnd::IsError) {
            let ms = took.as_secs_f64() * 1000.0;
            let answered = (self.ok + self.is_error) as f64;
            self.latency_min_ms = Some(self.latency_min_ms.map_or(ms, |m| m.min(ms)));
            self.latency_max_ms = Some(self.latency_max_ms.map_or(ms, |m| m.max(ms)));
            let prev = self.latency_avg_ms.unwrap_or(0.0);
            self.latency_avg_ms = Some(prev + (ms - prev) / answered);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_outcomes_and_latency_of_answered_calls() {
        let mut f = ToolFigures::default();
        f.record(CallEnd::Ok, Duration::from_millis(10));
        f.record(CallEnd::IsError, Duration::from_millis(30));
        f.record(CallEnd::Timeout, Duration::from_secs(5));
        f.record(CallEnd::ProtocolError, Duration::from_millis(1));
        assert_eq!(
            (f.calls, f.ok, f.is_error, f.timeouts, f.protocol_errors),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(f.latency_min_ms, Some(10.0));
        assert_eq!(f.latency_max_ms, Some(30.0));
        assert_eq!(f.latency_avg_ms, Some(20.0));
    }
}
