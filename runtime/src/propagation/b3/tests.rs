//! B3 as the OpenTelemetry specification's B3 requirements and Zipkin's b3-propagation
//! describe it, case by case.

use super::*;
use crate::propagation::Headers;
use std::collections::HashMap;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";
const PARENT_ID: &str = "a3ce929d0e0e4736";

fn extracted_context(headers: &[(&str, &str)]) -> Context {
    B3Propagator::new().extract(&Headers(headers.to_vec()))
}

fn extracted(headers: &[(&str, &str)]) -> SpanContext {
    extracted_context(headers).span().span_context().clone()
}

fn caller(flags: TraceFlags) -> SpanContext {
    SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        flags,
        true,
        TraceState::NONE,
    )
}

fn injected(propagator: &B3Propagator, context: &Context) -> HashMap<String, String> {
    let mut headers = HashMap::new();
    propagator.inject_context(context, &mut headers);
    headers
}

fn sorted(headers: HashMap<String, String>) -> Vec<(String, String)> {
    let mut headers: Vec<_> = headers.into_iter().collect();
    headers.sort();
    headers
}

#[test]
fn the_single_header_is_continued_as_a_remote_parent() {
    for (state, sampled) in [("1", true), ("0", false), ("d", true)] {
        for value in [
            format!("{TRACE_ID}-{SPAN_ID}-{state}"),
            format!("{TRACE_ID}-{SPAN_ID}-{state}-{PARENT_ID}"),
        ] {
            let context = extracted(&[("b3", &value)]);
            assert_eq!(context, caller(TraceFlags::new(sampled as u8)), "{value}");
            assert!(context.is_remote());
        }
    }
}

#[test]
fn a_single_header_without_sampling_state_leaves_the_decision_read_as_not_sampled() {
    let context = extracted(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}"))]);
    assert_eq!(context, caller(TraceFlags::default()));
}

#[test]
fn a_64_bit_trace_id_is_padded_on_the_left() {
    for headers in [
        vec![("b3", "a3ce929d0e0e4736-00f067aa0ba902b7-1")],
        vec![
            ("X-B3-TraceId", "a3ce929d0e0e4736"),
            ("X-B3-SpanId", SPAN_ID),
            ("X-B3-Sampled", "1"),
        ],
    ] {
        assert_eq!(
            extracted(&headers).trace_id().to_string(),
            "0000000000000000a3ce929d0e0e4736",
            "{headers:?}"
        );
    }
}

#[test]
fn the_multiple_headers_are_continued_in_any_case() {
    for (sampled, flags, expected) in [
        (Some("1"), None, true),
        (Some("true"), None, true),
        (Some("0"), None, false),
        (Some("False"), None, false),
        (None, None, false),
        (None, Some("1"), true),
        (Some("0"), Some("1"), true),
    ] {
        let mut headers = vec![("X-B3-TraceId", TRACE_ID), ("x-b3-spanid", SPAN_ID)];
        headers.extend(sampled.map(|value| ("X-B3-Sampled", value)));
        headers.extend(flags.map(|value| ("X-B3-Flags", value)));
        headers.push(("X-B3-ParentSpanId", PARENT_ID));
        assert_eq!(
            extracted(&headers),
            caller(TraceFlags::new(expected as u8)),
            "{headers:?}"
        );
    }
}

#[test]
fn the_single_header_wins_over_the_multiple_ones_and_falls_back_to_them_when_invalid() {
    let multiple = [
        ("x-b3-traceid", "0000000000000000a3ce929d0e0e4736"),
        ("x-b3-spanid", PARENT_ID),
        ("x-b3-sampled", "0"),
    ];
    let mut headers = multiple.to_vec();
    let single = format!("{TRACE_ID}-{SPAN_ID}-1");
    headers.push(("b3", &single));
    assert_eq!(extracted(&headers), caller(TraceFlags::SAMPLED));

    let mut headers = multiple.to_vec();
    headers.push(("b3", "not-b3"));
    let context = extracted(&headers);
    assert_eq!(context.span_id().to_string(), PARENT_ID);
    assert!(!context.is_sampled());
}

