//! The rules of W3C Baggage, case by case (the valid examples are the
//! specification's own, and its test suite's).

use super::*;
use crate::propagation::AsExtractor;
use opentelemetry::KeyValue;
use opentelemetry::baggage::KeyValueMetadata;
use std::collections::HashMap;

/// A baggage entry: key, value, metadata.
type Entry = (String, String, String);

fn entry(key: &str, value: &str, metadata: &str) -> Entry {
    (key.to_owned(), value.to_owned(), metadata.to_owned())
}

/// The entries of `baggage`, by key.
fn entries(baggage: &Baggage) -> Vec<Entry> {
    let mut entries: Vec<Entry> = baggage
        .iter()
        .map(|(key, (value, metadata))| entry(key.as_str(), value.as_str(), metadata.as_str()))
        .collect();
    entries.sort();
    entries
}

/// Message headers with one `baggage` header per value, in order.
fn carrier(headers: &[&str]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|header| (BAGGAGE.to_owned(), header.as_bytes().to_vec()))
        .collect()
}

/// The entries `baggage` headers extract to.
fn extracted(headers: &[&str]) -> Vec<Entry> {
    let context = BaggagePropagator::new().extract(&AsExtractor(&carrier(headers)));
    entries(context.baggage())
}

/// The headers injected for a context holding `entries`.
fn injected(entries: &[(&str, &str, &str)]) -> HashMap<String, String> {
    let baggage: Baggage = entries
        .iter()
        .map(|(key, value, metadata)| {
            KeyValueMetadata::new(key.to_string(), value.to_string(), *metadata)
        })
        .collect();
    let mut headers = HashMap::new();
    BaggagePropagator::new().inject_context(&Context::new().with_baggage(baggage), &mut headers);
    headers
}

#[test]
fn the_specifications_example_keeps_properties_as_metadata() {
    assert_eq!(
        extracted(&[
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue"
        ]),
        [
            entry("key1", "value1", "property1;property2"),
            entry("key2", "value2", ""),
            entry("key3", "value3", "propertyKey=propertyValue"),
        ]
    );
}

#[test]
fn the_specifications_headers_read_the_same_single_split_or_spaced() {
    let expected = [
        entry("isProduction", "false", ""),
        entry("serverNode", "DF 28", ""),
        entry("userId", "alice", ""),
    ];
    let cases: [&[&str]; 3] = [
        &["userId=alice,serverNode=DF%2028,isProduction=false"],
        &["userId=alice", "serverNode=DF%2028,isProduction=false"],
        &[
            "userId =   alice",
            "serverNode = DF%2028, isProduction = false",
        ],
    ];
    for headers in cases {
        assert_eq!(extracted(headers), expected, "{headers:?}");
    }
}

#[test]
fn optional_white_space_and_empty_members_are_allowed() {
    assert_eq!(
        extracted(&[
            "SomeKey \t = \t SomeValue \t ; \t SomeProp \t , \t SomeKey2 \t = \t SomeValue2 \t ; \t ValueProp \t = \t PropVal"
        ]),
        [
            entry("SomeKey", "SomeValue", "SomeProp"),
            entry("SomeKey2", "SomeValue2", "ValueProp=PropVal"),
        ]
    );
    assert_eq!(
        extracted(&[" , a=1 ,, b=2 ,", ",", ""]),
        [entry("a", "1", ""), entry("b", "2", "")]
    );
}

#[test]
fn values_are_percent_decoded() {
    let cases = [
        ("DF%2028", "DF 28"),
        ("a%2Cb", "a,b"),
        ("%3B%3D%22%5C", ";=\"\\"),
        ("caf%C3%A9", "café"),
        ("%e2%82%ac", "€"),
        ("%F0%9F%A7%B3", "🧳"),
        ("%20padded%20", " padded "),
        (
            "%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29",
            "\t \"';=asdf!@#$%^&*()",
        ),
        ("a=b==c", "a=b==c"),
        ("%2525", "%25"),
        ("", ""),
    ];
    for (value, decoded) in cases {
        assert_eq!(
            extracted(&[&format!("k={value}")]),
            [entry("k", decoded, "")],
            "{value}"
        );
    }
}

