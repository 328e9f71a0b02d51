//! `#[otel_traced::main]`: `init()` before the body of `main`, the guard dropped
//! (flushing) when it returns.
//!
//! Works on `fn main` and on `async fn main` under `#[tokio::main]`, in either
//! order: below `#[tokio::main]` it sees the `fn main` tokio wrote and puts the
//! guard around the whole runtime; above it, it puts the guard inside the async
//! body. Export runs on a thread of its own, so neither order can deadlock.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "`#[otel_traced::main]` takes no arguments: configure it with the OTEL_* variables",
        ));
    }
    let mut function: ItemFn = syn::parse2(item).map_err(|error| {
        syn::Error::new(error.span(), "`#[otel_traced::main]` goes on `fn main`")
    })?;
    if function.sig.ident != "main" {
        return Err(syn::Error::new_spanned(
            &function.sig.ident,
            "`#[otel_traced::main]` goes on `fn main`; elsewhere call `otel_traced::init()` and keep its guard",
        ));
    }
    let guard: syn::Stmt = syn::parse_quote! {
        let __otel_traced_guard = ::otel_traced::__private::init_for_main();
    };
    function.block.stmts.insert(0, guard);
    Ok(quote!(#function))
}
