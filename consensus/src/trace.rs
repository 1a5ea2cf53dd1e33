//! Trace context that travels with work across nodes: inside transport
//! frames (Raft RPCs and forwarded writes) and inside commands, whose
//! pending messages carry it on to the actor that handles them. The format
//! is the W3C `traceparent` header value. This crate only reads and writes
//! the context of the current `tracing` span; the node binary decides
//! whether spans are exported (OTLP) at all.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header naming the parent span.
pub const TRACEPARENT: &str = "traceparent";
/// The W3C header carrying vendors' state along the trace.
pub const TRACESTATE: &str = "tracestate";

/// The current span's context as a W3C `traceparent`, if it has a valid one
/// (it has one only when an OpenTelemetry layer is installed), written by
/// OpenTelemetry's W3C propagator.
pub fn current_traceparent() -> Option<String> {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The remote span context in W3C headers (`traceparent`, and `tracestate`
/// when present), read by OpenTelemetry's W3C propagator; `None` when the
/// `traceparent` is missing or invalid.
pub fn extract(headers: &HashMap<String, String>) -> Option<Context> {
    let context = TraceContextPropagator::new().extract(headers);
    context.span().span_context().is_valid().then_some(context)
}

/// Parses a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let headers = HashMap::from([(TRACEPARENT.to_owned(), value.trim().to_owned())]);
    extract(&headers).map(|context| context.span().span_context().clone())
}

/// Makes `span` a child of the remote context in `traceparent`, if valid.
pub fn set_remote_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(traceparent) = traceparent {
        let headers = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        set_remote_parent_from(span, &headers);
    }
}

/// Makes `span` a child of the remote context in W3C `headers`
/// (`traceparent` and `tracestate`, lower-case keys), if valid; the
/// `tracestate` stays with it.
pub fn set_remote_parent_from(span: &tracing::Span, headers: &HashMap<String, String>) {
    if let Some(context) = extract(headers) {
        let _ = span.set_parent(context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_and_rejects_garbage() {
        // A valid header parses to the same ids; malformed ones are ignored.
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = parse_traceparent(header).unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(context.span_id().to_string(), "00f067aa0ba902b7");
        assert!(parse_traceparent("00-0000-00f067aa0ba902b7-01").is_none());
        assert!(
            parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none()
        );
        assert!(parse_traceparent("nonsense").is_none());
    }

    #[test]
    fn tracestate_stays_with_the_remote_context() {
        // A caller's vendor state is kept with the parent it names.
        let headers = HashMap::from([
            (
                TRACEPARENT.to_owned(),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
            ),
            (TRACESTATE.to_owned(), "vendor=abc,other=1".to_owned()),
        ]);

        let context = extract(&headers).unwrap();

        let span = context.span();
        let state = span.span_context().trace_state();
        assert_eq!(state.get("vendor"), Some("abc"));
        assert!(span.span_context().is_remote());
    }
}
