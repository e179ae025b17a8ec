#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)] // each test binary uses part of the harness

pub mod harness;
pub mod remote;
pub mod shoot;