#[test]
fn escapes_that_are_not_utf8_become_replacement_characters() {
    let cases = [
        ("%FF", "\u{FFFD}"),
        ("a%C3", "a\u{FFFD}"),
        ("%C3%28", "\u{FFFD}("),
        ("%E2%82", "\u{FFFD}"),
        ("%C0%AF", "\u{FFFD}\u{FFFD}"),
        ("%ED%A0%80", "\u{FFFD}\u{FFFD}\u{FFFD}"),
    ];
    for (value, decoded) in cases {
        assert_eq!(
            extracted(&[&format!("k={value}")]),
            [entry("k", decoded, "")],
            "{value}"
        );
    }
}

#[test]
fn a_percent_without_two_hex_digits_is_kept() {
    let cases = [
        ("100%", "100%"),
        ("%", "%"),
        ("%2", "%2"),
        ("%zz", "%zz"),
        ("%G1", "%G1"),
        ("%%41", "%A"),
    ];
    for (value, decoded) in cases {
        assert_eq!(
            extracted(&[&format!("k={value}")]),
            [entry("k", decoded, "")],
            "{value}"
        );
    }
}

#[test]
fn keys_are_tokens_taken_as_they_are() {
    assert_eq!(
        extracted(&["User-Id.v2=1,k%20=2,!#$%&'*+-.^_`|~=3"]),
        [
            entry("!#$%&'*+-.^_`|~", "3", ""),
            entry("User-Id.v2", "1", ""),
            entry("k%20", "2", ""),
        ]
    );
}

#[test]
fn an_empty_value_is_a_value() {
    assert_eq!(
        extracted(&["empty=,spaced = ;p"]),
        [entry("empty", "", ""), entry("spaced", "", "p")]
    );
}

#[test]
fn an_invalid_member_is_dropped_and_the_others_kept() {
    let cases = [
        ("no equals sign", "novalue"),
        ("empty key", "=value"),
        ("only an equals sign", "="),
        ("space in the key", "my key=v"),
        ("quote in the key", "\"k\"=v"),
        ("separator in the key", "k:1=v"),
        ("slash in the key", "a/b=v"),
        ("non-ASCII key", "clé=v"),
        ("space in the value", "k=a b"),
        ("quote in the value", "k=\"quoted\""),
        ("backslash in the value", "k=back\\slash"),
        ("tab in the value", "k=a\tb"),
        ("non-ASCII value", "k=café"),
        ("NUL", "k=a\u{0}b"),
        ("line break", "k=a\r\nb"),
        ("DEL", "k=a\u{7f}"),
        ("empty property", "k=v;"),
        ("empty property between two", "k=v;;p"),
        ("space in a property", "k=v;a b"),
        ("space in a property value", "k=v;p=a b"),
        ("property without key", "k=v;=x"),
        ("quote in a property value", "k=v;p=\"x\""),
    ];
    for (case, member) in cases {
        assert_eq!(
            extracted(&[&format!("first=1,{member},last=2")]),
            [entry("first", "1", ""), entry("last", "2", "")],
            "{case}: {member:?}"
        );
    }
}

#[test]
fn every_ascii_character_in_a_value_and_in_a_key() {
    for byte in 0..=0x7f_u8 {
        let c = char::from(byte);
        let expected = match c {
            ',' => vec![entry("k", "a", "")],
            ';' => vec![entry("k", "a", "b")],
            ' ' | '"' | '\\' => vec![],
            _ if c.is_ascii_control() => vec![],
            _ => vec![entry("k", &format!("a{c}b"), "")],
        };
        assert_eq!(extracted(&[&format!("k=a{c}b")]), expected, "value {c:?}");
        let expected = match c {
            '=' => vec![entry("a", "b=v", "")],
            ',' => vec![entry("b", "v", "")],
            _ if c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c) => {
                vec![entry(&format!("a{c}b"), "v", "")]
            }
            _ => vec![],
        };
        assert_eq!(extracted(&[&format!("a{c}b=v")]), expected, "key {c:?}");
    }
    for c in ['é', '€', '🧳', '\u{a0}', '\u{feff}', '\u{fffd}'] {
        assert!(extracted(&[&format!("k=a{c}b")]).is_empty(), "value {c:?}");
        assert!(extracted(&[&format!("a{c}b=v")]).is_empty(), "key {c:?}");
    }
}

#[test]
fn a_key_given_twice_takes_the_last_value() {
    assert_eq!(
        extracted(&["a=1,b=2,a=3"]),
        [entry("a", "3", ""), entry("b", "2", "")]
    );
    assert_eq!(
        extracted(&["a=1;p", "a=2"]),
        [entry("a", "2", "")],
        "across headers, the metadata with the value"
    );
    assert_eq!(
        extracted(&["a=1,a=bad value"]),
        [entry("a", "1", "")],
        "an invalid repeat replaces nothing"
    );
}

