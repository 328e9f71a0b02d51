//! The parameters where the body starts: bound again there, so that the body owns
//! them and drops them as the function would, while the span is current.

use crate::parse::Shape;
use proc_macro2::TokenStream;
use quote::quote;

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
pub(super) fn rebound_params(
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
        let lints = &param.lints;
        if let Rebinding::Pattern { pat, arg } = &param.rebinding {
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
        let moved = moved_param_lints();
        Some(quote! {
            #(#cfg)*
            #(#lints)*
            #[allow(#allowed, #moved)]
            let #mutability #ident = #ident;
        })
    });
    quote!(#whole_self #(#rebound)*)
}

/// Clippy's lints a parameter's move into the body (`let name = name;`) would
/// hear, though it is no use of a `_`-named parameter (`used_underscore_binding`),
/// nor a binding without effect (`no_effect_underscore_binding`), nor a shadowing
/// (`shadow_same`): the user's code has none of them.
pub(super) fn moved_param_lints() -> TokenStream {
    quote!(
        clippy::used_underscore_binding,
        clippy::no_effect_underscore_binding,
        clippy::shadow_same
    )
}

/// Takes `mut` off the signature's parameters whose `mut` [`rebound_params`] moves
/// to where the body starts; one the attribute's expressions may need stays (or
/// comes back, where `#[async_trait]` moved it into its block), its lint quieted
/// (the body's binding is `mut` too). `#[async_trait]`'s block is not rebound: its
/// own bindings stand.
pub(super) fn unbind_mut(
    signature: &mut syn::Signature,
    params: &[crate::parse::Param],
    shape: Shape,
) {
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
pub(super) fn quiet_moved_mut(block: &mut syn::Block, params: &[crate::parse::Param]) {
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
