//! Values the expansion evaluates in a closure of its own, when the span records
//! (`attrs(..)`, `record!`, `event!`): an `.await`, a `?`, a `return` or a `break`
//! there would be the closure's, which the compiler says in terms of code the
//! user never wrote ("`await` is only allowed inside `async` functions" in an
//! `async fn`).

use crate::parse::Errors;
use syn::visit::Visit;

/// An error at each `.await`, `?`, `return`, `break` or `continue` of `value`
/// that would leave or suspend the closure it is evaluated in; those of a closure,
/// an `async` block, a loop or a labeled block written in the value are theirs.
pub(super) fn check_lazy_value(value: &syn::Expr, errors: &mut Errors) {
    let mut found = Escapes::default();
    found.visit_expr(value);
    for (span, what) in found.0 {
        errors.push(syn::Error::new(
            span,
            format!(
                "{what} in a recorded value: the value is evaluated in a closure, only when the span records; compute it first (`let value = ..;`) and record that (with `record!` in the body, for a value of `attrs(..)`)"
            ),
        ));
    }
}

#[derive(Default)]
struct Escapes(Vec<(proc_macro2::Span, &'static str)>);

impl<'ast> Visit<'ast> for Escapes {
    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        self.0.push((node.await_token.span, "`.await`"));
        syn::visit::visit_expr_await(self, node);
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        self.0.push((node.question_token.span, "`?`"));
        syn::visit::visit_expr_try(self, node);
    }

    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        self.0.push((node.return_token.span, "`return`"));
        syn::visit::visit_expr_return(self, node);
    }

    fn visit_expr_break(&mut self, node: &'ast syn::ExprBreak) {
        self.0.push((node.break_token.span, "`break`"));
        syn::visit::visit_expr_break(self, node);
    }

    fn visit_expr_continue(&mut self, node: &'ast syn::ExprContinue) {
        self.0.push((node.continue_token.span, "`continue`"));
    }

    // Their own: a closure's, an `async` block's, a loop's, a labeled block's.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_block(&mut self, node: &'ast syn::ExprBlock) {
        if node.label.is_none() {
            syn::visit::visit_expr_block(self, node);
        }
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}

    fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}

    fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
