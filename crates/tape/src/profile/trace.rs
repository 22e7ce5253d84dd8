//! The profile as a Chrome trace (the Trace Event Format's JSON object form), which Perfetto
//! (<https://ui.perfetto.dev>) and `chrome://tracing` open: one track for the forward pass, one
//! for the backward pass and one per helper thread, every event a complete (`"X"`) event.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use super::{Pass, Profile};

/// Track numbers (`tid`): forward, backward, and helper `k` at `HELPER + k`.
const FORWARD: usize = 1;
const BACKWARD: usize = 2;
const HELPER: usize = 100;

impl Profile {
    /// The trace as JSON text: `{"traceEvents": [...], "displayTimeUnit": "ns"}`, timestamps in
    /// microseconds from the start of profiling.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// tape.start_profiling();
    /// let x = tape.var(Tensor::ones([4]));
    /// x.exp().sum().backward();
    /// let json = tape.finish_profiling().unwrap().chrome_trace();
    /// assert!(json.starts_with("{\"traceEvents\":["));
    /// assert!(json.contains("\"name\":\"exp\""));
    /// ```
    pub fn chrome_trace(&self) -> String {
        let mut s = String::from("{\"traceEvents\":[\n");
        let mut tracks = vec![
            (FORWARD, "forward".to_string()),
            (BACKWARD, "backward".to_string()),
        ];
        let mut helpers: Vec<usize> = self.parts.iter().map(|p| p.thread).collect();
        helpers.sort_unstable();
        helpers.dedup();
        tracks.extend(
            helpers
                .iter()
                .map(|&h| (HELPER + h, format!("helper lossgraph-{h}"))),
        );
        let _ = writeln!(
            s,
            "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{FORWARD},\"args\":{{\"name\":\"lossgraph tape\"}}}},"
        );
        for (tid, name) in &tracks {
            let _ = writeln!(
                s,
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"args\":{{\"name\":\"{name}\"}}}},"
            );
            let _ = writeln!(
                s,
                "{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}}},"
            );
        }
        for e in &self.events {
            let (tid, cat) = match e.pass {
                Pass::Forward => (FORWARD, "forward"),
                Pass::Backward => (BACKWARD, "backward"),
            };
            let _ = writeln!(
                s,
                "{{\"name\":\"{}\",\"cat\":\"{cat}\",\"ph\":\"X\",\"pid\":1,\"tid\":{tid},\"ts\":{},\"dur\":{},\"args\":{{\"node\":{},\"flops\":{},\"bytes\":{}}}}},",
                escape(&e.op),
                micros(e.start),
                micros(e.duration),
                e.node,
                e.flops,
                e.bytes
            );
        }
        for p in &self.parts {
            let _ = writeln!(
                s,
                "{{\"name\":\"part\",\"cat\":\"helper\",\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{},\"dur\":{}}},",
                HELPER + p.thread,
                micros(p.start),
                micros(p.duration)
            );
        }
        // Every line above ends with a comma; JSON allows none after the last element.
        if s.ends_with(",\n") {
            s.truncate(s.len() - 2);
            s.push('\n');
        }
        s.push_str("],\"displayTimeUnit\":\"ns\"}\n");
        s
    }

    /// Writes [`Profile::chrome_trace`] to `path` (open it in <https://ui.perfetto.dev>).
    pub fn write_chrome_trace(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.chrome_trace())
    }
}

/// Microseconds with nanosecond precision, as the format's `ts` and `dur` want.
fn micros(d: Duration) -> String {
    let ns = d.as_nanos();
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// `s` as the inside of a JSON string (users name their own operations).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
