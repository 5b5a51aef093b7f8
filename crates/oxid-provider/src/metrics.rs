//! Prometheus metrics: lock-free counters (atomics over tables sized once at start-up, so
//! counting a request allocates nothing) and their rendering in the text exposition format
//! (Prometheus "Exposition formats", text format 0.0.4). Served by the admin listener only.

use crate::token_policy::AccessTokenFormat;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::capabilities::{GrantType, WireName};
use crate::discovery::paths;

/// Upper bounds (seconds) of the request duration histogram's buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Status codes are 100..=999 (RFC 9110 §15), so a code is its own index.
const STATUS_SLOTS: usize = 1000;

/// The route label of a request no route matched: one label, whatever the path, so a
/// scanner cannot grow the series without bound.
pub const UNMATCHED: &str = "unmatched";

/// The route label of the client configuration endpoints (RFC 7592), under the issuer.
const CLIENT_CONFIGURATION: &str = "/register/{client_id}";

/// The access token formats counted, in slot order (`token_policy::AccessTokenFormat`).
const ACCESS_TOKEN_FORMATS: [AccessTokenFormat; 2] =
    [AccessTokenFormat::Opaque, AccessTokenFormat::Jwt];

/// The `reason` of a request refused by a brute-force lock (429: an account, address, client
/// or device user code under attack).
pub const LOCKED: &str = "locked";

/// The `reason` labels of `oxid_throttled_requests_total`: [`LOCKED`], then the request
/// guard's refusals (`limits::Refusal`).
const THROTTLE_REASONS: [&str; 6] = [
    LOCKED,
    "concurrency",
    "body_too_large",
    "body_timeout",
    "unreadable_body",
    "request_timeout",
];

/// How a login form submission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    /// The password was right; a session started.
    Succeeded,
    /// Unknown user or wrong password.
    Failed,
    /// Refused unchecked: the account or address is locked after too many failures.
    Throttled,
}

/// How one back-channel logout delivery attempt ended (`oxid_backchannel_deliveries_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The client answered with success.
    Sent,
    /// The client answered an error or nothing; the delivery is retried or given up.
    Failed,
    /// No more attempts: the time is up, or the client or its URI is gone.
    GivenUp,
}

impl DeliveryResult {
    const ALL: [DeliveryResult; 3] = [
        DeliveryResult::Sent,
        DeliveryResult::Failed,
        DeliveryResult::GivenUp,
    ];

    fn label(self) -> &'static str {
        match self {
            DeliveryResult::Sent => "sent",
            DeliveryResult::Failed => "failed",
            DeliveryResult::GivenUp => "given_up",
        }
    }
}

/// Per-route duration histogram: non-cumulative bucket counts (made cumulative when rendered).
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// The provider's counters; one per provider, shared by its handlers.
pub struct Metrics {
    /// Route labels: the paths the router serves, then [`UNMATCHED`].
    routes: Vec<String>,
    /// `routes.len() * STATUS_SLOTS` request counters, by route then status.
    requests: Box<[AtomicU64]>,
    durations: Vec<Histogram>,
    /// Tokens issued, by index in `GrantType::ALL`.
    tokens: Vec<AtomicU64>,
    logins_succeeded: AtomicU64,
    logins_failed: AtomicU64,
    logins_throttled: AtomicU64,
    client_auth_failures: AtomicU64,
    /// Back-channel logout attempts, by index in `DeliveryResult::ALL`.
    deliveries: [AtomicU64; 3],
    /// Deliveries waiting in the store's outbox, as last counted by the sender.
    deliveries_pending: AtomicU64,
    /// Refused requests, by index in [`THROTTLE_REASONS`].
    throttled: [AtomicU64; THROTTLE_REASONS.len()],
}

