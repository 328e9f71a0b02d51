//! Code generation only: every decision was made by `check`. The generated code
//! names everything by absolute path and calls only `<runtime>::__private` (by
//! default `::otel_traced::__private`), so it stays small and the runtime owns the
//! behaviour.

use crate::check::{
    Access, Boundary, Carrier, Checked, Kind, Operation, Probe, Protocol, Recorded, Side, Warning,
};
use crate::parse::{Shape, TracedFn, boxed_async_block};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::visit_mut::VisitMut;

pub(crate) fn expand(traced: TracedFn, checked: &Checked) -> TokenStream {
    let recorded = &checked.recorded;
    let runtime = match &traced.options.krate {
        Some(path) => quote!(#path),
        None => quote!(::otel_traced),
    };
    let private = quote!(#runtime::__private);
    let boundary = checked.boundary.as_ref();
    let open = open_span(&traced, recorded, boundary, &private);
    let mut function = traced.function.clone();
    unbind_mut(&mut function.sig, &traced.params, traced.shape);
    let statements = &function.block.stmts;
    let outcome = outcome(&traced, boundary, &private);
    // A client writes its context into the carrier: a `mut` there is needed without
    // the macro, so never reported unused.
    let written = boundary
        .filter(|boundary| boundary.side == Side::Client)
        .and_then(|boundary| boundary.carrier.as_ref())
        .map(|carrier| &carrier.ident);
    let rebound = rebound_params(&traced.params, written, function.sig.receiver());
    let body = match traced.shape {
        Shape::Sync => {
            let typed = typed_body(&function.sig.output, statements);
            let typed = quote!({ #rebound #typed });
            let typed = match &traced.returned_closure {
                // The returned closure's signature, handed on to the body's tail.
                Some(signature) => quote! {{
                    #[inline(always)]
                    fn __otel_returns_closure<__OtelR: #signature, __OtelF: ::core::ops::FnOnce() -> __OtelR>(
                        body: __OtelF,
                    ) -> __OtelF {
                        body
                    }
                    __otel_returns_closure(move || #typed)
                }},
                None => quote!(move || #typed),
            };
            let sync_outcome = outcome.as_ref().map(|outcome| {
                quote! {
                    let __otel_output_ref = &__otel_output;
                    #outcome
                }
            });
            quote! {
                let __otel_current = __otel_span.enter_once();
                let __otel_handle = __otel_span.handle();
                let __otel_output = __otel_handle.catch_panic(#typed);
                #sync_outcome
                __otel_handle.leave(__otel_current);
                __otel_output
            }
        }
        Shape::Async => {
            // The span stays a local of the function's future, borrowed by the
            // wrapper: moving it into the wrapper would copy it (see `Instrumented`).
            let typed = typed_body(&function.sig.output, statements);
            let future = instrumented(
                quote!(&mut __otel_span),
                quote!(__otel_body),
                outcome.as_ref(),
                &private,
            );
            // An `async fn` may return a future (a `JoinHandle`): clippy's lint
            // against async blocks that yield one skips `async fn`s, not the block
            // their body becomes here.
            quote! {
                #[allow(clippy::async_yields_async)]
                let __otel_body = async move { #rebound #typed };
                #future.await
            }
        }
        Shape::ReturnsFuture { boxed } => {
            let typed = typed_body(&function.sig.output, statements);
            let future = instrumented(
                quote!(__otel_span),
                quote!(__otel_future),
                outcome.as_ref(),
                &private,
            );
            let returned = if boxed {
                quote!(::std::boxed::Box::pin(#future))
            } else {
                future
            };
            let future = held_to(
                quote! {{
                    let __otel_current = __otel_span.enter();
                    __otel_span.handle().catch_panic(move || { #rebound #typed })
                }},
                quote!(output_is),
                &traced,
                &private,
            );
            quote! {
                let __otel_future = #future;
                #returned
            }
        }
        Shape::ReturnsStream { boxed } => {
            let typed = typed_body(&function.sig.output, statements);
            let rpc = match boundary {
                Some(_) => quote!(::core::option::Option::Some(&__OTEL_TRACED_RPC)),
                None => quote!(::core::option::Option::None),
            };
            let stream = quote! {
                #private::InstrumentedStream::new(
                    __otel_span,
                    __otel_stream,
                    |__otel_handle: &mut #private::SpanHandle, __otel_item| {
                        #[allow(unused_imports)]
                        use #private::{
                            ViaItemReply as _, ViaItemStdError as _, ViaItemSharedErrorRef as _,
                            ViaItemErrorRef as _, ViaItemError as _, ViaItemDebug as _,
                            ViaItemTypeName as _, ViaItem as _,
                        };
                        (&&&&&&&&#private::ItemProbe(__otel_item)).__otel_item(__otel_handle, #rpc)
                    },
                    #rpc,
                )
            };
            let returned = if boxed {
                quote!(::std::boxed::Box::pin(#stream))
            } else {
                stream
            };
            let opened = held_to(
                quote! {{
                    let __otel_current = __otel_span.enter();
                    __otel_span.handle().catch_panic(move || { #rebound #typed })
                }},
                quote!(items_are),
                &traced,
                &private,
            );
            quote! {
                let __otel_stream = #opened;
                #returned
            }
        }
        Shape::AsyncTrait => {
            let mut inner = boxed_async_block(&function.block)
                .expect("the shape was recognised from this block")
                .clone();
            quiet_moved_mut(&mut inner.block, &traced.params);
            let future = instrumented(
                quote!(__otel_span),
                held_to(quote!(#inner), quote!(output_is), &traced, &private),
                outcome.as_ref(),
                &private,
            );
            quote!(::std::boxed::Box::pin(#future))
        }
    };
    let warnings = checked.warnings.iter().map(Warning::to_tokens);
    *function.block = syn::parse_quote!({ #(#warnings)* #open #body });
    quote!(#function)
}

/// The call site's `static` and the `start` call that opens the span, recording
/// the arguments and `attrs(..)`; for a boundary, the `serve` or `call` that
/// extracts or injects the context too.
fn open_span(
    traced: &TracedFn,
    recorded: &[Recorded],
    boundary: Option<&Boundary>,
    private: &TokenStream,
) -> TokenStream {
    let options = &traced.options;
    let ident = &traced.function.sig.ident;
    // `r#type` is the function `type`.
    let function_name = syn::ext::IdentExt::unraw(ident).to_string();
    let name = match (boundary, &options.name) {
        (Some(boundary), _) => boundary.static_name(),
        (None, Some(name)) => name.value(),
        (None, None) => function_name.clone(),
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
    // and `return.value`, a boundary's status code (and its legacy twin), and a
    // messaging batch's message count.
    let batch = boundary
        .and_then(|boundary| boundary.carrier.as_ref())
        .filter(|carrier| carrier.batch);
    let max_attributes = recorded.len()
        + usize::from(traced.records_err || boundary.is_some())
        + usize::from(options.ret.is_some())
        + if boundary.is_some() { 2 } else { 0 }
        + usize::from(batch.is_some() || boundary.is_some_and(|boundary| boundary.returns_batch));
    let file = quote_spanned!(ident.span()=> ::core::file!());
    let line = quote_spanned!(ident.span()=> ::core::line!());
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
        quote!(|| #private::links([#(#links),*]))
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
    let catalog = catalog_entry(traced, recorded, private);
    let set_baggage = if options.set_baggage.is_empty() {
        TokenStream::new()
    } else {
        let entries = options.set_baggage.iter().map(|field| {
            let key = &field.key.name;
            let value = &field.value;
            // Left out when its `Display` or `Debug` panics (`set_baggage_entry`).
            let text = match field.format {
                crate::fields::Format::Debug => quote!(::core::format_args!("{:?}", #value)),
                _ => quote!(::core::format_args!("{}", #value)),
            };
            quote!(#private::set_baggage_entry(#key, #text))
        });
        quote!(.with_baggage([#(#entries),*].into_iter().flatten().collect()))
    };
    let sample = match &options.sample {
        Some(hint) => {
            let variant = format_ident!("{}", capitalised(&hint.to_string()));
            quote!(::core::option::Option::Some(#private::SampleHint::#variant))
        }
        None => quote!(::core::option::Option::None),
    };
    let metrics = options.metrics.is_some();
    let meta = |kind: &proc_macro2::Ident| {
        quote! {
            #private::SpanMeta {
            name: #name,
            kind: #private::SpanKind::#kind,
            root: #root,
            function: ::core::concat!(::core::module_path!(), "::", #function_name),
            file: #file,
            line: #line,
            code: #code,
            scope_name: match ::core::option_env!("CARGO_PKG_NAME") { ::core::option::Option::Some(name) => name, ::core::option::Option::None => "unknown" },
            scope_version: match ::core::option_env!("CARGO_PKG_VERSION") { ::core::option::Option::Some(version) => version, ::core::option::Option::None => "" },
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
        static __OTEL_TRACED_META: #private::SpanMeta = #main_meta;
        static __OTEL_TRACED_CALLSITE: #private::Callsite = #private::Callsite::new(&__OTEL_TRACED_META);
        #forwarding
        #catalog
    };
    let record = quote!(|__otel_attributes| { #(#records)* });
    let call = quote!(#private::CallKind::#call);
    let start = match boundary {
        None => {
            let opening = when_enabled(
                quote!(__OTEL_TRACED_CALLSITE.start(#parent, #call, #links, #record)),
                evaluates_parent,
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
    quote!(#statics #start)
}

/// `open`, the opening of a messaging boundary's span, with the count of the
/// messages its call handles, for the conventions' message counts: one for a
/// carrier, a batch's size (taken before the span opens, which also records it).
/// A `batch = return` counts what it returns when it ends; the runtime keeps the
/// count only for the operations that have one.
fn count_messages(boundary: &Boundary, open: TokenStream, private: &TokenStream) -> TokenStream {
    let Some(carrier) = boundary.carrier.as_ref() else {
        return open;
    };
    if !matches!(boundary.protocol, Protocol::Messaging { .. }) {
        return open;
    }
    if carrier.batch {
        let messages = carrier.shared();
        quote! {
            let __otel_messages = #private::batch_len(#messages);
            #open
            __otel_span.handle().count_messages(__otel_messages);
        }
    } else {
        quote! {
            #open
            __otel_span.handle().count_messages(1);
        }
    }
}

/// The `static` describing a boundary and the call that opens its span: `serve`
/// extracting the caller's context from the carrier, or `call` then `inject`
/// writing the call's context into it before the body runs.
fn open_boundary(
    boundary: &Boundary,
    parent: &OpenerParent,
    call: &TokenStream,
    links: &TokenStream,
    record: &TokenStream,
    set_baggage: &TokenStream,
    private: &TokenStream,
) -> TokenStream {
    let cow = |text: &Option<String>| match text {
        Some(text) => quote!(::core::option::Option::Some(::std::borrow::Cow::Borrowed(#text))),
        None => quote!(::core::option::Option::None),
    };
    let gated = parent.evaluated || boundary.server.is_some();
    let opened = |opening: TokenStream| when_enabled(opening, gated, private);
    let parent = &parent.tokens;
    let protocol = match &boundary.protocol {
        Protocol::Grpc { method } => quote! {
            #private::Protocol::Grpc { method: ::std::borrow::Cow::Borrowed(#method) }
        },
        Protocol::Http { route, template } => {
            let route = cow(route);
            let template = cow(template);
            quote!(#private::Protocol::Http { route: #route, template: #template })
        }
        Protocol::Messaging {
            operation,
            operation_name,
            system,
            destination,
        } => {
            let variant = format_ident!("{}", operation.variant());
            let destination = cow(destination);
            let name = boundary.static_name();
            quote! {
                #private::Protocol::Messaging {
                    operation: #private::Operation::#variant,
                    operation_name: ::std::borrow::Cow::Borrowed(#operation_name),
                    system: ::std::borrow::Cow::Borrowed(#system),
                    destination: #destination,
                    name: ::std::borrow::Cow::Borrowed(#name),
                }
            }
        }
    };
    let side = match boundary.side {
        Side::Server => quote!(Server),
        Side::Client => quote!(Client),
    };
    let meta = quote! {
        static __OTEL_TRACED_RPC: #private::RpcMeta = #private::RpcMeta {
            side: #private::Side::#side,
            protocol: #protocol,
        };
    };
    let Some(carrier) = &boundary.carrier else {
        // A messaging `receive` or `settle` without headers: nothing to link to.
        let opening = opened(
            quote!(__OTEL_TRACED_CALLSITE.message(&__OTEL_TRACED_RPC, #parent, #call, #links, #record)),
        );
        return quote! {
            #meta
            #[allow(unused_mut)] let mut __otel_span = #opening #set_baggage;
        };
    };
    let ident = &carrier.ident;
    // Spanned at the carrier parameter, so that a type that is not a carrier
    // (`Extract`, `Inject`) is reported there.
    let borrowed = quote_spanned!(ident.span()=> &#ident);
    // The links to the messages' creation contexts: the one the carrier holds, or
    // one per message of a batch.
    let creation_links = if carrier.batch {
        let messages = carrier.shared();
        quote!(#private::batch_links(#messages))
    } else {
        quote!(#private::creation_link(#borrowed))
    };
    match (&boundary.protocol, boundary.side) {
        (Protocol::Messaging { operation, .. }, _)
            if *operation == Operation::Process && !carrier.batch =>
        {
            quote! {
                #meta
                #[allow(unused_mut)] let mut __otel_span = __OTEL_TRACED_CALLSITE.consume(&__OTEL_TRACED_RPC, #borrowed, #call, #links, #record)#set_baggage;
            }
        }
        // A batch `process` links to its messages and is parented by the current
        // span only: a batch has no one creation context to continue.
        (Protocol::Messaging { operation, .. }, _) if !operation.produces() => {
            let opening = opened(quote! {
                __OTEL_TRACED_CALLSITE.message(
                    &__OTEL_TRACED_RPC,
                    #parent,
                    #call,
                    || {
                        let mut __otel_links = (#links)();
                        ::core::iter::Extend::extend(&mut __otel_links, #creation_links);
                        __otel_links
                    },
                    #record,
                )
            });
            quote! {
                #meta
                #[allow(unused_mut)] let mut __otel_span = #opening #set_baggage;
            }
        }
        (_, Side::Server) => quote! {
            #meta
            #[allow(unused_mut)] let mut __otel_span = __OTEL_TRACED_CALLSITE.serve(&__OTEL_TRACED_RPC, #borrowed, #call, #links, #record)#set_baggage;
        },
        (_, Side::Client) => {
            let server = match &boundary.server {
                Some(server) => quote_spanned! {server.span()=>
                    ::core::option::Option::Some(::core::convert::AsRef::<str>::as_ref(&(#server)))
                },
                None => quote!(::core::option::Option::None),
            };
            let (rebind, target) = match carrier.access {
                // `check` rejects a shared carrier on a client.
                Access::Exclusive | Access::Shared => (
                    TokenStream::new(),
                    quote_spanned!(ident.span()=> &mut *#ident),
                ),
                // The signature's `mut`, if any, went to the body's binding.
                Access::Owned => (
                    quote!(let mut #ident = #ident;),
                    quote_spanned!(ident.span()=> &mut #ident),
                ),
            };
            let operation = match &boundary.protocol {
                Protocol::Messaging { operation, .. } => Some(*operation),
                _ => None,
            };
            match operation {
                Some(Operation::Send) => {
                    // A message that already carries its creation context (from a
                    // `create` span, or forwarded) keeps it: `send` links to it, and
                    // is a PRODUCER only if its context becomes some message's.
                    let (created, inject) = if carrier.batch {
                        let messages = carrier.shared();
                        (
                            quote!(#private::batch_creation(#messages)),
                            quote!(inject_fresh(#target, __otel_fresh)),
                        )
                    } else {
                        (
                            quote!({
                                let __otel_created = #creation_links;
                                let __otel_fresh = __otel_created.is_none();
                                (__otel_created, __otel_fresh)
                            }),
                            quote!(inject(#target)),
                        )
                    };
                    let opening = opened(quote! {
                        __otel_callsite.message(
                            &__OTEL_TRACED_RPC,
                            #parent,
                            #call,
                            || {
                                let mut __otel_links = (#links)();
                                ::core::iter::Extend::extend(&mut __otel_links, __otel_created);
                                __otel_links
                            },
                            #record,
                        )
                    });
                    quote! {
                        #meta
                        #rebind
                        let (__otel_created, __otel_fresh) = #created;
                        let __otel_any_fresh = ::core::convert::Into::<bool>::into(__otel_fresh);
                        let __otel_callsite = if __otel_any_fresh {
                            &__OTEL_TRACED_CALLSITE
                        } else {
                            &__OTEL_TRACED_FORWARDING_CALLSITE
                        };
                        #[allow(unused_mut)] let mut __otel_span = #opening #set_baggage;
                        if __otel_any_fresh {
                            __otel_span.#inject;
                        }
                    }
                }
                Some(Operation::Create) => {
                    // A creation context the user already put in the message is kept,
                    // and no `create` span is made (messaging conventions v1.44).
                    let opening = opened(quote! {
                        __OTEL_TRACED_CALLSITE.call(&__OTEL_TRACED_RPC, #borrowed, #server, #parent, #call, #links, #record)
                    });
                    quote! {
                        #meta
                        #rebind
                        let __otel_fresh = #private::creation_link(#borrowed).is_none();
                        #[allow(unused_mut)] let mut __otel_span = (if __otel_fresh {
                            #opening
                        } else {
                            #private::ActiveSpan::disabled()
                        })#set_baggage;
                        if __otel_fresh {
                            __otel_span.inject(#target);
                        }
                    }
                }
                _ => {
                    let opening = opened(quote! {
                        __OTEL_TRACED_CALLSITE.call(&__OTEL_TRACED_RPC, #borrowed, #server, #parent, #call, #links, #record)
                    });
                    quote! {
                        #meta
                        #rebind
                        #[allow(unused_mut)] let mut __otel_span = #opening #set_baggage;
                        __otel_span.inject(#target);
                    }
                }
            }
        }
    }
}

impl Carrier {
    /// A shared borrow of a batch's messages, which `&T: IntoIterator` walks
    /// whether the parameter is owned or a reference (`Vec<M>`, `&[M]`, ..).
    /// Spanned at the parameter, so that a type that is no batch of carriers is
    /// reported there.
    fn shared(&self) -> TokenStream {
        let ident = &self.ident;
        match self.access {
            Access::Shared | Access::Exclusive => quote_spanned!(ident.span()=> &*#ident),
            Access::Owned => quote_spanned!(ident.span()=> &#ident),
        }
    }
}

/// The span catalog's entry for the function: its metadata and the kind of value
/// of every key it records (dropped by the runtime without the `catalog` feature).
fn catalog_entry(traced: &TracedFn, recorded: &[Recorded], private: &TokenStream) -> TokenStream {
    let kind = |kind: &Kind| match kind {
        Kind::Declared(variant) => {
            let variant = format_ident!("{variant}");
            quote!(::core::option::Option::Some(#private::ValueKind::#variant))
        }
        Kind::OfType { ty, by_default } => {
            let kind = if *by_default {
                quote!(#private::KindOf::<#ty>::BY_DEFAULT)
            } else {
                quote!(::core::option::Option::Some(#private::KindOf::<#ty>::KIND))
            };
            quote! {{
                #[allow(unused_imports)]
                use #private::UnknownKind as _;
                #kind
            }}
        }
        Kind::Unknown => quote!(::core::option::Option::Some(#private::ValueKind::Unknown)),
        Kind::NotRecorded => quote!(::core::option::Option::None),
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
    if traced.records_err {
        attributes.push(quote!((
            "error.type",
            ::core::option::Option::Some(#private::ValueKind::String)
        )));
    }
    if traced.options.ret.is_some() {
        attributes.push(quote!((
            "return.value",
            ::core::option::Option::Some(#private::ValueKind::Unknown)
        )));
    }
    let boundary = traced.options.rpc.is_some();
    quote! {
        #private::catalog_entry!(#private::CatalogEntry {
            meta: &__OTEL_TRACED_META,
            attributes: &[#(#attributes),*],
            boundary: #boundary,
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
    let value = probe(recorded.probe, &recorded.value, recorded.span, private);
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

/// The expression turning `value` into an `Option<Value>`, by autoref
/// specialisation for the typed probes, by formatting for `%` and `?`.
fn probe(
    probe: Probe,
    value: &TokenStream,
    span: proc_macro2::Span,
    private: &TokenStream,
) -> TokenStream {
    let wrapper = match probe {
        Probe::Default => quote!(Arg),
        Probe::Explicit => quote!(Explicit),
        Probe::ExplicitDisplay => quote!(ExplicitDisplay),
        Probe::Display => return quote_spanned!(span=> #private::display(&(#value))),
        Probe::Baggage => return quote_spanned!(span=> #private::baggage_value(#value)),
        Probe::Debug => return quote_spanned!(span=> #private::debug(&(#value))),
    };
    quote_spanned! {span=>
        {
            #[allow(unused_imports)]
            use #private::{ViaAsAttribute as _, ViaScalar as _, ViaFormat as _, ViaFallback as _};
            #private::RecordedValue::into_recorded((&&&&#private::#wrapper(&(#value))).__otel_value())
        }
    }
}

/// What is recorded about the produced value, borrowed as `__otel_output_ref`,
/// through `__otel_handle` (a `&mut SpanHandle` the caller binds): the error of an `Err` (unless
/// `err = false`), with `ret` the value (the `Ok` value of a result), and for a
/// gRPC or HTTP boundary its reply (a gRPC status, an HTTP status code), which
/// takes the place of the error when the error is a status. `None` when nothing
/// is recorded.
fn outcome(
    traced: &TracedFn,
    boundary: Option<&Boundary>,
    private: &TokenStream,
) -> Option<TokenStream> {
    let ret = traced.options.ret;
    let received_batch = boundary.is_some_and(|boundary| boundary.returns_batch);
    // gRPC and HTTP calls end with a reply (a status); a messaging call's error,
    // even one that is a gRPC status, is an error as `#[traced]` records them.
    let replies =
        boundary.is_some_and(|boundary| !matches!(boundary.protocol, Protocol::Messaging { .. }));
    let boundary = boundary.is_some();
    if !traced.records_err && ret.is_none() && !boundary {
        return None;
    }
    // Spanned at the return type: that is what `err` wrongly calls a `Result`, and
    // what `batch = return` wrongly takes for messages.
    let returned = match &traced.function.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => traced.function.sig.ident.span(),
    };
    // A `receive` with `batch = return`: the messages it returned (a `Result`'s
    // `Ok`), through a trait named at the return type, which the error for a type
    // that holds no messages points at; the output's name resolves where the
    // expansion's own names do.
    let received = received_batch.then(|| {
        let record = quote_spanned!(returned=> #private::ReceivedMessages::record_received);
        let output = proc_macro2::Ident::new(
            "__otel_output_ref",
            proc_macro2::Span::call_site().located_at(returned),
        );
        quote!(#record(#output, __otel_handle);)
    });
    let record_return = |value: TokenStream| {
        ret.map(|span| {
            let probe = probe(Probe::Explicit, &value, span, private);
            quote!(__otel_handle.record_return(|| #probe);)
        })
    };
    // A response carrying a stream has no status yet (`StreamingProbe`), nor a
    // duration: the call goes on in its stream.
    let reply = |value: TokenStream, failed: bool| {
        replies.then(|| {
            let streams = streams(&value, private);
            quote! {{
                #[allow(unused_imports)]
                use #private::{ViaReply as _, ViaNoReply as _};
                if #streams {
                    __otel_handle.record_streaming();
                } else {
                    let __otel_reply = (&&#private::ReplyProbe(#value)).__otel_reply();
                    __otel_handle.record_reply(&__OTEL_TRACED_RPC, __otel_reply, #failed);
                }
            }}
        })
    };
    if !traced.result_like {
        let record = record_return(quote!((*__otel_output_ref)));
        let reply = reply(quote!(__otel_output_ref), false);
        return Some(quote!(#record #reply #received));
    }
    // Resolved as the expansion's own names, located at the return type, which
    // the error for a type that is not a `Result` points at.
    let output_ref = proc_macro2::Ident::new(
        "__otel_output_ref",
        proc_macro2::Span::call_site().located_at(returned),
    );
    // Under `err` the produced value must be a `Result`; a type only named so
    // (an application's own `Result` enum) is recorded as any other value, as the
    // `Ok` the probe makes of it.
    let outcome = if matches!(traced.options.err, Some((true, _))) {
        quote_spanned!(returned=> #private::ResultLike::as_result(#output_ref))
    } else {
        quote! {{
            #[allow(unused_imports)]
            use #private::{ViaResult as _, ViaOtherResult as _};
            (&#private::ResultProbe(#output_ref)).__otel_result()
        }}
    };
    let record_ok = record_return(quote!(__otel_value));
    let reply_ok = reply(quote!(__otel_value), false);
    let record_error = traced.records_err.then(|| {
        quote! {
            __otel_handle.record_error(#private::type_name_of(__otel_error), || {
                #[allow(unused_imports)]
                use #private::{ViaError as _, ViaSharedErrorRef as _, ViaErrorRef as _, ViaDisplay as _, ViaDebug as _, ViaTypeName as _};
                (&&&&&&#private::ErrorProbe(__otel_error)).__otel_error()
            });
        }
    });
    let on_err = if replies {
        let streams_whole = streams(&quote!(#output_ref), private);
        // An error that is a status of the call's protocol is the reply; any other
        // is recorded as `#[traced]` records errors.
        quote! {{
            #[allow(unused_imports)]
            use #private::{ViaReply as _, ViaNoReply as _};
            let __otel_reply = __OTEL_TRACED_RPC
                .own_reply((&&#private::ReplyProbe(__otel_error)).__otel_reply());
            if __otel_reply.is_none() {
                #record_error
            }
            __otel_handle.record_reply(&__OTEL_TRACED_RPC, __otel_reply, true);
            if #streams_whole {
                __otel_handle.record_streaming();
            }
        }}
    } else {
        quote!(#record_error)
    };
    Some(quote! {
        #received
        match #outcome {
            ::core::result::Result::Ok(__otel_value) => {
                #record_ok
                #reply_ok
            }
            ::core::result::Result::Err(__otel_error) => { #on_err }
        }
    })
}

/// Whether `value` (a reference) is, or holds in its `Ok`, a stream of a gRPC
/// call's messages: see `StreamingProbe`.
fn streams(value: &TokenStream, private: &TokenStream) -> TokenStream {
    quote! {{
        #[allow(unused_imports)]
        use #private::{ViaStreaming as _, ViaMessagesResult as _, ViaMessages as _, ViaWhole as _};
        (&&&&#private::StreamingProbe(#value)).__otel_streams()
    }}
}

/// The future that ends the span (`span`: `__otel_span` or a borrow of it) when
/// `future` completes, recording the outcome first when there is one to record.
fn instrumented(
    span: TokenStream,
    future: TokenStream,
    outcome: Option<&TokenStream>,
    private: &TokenStream,
) -> TokenStream {
    match outcome {
        None => quote!(#private::Instrumented::new(#span, #future)),
        Some(outcome) => quote! {
            #private::Instrumented::with_outcome(#span, #future, |__otel_handle, __otel_output_ref| {
                #outcome
            })
        },
    }
}

/// `value`, a future or stream the body made, held to what the signature says it
/// outputs or yields (`holder`: the runtime's `output_is` or `items_are`), where
/// it says.
fn held_to(
    value: TokenStream,
    holder: TokenStream,
    traced: &TracedFn,
    private: &TokenStream,
) -> TokenStream {
    match &traced.yielded {
        Some(yielded) => {
            let yielded = inferred(yielded);
            quote!(#private::#holder::<#yielded, _>(#value))
        }
        None => value,
    }
}

/// `ty` with every `impl Trait` in it `_`: nameable where a type is inferred.
fn inferred(ty: &syn::Type) -> syn::Type {
    struct ImplToInferred;
    impl VisitMut for ImplToInferred {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if let syn::Type::ImplTrait(_) = ty {
                *ty = syn::parse_quote!(_);
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    ImplToInferred.visit_type_mut(&mut ty);
    ty
}

/// The body, given the declared output type by an unreachable typed `return`, so
/// coercions inside it (`&String` to `&str`, `Box<T>` to `Box<dyn Trait>`) and the
/// error type are known where the body is checked, as they would be without the
/// macro. Every `impl Trait` in the type becomes `_`. The body's statements stay in
/// a block of their own: the items and `use`s they declare are seen in the whole
/// of their block, and must not change what the type names (`use Json::*` with a
/// variant `String`, beside `-> Option<String>`).
fn typed_body(output: &syn::ReturnType, statements: &[syn::Stmt]) -> TokenStream {
    let output: syn::Type = match output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, ty) => inferred(ty),
    };
    quote! {{
        #[allow(
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::type_complexity,
            clippy::borrowed_box
        )]
        if false {
            let __otel_output: #output = loop {};
            return __otel_output;
        }
        { #(#statements)* }
    }}
}

/// The parameters bound again, in their order, where the body starts (a sync
/// body's closure, an `async fn` body's block, the closure making a returned future
/// or stream): it then owns every one (also those the body does not use, which it
/// would not capture) and drops them as the function would, after the body's
/// locals, last declared first, and while the span is current. A parameter's `mut`
/// is moved here from the signature ([`unbind_mut`]), with its span: the compiler
/// still says so when it is not needed, except of a client's carrier (`written`),
/// which the macro writes into. A pattern or `_` is bound here from the name the
/// signature gives it instead (`Rebinding::Pattern`); one bound by `ref` stays
/// where it is (captured as the body uses it). A `self` taken by value is used
/// whole (`let _ = &self;`): a body using only some of its fields would capture
/// those alone, and the rest would be dropped after the span ended.
fn rebound_params(
    params: &[crate::parse::Param],
    written: Option<&syn::Ident>,
    receiver: Option<&syn::Receiver>,
) -> TokenStream {
    use crate::parse::Rebinding;
    let by_value = receiver.filter(|receiver| {
        receiver.reference.is_none() && !matches!(*receiver.ty, syn::Type::Reference(_))
    });
    let whole_self = by_value.map(|receiver| {
        let self_token = &receiver.self_token;
        quote!(let _ = &#self_token;)
    });
    let rebound = params.iter().filter_map(|param| {
        let cfg = &param.cfg;
        if let Rebinding::Pattern { pat, arg, lints } = &param.rebinding {
            // Moved in whole (a pattern's `_` parts too, which a closure would not
            // capture), then bound: `_` keeps the value until the body ends, as
            // the parameter would; a pattern's unused bindings are the user's to
            // hear about (or silence on the parameter), as without the macro.
            let bound = match &**pat {
                syn::Pat::Wild(_) => None,
                pat => Some(quote! {
                    #(#cfg)*
                    #(#lints)*
                    let #pat = #arg;
                }),
            };
            return Some(quote! {
                #(#cfg)*
                #[allow(unused_variables)]
                let #arg = #arg;
                #bound
            });
        }
        let ident = param.ident.as_ref()?;
        // Unused by the body, a parameter is still used: recorded, or moved here.
        let (mutability, allowed) = match &param.rebinding {
            Rebinding::None | Rebinding::Pattern { .. } => return None,
            Rebinding::Plain => (None, quote!(unused_variables)),
            Rebinding::Mut(mutability) if written != Some(ident) => {
                (Some(quote!(#mutability)), quote!(unused_variables))
            }
            Rebinding::Mut(_) | Rebinding::MutKept => {
                (Some(quote!(mut)), quote!(unused_variables, unused_mut))
            }
        };
        // Moving a `_`-named parameter here is no use of it (clippy's pedantic
        // `used_underscore_binding` would take it for one).
        Some(quote! {
            #(#cfg)*
            #[allow(#allowed, clippy::used_underscore_binding)]
            let #mutability #ident = #ident;
        })
    });
    quote!(#whole_self #(#rebound)*)
}

/// Takes `mut` off the signature's parameters whose `mut` [`rebound_params`] moves
/// to where the body starts; one the attribute's expressions may need stays (or
/// comes back, where `#[async_trait]` moved it into its block), its lint quieted
/// (the body's binding is `mut` too). `#[async_trait]`'s block is not rebound: its
/// own bindings stand.
fn unbind_mut(signature: &mut syn::Signature, params: &[crate::parse::Param], shape: Shape) {
    use crate::parse::Rebinding;
    let typed = signature.inputs.iter_mut().filter_map(|input| match input {
        syn::FnArg::Typed(typed) => Some(typed),
        syn::FnArg::Receiver(_) => None,
    });
    // `take_params` made one `Param` of each typed input, in order.
    for (typed, param) in typed.zip(params) {
        match (&mut *typed.pat, &param.rebinding) {
            (syn::Pat::Ident(binding), Rebinding::Mut(_)) if shape != Shape::AsyncTrait => {
                binding.mutability = None;
            }
            (syn::Pat::Ident(binding), Rebinding::MutKept) => {
                binding.mutability.get_or_insert_with(Default::default);
                typed.attrs.push(syn::parse_quote!(#[allow(unused_mut)]));
            }
            _ => {}
        }
    }
}

/// Quiets `#[async_trait]`'s `let mut name = name;` of a parameter whose `mut`
/// the signature got back ([`unbind_mut`]): the attribute's expressions may be
/// what needs it, as [`rebound_params`] quiets its own binding.
fn quiet_moved_mut(block: &mut syn::Block, params: &[crate::parse::Param]) {
    let kept: Vec<&syn::Ident> = params
        .iter()
        .filter(|param| matches!(param.rebinding, crate::parse::Rebinding::MutKept))
        .filter_map(|param| param.ident.as_ref())
        .collect();
    for statement in &mut block.stmts {
        if crate::parse::moved_mut(statement).is_some_and(|moved| kept.contains(&moved))
            && let syn::Stmt::Local(local) = statement
        {
            local.attrs.push(syn::parse_quote!(#[allow(unused_mut)]));
        }
    }
}

/// The `parent =` option as the openers take it.
struct OpenerParent {
    tokens: TokenStream,
    /// Whether it evaluates the user's expression (else it is the current context).
    evaluated: bool,
}

/// `opening`, the expression that opens the span, evaluated only while something
/// is installed when it evaluates a `parent =` or `server =` expression of the
/// user's: the openers return a disabled span otherwise anyway, and nothing is
/// evaluated for a call that cannot be recorded (DESIGN §3).
fn when_enabled(opening: TokenStream, gated: bool, private: &TokenStream) -> TokenStream {
    if gated {
        quote!((if #private::enabled() { #opening } else { #private::ActiveSpan::disabled() }))
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
