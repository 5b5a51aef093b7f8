//! Time, passed in: the client reads it from a [`Clock`] so tests can move it. The clock is
//! the protocol crate's, shared with the provider.

pub use oxid_protocol::clock::{Clock, ManualClock, SystemClock};
