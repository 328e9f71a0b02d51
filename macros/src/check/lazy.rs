//! Values the expansion evaluates in a closure of its own, when the span records
//! (`attrs(..)`, `record!`, `event!`, `link = ..`): an `.await`, a `?`, a
//! `return`, a `break` or a `continue` there would be the closure's, which the
//! compiler says in terms of code the user never wrote ("`await` is only allowed
//! inside `async` functions" in an `async fn`). And those it evaluates only when
//! tracing is installed (`server = ..`), where one would make the function take
//! another path with tracing than without, or where the span opens (`parent =
//! ..`, twice in the expansion: as the span's parent, or, with nothing installed,
//! as the context the body runs under), where one would leave the call before its
//! span, or suspend it while it opens.

use crate::parse::Errors;
use syn::visit::Visit;

/// When the expansion evaluates a value.
#[derive(Clone, Copy)]
pub(super) enum Lazily {
    /// In a closure, when the span records: a value recorded.
    Recorded,
    /// In a closure, when the span records: `link = ..`.
    Linked,
    /// Only when tracing is installed: the option it is the value of.
    WhenInstalled(&'static str),
    /// Where the span opens: `parent = ..`.
    WhereTheSpanOpens,
}

/// An error at each `.await`, `?`, `return`, `break` or `continue` of `value`
/// that would leave or suspend the closure it is evaluated in (or the function,
/// only with tracing): not those of a closure or an `async` block written in the
/// value, nor a `break` or `continue` of a loop or labeled block written there.
pub(super) fn check_lazy_value(value: &syn::Expr, lazily: Lazily, errors: &mut Errors) {
    let mut found = Escapes::default();
    found.visit_expr(value);
    for (span, what) in found.escapes {
        let message = match lazily {
            Lazily::Recorded => format!(
                "{what} in a recorded value: the value is evaluated in a closure, only when the span records; compute it first (`let value = ..;`) and record that (with `record!` in the body, for a value of `attrs(..)`)"
            ),
            Lazily::Linked => format!(
                "{what} in a link: it is evaluated in a closure, only when the span records; compute the context before the call and take it as a parameter to link (`upstream: &Context`, `link = upstream`)"
            ),
            Lazily::WhenInstalled(option) => format!(
                "{what} in `{option} = ..`: it is evaluated only when tracing is installed, so the function would take another path with tracing than without; compute it before the call and take it as a parameter to name (`{option} = {option}`)"
            ),
            Lazily::WhereTheSpanOpens => format!(
                "{what} in `parent = ..`: it is evaluated where the span opens, which it would leave or suspend; compute it before the call and take it as a parameter to name (`parent = parent`)"
            ),
        };
        errors.push(syn::Error::new(span, message));
    }
}

#[derive(Default)]
struct Escapes {
    escapes: Vec<(proc_macro2::Span, &'static str)>,
    /// Loops of the value around the expression visited.
    loops: usize,
    /// Labels of the value's loops and blocks around it.
    labels: Vec<syn::Ident>,
}

impl Escapes {
    /// Whether a `break` or `continue` to `label` (or to the innermost loop)
    /// leaves the value.
    fn leaves(&self, label: Option<&syn::Lifetime>) -> bool {
        match label {
            Some(label) => !self.labels.contains(&label.ident),
            None => self.loops == 0,
        }
    }

    /// Visits what `visit` does inside a loop or block labeled `label`.
    fn within(&mut self, label: Option<&syn::Label>, looping: bool, visit: impl FnOnce(&mut Self)) {
        if let Some(label) = label {
            self.labels.push(label.name.ident.clone());
        }
        self.loops += usize::from(looping);
        visit(self);
        self.loops -= usize::from(looping);
        if label.is_some() {
            self.labels.pop();
        }
    }
}

impl<'ast> Visit<'ast> for Escapes {
    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        self.escapes.push((node.await_token.span, "`.await`"));
        syn::visit::visit_expr_await(self, node);
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        self.escapes.push((node.question_token.span, "`?`"));
        syn::visit::visit_expr_try(self, node);
    }

    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        self.escapes.push((node.return_token.span, "`return`"));
        syn::visit::visit_expr_return(self, node);
    }

    fn visit_expr_break(&mut self, node: &'ast syn::ExprBreak) {
        if self.leaves(node.label.as_ref()) {
            self.escapes.push((node.break_token.span, "`break`"));
        }
        syn::visit::visit_expr_break(self, node);
    }

    fn visit_expr_continue(&mut self, node: &'ast syn::ExprContinue) {
        if self.leaves(node.label.as_ref()) {
            self.escapes.push((node.continue_token.span, "`continue`"));
        }
    }

    fn visit_expr_loop(&mut self, node: &'ast syn::ExprLoop) {
        self.within(node.label.as_ref(), true, |this| {
            syn::visit::visit_expr_loop(this, node)
        });
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        self.within(node.label.as_ref(), true, |this| {
            syn::visit::visit_expr_while(this, node)
        });
    }

    fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
        self.within(node.label.as_ref(), true, |this| {
            syn::visit::visit_expr_for_loop(this, node)
        });
    }

    fn visit_expr_block(&mut self, node: &'ast syn::ExprBlock) {
        self.within(node.label.as_ref(), false, |this| {
            syn::visit::visit_expr_block(this, node)
        });
    }

    // Their own: a closure's, an `async` block's, an item's.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
