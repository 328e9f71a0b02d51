//! What a call's outcome records: a returned error, a reply's status, a stream
//! of messages, a returned value, each through the probe that sees its type.

use crate::check::{Boundary, Probe, Protocol, Returned};
use crate::parse::TracedFn;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

/// The expression turning `value` into an `Option<Value>`, by autoref
/// specialisation for the typed probes, by formatting for `%` and `?`.
pub(super) fn probe(
    probe: Probe,
    value: &TokenStream,
    span: proc_macro2::Span,
    private: &TokenStream,
) -> TokenStream {
    let wrapper = match probe {
        Probe::Default => quote!(Arg),
        Probe::Explicit => quote!(Explicit),
        // A URL by its `Display` first, whose credentials are then redacted: a
        // parsed one's `Debug` (`url::Url`'s) writes them field by field.
        Probe::ExplicitUrl => {
            return quote_spanned! {span=>
                {
                    #[allow(unused_imports)]
                    use #private::{ViaAsAttribute as _, ViaScalar as _, ViaUrlText as _, ViaUrlOption as _, ViaUrlTexts as _, ViaFormat as _, ViaFallback as _};
                    #private::RecordedValue::into_recorded((&&&&&&&#private::ExplicitUrl(&(#value))).__otel_value())
                }
            };
        }
        Probe::ExplicitDisplay => quote!(ExplicitDisplay),
        Probe::Display => return quote_spanned!(span=> #private::display(&(#value))),
        Probe::Baggage { set_here: false } => {
            return quote_spanned!(span=> #private::baggage_value(#value));
        }
        // The annotation's own `set_baggage` entries, made before the span opens,
        // named as the expansion named them (spanned at the key, the name would
        // not resolve when the key comes from a `macro_rules!` caller).
        Probe::Baggage { set_here: true } => {
            let entries = proc_macro2::Ident::new(
                "__otel_set_baggage",
                proc_macro2::Span::call_site().located_at(span),
            );
            return quote_spanned!(span=> #private::baggage_value_set(&#entries, #value));
        }
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
pub(super) fn recorded(
    traced: &TracedFn,
    boundary: Option<&Boundary>,
    private: &TokenStream,
) -> Option<TokenStream> {
    let ret = traced.options.ret;
    let received = boundary.and_then(|boundary| boundary.returns);
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
    let received = received.map(|received| {
        let record = match received {
            Returned::Messages => {
                quote_spanned!(returned=> #private::ReceivedMessages::record_received)
            }
            Returned::Message => {
                quote_spanned!(returned=> #private::ReceivedMessage::record_received)
            }
        };
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
                use #private::{ViaReply as _, ViaSharedErrorReply as _, ViaErrorReply as _, ViaNoReply as _};
                if #streams {
                    __otel_handle.record_streaming();
                } else {
                    let __otel_reply = (&&&&#private::ReplyProbe(#value)).__otel_reply();
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
                use #private::{ViaError as _, ViaSharedErrorRef as _, ViaSendErrorRef as _, ViaSyncErrorRef as _, ViaErrorRef as _, ViaPanicPayload as _, ViaDisplay as _, ViaDebug as _, ViaTypeName as _};
                (&&&&&&&&&#private::ErrorProbe(__otel_error)).__otel_error()
            });
        }
    });
    let on_err = if replies {
        let streams_whole = streams(&quote!(#output_ref), private);
        // An error borrowing from the call (`Box<dyn Error + 'a>`) would be taken
        // by the levels reading its sources, which need it owned, and not compile.
        let sources_read =
            (!traced.error_borrows).then(|| quote!(ViaSharedErrorReply as _, ViaErrorReply as _,));
        // An error that is a status of the call's protocol is the reply; any other
        // is recorded as `#[traced]` records errors.
        quote! {{
            #[allow(unused_imports)]
            use #private::{ViaReply as _, #sources_read ViaNoReply as _};
            let __otel_reply = __OTEL_TRACED_RPC
                .own_error_reply((&&&&#private::ReplyProbe(__otel_error)).__otel_reply());
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
            ::std::result::Result::Ok(__otel_value) => {
                #record_ok
                #reply_ok
            }
            ::std::result::Result::Err(__otel_error) => { #on_err }
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
