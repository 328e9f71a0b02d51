//! The span's opening: the call site's `static`s, the `start` call recording the
//! arguments and `attrs(..)`, the catalog's entry, and the fields of `record!`
//! and `event!`.

use super::outcome::probe;
use super::rpc::{count_messages, open_boundary};
use crate::check::{
    Boundary, Checked, Kind, Operation, Protocol, Recorded, Returned, Side, Warning,
};
use crate::parse::{Shape, TracedFn};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;

/// The call site's `static` and the `start` call that opens the span, recording
/// the arguments and `attrs(..)`; for a boundary, the `serve` or `call` that
/// extracts or injects the context too.
pub(super) fn open_span(
    traced: &TracedFn,
    recorded: &[Recorded],
    boundary: Option<&Boundary>,
    private: &TokenStream,
) -> TokenStream {
    let options = &traced.options;
    let ident = &traced.function.sig.ident;
    let name = match (boundary, &options.name) {
        (Some(boundary), _) => boundary.static_name(),
        (None, Some(name)) => name.value(),
        // `r#type` is the function `type`.
        (None, None) => syn::ext::IdentExt::unraw(ident).to_string(),
    };
    let kind = match boundary {
        Some(boundary) => format_ident!("{}", boundary.span_kind()),
        None => format_ident!(
            "{}",
            capitalised(
                &options
                    .kind
                    .as_ref()
                    .map_or("internal".to_owned(), ToString::to_string)
            )
        ),
    };
    let root = options.root.is_some();
    let code = options.code.as_ref().is_none_or(|literal| literal.value);
    // Room for everything the span may record: arguments and fields, `error.type`
    // and `return.value`, a boundary's status code (and its legacy twin), a
    // messaging batch's message count, and a stream's, with the `error.type` of its
    // `Err` items unless its items are known to be no `Result`. (Only a call given
    // up adds one more: `otel_traced.cancelled`.)
    let stream = match traced.shape {
        // (A boundary's `error.type` has its room already.)
        Shape::ReturnsStream { .. } => {
            1 + usize::from(traced.stream_may_fail() && !traced.records_err && boundary.is_none())
        }
        _ => 0,
    };
    let batch = boundary
        .and_then(|boundary| boundary.carrier.as_ref())
        .filter(|carrier| carrier.batch);
    let max_attributes = recorded.len()
        + usize::from(traced.records_err || boundary.is_some())
        + usize::from(options.ret.is_some())
        + if boundary.is_some() { 2 } else { 0 }
        + usize::from(
            batch.is_some()
                || boundary.is_some_and(|boundary| boundary.returns == Some(Returned::Messages)),
        )
        + stream;
    let file = quote_spanned!(ident.span()=> ::std::file!());
    let line = quote_spanned!(ident.span()=> ::std::line!());
    let parent = match &options.parent {
        Some(expr) => quote_spanned!(expr.span()=> #private::parent(&(#expr))),
        None => quote!(#private::Parent::Current),
    };
    let evaluates_parent = options.parent.is_some();
    let grpc_side = boundary
        .filter(|boundary| matches!(boundary.protocol, Protocol::Grpc { .. }))
        .map(|boundary| match boundary.side {
            Side::Server => quote!(Server),
            Side::Client => quote!(Client),
        });
    let call = match (traced.shape, grpc_side) {
        (Shape::Sync, _) => quote!(Sync),
        // A stream given up ends CANCELLED through its own wrapper.
        (Shape::ReturnsStream { .. }, _) | (_, None) => quote!(Future),
        (_, Some(side)) => quote!(GrpcCall(#private::Side::#side)),
    };
    let links = if options.links.is_empty() {
        quote!(::std::vec::Vec::new)
    } else {
        let links = options
            .links
            .iter()
            .map(|link| quote_spanned!(link.span()=> #private::link(&(#link))));
        quote!(|| #private::links(|| [#(#links),*]))
    };
    // `__otel_messages`: the batch's size, counted before the span opens.
    let count = batch.map(|_| {
        quote!(__otel_attributes.push(#private::BATCH_MESSAGE_COUNT, #private::message_count(__otel_messages));)
    });
    let records = count.into_iter().chain(
        recorded
            .iter()
            .map(|recorded| push_attribute(recorded, private)),
    );
    let catalog = catalog_entry(traced, recorded, boundary, private);
    // The entries are made before the span opens (`baggage(..)` of one of them
    // records the value the body runs with), and added after.
    let (make_baggage, set_baggage) = if options.set_baggage.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        let entries = options.set_baggage.iter().map(|field| {
            let key = &field.key.name;
            let value = &field.value;
            // Without a value when its `Display` or `Debug` panics
            // (`set_baggage_entry`).
            let text = match field.format {
                crate::fields::Format::Debug => quote!(::std::format_args!("{:?}", #value)),
                _ => quote!(::std::format_args!("{}", #value)),
            };
            quote!(#private::set_baggage_entry(#key, #text))
        });
        // Named in full, as every path of the expansion: the user's module may
        // have no prelude.
        (
            quote! {
                let __otel_set_baggage: ::std::vec::Vec<_> = ::std::iter::Iterator::collect(
                    ::std::iter::IntoIterator::into_iter([#(#entries),*])
                );
            },
            quote!(.with_baggage(__otel_set_baggage)),
        )
    };
    let sample = match &options.sample {
        Some(hint) => {
            let variant = format_ident!("{}", capitalised(&hint.to_string()));
            quote!(::std::option::Option::Some(#private::SampleHint::#variant))
        }
        None => quote!(::std::option::Option::None),
    };
    let metrics = options.metrics.is_some();
    let meta = |kind: &proc_macro2::Ident| {
        quote! {
            #private::SpanMeta {
            name: #name,
            kind: #private::SpanKind::#kind,
            root: #root,
            function: #private::FunctionName::nested(__otel_function),
            file: #file,
            line: #line,
            code: #code,
            scope_name: match ::std::option_env!("CARGO_PKG_NAME") { ::std::option::Option::Some(__otel_name) => __otel_name, ::std::option::Option::None => "unknown" },
            scope_version: match ::std::option_env!("CARGO_PKG_VERSION") { ::std::option::Option::Some(__otel_version) => __otel_version, ::std::option::Option::None => "" },
            max_attributes: #max_attributes,
            sample: #sample,
            metrics: #metrics,
            }
        }
    };
    let main_meta = meta(&kind);
    // A `send` whose message already carries its creation context (from a `create`
    // span) is a CLIENT span, not the PRODUCER its context would otherwise make it
    // (messaging conventions v1.44): a call site of its own, chosen at the call.
    let forwarding = match boundary {
        Some(Boundary {
            protocol:
                Protocol::Messaging {
                    operation: Operation::Send,
                    ..
                },
            ..
        }) => {
            let forwarding_meta = meta(&format_ident!("Client"));
            quote! {
                static __OTEL_TRACED_FORWARDING_META: #private::SpanMeta = #forwarding_meta;
                static __OTEL_TRACED_FORWARDING_CALLSITE: #private::Callsite =
                    #private::Callsite::new(&__OTEL_TRACED_FORWARDING_META);
            }
        }
        _ => TokenStream::new(),
    };
    let statics = quote! {
        // Named by the compiler with the function's path, its impl's included.
        fn __otel_function() -> &'static str {
            ::std::any::type_name_of_val(&__otel_function)
        }
        static __OTEL_TRACED_META: #private::SpanMeta = #main_meta;
        static __OTEL_TRACED_CALLSITE: #private::Callsite = #private::Callsite::new(&__OTEL_TRACED_META);
        #forwarding
        #catalog
    };
    let record = quote!(|__otel_attributes| { #(#records)* });
    let call = quote!(#private::CallKind::#call);
    let start = match boundary {
        None if runs_bare_when_off(traced, boundary) => {
            let opening = quote!(__OTEL_TRACED_CALLSITE.start(#parent, #call, #links, #record));
            quote! {
                let __otel_on = #private::enabled();
                #[allow(unused_mut)]
                let mut __otel_span = if __otel_on { #opening } else { #private::ActiveSpan::disabled() };
            }
        }
        None => {
            let opening = when_enabled(
                quote!(__OTEL_TRACED_CALLSITE.start(#parent, #call, #links, #record)),
                evaluates_parent,
                evaluates_parent.then_some(&parent),
                private,
            );
            quote! {
            #[allow(unused_mut)]
            let mut __otel_span = #opening #set_baggage;
            }
        }
        Some(boundary) => {
            let open = open_boundary(
                boundary,
                &OpenerParent {
                    tokens: parent,
                    evaluated: evaluates_parent,
                },
                &call,
                &links,
                &record,
                &set_baggage,
                private,
            );
            count_messages(boundary, open, private)
        }
    };
    quote!(#statics #make_baggage #start)
}

/// Whether the call, with nothing installed, runs its body as the bare function
/// does (the expansion's `__otel_on` false): a synchronous function's, unless it
/// is a boundary (whose context passes through), sets baggage (which propagates
/// with nothing installed) or is given its parent (whose context the body runs
/// under, as [`when_enabled`] says). Its span is checked once, where the call starts, and
/// only the body runs after: the compiler does not fold the checks of the span's
/// use and drop after the body, where the two paths meet.
pub(super) fn runs_bare_when_off(traced: &TracedFn, boundary: Option<&Boundary>) -> bool {
    matches!(traced.shape, Shape::Sync)
        && boundary.is_none()
        && traced.options.set_baggage.is_empty()
        && traced.options.parent.is_none()
}

/// The span catalog's entry for the function: its metadata and the kind of value
/// of every key it records (dropped by the runtime without the `catalog` feature).
fn catalog_entry(
    traced: &TracedFn,
    recorded: &[Recorded],
    boundary: Option<&Boundary>,
    private: &TokenStream,
) -> TokenStream {
    let kind = |kind: &Kind| match kind {
        Kind::Declared(variant) => {
            let variant = format_ident!("{variant}");
            quote!(::std::option::Option::Some(#private::ValueKind::#variant))
        }
        Kind::OfType { ty, by_default } => {
            // By default a scalar is recorded, or else an `AsAttribute`.
            let kind = if *by_default {
                quote! {
                    match #private::KindOf::<#ty>::BY_DEFAULT {
                        ::std::option::Option::Some(__otel_kind) => ::std::option::Option::Some(__otel_kind),
                        ::std::option::Option::None => #private::UserKindOf::<#ty>::BY_DEFAULT,
                    }
                }
            } else {
                quote!(::std::option::Option::Some(#private::KindOf::<#ty>::KIND))
            };
            quote! {{
                #[allow(unused_imports)]
                use #private::{NotUserAttribute as _, UnknownKind as _};
                #kind
            }}
        }
        Kind::Unknown => quote!(::std::option::Option::Some(#private::ValueKind::Unknown)),
        Kind::NotRecorded => quote!(::std::option::Option::None),
    };
    let mut attributes: Vec<TokenStream> = recorded
        .iter()
        .map(|recorded| {
            let key = &recorded.key;
            let kind = kind(&recorded.kind);
            let cfg = &recorded.cfg;
            quote!(#(#cfg)* (#key, #kind))
        })
        .collect();
    // A stream's `Err` item records one too, as a returned `Err` does.
    if traced.records_err || traced.stream_may_fail() {
        attributes.push(quote!((
            "error.type",
            ::std::option::Option::Some(#private::ValueKind::String)
        )));
    }
    if traced.options.ret.is_some() {
        attributes.push(quote!((
            "return.value",
            ::std::option::Option::Some(#private::ValueKind::Unknown)
        )));
    }
    let http = boundary.is_some_and(|boundary| matches!(boundary.protocol, Protocol::Http { .. }));
    let boundary = boundary.is_some();
    quote! {
        #private::catalog_entry!(#private::CatalogEntry {
            meta: &__OTEL_TRACED_META,
            attributes: &[#(#attributes),*],
            boundary: #boundary,
            http: #http,
        });
    }
}

/// `record!(..)` (no event name) or `event!("name", ..)`: the fields set on, or
/// added as an event to, the current span.
pub(crate) fn expand_fields(
    runtime: &TokenStream,
    event: Option<&syn::LitStr>,
    checked: &Checked,
) -> TokenStream {
    let private = quote!(#runtime::__private);
    let records = checked
        .recorded
        .iter()
        .map(|field| push_attribute(field, &private));
    let fields = quote!(|__otel_attributes| { #(#records)* });
    let call = match event {
        None => quote!(#private::record_current(#fields)),
        Some(name) => quote!(#private::add_event_current(#name, #fields)),
    };
    let warnings = checked.warnings.iter().map(Warning::to_tokens);
    quote! {{
        #(#warnings)*
        #call
    }}
}

/// `__otel_attributes.push("key", value)` for one recorded value. Spanned at the
/// value, so a type that cannot be recorded is reported there.
fn push_attribute(recorded: &Recorded, private: &TokenStream) -> TokenStream {
    let key = &recorded.key;
    let probed = match recorded.probe {
        crate::check::Probe::Explicit if recorded.names_a_url => crate::check::Probe::ExplicitUrl,
        probed => probed,
    };
    let mut value = probe(probed, &recorded.value, recorded.span, private);
    if recorded.names_a_url {
        value = quote_spanned!(recorded.span=> #private::with_urls_redacted(#value));
    }
    // The vector's name resolves where the expansion's own names do (spanned at
    // the user's tokens, it would not when they come from a `macro_rules!`
    // caller), and is located at them for diagnostics.
    let attributes = proc_macro2::Ident::new(
        "__otel_attributes",
        proc_macro2::Span::call_site().located_at(recorded.span),
    );
    let cfg = &recorded.cfg;
    // Recording a `_`-named parameter is no use of it either.
    quote_spanned! {recorded.span=>
        #(#cfg)* #[allow(clippy::used_underscore_binding)] #attributes.push(#key, #value);
    }
}

/// The `parent =` option as the openers take it.
pub(super) struct OpenerParent {
    pub(super) tokens: TokenStream,
    /// Whether it evaluates the user's expression (else it is the current context).
    pub(super) evaluated: bool,
}

/// `opening`, the expression that opens the span, evaluated only while something
/// is installed when it evaluates a `server =` expression of the user's: the
/// openers return a disabled span otherwise anyway, and nothing is evaluated for
/// a call that cannot be recorded (DESIGN §3). But for a `parent = ..`
/// (`passing`), which is evaluated then too: the body runs under that context,
/// its baggage and trace passed on, as with its span.
pub(super) fn when_enabled(
    opening: TokenStream,
    gated: bool,
    passing: Option<&TokenStream>,
    private: &TokenStream,
) -> TokenStream {
    let otherwise = match passing {
        Some(parent) => quote!(#private::ActiveSpan::passing(#parent)),
        None => quote!(#private::ActiveSpan::disabled()),
    };
    if gated {
        quote!((if #private::enabled() { #opening } else { #otherwise }))
    } else {
        opening
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