#[test]
fn without_a_valid_member_the_context_is_unchanged() {
    let context = Context::new().with_baggage([KeyValue::new("existing", "1")]);
    let every_byte: Vec<u8> = (0..=255).collect();
    let every_byte = String::from_utf8_lossy(&every_byte);
    let cases: [&[&str]; 11] = [
        &[],
        &[""],
        &["  \t "],
        &[",,,"],
        &["garbage"],
        &["=;,=;"],
        &["%%%"],
        &["\u{0}\u{1}\u{7f}\u{fffd}"],
        &["k=v;", "k=a b"],
        &[every_byte.as_ref()],
        &["\u{feff}k=v"],
    ];
    let propagator = BaggagePropagator::new();
    for headers in cases {
        let extracted = propagator.extract_with_context(&context, &AsExtractor(&carrier(headers)));
        assert_eq!(
            entries(extracted.baggage()),
            [entry("existing", "1", "")],
            "{headers:?}"
        );
    }
    let extracted = propagator.extract_with_context(&context, &AsExtractor(&carrier(&["k=v"])));
    assert_eq!(
        entries(extracted.baggage()),
        [entry("k", "v", "")],
        "a valid header's baggage replaces the context's"
    );
}

/// `k<first>=v,..,k<last - 1>=v`.
fn members(keys: std::ops::Range<usize>) -> String {
    keys.map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",")
}

fn expected_members(keys: std::ops::Range<usize>) -> Vec<Entry> {
    let mut expected: Vec<Entry> = keys.map(|i| entry(&format!("k{i}"), "v", "")).collect();
    expected.sort();
    expected
}

#[test]
fn at_most_64_members_are_taken_in_order() {
    assert_eq!(extracted(&[&members(0..64)]), expected_members(0..64));
    assert_eq!(
        extracted(&[&members(0..65)]),
        expected_members(0..64),
        "the 65th is dropped"
    );
    assert_eq!(
        extracted(&[&members(0..40), &members(40..80)]),
        expected_members(0..64),
        "the limit holds for the headers combined"
    );
    assert_eq!(
        extracted(&[&members(0..64), "k0=late"]),
        expected_members(0..64),
        "a 65th member is dropped even when it repeats a key"
    );
    assert_eq!(
        extracted(&[&format!("{},k0=v", ["bad"; 100].join(","))]),
        expected_members(0..1),
        "dropped members count for nothing"
    );
}

#[test]
fn at_most_8192_bytes_are_taken_in_whole_members() {
    let fits = format!("a={}", "v".repeat(8190));
    let expected = [entry("a", &"v".repeat(8190), "")];
    assert_eq!(extracted(&[&fits]), expected, "exactly 8192 bytes");
    assert_eq!(
        extracted(&[&format!(" \t{fits} , ")]),
        expected,
        "white space around a member does not count"
    );
    assert!(extracted(&[&format!("a={}", "v".repeat(8191))]).is_empty());

    let big = format!("a={}", "v".repeat(8000));
    let big_entry = entry("a", &"v".repeat(8000), "");
    let exact = format!("c={}", "v".repeat(187)); // 8002 + the comma + 189 = 8192
    assert_eq!(
        extracted(&[&format!("{big},{exact}")]),
        [big_entry.clone(), entry("c", &"v".repeat(187), "")]
    );
    let over = format!("c={}", "v".repeat(188));
    assert_eq!(
        extracted(&[&big, &over]),
        std::slice::from_ref(&big_entry),
        "the comma between headers counts"
    );
    assert_eq!(
        extracted(&[&format!("{big},{over},c=1")]),
        [big_entry, entry("c", "1", "")],
        "a later member that fits is kept"
    );
}

