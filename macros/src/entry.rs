//! `#[otel_traced::main]`: `init()` before the body of `main`, the guard dropped
//! (flushing) when it returns.
//!
//! Works on `fn main` and on `async fn main` under `#[tokio::main]`, in either
//! order: below `#[tokio::main]` it sees the `fn main` tokio wrote and puts the
//! guard around the whole runtime; above it, it moves itself below, for the same
//! result: the runtime is dropped (its pending tasks ending their spans, as
//! cancelled) before the guard flushes. Inside the async body the guard would
//! flush first, and those spans would end after it, lost. Export runs on a thread
//! of its own, so no order can deadlock.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let runtime_given = !args.is_empty();
    let runtime = runtime(args)?;
    let mut function: ItemFn = syn::parse2(item).map_err(|error| {
        syn::Error::new(error.span(), "`#[otel_traced::main]` goes on `fn main`")
    })?;
    if function.sig.ident != "main" {
        return Err(syn::Error::new_spanned(
            &function.sig.ident,
            "`#[otel_traced::main]` goes on `fn main`; elsewhere call `otel_traced::init()` and keep its guard",
        ));
    }
    if let Some(index) = function.attrs.iter().position(is_tokio_main) {
        let tokio_main = function.attrs.remove(index);
        let again = if runtime_given {
            quote!(#[#runtime::main(crate = #runtime)])
        } else {
            quote!(#[#runtime::main])
        };
        return Ok(quote! {
            #tokio_main
            #again
            #function
        });
    }
    let guard: syn::Stmt = syn::parse_quote! {
        let __otel_traced_guard = #runtime::__private::init_for_main();
    };
    function.block.stmts.insert(0, guard);
    Ok(quote!(#function))
}

/// `#[tokio::main]` (with its arguments), below this attribute on an `async fn
/// main`: not expanded yet.
fn is_tokio_main(attribute: &syn::Attribute) -> bool {
    let segments: Vec<String> = attribute
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments == ["tokio", "main"]
}

/// The runtime's path: `::otel_traced`, or `crate = path` for a crate that renamed
/// the dependency or reaches it through a re-export, the only argument.
fn runtime(args: TokenStream) -> syn::Result<syn::Path> {
    if args.is_empty() {
        return Ok(syn::parse_quote!(::otel_traced));
    }
    let refused = || {
        syn::Error::new_spanned(
            &args,
            "`#[otel_traced::main]` takes no arguments but `crate = path` (configure it with the OTEL_* variables)",
        )
    };
    let syn::MetaNameValue { path, value, .. } =
        syn::parse2(args.clone()).map_err(|_| refused())?;
    match value {
        syn::Expr::Path(runtime) if path.is_ident("crate") => Ok(runtime.path),
        _ => Err(refused()),
    }
}
