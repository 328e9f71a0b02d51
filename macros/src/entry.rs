//! `#[otel_traced::main]`: `init()` before the body of `main`, the guard dropped
//! (flushing) when it returns.
//!
//! Works on `fn main` and on `async fn main` under `#[tokio::main]` (or another
//! runtime's `main` attribute), in either order: below it, it sees the `fn main`
//! the runtime's attribute wrote and puts the guard around the whole runtime;
//! above it, it makes the same: a `fn main` holding the guard calls the async body,
//! made a function of its own (named `main` too) under the runtime's attribute. Either way the
//! runtime is dropped (its pending tasks ending their spans, as cancelled) before
//! the guard flushes; inside the async body the guard would flush first, and those
//! spans would end after it, lost. A `fn main`'s body is a function of its own too,
//! so that a runtime built in its tail is dropped before the guard in any edition.
//! A `#[traced]` below goes onto the body's function, where it finds the guard's
//! installation; on an async body, onto the future the runtime polls.
//! Export runs on a thread of its own, so no order can deadlock.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
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
    let guard: syn::Stmt = syn::parse_quote! {
        let __otel_traced_guard = #runtime::__private::init_for_main(::std::module_path!());
    };
    let runtime_main = match function.sig.asyncness {
        Some(_) => function.attrs.iter().position(is_runtime_main),
        None => None,
    };
    // The body a function of its own (named `main` too, shadowing the outer one
    // in its block), returned from before the guard drops. An async body goes
    // under the runtime's attribute, which other runtimes' (`async_std::main`)
    // take on no function of another name. A sync body's tail temporaries (a
    // runtime built in place, `Runtime::new()?.block_on(..)`) are dropped when it
    // returns, and the spans they end are flushed. (Before edition 2024, a tail's
    // temporaries outlive the block's locals; a `let` of the body's value would
    // make code after a body that never returns, `loop { .. }`, unreachable.)
    if runtime_main.is_none()
        && (function.sig.asyncness.is_some()
            || !function.sig.inputs.is_empty()
            || function.attrs.iter().any(|attribute| {
                !changes_nothing(attribute) && !crate::parse::is_an_annotation(attribute)
            }))
    {
        // An `async fn main` under a runtime's attribute this one does not
        // know (renamed, `#[apply(..)]`), or a `main` another attribute below
        // rewrites (`#[paw::main]` taking arguments): the guard is the body's
        // first statement, as their expansion expects the body. A span of
        // `main`'s own would open before it, and record nothing.
        if let Some(traced) = function
            .attrs
            .iter()
            .find(|attribute| crate::parse::is_an_annotation(attribute))
        {
            return Err(syn::Error::new_spanned(
                traced,
                "this `main`'s span would open before `#[otel_traced::main]` initialises tracing: another attribute rewrites `main`, or it takes arguments, so its body cannot be moved after the initialisation; annotate a function `main` calls instead",
            ));
        }
        function.block.stmts.insert(0, guard);
        return Ok(quote!(#function));
    }
    let attrs = body_attributes(&mut function.attrs, runtime_main);
    let mut body = syn::ItemFn {
        attrs,
        vis: syn::Visibility::Inherited,
        sig: function.sig.clone(),
        block: function.block.clone(),
    };
    trace_the_runtimes_future(&mut body);
    function.sig.asyncness = None;
    function.block = syn::parse_quote!({
        #guard
        #body
        main()
    });
    Ok(quote!(#function))
}

/// Takes from `attributes` those of the body's function: the body's own span's
/// (`#[traced]` below this one), which on the outer `main` would open before the
/// guard installed anything, and record nothing; then the runtime's `main`
/// attribute at `runtime_main`. The span's first, whatever their order as
/// written: expanded first, it instruments the `async fn`, current while it is
/// polled; below the runtime's, it would find a sync `main` around the runtime
/// (see [`trace_the_runtimes_future`]).
fn body_attributes(
    attributes: &mut Vec<syn::Attribute>,
    runtime_main: Option<usize>,
) -> Vec<syn::Attribute> {
    let (body, kept): (Vec<_>, Vec<_>) = std::mem::take(attributes)
        .into_iter()
        .enumerate()
        .partition(|(at, attribute)| {
            Some(*at) == runtime_main || crate::parse::is_an_annotation(attribute)
        });
    *attributes = kept.into_iter().map(|(_, attribute)| attribute).collect();
    let (runtime, annotations): (Vec<_>, Vec<_>) = body
        .into_iter()
        .partition(|(at, _)| Some(*at) == runtime_main);
    (annotations.into_iter().chain(runtime))
        .map(|(_, attribute)| attribute)
        .collect()
}

/// A `main` `#[tokio::main]` above this attribute rewrote already: a sync `fn`
/// whose body is `let body = async { .. };` and the runtime's `block_on(body)`.
/// A `#[traced]` on it would hold its span current on the thread for the whole
/// `block_on`, where a current-thread runtime polls every task spawned: each
/// would be the span's child, one trace as long as the process. The annotations
/// go onto that future instead, an `async fn main` of its own, its span current
/// while it is polled, as with the attributes in the other order. Any other body
/// keeps them.
fn trace_the_runtimes_future(body: &mut syn::ItemFn) {
    if body.sig.asyncness.is_some() || !ends_in_tokios_block_on(&body.block) {
        return;
    }
    let Some(syn::Stmt::Local(syn::Local {
        pat: syn::Pat::Ident(binding),
        init: Some(init),
        ..
    })) = body.block.stmts.first_mut()
    else {
        return;
    };
    let syn::Expr::Async(future) = &*init.expr else {
        return;
    };
    if binding.ident != "body" || !body.attrs.iter().any(crate::parse::is_an_annotation) {
        return;
    }
    let (annotations, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut body.attrs)
        .into_iter()
        .partition(crate::parse::is_an_annotation);
    body.attrs = kept;
    let output = &body.sig.output;
    let block = &future.block;
    *init.expr = syn::parse_quote!({
        #(#annotations)*
        async fn main() #output #block
        main()
    });
}

/// Whether `block` ends as `#[tokio::main]` writes a `main`: a block returning
/// the runtime it builds' `block_on(body)`. A sync `main` of the user's own that
/// starts with a `let body = async ..` (and blocks on it, or not) is no runtime's,
/// and keeps its span around its whole body.
fn ends_in_tokios_block_on(block: &syn::Block) -> bool {
    let Some(syn::Stmt::Expr(syn::Expr::Block(last), None)) = block.stmts.last() else {
        return false;
    };
    // Without white space, which the compiler's tokens and proc-macro2's write
    // apart.
    let written: String = (quote!(#last).to_string().chars())
        .filter(|character| !character.is_whitespace())
        .collect();
    written.contains(".enable_all()")
        && written.contains("\"FailedbuildingtheRuntime\"")
        && written.contains(".block_on(body)")
}

/// An attribute that changes nothing of what `main`'s body is or takes: a lint
/// level, a doc comment, a hint (`inline`, `must_use`, `coverage`), a symbol's name
/// (also as edition 2024 writes it, `#[unsafe(export_name = ..)]`), a tool's
/// (`rustfmt::skip`, `clippy::..`, `diagnostic::..`).
fn changes_nothing(attribute: &syn::Attribute) -> bool {
    const SYMBOL_NAMES: [&str; 2] = ["no_mangle", "export_name"];
    if attribute.path().is_ident("unsafe") {
        return matches!(&attribute.meta, syn::Meta::List(list)
        if list.parse_args::<syn::Meta>().is_ok_and(|inner| {
            SYMBOL_NAMES.iter().any(|name| inner.path().is_ident(name))
        }));
    }
    const BUILT_IN: [&str; 13] = [
        "allow",
        "warn",
        "deny",
        "forbid",
        "expect",
        "doc",
        "inline",
        "cold",
        "must_use",
        "deprecated",
        "coverage",
        "no_mangle",
        "export_name",
    ];
    let path = attribute.path();
    BUILT_IN.iter().any(|name| path.is_ident(name))
        || (path.segments.len() > 1
            && ["rustfmt", "clippy", "diagnostic"]
                .iter()
                .any(|tool| path.segments[0].ident == tool))
}

/// A runtime's `main` attribute below this one on an `async fn main`, not
/// expanded yet: `#[tokio::main(..)]`, `#[main]` imported from tokio, another
/// runtime's (`#[actix_web::main]`): any path ending in `main`.
fn is_runtime_main(attribute: &syn::Attribute) -> bool {
    attribute
        .path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "main")
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
    // A `$krate:path` of a `macro_rules!` comes in an invisible group.
    match crate::options::ungrouped(value) {
        syn::Expr::Path(runtime) if path.is_ident("crate") => Ok(runtime.path),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    /// The body is a function of its own, so that its tail's temporaries (a
    /// runtime built in place) are dropped before the guard, also in editions
    /// before 2024, where a tail's temporaries outlive the locals.
    #[test]
    fn the_guard_outlives_the_bodys_tail_temporaries() {
        let expanded = expand(
            quote!(),
            quote! {
                fn main() {
                    Runtime::new().unwrap().block_on(serve())
                }
            },
        )
        .expect("expands");
        let expected = quote! {
            fn main() {
                let __otel_traced_guard = ::otel_traced::__private::init_for_main(::std::module_path!());
                fn main() {
                    Runtime::new().unwrap().block_on(serve())
                }
                main()
            }
        };
        assert_eq!(expanded.to_string(), expected.to_string());
        // Attributes that change nothing of the body keep that form.
        let hinted = expand(
            quote!(),
            quote! {
                #[rustfmt::skip]
                #[inline(never)]
                fn main() {
                    Runtime::new().unwrap().block_on(serve())
                }
            },
        )
        .expect("expands")
        .to_string();
        assert!(hinted.contains("fn main () { Runtime"), "{hinted}");
    }

    /// A sync `main` whose body starts as tokio's expansion does, but is the user's
    /// own, keeps `#[traced]` on the body's function, around all of it.
    #[test]
    fn a_users_own_let_body_async_is_not_taken_for_tokios() {
        let expanded = expand(
            quote!(),
            quote! {
                #[traced]
                fn main() {
                    let body = async { fetch().await };
                    let config = futures::executor::block_on(body);
                    run(config);
                }
            },
        )
        .expect("expands")
        .to_string();
        assert!(
            expanded.contains("# [traced] fn main () { let body = async { fetch () . await } ;"),
            "{expanded}"
        );
    }

    /// An async `main` under a runtime's attribute this one does not know, or a
    /// `main` another attribute rewrites, keeps its body with the guard first.
    #[test]
    fn a_main_another_attribute_expands_gets_the_guard_first() {
        for main in [
            quote!(
                #[apply(smol_macros::main!)]
                async fn main() {
                    serve().await
                }
            ),
            quote!(
                #[paw::main]
                fn main(args: Args) {
                    serve(args)
                }
            ),
        ] {
            let expanded = expand(quote!(), main).expect("expands").to_string();
            assert!(
                expanded.contains("{ let __otel_traced_guard = :: otel_traced :: __private :: init_for_main (:: std :: module_path ! ()) ; serve"),
                "{expanded}"
            );
        }
    }
}
