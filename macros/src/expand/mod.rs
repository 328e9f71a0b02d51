//! Code generation only: every decision was made by `check`. The generated code
//! names everything by absolute path and calls only `<runtime>::__private` (by
//! default `::otel_traced::__private`), so it stays small and the runtime owns the
//! behaviour.
//!
//! `expand` writes the function back with its body in the shape it has (sync,
//! `async`, returning a future or a stream, an `async-trait` method); the span's
//! opening is `open`'s, a boundary's `rpc`'s, what the call's outcome records
//! `outcome`'s, and the parameters' binding where the body starts `params`'.

mod open;
mod outcome;
mod params;
mod rpc;

pub(crate) use open::expand_fields;
use open::{open_span, runs_bare_when_off};
use params::{quiet_moved_mut, rebound_params, unbind_mut};

use crate::check::{Checked, Side, Warning};
use crate::parse::{Boxed, Shape, TracedFn, boxed_async_block};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
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
    let outcome = outcome::recorded(&traced, boundary, &private);
    // A client writes its context into the carrier: a `mut` there is needed without
    // the macro, so never reported unused.
    let written = boundary
        .filter(|boundary| boundary.side == Side::Client)
        .and_then(|boundary| boundary.carrier.as_ref())
        .map(|carrier| &carrier.ident);
    let rebound = rebound_params(&traced.params, written, function.sig.receiver());
    let signature_span = function.sig.span();
    let body = match traced.shape {
        Shape::Sync => {
            let typed = typed_body(&function.sig.output, &function.block);
            let closure = body_closure(&rebound, &typed, signature_span);
            // The body's closure returns the closure: its `return`s too.
            let typed = returning_closure(
                &traced,
                Some(quote!(::std::ops::FnOnce() -> __OtelR)),
                closure,
            );
            let sync_outcome = outcome.as_ref().map(|outcome| {
                quote! {
                    let __otel_output_ref = &__otel_output;
                    __otel_handle.note_end();
                    #outcome
                }
            });
            // Nothing installed: the span is empty, and its drop would do nothing.
            let bare = runs_bare_when_off(&traced, boundary).then(|| {
                quote! {
                    if !__otel_on {
                        #[allow(clippy::mem_forget)]
                        ::std::mem::forget(__otel_span);
                        return __otel_body();
                    }
                }
            });
            quote! {
                let __otel_body = #private::called_once(#typed);
                #bare
                let mut __otel_current = __otel_span.enter_once();
                let __otel_handle = __otel_span.handle();
                let __otel_output = __otel_handle.catch_panic(&mut __otel_current, __otel_body);
                #sync_outcome
                __otel_handle.leave(__otel_current);
                __otel_output
            }
        }
        Shape::Async => {
            // The span stays a local of the function's future, borrowed by the
            // wrapper: moving it into the wrapper would copy it (see `Instrumented`).
            let typed = typed_body(&function.sig.output, &function.block);
            let future = instrumented(
                quote!(#private::LentSpan(&mut __otel_span)),
                quote!(__otel_body),
                outcome.as_ref(),
                &private,
            );
            // An `async fn` may return a future (a `JoinHandle`): clippy's lint
            // against async blocks that yield one skips `async fn`s, not the block
            // their body becomes here.
            // Only the block's tail: an `async` block's output takes no type from a
            // bound on the future, so a closure given by `return` needs its
            // parameter types written.
            let typed = returning_closure(&traced, None, quote!({ #rebound #typed }));
            // Spanned at the signature, as a synchronous body's closure is.
            let body = quote_spanned!(signature_span=> async move { #typed });
            quote! {
                #[allow(clippy::async_yields_async)]
                let __otel_body = #body;
                #future.await
            }
        }
        Shape::ReturnsFuture { boxed } => {
            let typed = typed_body(&function.sig.output, &function.block);
            let future = instrumented(
                quote!(__otel_span),
                quote!(__otel_future),
                outcome.as_ref(),
                &private,
            );
            let returned = boxed_as_returned(boxed, future);
            let future = held_to(
                opened_by_body(&rebound, &typed, signature_span),
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
            let typed = typed_body(&function.sig.output, &function.block);
            let rpc = match boundary {
                Some(_) => quote!(::std::option::Option::Some(&__OTEL_TRACED_RPC)),
                None => quote!(::std::option::Option::None),
            };
            // Each item a message only where none can be an `Err` recorded: items
            // of no `Result`, or `err = false` (`TracedFn::stream_may_fail`).
            // A gRPC or HTTP boundary's `Err` items may hold its reply among their
            // sources, read where the item's error is owned (`outcome.rs`).
            let sources_read = (boundary.is_some_and(|boundary| {
                !matches!(boundary.protocol, crate::check::Protocol::Messaging { .. })
            }) && !traced.error_borrows)
                .then(|| quote!(ViaItemSharedErrorSources as _, ViaItemErrorSources as _,));
            let item = if traced.stream_may_fail() {
                quote! {{
                    #[allow(unused_imports)]
                    use #private::{
                        ViaItemErrorReply as _, ViaItemReply as _, ViaItemStdError as _,
                        #sources_read
                        ViaItemSharedErrorRef as _, ViaItemSendErrorRef as _,
                        ViaItemSyncErrorRef as _, ViaItemErrorRef as _, ViaItemError as _, ViaItemDebug as _,
                        ViaItemTypeName as _, ViaItem as _,
                    };
                    (&&&&&&&&&&&&&#private::ItemProbe(__otel_item)).__otel_item(__otel_handle, #rpc)
                }}
            } else {
                quote!(#private::ViaItem::__otel_item(&#private::ItemProbe(__otel_item), __otel_handle, #rpc))
            };
            let stream = quote! {
                #private::InstrumentedStream::new(
                    __otel_span,
                    __otel_stream,
                    |__otel_handle: &mut #private::SpanHandle, __otel_item| #item,
                    #rpc,
                )
            };
            let returned = boxed_as_returned(boxed, stream);
            let opened = held_to(
                opened_by_body(&rebound, &typed, signature_span),
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
    // The user's braces stay the body's: a function whose body's braces are the
    // macro's counts as the macro's, and the compiler and clippy say nothing of it
    // (`dead_code`, `clippy::too_many_lines`, ..; an `#[expect]` of one is then
    // unfulfilled).
    let braces = function.block.brace_token;
    *function.block = syn::parse_quote!({ #(#warnings)* #open #body });
    function.block.brace_token = braces;
    quote!(#function)
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

/// The body (`rebound`, `typed`) as a closure, spanned at the signature: a
/// misused `?` in it is "this function should return `Result`" there, not at the
/// attribute.
fn body_closure(rebound: &TokenStream, typed: &TokenStream, signature_span: Span) -> TokenStream {
    quote_spanned!(signature_span=> move || { #rebound #typed })
}

/// The future or stream the body makes, made with the span current and a panic
/// there recorded.
fn opened_by_body(rebound: &TokenStream, typed: &TokenStream, signature_span: Span) -> TokenStream {
    let body = body_closure(rebound, typed, signature_span);
    quote! {{
        let mut __otel_current = __otel_span.enter();
        __otel_span.handle().catch_panic(&mut __otel_current, #body)
    }}
}

/// `value`, a future or stream the body made, held to what the signature says it
/// outputs or yields (`holder`: the runtime's `output_is` or `items_are`), where
/// it says: a body making another is an error at that type.
fn held_to(
    value: TokenStream,
    holder: TokenStream,
    traced: &TracedFn,
    private: &TokenStream,
) -> TokenStream {
    match &traced.yielded {
        Some(yielded) => {
            // Its argument at the type, where a value of another is reported (the
            // path keeps its spans: a `$crate` in `crate = ..` is resolved by its own).
            let span = yielded.span();
            let yielded = inferred(yielded);
            quote_spanned!(span=> {
                let __otel_held = #value;
                #private::#holder::<#yielded, _>(__otel_held)
            })
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

/// `body`, handed the signature of the closure the function returns, when there
/// is one (`closure.rs`): passed through a local function whose `__OtelR` it bounds,
/// which gives the closure its parameter types as the return type would without
/// the macro. `body` is the closure itself, or, with `producing` (a bound naming
/// `__OtelR`), what produces it (the body's closure).
fn returning_closure(
    traced: &TracedFn,
    producing: Option<TokenStream>,
    body: TokenStream,
) -> TokenStream {
    let Some(signature) = &traced.returned_closure else {
        return body;
    };
    let (generics, ty) = match producing {
        Some(producing) => (
            quote!(<__OtelR: #signature, __OtelF: #producing>),
            quote!(__OtelF),
        ),
        None => (quote!(<__OtelR: #signature>), quote!(__OtelR)),
    };
    quote! {{
        #[inline(always)]
        fn __otel_returns_closure #generics (__otel_body: #ty) -> #ty {
            __otel_body
        }
        __otel_returns_closure(#body)
    }}
}

/// The body, given the declared output type by an unreachable typed `return`, so
/// coercions inside it (`&String` to `&str`, `Box<T>` to `Box<dyn Trait>`) and the
/// error type are known where the body is checked, as they would be without the
/// macro. Every `impl Trait` in the type becomes `_`. The body's statements stay in
/// a block of their own: the items and `use`s they declare are seen in the whole
/// of their block, and must not change what the type names (`use Json::*` with a
/// variant `String`, beside `-> Option<String>`). That block is the user's, braces
/// and all: a block's edition is its braces', which decides when the temporaries
/// of its last expression are dropped (edition 2024: before its locals).
fn typed_body(output: &syn::ReturnType, body: &syn::Block) -> TokenStream {
    // Located at the return type: a `return` of another type in the body is said
    // to be expected because of it, as rustc says it of a function's own.
    let (output, located): (syn::Type, _) = match output {
        syn::ReturnType::Default => (syn::parse_quote!(()), proc_macro2::Span::call_site()),
        syn::ReturnType::Type(_, ty) => (inferred(ty), ty.span()),
    };
    let checked = quote_spanned! {located=>
        let __otel_output: #output = loop {};
        return __otel_output;
    };
    // A body of its last expression alone keeps braces of the macro's: it holds
    // no locals to drop its temporaries before or after, and the user's braces
    // would be reported as unnecessary (`unused_braces`). So does a body of one
    // brace macro (`html! { .. }`), which is reported so too; one that expands
    // to locals of its own (`m! { let g = ..; g.len() }`) then drops its last
    // expression's temporaries in edition 2024's order whatever the crate's, the
    // lesser cost beside a lint on every such body (no lint attribute reaches
    // those braces without covering the whole body).
    let body = match body.stmts.as_slice() {
        statements @ ([]
        | [syn::Stmt::Expr(_, None)]
        | [
            syn::Stmt::Macro(syn::StmtMacro {
                semi_token: None, ..
            }),
        ]) => {
            quote!({ #(#statements)* })
        }
        _ => quote!(#body),
    };
    quote! {{
        #[allow(
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::infinite_loop,
            clippy::needless_return,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::type_complexity,
            clippy::borrowed_box
        )]
        if false {
            #checked
        }
        #body
    }}
}

/// The wrapper of a returned future or stream, boxed as the function returns it.
fn boxed_as_returned(boxed: Boxed, wrapper: TokenStream) -> TokenStream {
    match boxed {
        Boxed::No => wrapper,
        Boxed::Pinned => quote!(::std::boxed::Box::pin(#wrapper)),
        Boxed::Unpinned => quote!(::std::boxed::Box::new(#wrapper)),
    }
}
