//! Code generation only: every decision was made by `check`. The generated code
//! names everything by absolute path and calls only `::otel_traced::__private`, so
//! it stays small and the runtime owns the behaviour.

use crate::check::{Probe, Recorded};
use crate::parse::TracedFn;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::visit_mut::VisitMut;

pub(crate) fn expand(traced: TracedFn, recorded: &[Recorded]) -> TokenStream {
    let mut function = traced.function;
    let private = quote!(::otel_traced::__private);
    let options = &traced.options;
    let ident = &function.sig.ident;
    let is_async = function.sig.asyncness.is_some();

    let name = match &options.name {
        Some(literal) => literal.value(),
        None => ident.to_string(),
    };
    let kind = format_ident!(
        "{}",
        capitalised(
            &options
                .kind
                .as_ref()
                .map_or("internal".to_owned(), ToString::to_string)
        )
    );
    let root = options.root.is_some();
    let code = options.code.as_ref().is_none_or(|literal| literal.value);
    let max_attributes = recorded.len();
    let location = ident.span();
    let file = quote_spanned!(location=> ::core::file!());
    let line = quote_spanned!(location=> ::core::line!());
    let callsite = quote! {
        static __OTEL_TRACED_CALLSITE: #private::Callsite = #private::Callsite::new(#private::SpanMeta {
            name: #name,
            kind: #private::SpanKind::#kind,
            root: #root,
            function: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#ident)),
            file: #file,
            line: #line,
            code: #code,
            scope_name: match ::core::option_env!("CARGO_PKG_NAME") { ::core::option::Option::Some(name) => name, ::core::option::Option::None => "unknown" },
            scope_version: match ::core::option_env!("CARGO_PKG_VERSION") { ::core::option::Option::Some(version) => version, ::core::option::Option::None => "" },
            max_attributes: #max_attributes,
        });
    };
    let parent = match &options.parent {
        Some(expr) => quote!(#private::parent(#expr)),
        None => quote!(#private::Parent::Current),
    };
    let records = recorded.iter().map(record_parameter);
    let call = if is_async {
        quote!(Future)
    } else {
        quote!(Sync)
    };
    let open = quote! {
        #callsite
        let __otel_span = __OTEL_TRACED_CALLSITE.start(#parent, #private::CallKind::#call, |__otel_attributes| {
            #[allow(unused_imports)]
            use #private::{ViaAsAttribute as _, ViaScalar as _, ViaFormat as _, ViaFallback as _};
            #(#records)*
        });
    };

    let statements = &function.block.stmts;
    // The body's closure or async block is given the declared output type by an
    // unreachable typed `return`, so coercions inside it (`&String` to `&str`,
    // `Box<T>` to `Box<dyn Trait>`) and the error type are known where the body is
    // checked, as they would be without the macro.
    let output = output_type(&function.sig.output);
    let typed_body = quote! {{
        #[allow(
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore
        )]
        if false {
            let __otel_output: #output = loop {};
            return __otel_output;
        }
        #(#statements)*
    }};
    let body = match (is_async, traced.returns_result) {
        (false, false) => quote! {
            let __otel_current = __otel_span.enter();
            #(#statements)*
        },
        (false, true) => {
            let matched = record_err(quote!(#private::run_body(move || #typed_body)));
            quote! {
                let __otel_current = __otel_span.enter();
                let __otel_handle = &__otel_span;
                #matched
            }
        }
        (true, false) => quote! {
            #private::Instrumented::new(__otel_span, async move #typed_body).await
        },
        (true, true) => {
            let matched = record_err(quote!(async move #typed_body.await));
            quote! {
                let __otel_handle = __otel_span.handle();
                #private::Instrumented::new(__otel_span, async move { #matched }).await
            }
        }
    };

    let new_block: syn::Block = syn::parse_quote!({ #open #body });
    *function.block = new_block;
    quote!(#function)
}

/// `match run { Ok(v) => Ok(v), Err(e) => { record e; Err(e) } }`, recording the
/// error through `__otel_handle`.
fn record_err(run: TokenStream) -> TokenStream {
    let private = quote!(::otel_traced::__private);
    quote! {
        match #run {
            ::core::result::Result::Ok(__otel_value) => ::core::result::Result::Ok(__otel_value),
            ::core::result::Result::Err(__otel_error) => {
                __otel_handle.record_error(|| {
                    #[allow(unused_imports)]
                    use #private::{ViaError as _, ViaSharedErrorRef as _, ViaErrorRef as _, ViaDisplay as _, ViaDebug as _, ViaTypeName as _};
                    (&&&&&&#private::ErrorProbe(&__otel_error)).__otel_error()
                });
                ::core::result::Result::Err(__otel_error)
            }
        }
    }
}

/// The function's output type as the body must produce it: `()` when none is
/// written, and every `impl Trait` replaced by `_` (the body produces the concrete
/// type, which the function's signature then hides).
fn output_type(output: &syn::ReturnType) -> syn::Type {
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
    match output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            ImplToInferred.visit_type_mut(&mut ty);
            ty
        }
    }
}

/// `__otel_attributes.push("key", value)` for one parameter, with the value found by
/// autoref specialisation. Spanned at the parameter, so a type that cannot be
/// recorded under `#[attr]` is reported there.
fn record_parameter(recorded: &Recorded) -> TokenStream {
    let private = quote!(::otel_traced::__private);
    let Recorded { ident, key, probe } = recorded;
    let probe = match probe {
        Probe::Default => quote!(Arg),
        Probe::Debug => quote!(Explicit),
        Probe::Display => quote!(ExplicitDisplay),
    };
    quote_spanned! {ident.span()=>
        __otel_attributes.push(
            #key,
            #private::RecordedValue::into_recorded((&&&&#private::#probe(&#ident)).__otel_value()),
        );
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
