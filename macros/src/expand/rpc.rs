//! What `#[traced_rpc]` and messaging boundaries add to the opening: the context
//! extracted from or injected into the carrier, and the messages a call counts.

use super::open::{OpenerParent, when_enabled};
use crate::check::{Access, Boundary, Carrier, Operation, Protocol, Side};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;

/// `open`, the opening of a messaging boundary's span, with the count of the
/// messages its call handles, for the conventions' message counts: one for a
/// carrier, a batch's size (taken before the span opens, which also records it).
/// A `batch = return` counts what it returns when it ends; the runtime keeps the
/// count only for the operations that have one.
pub(super) fn count_messages(
    boundary: &Boundary,
    open: TokenStream,
    private: &TokenStream,
) -> TokenStream {
    let Some(carrier) = boundary.carrier.as_ref() else {
        return open;
    };
    if !matches!(boundary.protocol, Protocol::Messaging { .. }) {
        return open;
    }
    if carrier.batch {
        let messages = carrier.shared();
        quote! {
            #[allow(clippy::used_underscore_binding)]
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
pub(super) fn open_boundary(
    boundary: &Boundary,
    parent: &OpenerParent,
    call: &TokenStream,
    links: &TokenStream,
    record: &TokenStream,
    set_baggage: &TokenStream,
    private: &TokenStream,
) -> TokenStream {
    let cow = |text: &Option<String>| match text {
        Some(text) => quote!(::std::option::Option::Some(::std::borrow::Cow::Borrowed(#text))),
        None => quote!(::std::option::Option::None),
    };
    // `server = ..`, evaluated only when tracing is on (`gated`). Only the
    // argument is spanned at the user's expression, which an error for a type that
    // is no text points at: paths spanned so would read as the user's own to
    // `unused_qualifications`.
    let server = match &boundary.server {
        Some(server) => {
            let argument = quote_spanned!(server.span()=> &(#server));
            quote!(::std::option::Option::Some(::std::convert::AsRef::<str>::as_ref(#argument)))
        }
        None => quote!(::std::option::Option::None),
    };
    let gated = parent.evaluated || boundary.server.is_some();
    let passing = parent.evaluated.then_some(&parent.tokens);
    let opened = |opening: TokenStream| when_enabled(opening, gated, passing, private);
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
            consumer_group,
        } => {
            let variant = format_ident!("{}", operation.variant());
            let destination = cow(destination);
            let consumer_group = cow(consumer_group);
            let name = boundary.static_name();
            quote! {
                #private::Protocol::Messaging {
                    operation: #private::Operation::#variant,
                    operation_name: ::std::borrow::Cow::Borrowed(#operation_name),
                    system: ::std::borrow::Cow::Borrowed(#system),
                    destination: #destination,
                    consumer_group: #consumer_group,
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
            quote!(__OTEL_TRACED_CALLSITE.message(&__OTEL_TRACED_RPC, #server, #parent, #call, #links, #record)),
        );
        return quote! {
            #meta
            #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = #opening #set_baggage;
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
            let consumed = quote! {
                __OTEL_TRACED_CALLSITE.consume(&__OTEL_TRACED_RPC, #borrowed, #server, #call, #links, #record)
            };
            // Passed through, not disabled, when tracing is off: an untraced
            // consumer does not break the trace.
            let opening = if gated {
                quote!((if #private::enabled() { #consumed } else { __OTEL_TRACED_CALLSITE.pass_message(#borrowed) }))
            } else {
                consumed
            };
            quote! {
                #meta
                #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = #opening #set_baggage;
            }
        }
        // A batch `process` links to its messages and is parented by the current
        // span only: a batch has no one creation context to continue.
        (Protocol::Messaging { operation, .. }, _) if !operation.produces() => {
            let opening = opened(quote! {
                __OTEL_TRACED_CALLSITE.message(
                    &__OTEL_TRACED_RPC,
                    #server,
                    #parent,
                    #call,
                    || {
                        let mut __otel_links = (#links)();
                        ::std::iter::Extend::extend(&mut __otel_links, #creation_links);
                        __otel_links
                    },
                    #record,
                )
            });
            quote! {
                #meta
                #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = #opening #set_baggage;
            }
        }
        (_, Side::Server) => quote! {
            #meta
            #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = __OTEL_TRACED_CALLSITE.serve(&__OTEL_TRACED_RPC, #borrowed, #call, #links, #record)#set_baggage;
        },
        (_, Side::Client) => {
            let (rebind, target) = match carrier.access {
                // `check` rejects a shared carrier on a client.
                Access::Exclusive | Access::Shared => (
                    TokenStream::new(),
                    quote_spanned!(ident.span()=> &mut *#ident),
                ),
                // The signature's `mut`, if any, went to the body's binding.
                Access::Owned => (
                    quote!(#[allow(clippy::used_underscore_binding)] let mut #ident = #ident;),
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
                            quote!(__otel_span.inject_fresh(#target, __otel_fresh)),
                        )
                    } else {
                        (
                            quote!({
                                let __otel_created = #creation_links;
                                let __otel_fresh = __otel_created.is_none();
                                (__otel_created, __otel_fresh)
                            }),
                            // Its creation context kept, the message still takes
                            // the call's baggage.
                            quote! {
                                if __otel_fresh {
                                    __otel_span.inject_message(#target);
                                } else {
                                    __otel_span.inject_baggage(#target);
                                }
                            },
                        )
                    };
                    let opening = opened(quote! {
                        __otel_callsite.message(
                            &__OTEL_TRACED_RPC,
                            #server,
                            #parent,
                            #call,
                            || {
                                let mut __otel_links = (#links)();
                                ::std::iter::Extend::extend(&mut __otel_links, __otel_created);
                                __otel_links
                            },
                            #record,
                        )
                    });
                    quote! {
                        #meta
                        #rebind
                        #[allow(clippy::used_underscore_binding)]
                        let (__otel_created, __otel_fresh) = #created;
                        let __otel_any_fresh = ::std::convert::Into::<bool>::into(__otel_fresh);
                        let __otel_callsite = if __otel_any_fresh {
                            &__OTEL_TRACED_CALLSITE
                        } else {
                            &__OTEL_TRACED_FORWARDING_CALLSITE
                        };
                        #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = #opening #set_baggage;
                        #[allow(clippy::used_underscore_binding)]
                        #inject;
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
                        #[allow(clippy::used_underscore_binding)]
                        let __otel_fresh = #private::creation_link(#borrowed).is_none();
                        #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = (if __otel_fresh {
                            #opening
                        } else {
                            #private::ActiveSpan::disabled()
                        })#set_baggage;
                        // Its creation context kept, the message still takes the
                        // call's baggage, as a `send`'s does.
                        #[allow(clippy::used_underscore_binding)]
                        if __otel_fresh {
                            __otel_span.inject_message(#target);
                        } else {
                            __otel_span.inject_baggage(#target);
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
                        #[allow(unused_mut, clippy::used_underscore_binding)] let mut __otel_span = #opening #set_baggage;
                        #[allow(clippy::used_underscore_binding)]
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
