//! JWE (RFC 7516) made and read by panva's `jose` (interop/node/lib/jwe.mjs), an
//! implementation independent of ours, for the tests of encrypted responses and request objects.

use serde_json::Value;

/// Runs interop/node/lib/jwe.mjs with `ops`; its answers, in order.
pub fn jose(ops: &[Value]) -> Vec<Value> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../interop/node/lib/jwe.mjs"
    );
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let input = Value::Array(ops.to_vec()).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "jwe.mjs failed");
    serde_json::from_slice(&output.stdout).unwrap()
}