#[test]
fn malformed_headers_continue_nothing() {
    let too_long_trace_id = format!("{TRACE_ID}00-{SPAN_ID}-1");
    let no_ids = ["0", "1", "d"];
    let malformed = [
        &format!("{TRACE_ID}-{SPAN_ID}-2") as &str,
        &format!("{TRACE_ID}-{SPAN_ID}-1-{PARENT_ID}-extra"),
        &format!("{TRACE_ID}-{SPAN_ID}-1-0000"),
        &format!("{TRACE_ID}-{SPAN_ID}-"),
        &format!("{TRACE_ID}-0000000000000000-1"),
        &format!("00000000000000000000000000000000-{SPAN_ID}-1"),
        &format!("{TRACE_ID}-+0f067aa0ba902b7-1"),
        &format!("{}-{SPAN_ID}-1", &TRACE_ID[..20]),
        &format!("{TRACE_ID}-{}-1", &SPAN_ID[..8]),
        &format!("{}é-{SPAN_ID}-1", &TRACE_ID[..30]),
        &too_long_trace_id,
        "",
    ];
    for value in no_ids.iter().chain(&malformed) {
        assert!(!extracted(&[("b3", value)]).is_valid(), "b3: {value}");
    }
    for sampled in ["2", "yes", ""] {
        let headers = [
            ("x-b3-traceid", TRACE_ID),
            ("x-b3-spanid", SPAN_ID),
            ("x-b3-sampled", sampled),
        ];
        assert!(!extracted(&headers).is_valid(), "x-b3-sampled: {sampled}");
    }
    assert!(!extracted(&[("x-b3-traceid", TRACE_ID)]).is_valid());
}

#[test]
fn a_header_given_twice_continues_nothing() {
    let value = format!("{TRACE_ID}-{SPAN_ID}-1");
    assert!(!extracted(&[("b3", &value), ("b3", &value)]).is_valid());
    let twice = [
        ("x-b3-traceid", TRACE_ID),
        ("x-b3-spanid", SPAN_ID),
        ("x-b3-sampled", "1"),
        ("x-b3-sampled", "0"),
    ];
    assert!(!extracted(&twice).is_valid());
}

#[test]
fn surrounding_whitespace_is_not_part_of_a_value() {
    let value = format!(" {TRACE_ID}-{SPAN_ID}-1\t");
    assert_eq!(extracted(&[("b3", &value)]), caller(TraceFlags::SAMPLED));
}

#[test]
fn the_single_header_is_written_with_the_sampling_state_and_no_parent() {
    let propagator = B3Propagator::new();
    for (flags, state) in [(0x01, "1"), (0x00, "0"), (0x03, "1"), (0x02, "0")] {
        let context = Context::new().with_remote_span_context(caller(TraceFlags::new(flags)));
        assert_eq!(
            sorted(injected(&propagator, &context)),
            [("b3".to_owned(), format!("{TRACE_ID}-{SPAN_ID}-{state}"))],
            "flags {flags:02x}: the W3C random flag is no B3 state"
        );
    }
}

#[test]
fn the_multiple_headers_are_written_with_the_sampling_state_and_no_parent() {
    let propagator = B3Propagator::multiple_headers();
    for (flags, sampled) in [(0x01, "1"), (0x00, "0"), (0x02, "0")] {
        let context = Context::new().with_remote_span_context(caller(TraceFlags::new(flags)));
        assert_eq!(
            sorted(injected(&propagator, &context)),
            [
                ("x-b3-sampled".to_owned(), sampled.to_owned()),
                ("x-b3-spanid".to_owned(), SPAN_ID.to_owned()),
                ("x-b3-traceid".to_owned(), TRACE_ID.to_owned()),
            ],
            "flags {flags:02x}"
        );
    }
}

#[test]
fn nothing_is_written_for_a_context_without_a_span() {
    for propagator in [B3Propagator::new(), B3Propagator::multiple_headers()] {
        assert!(injected(&propagator, &Context::new()).is_empty());
    }
}

