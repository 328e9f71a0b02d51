//! A function returning a closure (`-> impl Fn(&str) -> usize`, also an `async fn`): without the
//! macro, the returned closure takes its parameter types from that signature
//! (`|s| s.len()`). The expansion runs the body inside a closure of its own, whose
//! output the signature no longer types, so the closure's signature is handed on
//! through a local function bound by it. A local function cannot name the generic
//! parameters or lifetimes around it, so that is done only for signatures written
//! in the standard library's types; for the others the closure
//! needs its parameter types written, as the README says.

use syn::visit::Visit;
use syn::{ReturnType, TraitBound, Type, TypeParamBound};

/// The `Fn`, `FnMut` or `FnOnce` (or `AsyncFn..`) bound of a returned `impl Trait` whose types are
/// all nameable in a local function (none of the function's own `generics`), if
/// there is one.
pub(crate) fn returned_closure(
    output: &ReturnType,
    generics: &syn::Generics,
) -> Option<TraitBound> {
    let ReturnType::Type(_, returned) = output else {
        return None;
    };
    let Type::ImplTrait(returned) = crate::parse::peeled(returned) else {
        return None;
    };
    returned.bounds.iter().find_map(|bound| match bound {
        TypeParamBound::Trait(bound) if is_closure_trait(bound) && nameable(bound, generics) => {
            Some(bound.clone())
        }
        _ => None,
    })
}

/// `Fn(..)`, `FnMut(..)` or `FnOnce(..)` (or `AsyncFn(..)`, ..), also by its path (`std::ops::Fn(..)`,
/// as a `#![no_implicit_prelude]` module writes it).
fn is_closure_trait(bound: &TraitBound) -> bool {
    let segments: Vec<_> = bound.path.segments.iter().collect();
    let Some((last, module)) = segments.split_last() else {
        return false;
    };
    let in_ops = match module {
        [] => bound.path.leading_colon.is_none(),
        [krate, ops] => {
            (krate.ident == "std" || krate.ident == "core")
                && ops.ident == "ops"
                && krate.arguments.is_none()
                && ops.arguments.is_none()
        }
        _ => false,
    };
    bound.lifetimes.is_none()
        && in_ops
        && matches!(last.arguments, syn::PathArguments::Parenthesized(_))
        && [
            "Fn",
            "FnMut",
            "FnOnce",
            "AsyncFn",
            "AsyncFnMut",
            "AsyncFnOnce",
        ]
        .iter()
        .any(|name| last.ident == name)
}

/// Whether every type in `bound` is built of the standard library's
/// (`std_types.rs`), by reference, slice or tuple, none a parameter of
/// `generics` named as one of them (`fn f<Path>()`), and every lifetime elided
/// or `'static`.
fn nameable(bound: &TraitBound, generics: &syn::Generics) -> bool {
    struct Nameable<'a>(bool, &'a syn::Generics);
    impl Visit<'_> for Nameable<'_> {
        fn visit_type(&mut self, ty: &Type) {
            match ty {
                Type::Path(path) if path.qself.is_none() => {
                    let ident = &path.path.segments[0].ident;
                    let known = path.path.leading_colon.is_none()
                        && path.path.segments.len() == 1
                        && crate::std_types::is_std_type(ident)
                        && !self.1.type_params().any(|param| param.ident == *ident);
                    self.0 &= known;
                }
                Type::Reference(_)
                | Type::Slice(_)
                | Type::Tuple(_)
                | Type::Paren(_)
                | Type::Group(_) => {}
                _ => self.0 = false,
            }
            syn::visit::visit_type(self, ty);
        }

        fn visit_lifetime(&mut self, lifetime: &syn::Lifetime) {
            self.0 &= lifetime.ident == "static";
        }
    }
    let mut nameable = Nameable(true, generics);
    nameable.visit_trait_bound(bound);
    nameable.0
}

#[cfg(test)]
mod tests {
    use super::returned_closure;
    use quote::ToTokens as _;

    fn bound(output: &str) -> Option<String> {
        let output: syn::ReturnType = syn::parse_str(output).expect("a return type");
        returned_closure(&output, &syn::Generics::default())
            .map(|bound| bound.to_token_stream().to_string())
    }

    #[test]
    fn a_signature_naming_a_parameter_of_the_function_is_not_handed_on() {
        let handed = |signature: &str| {
            let signature: syn::Signature = syn::parse_str(signature).expect("a signature");
            returned_closure(&signature.output, &signature.generics).is_some()
        };
        assert!(!handed(
            "fn matcher<Path: AsRef<str>>() -> impl Fn(&Path) -> bool"
        ));
        assert!(handed(
            "fn matcher<P: AsRef<str>>() -> impl Fn(&Path) -> bool"
        ));
    }

    #[test]
    fn closures_of_nameable_types_are_handed_their_signature() {
        assert_eq!(
            bound("-> impl Fn(&str) -> usize"),
            Some("Fn (& str) -> usize".to_owned())
        );
        assert_eq!(
            bound("-> impl FnMut(u64, &[u8]) -> Option<Vec<String>> + Send + 'static"),
            Some("FnMut (u64 , & [u8]) -> Option < Vec < String > >".to_owned())
        );
        assert!(bound("-> impl FnOnce() + Send").is_some());
    }

    #[test]
    fn what_a_local_function_may_not_name_is_left_alone() {
        for output in [
            "-> impl Fn(T) -> T",
            "-> impl Fn(&'a str) -> usize",
            "-> impl Fn(Request) -> Response",
            "-> impl Fn(Self) -> u8",
            "-> impl Iterator<Item = u8>",
            "-> Box<dyn Fn(&str) -> usize>",
            "-> impl for<'a> Fn(&'a str) -> usize",
            "-> impl Fn(std::string::String)",
        ] {
            assert_eq!(bound(output), None, "{output}");
        }
    }
}
