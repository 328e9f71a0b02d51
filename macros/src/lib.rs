//! The procedural macros of `otel-traced`. Use them through the `otel-traced` crate,
//! which re-exports them and provides the runtime their expansions call.
//!
//! Pipeline: `parse` and `options` (syntax to typed structs), `check` (every
//! diagnostic), `expand` (code only); `fields` reads the `key = value` lists that
//! `attrs(..)`, `record!` and `event!` share.

mod check;
mod closure;
mod entry;
mod expand;
mod fields;
mod options;
mod parse;
mod registry;
mod std_types;

use proc_macro::TokenStream;

/// Instruments a function: each call becomes a span. Documented in `otel-traced`.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(args, item, options::Macro::Traced)
}

/// Instruments a gRPC, HTTP or messaging boundary. Documented in `otel-traced`.
#[proc_macro_attribute]
pub fn traced_rpc(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(args, item, options::Macro::TracedRpc)
}

fn instrument(args: TokenStream, item: TokenStream, which: options::Macro) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let (parsed, errors) = match parse::parse(args.into(), item.clone(), which) {
        Ok(parsed) => parsed,
        Err(error) => return with_item(error, item),
    };
    match check::check(&parsed, errors) {
        Ok(checked) => expand::expand(parsed, &checked).into(),
        Err(error) => {
            let function = parsed.function;
            with_item(error, quote::quote!(#function))
        }
    }
}

/// Initialises tracing around `main`. Documented in `otel-traced`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match entry::expand(args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        Err(error) => with_item(error, item),
    }
}

/// Sets attributes on the current span. Documented in `otel-traced`, whose
/// `record!` calls it with its own path first (`$crate;`), so that the expansion
/// names the runtime however the user's crate reaches it.
#[proc_macro]
pub fn record(input: TokenStream) -> TokenStream {
    let (runtime, input) = fields::split_runtime(input.into());
    syn::parse2::<fields::Fields>(input)
        .and_then(|fields| check::check_fields(None, &fields.0))
        .map_or_else(syn::Error::into_compile_error, |checked| {
            expand::expand_fields(&runtime, None, &checked)
        })
        .into()
}

/// Adds an event to the current span. Documented in `otel-traced`; called as
/// `record` is.
#[proc_macro]
pub fn event(input: TokenStream) -> TokenStream {
    let (runtime, input) = fields::split_runtime(input.into());
    syn::parse2::<fields::EventInput>(input)
        .and_then(|event| {
            let checked = check::check_fields(Some(&event.name), &event.fields.0)?;
            Ok(expand::expand_fields(&runtime, Some(&event.name), &checked))
        })
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The diagnostics followed by the item as written (minus our parameter attributes),
/// so the user sees our errors and not a cascade of "cannot find function".
fn with_item(error: syn::Error, item: proc_macro2::TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote::quote!(#error #item).into()
}
