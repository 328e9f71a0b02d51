//! The rules of W3C Trace Context Level 2, case by case (the valid examples are
//! the specification's own).

use super::*;

use crate::propagation::Headers;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

fn extracted(headers: &[(&str, &str)]) -> SpanContext {
    TraceContextPropagator::new()
        .extract(&Headers(headers.to_vec()))
        .span()
        .span_context()
        .clone()
}

/// The headers the propagator writes for a span context with `flags` and `state`.
fn injected(flags: u8, state: TraceState) -> std::collections::HashMap<String, String> {
    let span_context = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(PARENT_ID).unwrap(),
        TraceFlags::new(flags),
        false,
        state,
    );
    let mut headers = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(
        &Context::new().with_remote_span_context(span_context),
        &mut headers,
    );
    headers
}

fn valid(traceparent: &str) -> bool {
    extracted(&[("traceparent", traceparent)]).is_valid()
}

#[test]
fn the_specifications_traceparent_is_continued_as_a_remote_parent() {
    let context = extracted(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )]);
    assert!(context.is_valid());
    assert!(context.is_remote());
    assert!(context.is_sampled());
    assert_eq!(context.trace_id().to_string(), TRACE_ID);
    assert_eq!(context.span_id().to_string(), PARENT_ID);
    assert!(!extracted(&[("traceparent", &format!("00-{TRACE_ID}-{PARENT_ID}-00"))]).is_sampled());
}

#[test]
fn the_level_2_random_flag_is_kept() {
    let context = extracted(&[("traceparent", &format!("00-{TRACE_ID}-{PARENT_ID}-03"))]);
    assert_eq!(context.trace_flags().to_u8(), 0x03);
}

#[test]
fn reserved_flags_are_zeroed_and_a_later_version_gives_only_sampled() {
    let flags = |traceparent: String| {
        extracted(&[("traceparent", &traceparent)])
            .trace_flags()
            .to_u8()
    };
    assert_eq!(flags(format!("00-{TRACE_ID}-{PARENT_ID}-ff")), 0x03);
    assert_eq!(flags(format!("00-{TRACE_ID}-{PARENT_ID}-fc")), 0x00);
    assert_eq!(flags(format!("cc-{TRACE_ID}-{PARENT_ID}-ff-more")), 0x01);
    assert_eq!(flags(format!("01-{TRACE_ID}-{PARENT_ID}-02")), 0x00);

    // A span context made elsewhere with reserved bits set is sent without them.
    assert_eq!(
        injected(0xfd, TraceState::NONE).get("traceparent"),
        Some(&format!("00-{TRACE_ID}-{PARENT_ID}-01"))
    );
}

#[test]
fn a_later_version_is_read_by_its_first_four_fields() {
    assert!(valid(&format!("01-{TRACE_ID}-{PARENT_ID}-01")));
    assert!(valid(&format!(
        "cc-{TRACE_ID}-{PARENT_ID}-01-what-the-future-adds"
    )));
    assert!(
        valid(&format!("cc-{TRACE_ID}-{PARENT_ID}-01-é")),
        "what it adds is not read, whatever its characters"
    );
    assert!(
        !valid(&format!("cc-{TRACE_ID}-{PARENT_ID}-01x")),
        "more without a dash"
    );
}

#[test]
fn malformed_traceparents_start_a_new_trace() {
    let cases = [
        (
            "uppercase hex",
            format!("00-{}-{PARENT_ID}-01", TRACE_ID.to_uppercase()),
        ),
        ("version ff", format!("ff-{TRACE_ID}-{PARENT_ID}-01")),
        (
            "all-zero trace id",
            format!("00-{}-{PARENT_ID}-01", "0".repeat(32)),
        ),
        (
            "all-zero parent id",
            format!("00-{TRACE_ID}-{}-01", "0".repeat(16)),
        ),
        (
            "parent id too short",
            format!("00-{TRACE_ID}-{}-01", &PARENT_ID[1..]),
        ),
        (
            "parent id too long",
            format!("00-{TRACE_ID}-{PARENT_ID}0-01"),
        ),
        (
            "trace id too short",
            format!("00-{}-{PARENT_ID}-01", &TRACE_ID[1..]),
        ),
        ("version too long", format!("000-{TRACE_ID}-{PARENT_ID}-01")),
        ("version too short", format!("0-{TRACE_ID}-{PARENT_ID}-01")),
        ("flags too long", format!("00-{TRACE_ID}-{PARENT_ID}-001")),
        ("flags too short", format!("00-{TRACE_ID}-{PARENT_ID}-1")),
        (
            "version 00 with more",
            format!("00-{TRACE_ID}-{PARENT_ID}-01-extra"),
        ),
        ("wrong separator", format!("00_{TRACE_ID}-{PARENT_ID}-01")),
        ("not hex", format!("00-{}g-{PARENT_ID}-01", &TRACE_ID[1..])),
        ("empty", String::new()),
        ("non-ASCII", format!("00-{TRACE_ID}-{PARENT_ID}-0é")),
        (
            "a character across the version's end",
            format!("a€{}", "0".repeat(53)),
        ),
    ];
    for (case, traceparent) in cases {
        assert!(!valid(&traceparent), "{case}: {traceparent}");
    }
}

