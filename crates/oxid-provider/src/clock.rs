//! Time, passed in: every decision takes `now` from one [`Clock`] that tests can move. The
//! clock is the protocol crate's, shared with the client library.

pub use oxid_protocol::clock::{Clock, SystemClock};

/// A clock that stands still until a test moves it (the protocol crate's
/// [`ManualClock`](oxid_protocol::clock::ManualClock)).
pub type TestClock = oxid_protocol::clock::ManualClock;