#[test]
fn a_debug_trace_stays_one_in_the_calls_it_makes() {
    for received in [
        vec![("b3", format!("{TRACE_ID}-{SPAN_ID}-d"))],
        vec![
            ("x-b3-traceid", TRACE_ID.to_owned()),
            ("x-b3-spanid", SPAN_ID.to_owned()),
            ("x-b3-flags", "1".to_owned()),
        ],
    ] {
        let headers: Vec<(&str, &str)> = received.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let received = extracted_context(&headers);
        // A span of this service under the caller's: a new id in the same trace.
        let child = SpanContext::new(
            TraceId::from_hex(TRACE_ID).unwrap(),
            SpanId::from_hex(PARENT_ID).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let calling = received.with_remote_span_context(child);
        assert_eq!(
            sorted(injected(&B3Propagator::new(), &calling)),
            [("b3".to_owned(), format!("{TRACE_ID}-{PARENT_ID}-d"))],
            "{headers:?}"
        );
        assert_eq!(
            sorted(injected(&B3Propagator::multiple_headers(), &calling)),
            [
                ("x-b3-flags".to_owned(), "1".to_owned()),
                ("x-b3-spanid".to_owned(), PARENT_ID.to_owned()),
                ("x-b3-traceid".to_owned(), TRACE_ID.to_owned()),
            ],
            "debug implies sampled, which is not sent beside it"
        );
        // A new trace started inside it is not the caller's to debug.
        let new_trace = received.with_remote_span_context(SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex(PARENT_ID).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ));
        assert_eq!(
            sorted(injected(&B3Propagator::new(), &new_trace)),
            [(
                "b3".to_owned(),
                format!("0af7651916cd43dd8448eb211c80319c-{PARENT_ID}-1")
            )]
        );
    }
}

#[test]
fn the_fields_are_every_b3_header_whichever_encoding_writes() {
    let every = [
        "b3",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-sampled",
        "x-b3-flags",
        "x-b3-parentspanid",
    ];
    for propagator in [B3Propagator::new(), B3Propagator::multiple_headers()] {
        let fields: Vec<&str> = propagator.fields().collect();
        assert_eq!(
            fields, every,
            "a carrier sent on keeps none of the caller's"
        );
    }
}

#[test]
fn read_after_w3c_of_the_same_trace_its_tracestate_and_random_flag_stay() {
    let w3c = |trace_id: &str| {
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from_hex(trace_id).unwrap(),
            SpanId::from_hex(PARENT_ID).unwrap(),
            TraceFlags::new(0x03),
            true,
            TraceState::from_key_value([("vendor", "1")]).unwrap(),
        ))
    };
    let headers = [("b3", format!("{TRACE_ID}-{SPAN_ID}-1"))];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let read = |context: Context| {
        B3Propagator::new()
            .extract_with_context(&context, &Headers(headers.clone()))
            .span()
            .span_context()
            .clone()
    };
    let same = read(w3c(TRACE_ID));
    assert_eq!(same.span_id().to_string(), SPAN_ID, "B3's span wins");
    assert_eq!(same.trace_flags(), TraceFlags::new(0x03));
    assert_eq!(same.trace_state().header(), "vendor=1");
    let other = read(w3c("0af7651916cd43dd8448eb211c80319c"));
    assert_eq!(
        other,
        caller(TraceFlags::SAMPLED),
        "another trace's: nothing"
    );
}

#[test]
fn read_after_w3c_of_the_same_trace_with_no_sampling_state_w3c_decides() {
    let w3c = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(PARENT_ID).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    ));
    let multiple = [("x-b3-traceid", TRACE_ID), ("x-b3-spanid", SPAN_ID)];
    let read = B3Propagator::new().extract_with_context(&w3c, &Headers(multiple.to_vec()));
    assert!(read.span().span_context().is_sampled());
    assert_eq!(read.span().span_context().span_id().to_string(), SPAN_ID);
}