#[test]
fn two_traceparent_headers_are_invalid() {
    let context = extracted(&[
        ("traceparent", &format!("00-{TRACE_ID}-{PARENT_ID}-01")),
        ("traceparent", &format!("00-{TRACE_ID}-{PARENT_ID}-01")),
    ]);
    assert!(!context.is_valid());
}

fn state(headers: &[&str]) -> Option<String> {
    let mut all = vec![("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))];
    all.extend(headers.iter().map(|h| ("tracestate", (*h).to_owned())));
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let context = extracted(&borrowed);
    assert!(
        context.is_valid(),
        "an invalid tracestate never drops the traceparent"
    );
    let header = context.trace_state().header();
    (!header.is_empty()).then_some(header)
}

#[test]
fn tracestate_headers_are_combined_in_order() {
    assert_eq!(
        state(&["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"]).as_deref(),
        Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    );
    assert_eq!(
        state(&[" , rojo=1 ,, congo=2 ,"]).as_deref(),
        Some("rojo=1,congo=2"),
        "empty members and optional white space are allowed"
    );
}

#[test]
fn keys_follow_the_simple_and_multi_tenant_rules() {
    assert!(state(&["fw529a3039@dt=x"]).is_some());
    assert!(
        state(&["0tenant@sys=x"]).is_some(),
        "a tenant id may start with a digit"
    );
    assert!(state(&["a_-*/b=x"]).is_some());
    assert!(state(&[&format!("{}=x", "a".repeat(256))]).is_some());
    for invalid in [
        "Upper=x".to_owned(),
        "1key=x".to_owned(),
        "k y=x".to_owned(),
        format!("{}=x", "a".repeat(257)),
        format!("{}@sys=x", "t".repeat(242)),
        format!("tenant@{}=x", "s".repeat(15)),
        "tenant@1sys=x".to_owned(),
        "@sys=x".to_owned(),
        "tenant@=x".to_owned(),
    ] {
        assert_eq!(state(&[&invalid]), None, "{invalid}");
    }
}

#[test]
fn a_system_id_of_14_characters_is_valid_but_only_that_member_is_dropped() {
    // Found by tests/tests/hostile_headers.rs: OpenTelemetry's `TraceState` takes at
    // most 13 characters after `@`, and refused the whole list.
    assert_eq!(
        state(&["tenant@abcdefghijklm=x"]).as_deref(),
        Some("tenant@abcdefghijklm=x"),
        "13 characters"
    );
    assert_eq!(
        state(&["a=1,tenant@abcdefghijklmn=2", "b=3"]).as_deref(),
        Some("a=1,b=3"),
        "14 characters: valid, the other members kept"
    );
    assert_eq!(
        state(&["a=1,tenant@abcdefghijklmno=2"]),
        None,
        "15 characters: invalid, the whole list dropped"
    );
}

#[test]
fn values_follow_their_rules() {
    assert!(state(&["k=a value with spaces"]).is_some());
    // White space around a member is the list's optional white space, not the value's.
    assert_eq!(state(&["k=trailing "]).as_deref(), Some("k=trailing"));
    assert!(state(&[&format!("k={}", "v".repeat(256))]).is_some());
    for invalid in [
        "foo=".to_owned(),
        "k=has=equals".to_owned(),
        format!("k={}", "v".repeat(257)),
        "k=tab\there".to_owned(),
        "novalue".to_owned(),
    ] {
        assert_eq!(state(&[&invalid]), None, "{invalid}");
    }
}

#[test]
fn at_most_32_members_and_no_key_twice() {
    let members = |count: usize| {
        (0..count)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert!(state(&[&members(32)]).is_some());
    assert_eq!(state(&[&members(33)]), None);
    assert_eq!(state(&["a=1,b=2,a=3"]), None);
    assert_eq!(state(&["a=1", "a=2"]), None, "duplicates across headers");
}

#[test]
fn a_list_over_512_characters_is_cut_its_long_members_first_then_from_the_end() {
    // Members of 60 characters: 8 of them and their commas are 487, 9 are 549.
    let short = |index: usize| format!("k{index}={}", "v".repeat(57));
    let long = format!("long={}", "x".repeat(200));
    let mut members: Vec<String> = (0..10).map(short).collect();
    members.insert(1, long.clone());
    let expected = (0..8).map(short).collect::<Vec<_>>().join(",");
    assert_eq!(state(&[&members.join(",")]), Some(expected));
    // 512 characters exactly, a long member among them: kept whole.
    let fitting = format!("{long},{},{}", short(0), "k=".to_owned() + &"v".repeat(243));
    assert_eq!(fitting.len(), 512);
    assert_eq!(state(&[&fitting]).as_deref(), Some(fitting.as_str()));
    // The largest list a caller may send (32 members of 513 characters), cut to
    // one member: every member is long, and two are over 512.
    let largest = (0..32)
        .map(|index| format!("{:a<256}={}", format!("k{index}"), "v".repeat(256)))
        .collect::<Vec<_>>();
    assert_eq!(state(&[&largest.join(",")]), None);
    let one_fits = format!("{},a=1", largest.join(","));
    assert_eq!(state(&[&one_fits]), None, "33 members: invalid as a whole");
    let with_a_short_one = format!("a=1,{}", largest[..31].join(","));
    assert_eq!(state(&[&with_a_short_one]).as_deref(), Some("a=1"));
}

#[test]
fn injection_writes_traceparent_and_tracestate_also_empty() {
    assert_eq!(
        injected(0x03, TraceState::NONE),
        std::collections::HashMap::from([
            (
                "traceparent".to_owned(),
                format!("00-{TRACE_ID}-{PARENT_ID}-03")
            ),
            ("tracestate".to_owned(), String::new()),
        ])
    );
    assert_eq!(
        injected(0x03, TraceState::from_key_value([("rojo", "1")]).unwrap())
            .get("tracestate")
            .map(String::as_str),
        Some("rojo=1")
    );
    let mut headers = std::collections::HashMap::<String, String>::new();
    TraceContextPropagator::new().inject_context(&Context::new(), &mut headers);
    assert!(headers.is_empty(), "no span, nothing injected");
}

#[test]
fn injection_replaces_a_stale_tracestate_and_our_carriers_send_none_empty() {
    let context = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(PARENT_ID).unwrap(),
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    ));
    let stale =
        || std::collections::HashMap::from([("tracestate".to_owned(), "vendor=stale".to_owned())]);
    // Through an `Injector` (a third party's instrumentation calling the global
    // propagator on a copy of the incoming headers): the stale value is replaced.
    let mut headers = stale();
    TraceContextPropagator::new().inject_context(&context, &mut headers);
    assert_eq!(headers["tracestate"], "");
    // Through our carriers: removed.
    let mut headers = stale();
    TraceContextPropagator::new()
        .inject_context(&context, &mut crate::propagation::AsInjector(&mut headers));
    assert_eq!(headers.get("tracestate"), None);
    assert!(headers.contains_key("traceparent"));
}

#[test]
fn injection_leaves_out_the_members_a_w3c_parser_would_drop_the_list_for() {
    // `TraceState` takes them; the specification does not.
    let state = TraceState::from_key_value([
        ("ok", "1"),
        ("1bad", "x"),
        ("empty", ""),
        ("ctl", "a\u{1}b"),
        ("last", "2"),
    ])
    .unwrap();
    let sent = injected(0x01, state);
    assert_eq!(
        sent.get("tracestate").map(String::as_str),
        Some("ok=1,last=2")
    );
    let extractor: std::collections::HashMap<String, String> = sent;
    let read = TraceContextPropagator::new().extract(&extractor);
    assert_eq!(
        read.span().span_context().trace_state().header(),
        "ok=1,last=2"
    );
    let only_bad = TraceState::from_key_value([("1bad", "x")]).unwrap();
    assert_eq!(
        injected(0x01, only_bad)
            .get("tracestate")
            .map(String::as_str),
        Some("")
    );
    let many = TraceState::from_key_value((0..40).map(|index| (format!("k{index}"), "v"))).unwrap();
    let sent = injected(0x01, many);
    assert_eq!(sent["tracestate"].split(',').count(), 32, "at most 32");
}