#[test]
fn a_forwarded_header_within_the_limit_is_forwarded_whole() {
    // Values of base64 text: `+` and `=` raw, as the grammar allows, 8000 bytes in
    // all; escaped for form decoders they would take 9000.
    let value = "ab+c=".repeat(400);
    let header = (0..4)
        .map(|key| format!("k{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(header.len() <= MAX_BYTES);
    let received = extracted(&[&header]);
    assert_eq!(received.len(), 4);
    let forwarded: Vec<(&str, &str, &str)> = received
        .iter()
        .map(|(key, value, metadata)| (key.as_str(), value.as_str(), metadata.as_str()))
        .collect();
    let sent = injected(&forwarded);
    assert_eq!(
        extracted(&[&sent["baggage"]]),
        received,
        "every member forwarded"
    );
    // Escaped for form decoders where that holds as many members.
    assert_eq!(injected(&[("k", "a+b", "")])["baggage"], "k=a%2Bb");
    // 4000 bytes, 12000 escaped either way.
    let huge = "é".repeat(2000);
    assert_eq!(
        injected(&[("huge", &huge, ""), ("k", "a+b", "")])["baggage"],
        "k=a%2Bb",
        "a member no escaping fits changes nothing"
    );
}

#[test]
fn a_member_kept_is_one_the_next_hop_can_forward() {
    // 3000 bare `%` (kept as they are) and 2000 octets that are no UTF-8 (U+FFFD
    // each): within the limit received, three times it escaped.
    let bare = format!("bare={}", "%".repeat(3000));
    let not_utf8 = format!("lossy={}", "%FF".repeat(2000));
    for member in [&bare, &not_utf8] {
        let header = format!("{member},small=1");
        assert!(header.len() <= MAX_BYTES);
        let received = extracted(&[&header]);
        assert_eq!(received, [entry("small", "1", "")], "{member:.12}..");
    }
    let some_bare = format!("bare=100{},small=1", "%".repeat(100));
    let received = extracted(&[&some_bare]);
    assert_eq!(received.len(), 2, "escaped, it still fits");
    let forwarded: Vec<(&str, &str, &str)> = received
        .iter()
        .map(|(key, value, metadata)| (key.as_str(), value.as_str(), metadata.as_str()))
        .collect();
    assert_eq!(extracted(&[&injected(&forwarded)["baggage"]]), received);
}

#[test]
fn a_very_long_value_is_dropped_whole_and_the_rest_kept() {
    let huge = format!("huge={}", "x".repeat(1 << 20));
    assert_eq!(
        extracted(&[&format!("small=1,{huge},after=2")]),
        [entry("after", "2", ""), entry("small", "1", "")]
    );
}

#[test]
fn arbitrary_input_never_panics_and_what_is_kept_round_trips() {
    let alphabet = [
        'k', 'v', '=', ';', ',', ' ', '\t', '%', '2', 'C', 'F', 'é', '"', '\\', '\u{0}', '\u{fffd}',
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % 64).unwrap()
    };
    let mut kept_some = 0;
    for _ in 0..5000 {
        let input: String = (0..next())
            .map(|_| alphabet[next() % alphabet.len()])
            .collect();
        let kept = extracted(&[&input]);
        let written = header(
            kept.iter()
                .map(|(key, value, metadata)| (key.as_str(), value.as_str(), metadata.as_str())),
        );
        let again = written.map_or_else(Vec::new, |written| extracted(&[&written]));
        assert_eq!(again, kept, "{input:?}");
        kept_some += usize::from(!kept.is_empty());
    }
    assert!(kept_some > 100, "the input exercises valid members too");
}

#[test]
fn empty_baggage_sets_no_header() {
    assert!(injected(&[]).is_empty());
    let mut headers = HashMap::new();
    BaggagePropagator::new().inject_context(&Context::new(), &mut headers);
    assert!(headers.is_empty());
}

#[test]
fn injection_writes_entries_in_key_order_with_their_properties() {
    assert_eq!(
        injected(&[("b", "2", "p;q=1"), ("a", "1", ""), ("c", "", "")]),
        HashMap::from([(BAGGAGE.to_owned(), "a=1,b=2;p;q=1,c=".to_owned())])
    );
}

#[test]
fn injection_percent_encodes_what_is_not_a_baggage_octet_and_percent_equals_and_plus() {
    let written = |value: &str| injected(&[("k", value, "")]).remove(BAGGAGE);
    assert_eq!(
        written("a,b;c=d e%f\"g\\h\té€+1").as_deref(),
        Some("k=a%2Cb%3Bc%3Dd%20e%25f%22g%5Ch%09%C3%A9%E2%82%AC%2B1")
    );
    assert_eq!(
        written("plain-._~!#$&'()*/:<>?@[]^`{|}").as_deref(),
        Some("k=plain-._~!#$&'()*/:<>?@[]^`{|}"),
        "other baggage octets are written as they are"
    );
}

#[test]
fn only_the_valid_properties_of_the_metadata_are_written() {
    assert_eq!(
        member(
            "k",
            "v",
            " ok ; bad prop ; p = x ;;=y; q=a b;",
            Escape::FormSafe
        )
        .as_deref(),
        Some("k=v;ok;p=x")
    );
    assert_eq!(
        member("k", "v", ";k1=v1;k2;k3=v3", Escape::FormSafe).as_deref(),
        Some("k=v;k1=v1;k2;k3=v3"),
        "the form upstream documents, with a leading `;`"
    );
}

#[test]
fn a_key_that_is_not_a_token_is_not_written() {
    // `Baggage` refuses such keys itself; the check keeps the header valid whatever
    // it is given.
    assert_eq!(member("bad key", "v", "", Escape::FormSafe), None);
    assert_eq!(member("", "v", "", Escape::FormSafe), None);
    assert_eq!(
        header([("bad key", "v", ""), ("k", "v", "")]).as_deref(),
        Some("k=v")
    );
}

#[test]
fn injection_keeps_to_64_members_and_8192_bytes_dropping_whole_members() {
    let keys: Vec<String> = (0..65).map(|i| format!("k{i:02}")).collect();
    let written = header(keys.iter().map(|key| (key.as_str(), "v", ""))).unwrap();
    let expected: Vec<String> = keys[..64].iter().map(|key| format!("{key}=v")).collect();
    assert_eq!(written, expected.join(","), "the 65th is dropped");

    // 60 spaces are 180 bytes once encoded: members of 184 bytes, 44 of which fit.
    let spaces = " ".repeat(60);
    let entries: Vec<(&str, &str, &str)> = keys[..64]
        .iter()
        .map(|key| (key.as_str(), spaces.as_str(), ""))
        .collect();
    let written = injected(&entries).remove(BAGGAGE).unwrap();
    let written_keys: Vec<&str> = written
        .split(',')
        .map(|member| member.split_once('=').unwrap().0)
        .collect();
    assert_eq!(written_keys, keys[..44]);
    assert_eq!(written.len(), 44 * 184 + 43);

    let long = " ".repeat(3000); // within `Baggage`'s 8192 bytes, 9000 once encoded
    assert_eq!(
        injected(&[("a", &long, ""), ("b", "x", "")])
            .remove(BAGGAGE)
            .as_deref(),
        Some("b=x")
    );
}

#[test]
fn what_is_injected_extracts_to_the_same_entries() {
    let original = [
        ("userId", "alice", ""),
        ("serverNode", "DF 28", "p;q=1"),
        ("text", "a,b;c=d \"quoted\" back\\slash 100% é€🧳", ""),
        ("empty", "", "flag"),
        ("padded", "\t padded \t", ""),
        ("replacement", "\u{fffd}", ""),
    ];
    let written = injected(&original).remove(BAGGAGE).unwrap();
    let mut expected: Vec<Entry> = original
        .iter()
        .map(|(key, value, metadata)| entry(key, value, metadata))
        .collect();
    expected.sort();
    assert_eq!(extracted(&[&written]), expected);
}

#[test]
fn the_field_is_baggage() {
    assert_eq!(
        BaggagePropagator::new().fields().collect::<Vec<_>>(),
        ["baggage"]
    );
}

#[test]
fn baggage_set_baggage_left_a_key_out_of_replaces_a_carriers_even_empty() {
    let left_out = crate::baggage::added(
        &Context::new(),
        vec![(opentelemetry::Key::from_static_str("tenant"), None)],
    );
    let stale = || HashMap::from([("baggage".to_owned(), "tenant=old".to_owned())]);
    // Through an `Injector` (another library calling the global propagator on a
    // copy of the incoming headers): set empty, replacing the stale value.
    let mut headers = stale();
    BaggagePropagator::new().inject_context(&left_out, &mut headers);
    assert_eq!(headers["baggage"], "");
    // Through our carriers: removed.
    let mut headers = stale();
    BaggagePropagator::new()
        .inject_context(&left_out, &mut crate::propagation::AsInjector(&mut headers));
    assert_eq!(headers.get("baggage"), None);
    // Baggage of no such context leaves the carrier's as it is.
    let mut headers = stale();
    BaggagePropagator::new().inject_context(&Context::new(), &mut headers);
    assert_eq!(headers["baggage"], "tenant=old");
}
