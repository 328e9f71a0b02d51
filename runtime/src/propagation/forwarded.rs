//! What the proxies in front of a server say of a request they forwarded: the
//! original client, host and scheme, which the conventions ask a server to record
//! rather than its own connection's. RFC 7239's `Forwarded` first, else the
//! de-facto `X-Forwarded-*` headers, as the HTTP conventions read them; the same
//! for a gRPC call's metadata (Envoy adds `X-Forwarded-For`).
//!
//! `header` reads one header's value as text (visible ASCII), for the carrier at
//! hand (`http::HeaderMap`, tonic's `MetadataMap`).

/// Parameter `name` of the first element of `Forwarded`, else the first entry of
/// the `x_forwarded` header.
pub(super) fn first_hop<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    name: &str,
    x_forwarded: &str,
) -> Option<&'h str> {
    let standard = || {
        let first_hop = header("forwarded")?.split(',').next()?;
        first_hop.split(';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().trim_matches('"'))
        })
    };
    let de_facto = || header(x_forwarded)?.split(',').next().map(str::trim);
    standard().or_else(de_facto)
}

/// The first hop's client, as a proxy says it: `Forwarded: for=` (its node
/// unquoted and without a port: `"[2001:db8::17]:4711"` is `2001:db8::17`),
/// else the first address of `X-Forwarded-For` (quoted or not). Obfuscated and
/// unknown nodes (`_hidden`, `unknown`), and what is no address or name (a
/// `Forwarded` value in `X-Forwarded-For`), name no address.
pub(super) fn client<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Option<&'h str> {
    let node = first_hop(header, "for", "x-forwarded-for")?.trim_matches('"');
    let address = match node.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        // An IPv4 address or a name, with a port or not (a bare IPv6 address
        // has several colons and no port).
        None if node.matches(':').count() == 1 => node.split(':').next()?,
        None => node,
    };
    let address_characters = address
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".:-_%".contains(&b));
    (address_characters
        && !address.is_empty()
        && !address.starts_with('_')
        && !address.eq_ignore_ascii_case("unknown"))
    .then_some(address)
}

/// Whether a proxy forwarded the request (it has a `Forwarded` or
/// `X-Forwarded-For` header, whatever it names): its connection's peer is then the
/// proxy, not the client. `has` says whether the request has a header.
pub(super) fn by_a_proxy(has: impl Fn(&str) -> bool) -> bool {
    has("forwarded") || has("x-forwarded-for")
}
