//! What `/metrics` exposes, in Prometheus' OpenMetrics text format (`prometheus-client`):
//! connections by transport, replies in flight and waiting, time to first token and reply
//! duration, output tokens, backend errors and rate-limit refusals by kind, refused upgrades,
//! turns, the executor's runs and refusals by rule, the store's commit time, and the build.

use chinwag_protocol::ErrorCode;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

/// One label, as `prometheus-client` takes it.
type Label = [(&'static str, &'static str); 1];

/// Buckets for time to first token and reply duration, in seconds: 1 ms to 10 min.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0,
];

/// How a connection reached the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Unix,
    Tcp,
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

/// The daemon's metrics. Cheap to update from any task; [`Metrics::encode`] renders them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    connections: Family<Label, Gauge>,
    pub generations_active: Gauge,
    pub generations_waiting: Gauge,
    pub first_token: Histogram,
    pub reply_duration: Histogram,
    pub output_tokens: Counter,
    pub turns: Counter,
    backend_errors: Family<Label, Counter>,
    rate_limited: Family<Label, Counter>,
    upgrades_refused: Family<Label, Counter>,
    /// Commands the executor started.
    pub exec_runs: Counter,
    exec_refusals: Family<Label, Counter>,
}

/// A connection counted under its transport until dropped.
#[derive(Debug)]
pub struct Connected(Gauge);

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// One unit of a gauge, held until dropped.
#[derive(Debug)]
pub struct Held(Gauge);

impl Held {
    pub fn new(gauge: &Gauge) -> Held {
        gauge.inc();
        Held(gauge.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    /// Registers everything; `store_commit` is the store's own histogram.
    pub fn new(store_commit: Histogram) -> Metrics {
        let mut r = Registry::with_prefix("chinwag");
        let connections = Family::<Label, Gauge>::default();
        r.register(
            "connections",
            "WebSocket connections open now, by transport",
            connections.clone(),
        );
        let generations_active = Gauge::default();
        r.register(
            "generations_active",
            "Replies in flight to the backend now",
            generations_active.clone(),
        );
        let generations_waiting = Gauge::default();
        r.register(
            "generations_waiting",
            "Replies stored and waiting for a place among those in flight",
            generations_waiting.clone(),
        );
        let first_token = Histogram::new(LATENCY_BUCKETS);
        r.register_with_unit(
            "first_token",
            "Time from a reply's start (its wait for a place included) to its first token",
            Unit::Seconds,
            first_token.clone(),
        );
        let reply_duration = Histogram::new(LATENCY_BUCKETS);
        r.register_with_unit(
            "reply_duration",
            "Time from a reply's start to its end, however it ended",
            Unit::Seconds,
            reply_duration.clone(),
        );
        let output_tokens = Counter::default();
        r.register(
            "output_tokens",
            "Output tokens relayed from the backend (eval_count, or bytes/4 for a cut reply)",
            output_tokens.clone(),
        );
        let turns = Counter::default();
        r.register("turns", "Chat turns stored and started", turns.clone());
        let backend_errors = Family::<Label, Counter>::default();
        r.register(
            "backend_errors",
            "Chats that ended or were refused because of the backend, by error code",
            backend_errors.clone(),
        );
        let rate_limited = Family::<Label, Counter>::default();
        r.register(
            "rate_limited",
            "Refusals by a rate limit or cap, by limit",
            rate_limited.clone(),
        );
        let upgrades_refused = Family::<Label, Counter>::default();
        r.register(
            "upgrades_refused",
            "WebSocket upgrades refused, by HTTP status",
            upgrades_refused.clone(),
        );
        let exec_runs = Counter::default();
        r.register(
            "exec_runs",
            "Commands the executor allowed and ran",
            exec_runs.clone(),
        );
        let exec_refusals = Family::<Label, Counter>::default();
        r.register(
            "exec_refusals",
            "Commands the executor's policy refused, by rule",
            exec_refusals.clone(),
        );
        r.register_with_unit(
            "store_commit",
            "Time each group commit of the history store takes",
            Unit::Seconds,
            store_commit,
        );
        r.register(
            "build",
            "The running chinwagd",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION")),
                ("protocol", PROTOCOL),
            ]),
        );
        Metrics {
            registry: r,
            connections,
            generations_active,
            generations_waiting,
            first_token,
            reply_duration,
            output_tokens,
            turns,
            backend_errors,
            rate_limited,
            upgrades_refused,
            exec_runs,
            exec_refusals,
        }
    }

    /// Counts a command the executor refused under `rule`.
    pub fn exec_refused(&self, rule: &'static str) {
        self.exec_refusals.get_or_create(&[("rule", rule)]).inc();
    }

    /// Counts a connection under `transport` until the guard drops.
    pub fn connected(&self, transport: Transport) -> Connected {
        let gauge = self
            .connections
            .get_or_create(&[("transport", transport.as_str())])
            .clone();
        gauge.inc();
        Connected(gauge)
    }

    /// Counts a chat refused or ended by the backend (`backend_*`, `model_not_found`);
    /// other codes are not the backend's and are not counted.
    pub fn backend_error(&self, code: ErrorCode) {
        let backend = matches!(
            code,
            ErrorCode::BackendUnavailable
                | ErrorCode::BackendBusy
                | ErrorCode::BackendError
                | ErrorCode::BackendTimeout
                | ErrorCode::ModelNotFound
        );
        if backend {
            self.backend_errors
                .get_or_create(&[("code", code.as_str())])
                .inc();
        }
    }

    /// Counts a refusal by the limit named `limit`.
    pub fn rate_limited(&self, limit: &'static str) {
        self.rate_limited.get_or_create(&[("limit", limit)]).inc();
    }

    /// Counts an upgrade refused with `status`.
    pub fn upgrade_refused(&self, status: u16) {
        let status = match status {
            400 => "400",
            401 => "401",
            403 => "403",
            426 => "426",
            429 => "429",
            503 => "503",
            _ => "other",
        };
        self.upgrades_refused
            .get_or_create(&[("status", status)])
            .inc();
    }

    /// The exposition, as `/metrics` serves it.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// The protocol version, as a label value.
const PROTOCOL: &str = match chinwag_protocol::PROTOCOL_VERSION {
    1 => "1",
    _ => "unknown",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_family_and_counts_what_happened() {
        let m = Metrics::new(Histogram::new([0.1]));
        let held = m.connected(Transport::Tls);
        m.backend_error(ErrorCode::BackendTimeout);
        m.backend_error(ErrorCode::InvalidRequest);
        m.rate_limited("messages");
        m.upgrade_refused(401);
        m.output_tokens.inc_by(282);
        m.exec_runs.inc();
        m.exec_refused("not-in-policy");
        let text = m.encode();
        for line in [
            "chinwag_connections{transport=\"tls\"} 1",
            "chinwag_backend_errors_total{code=\"backend_timeout\"} 1",
            "chinwag_rate_limited_total{limit=\"messages\"} 1",
            "chinwag_upgrades_refused_total{status=\"401\"} 1",
            "chinwag_output_tokens_total 282",
            "chinwag_exec_runs_total 1",
            "chinwag_exec_refusals_total{rule=\"not-in-policy\"} 1",
            "# TYPE chinwag_store_commit_seconds histogram",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(!text.contains("invalid_request"), "not the backend's");
        assert!(text.contains("chinwag_build_info{version=\""), "{text}");
        drop(held);
        assert!(
            m.encode()
                .lines()
                .any(|l| l == "chinwag_connections{transport=\"tls\"} 0")
        );
    }
}
