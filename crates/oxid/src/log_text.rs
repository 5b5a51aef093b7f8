//! The `text` log format off a terminal: tracing-subscriber's `Full` format without colours,
//! except that the request line (one per request, `oxid_provider::http::front`) is written
//! here, the same text at a fraction of the cost (its formatter was 13,000 instructions per
//! request: bench/README.md, "The per-request cost").

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The target of the request line.
const REQUEST_LINE_TARGET: &str = "oxid_provider::http::front";

/// See the module's comment.
pub struct TextLines {
    full: Format<Full, SystemTime>,
}

impl Default for TextLines {
    fn default() -> Self {
        TextLines {
            full: tracing_subscriber::fmt::format()
                .with_target(false)
                .with_ansi(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        // Inside a span the full format names it: leave those to it.
        if meta.target() != REQUEST_LINE_TARGET || ctx.lookup_current().is_some() {
            return self.full.format_event(ctx, writer, event);
        }
        write_timestamp(&mut writer, std::time::SystemTime::now())?;
        writer.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// The fields as tracing-subscriber's default visitor writes them without colours:
/// `message` first as is, then ` name=value` with the value's `Debug`.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn name(&mut self, field: &Field) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_char(' ')?;
        }
        let name = field.name();
        if name != "message" {
            self.writer
                .write_str(name.strip_prefix("r#").unwrap_or(name))?;
            self.writer.write_char('=')?;
        }
        Ok(())
    }
}

impl Visit for Fields<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() && !field.name().starts_with("log.") {
            self.result = self
                .name(field)
                .and_then(|()| write!(self.writer, "{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_ok() {
            self.result = self
                .name(field)
                .and_then(|()| write_u64(self.writer, value));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // A duration in whole microseconds as milliseconds: `Debug` prints those digits.
        let thousandths = (value * 1000.0).round();
        let exact = (0.0..1e12).contains(&thousandths) && thousandths / 1000.0 == value;
        if !exact || (value != 0.0 && value < 1e-4) || self.result.is_err() {
            return self.record_debug(field, &value);
        }
        let thousandths = thousandths as u64;
        self.result = self.name(field).and_then(|()| {
            write_u64(self.writer, thousandths / 1000)?;
            self.writer.write_char('.')?;
            let fraction = thousandths % 1000;
            let digits = [
                b'0' + (fraction / 100) as u8,
                b'0' + (fraction / 10 % 10) as u8,
                b'0' + (fraction % 10) as u8,
            ];
            let kept = match fraction {
                0 => 1,
                f if f % 100 == 0 => 1,
                f if f % 10 == 0 => 2,
                _ => 3,
            };
            // ASCII digits are UTF-8.
            self.writer
                .write_str(std::str::from_utf8(&digits[..kept]).unwrap_or("0"))
        });
    }
}

fn write_u64(writer: &mut Writer<'_>, mut value: u64) -> fmt::Result {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    writer.write_str(std::str::from_utf8(&digits[at..]).unwrap_or("?"))
}

thread_local! {
    /// The second last written by this thread and its `YYYY-MM-DDTHH:MM:SS` text.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-11-28T21:19:20.123456Z`, as tracing-subscriber's `SystemTime` writes it; the date
/// and time of day are worked out once a second per thread.
fn write_timestamp(writer: &mut Writer<'_>, now: std::time::SystemTime) -> fmt::Result {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (seconds, micros) = (since.as_secs(), since.subsec_micros());
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != seconds {
            *cached = seconds;
            text.clear();
            let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
            let of_day = seconds % 86_400;
            let _ = write!(
                text,
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
                of_day / 3600,
                of_day / 60 % 60,
                of_day % 60
            );
        }
        writer.write_str(text)
    })?;
    let mut digits = *b".000000Z";
    let mut rest = micros;
    for at in (1..7).rev() {
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    writer.write_str(std::str::from_utf8(&digits).unwrap_or(".000000Z"))
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    /// A request line as `log_request` makes it, through `format`.
    fn request_line<F>(format: F, duration_ms: f64) -> String
    where
        F: for<'w> FormatEvent<
                tracing_subscriber::Registry,
                tracing_subscriber::fmt::format::DefaultFields,
            > + Send
            + Sync
            + 'static,
    {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_ansi(false)
            .event_format(format)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let client = std::net::IpAddr::from([127, 0, 0, 1]);
            tracing::info!(
                target: "oxid_provider::http::front",
                request_id = %"req-1",
                method = %"POST",
                route = %"/token",
                status = 200u16,
                duration_ms,
                client = %client,
                peer = %"-",
                "request"
            );
            tracing::info!(target: "oxid_provider::http::front", name = "quoted", "other");
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_request_line_reads_as_the_full_formats_line() {
        let full = || {
            tracing_subscriber::fmt::format()
                .with_target(false)
                .with_ansi(false)
        };
        for duration in [
            0.0, 0.001, 0.01, 0.1, 1.0, 1.2, 1.25, 12.345, 1234.5, 0.00005,
        ] {
            let ours = request_line(TextLines::default(), duration);
            let theirs = request_line(full(), duration);
            // The timestamps differ in their microseconds at least.
            let (ours, theirs) = (ours.lines(), theirs.lines());
            for (a, b) in ours.zip(theirs) {
                assert_eq!(a.len(), b.len(), "{a}\n{b}");
                assert_eq!(a[..16], b[..16], "the same minute");
                assert_eq!(a[26..], b[26..], "{a}\n{b}");
            }
        }
    }

    #[test]
    fn dates_are_the_calendars() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