impl Metrics {
    /// Counters for a router whose endpoints live under `issuer_path` ("" or "/tenant").
    pub fn new(issuer_path: &str) -> Self {
        let under_issuer = [
            paths::AUTHORIZE,
            paths::TOKEN,
            paths::USERINFO,
            paths::REVOCATION,
            paths::INTROSPECTION,
            paths::JWKS,
            paths::LOGIN,
            paths::LOGOUT,
            paths::LOGOUT_CONFIRM,
            paths::CONSENT,
            paths::OPENID_CONFIGURATION,
            paths::OAUTH_METADATA,
            paths::REGISTRATION,
            CLIENT_CONFIGURATION,
            "/assets/style.css",
        ];
        let mut routes: Vec<String> = under_issuer
            .iter()
            .map(|p| format!("{issuer_path}{p}"))
            .collect();
        if !issuer_path.is_empty() {
            // RFC 8414 §3.1: the well-known segment before the issuer's path.
            routes.push(format!("{}{issuer_path}", paths::OAUTH_METADATA));
        }
        for root in ["/healthz", "/readyz", "/favicon.ico"] {
            routes.push(root.to_string());
        }
        routes.push(UNMATCHED.to_string());
        let requests = (0..routes.len() * STATUS_SLOTS)
            .map(|_| AtomicU64::new(0))
            .collect();
        let durations = routes.iter().map(|_| Histogram::new()).collect();
        Metrics {
            routes,
            requests,
            durations,
            tokens: (0..GrantType::ALL.len() * ACCESS_TOKEN_FORMATS.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            logins_succeeded: AtomicU64::new(0),
            logins_failed: AtomicU64::new(0),
            logins_throttled: AtomicU64::new(0),
            client_auth_failures: AtomicU64::new(0),
            deliveries: std::array::from_fn(|_| AtomicU64::new(0)),
            deliveries_pending: AtomicU64::new(0),
            throttled: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// The route label of a request path: the path itself when a route serves it (all routes
    /// are static), else [`UNMATCHED`]. The query is never part of it.
    pub fn route_of(&self, path: &str) -> &str {
        &self.routes[self.route_index(path)]
    }

    /// The index of `path`'s route label, for [`route_name`](Self::route_name) and
    /// [`request_at`](Self::request_at): the request path is matched once per request.
    pub fn route_index(&self, path: &str) -> usize {
        let exact = self.routes.iter().position(|r| r == path);
        exact
            .or_else(|| self.client_configuration_index(path))
            .unwrap_or(self.routes.len() - 1)
    }

    /// The one label of every client's configuration endpoint (`/register/{client_id}`).
    fn client_configuration_index(&self, path: &str) -> Option<usize> {
        let label = self
            .routes
            .iter()
            .position(|r| r.ends_with(CLIENT_CONFIGURATION))?;
        let prefix = self.routes[label].strip_suffix("{client_id}")?;
        let id = path.strip_prefix(prefix)?;
        (!id.is_empty() && !id.contains('/')).then_some(label)
    }

    /// The route label of an index of [`route_index`](Self::route_index).
    pub fn route_name(&self, route: usize) -> &str {
        self.routes.get(route).map_or(UNMATCHED, String::as_str)
    }

    /// Counts one answered request to `path`.
    pub fn request(&self, path: &str, status: u16, elapsed: Duration) {
        self.request_at(self.route_index(path), status, elapsed);
    }

    /// Counts one answered request to the route of [`route_index`](Self::route_index).
    pub fn request_at(&self, route: usize, status: u16, elapsed: Duration) {
        let route = route.min(self.routes.len() - 1);
        let slot = route * STATUS_SLOTS + usize::from(status) % STATUS_SLOTS;
        self.requests[slot].fetch_add(1, Ordering::Relaxed);
        self.durations[route].observe(elapsed);
    }

    /// Counts one token response of `grant` whose access token has `format`.
    pub fn token_issued(&self, grant: GrantType, format: AccessTokenFormat) {
        let grant = GrantType::ALL.iter().position(|g| *g == grant);
        let format = ACCESS_TOKEN_FORMATS.iter().position(|f| *f == format);
        if let (Some(g), Some(f)) = (grant, format) {
            self.tokens[g * ACCESS_TOKEN_FORMATS.len() + f].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one login form submission.
    pub fn login(&self, result: LoginResult) {
        match result {
            LoginResult::Succeeded => &self.logins_succeeded,
            LoginResult::Failed => &self.logins_failed,
            LoginResult::Throttled => &self.logins_throttled,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request refused by an abuse limit (`reason`: one of `THROTTLE_REASONS`;
    /// another is not counted).
    pub fn throttled(&self, reason: &str) {
        if let Some(i) = THROTTLE_REASONS.iter().position(|r| *r == reason) {
            self.throttled[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one failed client authentication.
    pub fn client_auth_failed(&self) {
        self.client_auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one back-channel logout delivery attempt's end.
    pub fn delivery(&self, result: DeliveryResult) {
        if let Some(i) = DeliveryResult::ALL.iter().position(|r| *r == result) {
            self.deliveries[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sets the number of deliveries waiting in the outbox (all instances').
    pub fn set_deliveries_pending(&self, pending: u64) {
        self.deliveries_pending.store(pending, Ordering::Relaxed);
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write_all(&mut out);
        out
    }

    fn write_all(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "# HELP oxid_build_info The running oxid's version.")?;
        writeln!(out, "# TYPE oxid_build_info gauge")?;
        writeln!(
            out,
            "oxid_build_info{{version=\"{}\"}} 1",
            escape(env!("CARGO_PKG_VERSION"))
        )?;

        writeln!(
            out,
            "# HELP oxid_http_requests_total HTTP requests answered."
        )?;
        writeln!(out, "# TYPE oxid_http_requests_total counter")?;
        for (r, route) in self.routes.iter().enumerate() {
            for status in 0..STATUS_SLOTS {
                let n = self.requests[r * STATUS_SLOTS + status].load(Ordering::Relaxed);
                if n > 0 {
                    writeln!(
                        out,
                        "oxid_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                        escape(route)
                    )?;
                }
            }
        }

        writeln!(
            out,
            "# HELP oxid_http_request_duration_seconds Time to answer an HTTP request."
        )?;
        writeln!(out, "# TYPE oxid_http_request_duration_seconds histogram")?;
        for (route, histogram) in self.routes.iter().zip(&self.durations) {
            let count = histogram.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&histogram.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                writeln!(
                    out,
                    "oxid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "oxid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            )?;
            let sum = histogram.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            writeln!(
                out,
                "oxid_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            )?;
            writeln!(
                out,
                "oxid_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            )?;
        }

        writeln!(
            out,
            "# HELP oxid_tokens_issued_total Token responses, by grant and access token format."
        )?;
        writeln!(out, "# TYPE oxid_tokens_issued_total counter")?;
        let slots = GrantType::ALL
            .iter()
            .flat_map(|g| ACCESS_TOKEN_FORMATS.iter().map(move |f| (g, f)));
        for ((grant, format), counter) in slots.zip(&self.tokens) {
            let n = counter.load(Ordering::Relaxed);
            if n > 0 {
                writeln!(
                    out,
                    "oxid_tokens_issued_total{{grant_type=\"{}\",format=\"{}\"}} {n}",
                    escape(grant.as_str()),
                    format.as_str()
                )?;
            }
        }

        writeln!(out, "# HELP oxid_logins_total Login form submissions.")?;
        writeln!(out, "# TYPE oxid_logins_total counter")?;
        for (outcome, counter) in [
            ("succeeded", &self.logins_succeeded),
            ("failed", &self.logins_failed),
            ("throttled", &self.logins_throttled),
        ] {
            let n = counter.load(Ordering::Relaxed);
            writeln!(out, "oxid_logins_total{{outcome=\"{outcome}\"}} {n}")?;
        }

        writeln!(
            out,
            "# HELP oxid_client_auth_failures_total Failed client authentications."
        )?;
        writeln!(out, "# TYPE oxid_client_auth_failures_total counter")?;
        writeln!(
            out,
            "oxid_client_auth_failures_total {}",
            self.client_auth_failures.load(Ordering::Relaxed)
        )?;

        writeln!(
            out,
            "# HELP oxid_throttled_requests_total Requests refused by an abuse limit, by reason."
        )?;
        writeln!(out, "# TYPE oxid_throttled_requests_total counter")?;
        for (reason, counter) in THROTTLE_REASONS.iter().zip(&self.throttled) {
            let n = counter.load(Ordering::Relaxed);
            writeln!(
                out,
                "oxid_throttled_requests_total{{reason=\"{reason}\"}} {n}"
            )?;
        }
        self.write_deliveries(out)
    }

    fn write_deliveries(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP oxid_backchannel_deliveries_total Back-channel logout delivery attempts, by result."
        )?;
        writeln!(out, "# TYPE oxid_backchannel_deliveries_total counter")?;
        for (result, counter) in DeliveryResult::ALL.iter().zip(&self.deliveries) {
            let n = counter.load(Ordering::Relaxed);
            writeln!(
                out,
                "oxid_backchannel_deliveries_total{{result=\"{}\"}} {n}",
                result.label()
            )?;
        }
        writeln!(
            out,
            "# HELP oxid_backchannel_deliveries_pending Back-channel logout deliveries waiting in the outbox."
        )?;
        writeln!(out, "# TYPE oxid_backchannel_deliveries_pending gauge")?;
        writeln!(
            out,
            "oxid_backchannel_deliveries_pending {}",
            self.deliveries_pending.load(Ordering::Relaxed)
        )
    }
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
pub(crate) fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_the_served_paths_and_anything_else_is_unmatched() {
        let metrics = Metrics::new("/tenant");
        assert_eq!(metrics.route_of("/tenant/token"), "/tenant/token");
        assert_eq!(metrics.route_of("/healthz"), "/healthz");
        assert_eq!(metrics.route_of("/token"), UNMATCHED);
        assert_eq!(metrics.route_of("/tenant/token/x"), UNMATCHED);
        let configuration = "/tenant/register/{client_id}";
        assert_eq!(metrics.route_of("/tenant/register/abc"), configuration);
        assert_eq!(metrics.route_of("/tenant/register/a/b"), UNMATCHED);
        assert_eq!(metrics.route_of("/tenant/register/"), UNMATCHED);
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_count_everything() {
        let metrics = Metrics::new("");
        metrics.request("/token", 200, Duration::from_millis(3));
        metrics.request("/token", 400, Duration::from_millis(70));
        metrics.request("/token", 200, Duration::from_secs(20));
        let text = metrics.render();
        assert!(text.contains("oxid_http_requests_total{route=\"/token\",status=\"200\"} 2\n"));
        assert!(text.contains("oxid_http_requests_total{route=\"/token\",status=\"400\"} 1\n"));
        assert!(text.contains("_bucket{route=\"/token\",le=\"0.005\"} 1\n"));
        assert!(text.contains("_bucket{route=\"/token\",le=\"0.1\"} 2\n"));
        assert!(text.contains("_bucket{route=\"/token\",le=\"10\"} 2\n"));
        assert!(text.contains("_bucket{route=\"/token\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("oxid_http_request_duration_seconds_count{route=\"/token\"} 3\n"));
    }

    #[test]
    fn deliveries_are_counted_by_result_with_a_pending_gauge() {
        let metrics = Metrics::new("");
        metrics.delivery(DeliveryResult::Failed);
        metrics.delivery(DeliveryResult::Failed);
        metrics.delivery(DeliveryResult::Sent);
        metrics.set_deliveries_pending(4);
        let text = metrics.render();
        assert!(text.contains("oxid_backchannel_deliveries_total{result=\"sent\"} 1\n"));
        assert!(text.contains("oxid_backchannel_deliveries_total{result=\"failed\"} 2\n"));
        assert!(text.contains("oxid_backchannel_deliveries_total{result=\"given_up\"} 0\n"));
        assert!(text.contains("# TYPE oxid_backchannel_deliveries_pending gauge\n"));
        assert!(text.contains("oxid_backchannel_deliveries_pending 4\n"));
    }

    #[test]
    fn throttled_requests_and_logins_are_counted_by_reason() {
        let metrics = Metrics::new("");
        metrics.throttled(LOCKED);
        metrics.throttled(LOCKED);
        metrics.throttled("concurrency");
        metrics.throttled("not-a-reason");
        metrics.login(LoginResult::Throttled);
        let text = metrics.render();
        assert!(text.contains("oxid_throttled_requests_total{reason=\"locked\"} 2\n"));
        assert!(text.contains("oxid_throttled_requests_total{reason=\"concurrency\"} 1\n"));
        assert!(text.contains("oxid_throttled_requests_total{reason=\"body_too_large\"} 0\n"));
        assert!(text.contains("oxid_logins_total{outcome=\"throttled\"} 1\n"));
        assert!(!text.contains("not-a-reason"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
