//! Syntax to typed structs: the annotated function, its shape, and its parameters
//! with our parameter attributes (`#[skip]`, `#[attr]`) read and removed. The
//! attribute's own arguments are read by `options`.
//!
//! Every mistake found here is collected, so one build reports all of them.

use crate::options::{Macro, Options, parse_options};
use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Pat, Token, Type};

/// How a parameter is recorded, as its own attributes say.
pub(crate) enum ParamMode {
    /// Recorded if its type is a scalar or implements `AsAttribute`.
    Default,
    /// `#[skip]`.
    Skipped,
    /// `#[attr]`, `#[attr("key")]`, `#[attr(display)]`, `#[attr("key", display)]`.
    Explicit { key: Option<LitStr>, display: bool },
}

pub(crate) struct Param {
    /// The binding name; `None` for a pattern (`(a, b): (u8, u8)`) or `_`.
    pub ident: Option<Ident>,
    /// The parameter's type as written.
    pub ty: Type,
    pub mode: ParamMode,
    /// Where diagnostics about this parameter point.
    pub span: Span,
    /// How the body binds it again where it starts.
    pub rebinding: Rebinding,
    /// Its `#[cfg(..)]` attributes: a parameter configured out has no binding, so
    /// what records it is configured out with it.
    pub cfg: Vec<syn::Attribute>,
    /// The names its pattern binds (`Path(id): Path<u64>`: `id`), none of which is
    /// recorded; none for a parameter bound to a name.
    pub pattern_names: Vec<Ident>,
    /// The name the signature binds its value to, which the call can read before
    /// the body binds it: the parameter's, the expansion's `__otel_argN` for a
    /// pattern or `_`, `#[async_trait]`'s `__argN`; none for a pattern the
    /// signature keeps (`_: &T` under `#[async_trait]`, one whose bindings the
    /// attribute's expressions name).
    pub value: Option<Ident>,
    /// Its lint attributes, for its binding where the body starts: as written on a
    /// pattern's (whose bindings the user's lints are about), an `expect` as
    /// `allow` on a name's (used by the expansion, it would be unfulfilled), so that
    /// an `unused_mut` or `non_snake_case` allowed on the parameter holds there.
    pub lints: Vec<syn::Attribute>,
}

/// How the expansion binds a parameter again where the body starts, so that the
/// body owns it and drops it as the function would (`expand::params::rebound_params`).
pub(crate) enum Rebinding {
    /// Not at all: bound by `ref` (the body borrows it where it stays), or by a
    /// pattern under `#[async_trait]` (whose block binds it).
    None,
    /// A pattern or `_`: the signature takes the value as `arg`, and the body moves
    /// it in and binds the pattern (`let (a, b) = __otel_arg1;`, with the
    /// parameter's lint attributes), so that what it holds is dropped in
    /// its turn and in the span, as a named parameter's is. Not when the
    /// attribute's own expressions name one of its bindings: they run before the
    /// body, and see the parameters as the signature binds them.
    Pattern { pat: Box<Pat>, arg: Ident },
    /// `let name = name;`.
    Plain,
    /// `let mut name = name;`, the signature's `mut` moved there with its span (so
    /// an unneeded one is still reported on the parameter).
    Mut(syn::Token![mut]),
    /// `let mut name = name;`, the signature keeping its `mut` as well: the
    /// attribute's own expressions name the parameter, and may change it before the
    /// body runs. (Under `#[async_trait]`, which moved the `mut` into its block,
    /// the signature gets it back.)
    MutKept,
}

/// What a call of the function is, which decides where its span ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A synchronous function: the span covers the call.
    Sync,
    /// An `async fn`: the span covers the future, from its first poll.
    Async,
    /// A function returning a future (`impl Future<Output = ..>`, or a boxed
    /// `dyn Future`): the span opens at the call and covers the returned future.
    ReturnsFuture { boxed: Boxed },
    /// A function returning a stream (`impl Stream<Item = ..>`, or a boxed `dyn
    /// Stream`): the span opens at the call and lasts until the stream ends.
    ReturnsStream { boxed: Boxed },
    /// What `#[async_trait]` makes of an `async fn`: a boxed `dyn Future` built by a
    /// final `Box::pin(async move { .. })`, whose inner future is instrumented. A
    /// body of that one expression returned as another type (`Self::Future`) too.
    AsyncTrait,
}

/// How a returned future or stream is boxed: the expansion boxes its wrapper so.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Boxed {
    /// Not: `impl Future`.
    No,
    /// `Pin<Box<..>>`, or an alias of one (`BoxFuture`).
    Pinned,
    /// `Box<dyn Future + Unpin>`, polled through the box.
    Unpinned,
}

/// Whether `attribute` is `#[traced]` or `#[traced_rpc]`, however imported
/// (`crate = ..` names a crate re-exporting them).
pub(crate) fn is_an_annotation(attribute: &syn::Attribute) -> bool {
    attribute
        .path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "traced" || last.ident == "traced_rpc")
}

pub(crate) struct TracedFn {
    pub options: Options,
    /// The function, with our parameter attributes removed.
    pub function: ItemFn,
    /// The typed parameters (the receiver, `self`, is never recorded).
    pub params: Vec<Param>,
    pub shape: Shape,
    /// Whether a returned `Err` is recorded: the produced value (the return type,
    /// or a future's `Output`) is written as a `Result`, or `err` says so; `err =
    /// false` says not.
    pub records_err: bool,
    /// Whether the produced value is written as a `Result` (or `err` says it is).
    pub result_like: bool,
    /// Whether the error type written in the produced `Result<T, E>` (a returned
    /// stream's item) names a lifetime other than `'static` (`Box<dyn Error +
    /// 'a>`): a boundary's reply is then not looked for among its sources, which
    /// needs it owned.
    pub error_borrows: bool,
    /// What a returned future outputs or a returned stream yields, where the
    /// signature writes it: the body's future or stream is held to it before the
    /// expansion inspects its output, as the return type would hold it without
    /// the macro (an `Ok(..)` whose error type only the signature says).
    pub yielded: Option<Type>,
    /// The signature of a closure a sync function returns (`-> impl Fn(&str) ->
    /// usize`), for the body's closure to hand on (`closure.rs`).
    pub returned_closure: Option<syn::TraitBound>,
}

impl TracedFn {
    /// Whether the function returns a stream whose `Err` items are recorded: its
    /// items may be a `Result` (written so, or through an alias or a type not seen
    /// here), and `err = false` does not leave them unrecorded.
    pub(crate) fn stream_may_fail(&self) -> bool {
        let (Shape::ReturnsStream { .. }, syn::ReturnType::Type(_, returned)) =
            (self.shape, &self.function.sig.output)
        else {
            return false;
        };
        !matches!(self.options.err, Some((false, _)))
            && written_stream_item(returned)
                .as_ref()
                .is_none_or(may_be_result)
    }
}

/// Parses the attribute's arguments and the function it is on, returning the
/// function with the mistakes found so far (so that `check` adds its own and the
/// user sees every mistake in one build). An item that is not a function is an
/// error on its own.
pub(crate) fn parse(
    args: TokenStream,
    item: TokenStream,
    which: Macro,
) -> Result<(TracedFn, Errors), syn::Error> {
    let attribute = which.attribute();
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return Err(not_a_function(item, attribute));
    };
    let mut errors = Errors::default();
    let options = parse_options(args, which, &mut errors);
    if let Some(constness) = &function.sig.constness {
        errors.push(syn::Error::new(
            constness.span(),
            format!("`{attribute}` cannot instrument a `const fn`: a span cannot be opened at compile time; remove `const` or `{attribute}`"),
        ));
    }
    // (The compiler expands a `cfg_attr` on the function first: a conditional
    // `track_caller` is found here too.)
    if let Some(track_caller) = function
        .attrs
        .iter()
        .find(|attribute| attribute.path().is_ident("track_caller"))
    {
        errors.push(syn::Error::new_spanned(
            track_caller,
            format!("`{attribute}` cannot keep `#[track_caller]`: the body runs in a closure that catches its panics for the span, and a closure does not track its caller (so panics would point inside the function); remove one of them"),
        ));
    }
    // Another of ours below this one, which the compiler expands after it: two
    // spans of each call.
    if let Some(again) = (function.attrs.iter()).find(|attribute| is_an_annotation(attribute)) {
        errors.push(syn::Error::new_spanned(
            again,
            format!("the function is annotated twice (`{attribute}` above): each would open a span of every call; give every option to one annotation and remove the other"),
        ));
    }
    if function.sig.ident == "main"
        && let Some((initialising, installs_a_config)) = initialises_otel_traced(&function.block)
    {
        let fix = if installs_a_config {
            // `#[otel_traced::main]` reads the variables alone: the builder's
            // settings would be lost.
            "move what follows it into a function `main` calls, and annotate that".to_owned()
        } else {
            format!(
                "put `#[otel_traced::main]` above `{attribute}` in place of the call (which it makes, before the span), or annotate the functions `main` calls"
            )
        };
        errors.push(syn::Error::new(
            initialising,
            format!("`{attribute}` on a `main` that initialises otel-traced itself: its span opens before this call and records nothing; {fix}"),
        ));
    }
    if let syn::ReturnType::Type(_, output) = &function.sig.output
        && let syn::Type::Never(never) = peeled(output)
    {
        errors.push(syn::Error::new(
            never.span(),
            format!("`{attribute}` cannot instrument a function that never returns (`-> !`): its span would only end if it panicked; annotate the functions it calls instead"),
        ));
    }
    // Each expectation left is put back where it was written: which of two
    // levels given to one lint holds depends on their order.
    function.attrs = std::mem::take(&mut function.attrs)
        .into_iter()
        .flat_map(allow_expected_use_lints)
        .collect();
    let expressions: TokenStream = options
        .expressions()
        .map(quote::ToTokens::to_token_stream)
        .collect();
    let (shape, produced) = shape(&function);
    if matches!(
        shape,
        Shape::ReturnsFuture { .. } | Shape::ReturnsStream { .. } | Shape::AsyncTrait
    ) {
        refuse_wrapper_bounds(&function.sig.output, &mut errors);
    }
    let params = take_params(&mut function, shape, &expressions, &mut errors);
    // A boxed return type, written out or an alias, types the body's future or
    // stream itself; an `impl Trait` does not, nor does the `async` block that
    // `AsyncTrait` takes out of its box.
    let yielded = match (shape, &function.sig.output) {
        (Shape::ReturnsFuture { boxed: Boxed::No } | Shape::AsyncTrait, _) => produced.clone(),
        (Shape::ReturnsStream { boxed: Boxed::No }, syn::ReturnType::Type(_, returned)) => {
            stream_item(returned)
        }
        _ => None,
    };
    let recording_err = options.err.map(|(recording, _)| recording);
    // A gRPC or HTTP boundary's outcome is its reply, also in the `Err` of a
    // `Result` written through an alias (tonic's examples write `EchoResult<T>`): the
    // probe that finds it reads the type, not its name, and takes any other value
    // whole.
    let replies = options.rpc.as_ref().is_some_and(|rpc| {
        rpc.protocol
            .as_ref()
            .is_none_or(|protocol| protocol != "messaging")
    });
    if let Shape::ReturnsStream { .. } = shape {
        reject_on_streams(&options, replies, &mut errors);
    } else {
        reject_outside_results(&options, shape, produced.as_ref(), &mut errors);
    }
    let result_like = recording_err == Some(true)
        || replies
        || produced
            .as_ref()
            .is_some_and(|produced| is_result(produced) || is_hidden_output(produced));
    let returned_closure = match shape {
        Shape::Sync | Shape::Async => {
            crate::closure::returned_closure(&function.sig.output, &function.sig.generics)
        }
        _ => None,
    };
    let error_borrows = match (shape, &function.sig.output) {
        (Shape::ReturnsStream { .. }, syn::ReturnType::Type(_, returned)) => {
            written_stream_item(returned).is_some_and(|item| error_borrows(&item))
        }
        _ => produced.as_ref().is_some_and(error_borrows),
    };
    let traced = TracedFn {
        records_err: result_like && recording_err != Some(false),
        result_like,
        error_borrows,
        options,
        function,
        params,
        shape,
        yielded,
        returned_closure,
    };
    Ok((traced, errors))
}

/// Collects errors so that all of them are reported in one build.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }

    /// The errors collected so far, leaving none.
    pub(crate) fn take(&mut self) -> Option<syn::Error> {
        self.0.take()
    }
}

fn not_a_function(item: TokenStream, attribute: &str) -> syn::Error {
    const FOREIGN: &str = "a function an `extern` block declares cannot be traced: annotate the function that calls it";
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(_)) => "a struct",
        Ok(syn::Item::Enum(_)) => "an enum",
        Ok(syn::Item::Union(_)) => "a union",
        Ok(syn::Item::Trait(_)) => "a trait",
        Ok(syn::Item::Impl(_)) => "an impl block",
        Ok(syn::Item::Mod(_)) => "a module",
        Ok(syn::Item::Const(_)) => "a constant",
        Ok(syn::Item::Static(_)) => "a static",
        Ok(syn::Item::Type(_)) => "a type alias",
        // Without a visibility or a receiver, a foreign function's declaration
        // reads as a trait method's too.
        _ if let Ok(method) = syn::parse2::<syn::TraitItemFn>(item.clone()) => {
            let foreign = match method.sig.receiver() {
                Some(_) => String::new(),
                None => format!(" ({FOREIGN})"),
            };
            return syn::Error::new_spanned(
                item,
                format!(
                    "`{attribute}` needs a function body: put it on the implementations of this trait method, or give the method a default body{foreign}"
                ),
            );
        }
        _ if syn::parse2::<syn::ForeignItemFn>(item.clone()).is_ok() => {
            return syn::Error::new_spanned(
                item,
                format!("`{attribute}` needs a function body: {FOREIGN}"),
            );
        }
        _ => "this item",
    };
    syn::Error::new_spanned(
        item,
        format!("`{attribute}` can only instrument a function, not {what}"),
    )
}

/// `ret` and `err` do not apply to a function returning a stream: its items are
/// counted, not recorded, and each `Err` item is recorded as it is produced
/// (unless `err = false`, but for a gRPC or HTTP stream, whose `Err` item is its
/// reply).
fn reject_on_streams(options: &Options, replies: bool, errors: &mut Errors) {
    if let Some(span) = options.ret {
        errors.push(syn::Error::new(
            span,
            "`ret` does not apply to a function returning a stream: its items are counted (`otel_traced.messages`), not recorded; remove `ret`",
        ));
    }
    match options.err {
        Some((true, span)) => errors.push(syn::Error::new(
            span,
            if replies {
                "`err` does not apply to a function returning a stream: each `Err` item is recorded as the stream produces it (a gRPC or HTTP stream's as its reply); remove `err`"
            } else {
                "`err` does not apply to a function returning a stream: each `Err` item is recorded as the stream produces it; remove `err` (`err = false` leaves them unrecorded)"
            },
        )),
        Some((false, span)) if replies => errors.push(syn::Error::new(
            span,
            "`err = false` does not apply to a gRPC or HTTP stream: an `Err` item is the call's reply, its status; remove `err = false`",
        )),
        _ => {}
    }
}

/// Where `block` initialises otel-traced, and whether by installing a `Config`: a
/// call of `otel_traced::init()` or an `otel_traced::Config`'s `install()`,
/// written with the crate's name (a bare `init()` may be anyone's,
/// `env_logger::init()`). Not in items nested in it.
fn initialises_otel_traced(block: &syn::Block) -> Option<(proc_macro2::Span, bool)> {
    use syn::visit::Visit;
    fn names_the_crate(path: &syn::Path) -> bool {
        path.segments
            .iter()
            .any(|segment| segment.ident == "otel_traced")
    }
    /// Whether a chain of method calls starts at a path of the crate's
    /// (`otel_traced::Config::from_env()`).
    fn rooted_in_the_crate(expr: &Expr) -> bool {
        match expr {
            Expr::MethodCall(call) => rooted_in_the_crate(&call.receiver),
            Expr::Call(call) => {
                matches!(&*call.func, Expr::Path(path) if names_the_crate(&path.path))
            }
            Expr::Path(path) => names_the_crate(&path.path),
            _ => false,
        }
    }
    #[derive(Default)]
    struct Initialising(Option<(proc_macro2::Span, bool)>);
    impl Visit<'_> for Initialising {
        fn visit_expr_call(&mut self, call: &syn::ExprCall) {
            if let Expr::Path(path) = &*call.func
                && names_the_crate(&path.path)
                && let Some(last) = path.path.segments.last()
                && last.ident == "init"
            {
                self.0.get_or_insert((last.ident.span(), false));
            }
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &syn::ExprMethodCall) {
            if call.method == "install" && rooted_in_the_crate(&call.receiver) {
                self.0.get_or_insert((call.method.span(), true));
            }
            syn::visit::visit_expr_method_call(self, call);
        }
        fn visit_item(&mut self, _: &syn::Item) {}
    }
    let mut found = Initialising::default();
    found.visit_block(block);
    found.0
}

/// `ret` on a function that returns nothing (it would record `()` on every span),
/// and `err` on one whose written return type is visibly no `Result` (a
/// primitive, a reference, a tuple, the standard library's `Option` or `Vec`):
/// the type-system probe would name internals in its error, twice.
fn reject_outside_results(
    options: &Options,
    shape: Shape,
    produced: Option<&Type>,
    errors: &mut Errors,
) {
    let returns_nothing = match produced {
        None => matches!(shape, Shape::Sync | Shape::Async),
        Some(ty) => matches!(peeled(ty), Type::Tuple(tuple) if tuple.elems.is_empty()),
    };
    if let (Some(span), true) = (options.ret, returns_nothing) {
        errors.push(syn::Error::new(
            span,
            "`ret` records the returned value, and this function returns nothing; remove `ret`",
        ));
    }
    let Some((true, span)) = options.err else {
        return;
    };
    let not_a_result = produced.is_some_and(|ty| !may_be_result(ty) && !is_hidden_output(ty));
    if returns_nothing {
        errors.push(syn::Error::new(
            span,
            "`err` records the `Err` of a returned `Result`, and this function returns nothing; remove `err`",
        ));
    } else if not_a_result {
        errors.push(syn::Error::new(
            span,
            "`err` records the `Err` of a returned `Result`, and this function's return type is no `Result` (an `Option`'s `None` is no error); remove `err`, or return a `Result`",
        ));
    }
}

/// Whether `ident` is the name `#[async_trait]` gives a parameter written as a
/// pattern or `_` (`__arg0`, `__arg1`, ..): such a parameter is not recorded, as
/// it would not be without `#[async_trait]`.
fn is_async_trait_positional(ident: &syn::Ident) -> bool {
    ident
        .to_string()
        .strip_prefix("__arg")
        .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes `#[skip]` from `self`, which is never recorded anyway (as `skip(self)`
/// is taken); `#[attr]` there is an error that says how to record a field.
fn take_receiver_attributes(receiver: &mut syn::Receiver, errors: &mut Errors) {
    receiver.attrs.retain(|attribute| {
        if attribute.path().is_ident("attr") {
            errors.push(syn::Error::new_spanned(
                attribute,
                "`self` is never recorded: record what it holds with `attrs(..)`, such as `#[traced(attrs(cart.id = self.id))]`",
            ));
            return false;
        }
        !attribute.path().is_ident("skip")
    });
}

/// Reads and removes `#[skip]` and `#[attr(..)]` from every parameter;
/// `expressions` are the attribute's, which may change a `mut` one.
fn take_params(
    function: &mut ItemFn,
    shape: Shape,
    expressions: &TokenStream,
    errors: &mut Errors,
) -> Vec<Param> {
    let moved_mut = async_trait_mut_params(&function.block);
    let moved_patterns = async_trait_moved_patterns(&function.block);
    let mut params = Vec::new();
    for (index, input) in function.sig.inputs.iter_mut().enumerate() {
        let typed = match input {
            FnArg::Typed(typed) => typed,
            FnArg::Receiver(receiver) => {
                take_receiver_attributes(receiver, errors);
                continue;
            }
        };
        let span = typed.pat.span();
        let pattern_names = match &*typed.pat {
            Pat::Ident(binding) if binding.subpat.is_none() => Vec::new(),
            pattern => bindings(pattern),
        };
        let (ident, rebinding) = match &*typed.pat {
            Pat::Ident(binding)
                if binding.subpat.is_none() && !is_async_trait_positional(&binding.ident) =>
            {
                let named = || mentions(expressions, &binding.ident);
                let rebinding = match binding.mutability {
                    _ if binding.by_ref.is_some() => Rebinding::None,
                    None if moved_mut.contains(&binding.ident) && named() => Rebinding::MutKept,
                    None => Rebinding::Plain,
                    Some(_) if named() => Rebinding::MutKept,
                    Some(mutability) => Rebinding::Mut(mutability),
                };
                (Some(binding.ident.clone()), rebinding)
            }
            Pat::Ident(positional) => {
                let moved = moved_patterns
                    .iter()
                    .find(|(arg, _)| *arg == positional.ident);
                if let Some(named) = moved.and_then(|(_, pattern)| {
                    bindings(pattern).into_iter().find(|binding| {
                        mentions(expressions, binding) || formats(expressions, binding)
                    })
                }) {
                    errors.push(syn::Error::new(
                        named.span(),
                        format!(
                            "`{named}` is bound by a pattern `#[async_trait]` moves into the method's body, where the annotation's expressions (run at the call) cannot see it: take the parameter by a name and destructure it in the body, then name its field (`attrs(first = pair.0)`)"
                        ),
                    ));
                }
                (None, Rebinding::None)
            }
            _ if shape == Shape::AsyncTrait => (None, Rebinding::None),
            pattern
                if bindings(pattern).iter().any(|binding| {
                    mentions(expressions, binding) || formats(expressions, binding)
                }) =>
            {
                (None, Rebinding::None)
            }
            pattern => {
                // Named where the user's code cannot name it.
                let arg = Ident::new(&format!("__otel_arg{index}"), Span::mixed_site());
                let pat = Box::new(pattern.clone());
                *typed.pat = syn::parse_quote!(#arg);
                (None, Rebinding::Pattern { pat, arg })
            }
        };
        let mut mode = ParamMode::Default;
        let mut kept = Vec::new();
        let mut lints = Vec::new();
        for attribute in std::mem::take(&mut typed.attrs) {
            if is_lint(&attribute) {
                lints.push(match rebinding {
                    // Its `let` has no level of the expansion's own.
                    Rebinding::Pattern { .. } => attribute.clone(),
                    _ => levels_relaxed(attribute.clone(), true),
                });
            }
            let parsed = if attribute.path().is_ident("skip") {
                match attribute.meta {
                    syn::Meta::Path(_) => Ok(ParamMode::Skipped),
                    _ => Err(syn::Error::new_spanned(
                        &attribute.meta,
                        "`#[skip]` takes no arguments",
                    )),
                }
            } else if attribute.path().is_ident("attr") {
                explicit_mode(&attribute)
            } else {
                if let Some(conditional) = conditional_helper(&attribute) {
                    let message = if conditional.path().is_ident("cfg") {
                        "a parameter's `cfg` cannot be under `cfg_attr`: the macro reads it to record the parameter only where it is there, before `cfg_attr` is decided; write one `#[cfg(all(cond, ..))]`"
                    } else {
                        "`#[skip]` and `#[attr]` cannot be under `cfg_attr`: the macro reads them before `cfg` is decided (and the compiler would not know them); name the parameter in the annotation instead, `traced(skip(name))`, under the annotation's own `cfg_attr` if it has one (`#[cfg_attr(feature = \"otel\", traced(skip(name)))]`); where only its recording depends on the condition, `#[cfg_attr(cond, traced(skip(name)))]` beside `#[cfg_attr(not(cond), traced)]`"
                    };
                    errors.push(syn::Error::new_spanned(conditional, message));
                    continue;
                }
                // The signature's copy keeps a `forbid` (a user's `allow` after it
                // stays E0453), but where the expansion adds its own `allow`.
                let forbids = matches!(rebinding, Rebinding::MutKept);
                kept.push(levels_relaxed(attribute, forbids));
                continue;
            };
            match parsed {
                Ok(_) if !matches!(mode, ParamMode::Default) => errors.push(syn::Error::new_spanned(
                    &attribute,
                    "a parameter takes one of `#[skip]` or `#[attr]`, once",
                )),
                Ok(_) if ident.is_none() => errors.push(syn::Error::new(
                    span,
                    "only a parameter bound to a plain name can be skipped or recorded; a pattern or `_` is never recorded",
                )),
                Ok(parsed) => mode = parsed,
                Err(error) => errors.push(error),
            }
        }
        let cfg = kept
            .iter()
            .filter(|attribute| attribute.path().is_ident("cfg"))
            .cloned()
            .collect();
        typed.attrs = kept;
        let value = match &*typed.pat {
            Pat::Ident(binding) if binding.subpat.is_none() => Some(binding.ident.clone()),
            _ => None,
        };
        params.push(Param {
            value,
            ident,
            ty: (*typed.ty).clone(),
            mode,
            span,
            rebinding,
            cfg,
            lints,
            pattern_names,
        });
    }
    params
}

/// The `skip` or `attr(..)` among the attributes of a `cfg_attr(condition, ..)`,
/// nested ones' too.
fn conditional_helper(attribute: &syn::Attribute) -> Option<syn::Meta> {
    fn within(meta: &syn::Meta) -> Option<syn::Meta> {
        let syn::Meta::List(list) = meta else {
            return None;
        };
        if !list.path.is_ident("cfg_attr") {
            return None;
        }
        let arguments = list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .ok()?;
        arguments.into_iter().skip(1).find_map(|inner| {
            if ["skip", "attr", "cfg"]
                .iter()
                .any(|helper| inner.path().is_ident(helper))
            {
                Some(inner)
            } else {
                within(&inner)
            }
        })
    }
    within(&attribute.meta)
}

/// The names a pattern binds.
fn bindings(pattern: &Pat) -> Vec<Ident> {
    struct Bindings(Vec<Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Bindings {
        fn visit_pat_ident(&mut self, binding: &'ast syn::PatIdent) {
            self.0.push(binding.ident.clone());
            syn::visit::visit_pat_ident(self, binding);
        }
    }
    let mut found = Bindings(Vec::new());
    syn::visit::Visit::visit_pat(&mut found, pattern);
    found.0
}

/// Whether a string literal among `tokens` names `binding` as a format argument
/// (`format!("{name}")`, `"{name:?}"`) or as a width or precision (`"{:>name$}"`,
/// `"{:.name$}"`), which [`mentions`] does not see.
fn formats(tokens: &TokenStream, binding: &Ident) -> bool {
    use proc_macro2::TokenTree;
    let name = syn::ext::IdentExt::unraw(binding).to_string();
    let continues_a_name = |c: char| c == '_' || c.is_alphanumeric();
    tokens.clone().into_iter().any(|token| match token {
        TokenTree::Group(group) => formats(&group.stream(), binding),
        TokenTree::Literal(literal) => {
            let text = literal.to_string();
            let argument = text.match_indices('{').any(|(start, _)| {
                text[start + 1..]
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.starts_with(['}', ':']))
            });
            let count = || {
                text.match_indices(name.as_str()).any(|(start, _)| {
                    text[start + name.len()..].starts_with('$')
                        && !text[..start].ends_with(continues_a_name)
                })
            };
            argument || count()
        }
        _ => false,
    })
}

/// Whether an attribute sets lint levels only (`allow`, `expect`, .., or those
/// under `cfg_attr`): on a pattern parameter they are for its bindings.
fn is_lint(attribute: &syn::Attribute) -> bool {
    const LEVELS: [&str; 5] = ["allow", "expect", "warn", "deny", "forbid"];
    fn only_levels(meta: &syn::Meta) -> bool {
        if LEVELS.iter().any(|level| meta.path().is_ident(level)) {
            return true;
        }
        let syn::Meta::List(list) = meta else {
            return false;
        };
        list.path.is_ident("cfg_attr")
            && list
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|arguments| arguments.iter().skip(1).all(only_levels))
    }
    only_levels(&attribute.meta)
}

/// A function's `#[expect(..)]` of lints the expansion keeps from firing as
/// `#[allow(..)]`, followed by an `#[expect(..)]` of the others of its list; any
/// other attribute as it is. The expansion moves or records every parameter
/// (`unused_variables` for a parameter the signature keeps, `unused_mut`, clippy's
/// `needless_pass_by_value` and `unused_self`), awaits in every `async fn`
/// (`unused_async`), returns what the body's closure returned
/// (`unnecessary_wraps`), and is a function a macro made, whose signature clippy's
/// lints of functions do not judge (`ptr_arg`, the lifetime lints,
/// `manual_async_fn`, `boxed_local`, `only_used_in_recursion`, and pedantic and
/// nursery ones): expected, they would be unfulfilled. (The compiler expands a
/// `cfg_attr` on the function before the macro sees it.)
fn allow_expected_use_lints(attribute: syn::Attribute) -> Vec<syn::Attribute> {
    const USE_LINTS: [&str; 17] = [
        "unused",
        "unused_variables",
        "unused_mut",
        "needless_pass_by_value",
        "unused_self",
        "unused_async",
        "unnecessary_wraps",
        "ptr_arg",
        "needless_lifetimes",
        "elidable_lifetime_names",
        "manual_async_fn",
        "boxed_local",
        "only_used_in_recursion",
        "must_use_candidate",
        "missing_const_for_fn",
        "needless_pass_by_ref_mut",
        "cognitive_complexity",
    ];
    let syn::Meta::List(list) = &attribute.meta else {
        return vec![attribute];
    };
    if !list.path.is_ident("expect") {
        return vec![attribute];
    }
    let Ok(arguments) =
        list.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, Token![,]>::parse_terminated)
    else {
        return vec![attribute];
    };
    let (reasons, lints): (Vec<_>, Vec<_>) = arguments
        .into_iter()
        .partition(|argument| matches!(argument, syn::Meta::NameValue(_)));
    let (used, others): (Vec<_>, Vec<_>) = lints.into_iter().partition(|lint| {
        lint.path()
            .segments
            .last()
            .is_some_and(|segment| USE_LINTS.iter().any(|name| segment.ident == name))
    });
    if used.is_empty() {
        return vec![attribute];
    }
    let span = attribute.span();
    let mut attributes = vec![syn::parse_quote_spanned!(span=> #[allow(#(#used,)* #(#reasons),*)])];
    if !others.is_empty() {
        attributes.push(syn::parse_quote_spanned!(span=> #[expect(#(#others,)* #(#reasons),*)]));
    }
    attributes
}

/// A parameter's `#[expect(..)]` as `#[allow(..)]` and, with `forbids`, its
/// `#[forbid(..)]` as `#[deny(..)]` (also under `cfg_attr`), other attributes as
/// they are. The expansion uses every parameter it binds (it moves or records it),
/// which leaves an expectation such as `unused_variables` unfulfilled, a warning
/// the user could not silence; and an `allow` the expansion puts after the
/// parameter's levels (on its rebinding, on a kept `mut`) cannot follow a `forbid`
/// (E0453). The user's levels come before it, and a `deny` denies as much.
fn levels_relaxed(mut attribute: syn::Attribute, forbids: bool) -> syn::Attribute {
    if let syn::Meta::List(list) = &mut attribute.meta {
        if let Some(relaxed) = list
            .path
            .get_ident()
            .and_then(|level| relaxed_level(level, forbids))
        {
            list.path = relaxed.into();
        } else if list.path.is_ident("cfg_attr") {
            list.tokens = cfg_attr_levels_relaxed(std::mem::take(&mut list.tokens), forbids);
        }
    }
    attribute
}

/// `allow` for `expect`, and with `forbids` `deny` for `forbid`, spanned as
/// written.
fn relaxed_level(level: &Ident, forbids: bool) -> Option<Ident> {
    let relaxed = if level == "expect" {
        "allow"
    } else if forbids && level == "forbid" {
        "deny"
    } else {
        return None;
    };
    Some(Ident::new(relaxed, level.span()))
}

/// The arguments of `cfg_attr(condition, attribute, ..)` with each `expect(..)`
/// among the attributes as `allow(..)` and, with `forbids`, each `forbid(..)` as
/// `deny(..)`, nested `cfg_attr`s' too; the condition and paths such as
/// `tool::expect` are left as they are.
fn cfg_attr_levels_relaxed(arguments: TokenStream, forbids: bool) -> TokenStream {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = arguments.into_iter().collect();
    let mut past_condition = false;
    let mut rewritten = Vec::with_capacity(tokens.len());
    for (index, token) in tokens.iter().enumerate() {
        let after_path_separator = index > 0
            && matches!(&tokens[index - 1], TokenTree::Punct(punct) if punct.as_char() == ':');
        let attribute_start = past_condition && !after_path_separator;
        let token = match token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                past_condition = true;
                token.clone()
            }
            TokenTree::Ident(ident) if attribute_start => {
                TokenTree::Ident(relaxed_level(ident, forbids).unwrap_or_else(|| ident.clone()))
            }
            TokenTree::Group(group)
                if attribute_start
                    && index > 0
                    && matches!(&tokens[index - 1], TokenTree::Ident(ident) if ident == "cfg_attr") =>
            {
                let mut nested = proc_macro2::Group::new(
                    group.delimiter(),
                    cfg_attr_levels_relaxed(group.stream(), forbids),
                );
                nested.set_span(group.span());
                TokenTree::Group(nested)
            }
            token => token.clone(),
        };
        rewritten.push(token);
    }
    rewritten.into_iter().collect()
}

/// The parameters whose `mut` `#[async_trait]` moved into its block; none
/// outside its shape.
fn async_trait_mut_params(block: &syn::Block) -> Vec<Ident> {
    boxed_async_block(block).map_or_else(Vec::new, |inner| {
        inner
            .block
            .stmts
            .iter()
            .filter_map(moved_mut)
            .cloned()
            .collect()
    })
}

/// The patterns `#[async_trait]` moved from the signature into the body, by the
/// positional parameter that holds each (`let (a, b) = { let __arg1 = __arg1;
/// __arg1 };`).
fn async_trait_moved_patterns(block: &syn::Block) -> Vec<(Ident, Pat)> {
    let Some(inner) = boxed_async_block(block) else {
        return Vec::new();
    };
    let moved = |statement: &syn::Stmt| {
        let (pat, Expr::Block(moving)) = binding_of(statement)? else {
            return None;
        };
        let [syn::Stmt::Local(_), syn::Stmt::Expr(Expr::Path(held), None)] =
            &moving.block.stmts[..]
        else {
            return None;
        };
        let arg = held.path.get_ident()?;
        is_async_trait_positional(arg).then(|| (arg.clone(), pat.clone()))
    };
    inner.block.stmts.iter().filter_map(moved).collect()
}

/// The parameter `statement` binds `mut` where `#[async_trait]` moved it
/// (`let mut name = name;`).
pub(crate) fn moved_mut(statement: &syn::Stmt) -> Option<&Ident> {
    let (Pat::Ident(binding), Expr::Path(moved)) = binding_of(statement)? else {
        return None;
    };
    (binding.mutability.is_some() && moved.path.is_ident(&binding.ident)).then_some(&binding.ident)
}

/// The pattern and the value of a `let pattern = value;` statement.
fn binding_of(statement: &syn::Stmt) -> Option<(&Pat, &Expr)> {
    let syn::Stmt::Local(syn::Local {
        pat,
        init: Some(init),
        ..
    }) = statement
    else {
        return None;
    };
    Some((pat, &init.expr))
}

/// Whether `tokens` (expressions) name `ident` as a variable: not as a field or
/// method (`request.id`) nor a path's later segment (`Kind::id`).
fn mentions(tokens: &TokenStream, ident: &Ident) -> bool {
    use proc_macro2::{Spacing, TokenTree};
    let name = syn::ext::IdentExt::unraw(ident);
    // After `.` or `::`; a single `:` (a struct literal's field) and `..` (a
    // range, a struct update) are followed by an expression.
    let mut after_separator = false;
    let mut after_joint = None;
    tokens.clone().into_iter().any(|token| {
        let named = match &token {
            TokenTree::Ident(found) => !after_separator && syn::ext::IdentExt::unraw(found) == name,
            TokenTree::Group(group) => mentions(&group.stream(), ident),
            _ => false,
        };
        (after_separator, after_joint) = match &token {
            TokenTree::Punct(punct) if matches!(punct.as_char(), '.' | ':') => {
                let second = after_joint == Some(punct.as_char());
                let separator = match punct.as_char() {
                    '.' => !second,
                    _ => second,
                };
                let joint =
                    (punct.spacing() == Spacing::Joint && !second).then_some(punct.as_char());
                (separator, joint)
            }
            _ => (false, None),
        };
        named
    })
}

/// `#[attr]`, `#[attr("key")]`, `#[attr(display)]` or `#[attr("key", display)]`.
fn explicit_mode(attribute: &syn::Attribute) -> syn::Result<ParamMode> {
    if matches!(attribute.meta, syn::Meta::Path(_)) {
        return Ok(ParamMode::Explicit {
            key: None,
            display: false,
        });
    }
    attribute.parse_args_with(|input: ParseStream<'_>| {
        let mut key = None;
        let mut display = false;
        if input.peek(LitStr) {
            key = Some(input.parse::<LitStr>()?);
            if input.is_empty() {
                return Ok(ParamMode::Explicit { key, display });
            }
            input.parse::<Token![,]>()?;
        }
        let word: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "`#[attr]` takes a key and/or `display`: `#[attr(\"key.name\")]`, `#[attr(display)]`, `#[attr(\"key.name\", display)]`",
            )
        })?;
        if word != "display" {
            return Err(syn::Error::new(
                word.span(),
                format!(
                    "unknown `#[attr]` argument `{word}`: `#[attr]` takes a key and/or `display`: `#[attr(\"key.name\")]`, `#[attr(display)]`, `#[attr(\"key.name\", display)]`"
                ),
            ));
        }
        display = true;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after `display`"));
        }
        Ok(ParamMode::Explicit { key, display })
    })
}

/// The function's shape, and the type of the value its call produces (the return
/// type, or the `Output` of a returned future) where it is written.
fn shape(function: &ItemFn) -> (Shape, Option<Type>) {
    let returned = match &function.sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(peeled(ty)),
    };
    if function.sig.asyncness.is_some() {
        return (Shape::Async, returned.cloned());
    }
    let Some(returned) = returned else {
        return (Shape::Sync, None);
    };
    if let Type::ImplTrait(bounds) = returned
        && let Some(output) = future_output(&bounds.bounds)
    {
        return (Shape::ReturnsFuture { boxed: Boxed::No }, output);
    }
    if let Type::ImplTrait(bounds) = returned
        && is_stream(&bounds.bounds)
    {
        return (Shape::ReturnsStream { boxed: Boxed::No }, None);
    }
    if let Some(boxed) = boxed_bounds(returned)
        .filter(|(_, bounds)| is_stream(*bounds))
        .map(|(boxed, _)| boxed)
        .or_else(|| boxed_alias(returned, &["BoxStream", "LocalBoxStream"]).map(|_| Boxed::Pinned))
    {
        return (Shape::ReturnsStream { boxed }, None);
    }
    // Typed by the alias, not opened up as `#[async_trait]`'s block: what the
    // alias outputs is only known through it.
    if let Some(output) = boxed_alias(returned, &["BoxFuture", "LocalBoxFuture"]) {
        return (
            Shape::ReturnsFuture {
                boxed: Boxed::Pinned,
            },
            Some(output.clone()),
        );
    }
    if let Some((boxed, output)) = boxed_future_output(returned) {
        let shape = if boxed == Boxed::Pinned && boxed_async_block(&function.block).is_some() {
            Shape::AsyncTrait
        } else {
            Shape::ReturnsFuture { boxed }
        };
        return (shape, output);
    }
    // A type that hides the future (a tower `Service`'s `Self::Future`, an alias of
    // the application's), of a body that shows it: a boxed `async` block returned
    // as a named type is a future, whose output that type says (the block is held
    // to it, as its error type may be written nowhere else). Statements before the
    // block (a tower service cloning what its future takes) run in the span at the
    // call, as those of a function returning a boxed future do.
    if let Type::Path(_) = returned
        && let Some(last) = function.block.stmts.last()
        && boxed_async(last).is_some()
    {
        let output = syn::parse_quote!(<#returned as ::std::future::Future>::Output);
        let shape = if boxed_async_block(&function.block).is_some() {
            Shape::AsyncTrait
        } else {
            Shape::ReturnsFuture {
                boxed: Boxed::Pinned,
            }
        };
        return (shape, Some(output));
    }
    (Shape::Sync, Some(returned.clone()))
}

/// The traits a returned `impl ..` is a future by (`FusedFuture` is one, for
/// `select!`), and those it is a stream by.
const FUTURES: [&str; 2] = ["Future", "FusedFuture"];
const STREAMS: [&str; 2] = ["Stream", "FusedStream"];

/// For bounds containing `Future<Output = T>` (or `FusedFuture<..>`):
/// `Some(Some(T))`; for a bare `Future`: `Some(None)`; for `TryFuture<Ok = T,
/// Error = E>` (a future of a `Result`, which it is by its `Future` supertrait):
/// `Some(Some(Result<T, E>))`; without any: `None`.
fn future_output<'a>(
    bounds: impl IntoIterator<Item = &'a syn::TypeParamBound> + Clone,
) -> Option<Option<Type>> {
    let named = |name| associated_type(bounds.clone(), name, "Output");
    // The one that names the output, if any does.
    let found: Vec<_> = FUTURES.into_iter().filter_map(named).collect();
    found
        .iter()
        .find(|output| output.is_some())
        .or(found.first())
        .cloned()
        .or_else(|| try_output(bounds, "TryFuture"))
}

/// For bounds containing `name<Ok = T, Error = E>` (`TryFuture`, `TryStream`):
/// `Some(Some(Result<T, E>))`, `Some(None)` where either is not named; without the
/// bound: `None`.
fn try_output<'a>(
    bounds: impl IntoIterator<Item = &'a syn::TypeParamBound> + Clone,
    name: &str,
) -> Option<Option<Type>> {
    let ok = associated_type(bounds.clone(), name, "Ok")?;
    let error = associated_type(bounds, name, "Error").flatten();
    Some(
        ok.zip(error)
            .map(|(ok, error)| syn::parse_quote!(::std::result::Result<#ok, #error>)),
    )
}

/// For bounds containing `Trait<Name = T>`: `Some(Some(T))`; for a bare `Trait`:
/// `Some(None)`; without it: `None`.
fn associated_type<'a>(
    bounds: impl IntoIterator<Item = &'a syn::TypeParamBound>,
    name: &str,
    associated: &str,
) -> Option<Option<Type>> {
    bounds.into_iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != name {
            return None;
        }
        let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
            return Some(None);
        };
        Some(arguments.args.iter().find_map(|argument| match argument {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == associated => {
                Some(assoc.ty.clone())
            }
            _ => None,
        }))
    })
}

/// `ty` without the invisible group a `macro_rules!` fragment (`$ret:ty`) puts
/// around it: what is written inside is what the macro reads.
pub(crate) fn peeled(mut ty: &Type) -> &Type {
    while let Type::Group(group) = ty {
        ty = &group.elem;
    }
    ty
}

/// The `Item` of a returned `impl Stream<Item = T>`, or `Result<T, E>` of an
/// `impl TryStream<Ok = T, Error = E>`.
fn stream_item(returned: &Type) -> Option<Type> {
    let Type::ImplTrait(bounds) = peeled(returned) else {
        return None;
    };
    item_of(&bounds.bounds)
}

/// The item a returned stream's type says, however it is written: `impl Stream`,
/// `Pin<Box<dyn Stream>>` (or `impl`), `Box<dyn Stream + Unpin>`, `BoxStream<'a, T>`.
pub(crate) fn written_stream_item(returned: &Type) -> Option<Type> {
    stream_item(returned)
        .or_else(|| boxed_bounds(returned).and_then(|(_, bounds)| item_of(bounds)))
        .or_else(|| boxed_alias(returned, &["BoxStream", "LocalBoxStream"]).cloned())
}

/// Whether a value of type `ty` may be a `Result`: one written so, or through an
/// alias (`EchoResult<T>`), or a type not seen here (the runtime reads the type,
/// not its name); not a type of the standard library's of another name, a
/// primitive, a reference, tuple, array or slice.
pub(crate) fn may_be_result(ty: &Type) -> bool {
    match peeled(ty) {
        Type::Path(path) => path.path.segments.last().is_none_or(|last| {
            last.ident == "Result" || !crate::std_types::is_std_type(&last.ident)
        }),
        Type::Reference(_) | Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => false,
        _ => true,
    }
}

/// The `Item` of a stream's bounds (`Stream<Item = T>`, `TryStream<Ok, Error>`).
fn item_of<'a>(bounds: impl IntoIterator<Item = &'a syn::TypeParamBound> + Clone) -> Option<Type> {
    STREAMS
        .into_iter()
        .find_map(|stream| associated_type(bounds.clone(), stream, "Item").flatten())
        .or_else(|| try_output(bounds, "TryStream").flatten())
}

/// `T` of the `futures` crate's boxed aliases named in `names`, written as that
/// crate writes them: `BoxFuture<'a, T>` (a pinned box whose output is `T`),
/// `BoxStream<'a, T>`, their `Local` twins. Other aliases of these names
/// (tonic's `BoxFuture<T, E>`) are not taken for them.
fn boxed_alias<'a>(ty: &'a Type, names: &[&str]) -> Option<&'a Type> {
    let Type::Path(path) = peeled(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !names.iter().any(|name| last.ident == name) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().collect::<Vec<_>>()[..] {
        [
            syn::GenericArgument::Lifetime(_),
            syn::GenericArgument::Type(output),
        ] => Some(output),
        _ => None,
    }
}

/// `Pin<Box<dyn Future<Output = T> + ..>>` (or `impl Future`, or `Box<dyn
/// Future<Output = T> + Unpin>`): how it is boxed, and `Some(output)`.
fn boxed_future_output(ty: &Type) -> Option<(Boxed, Option<Type>)> {
    let (boxed, bounds) = boxed_bounds(ty)?;
    Some((boxed, future_output(bounds)?))
}

/// The bounds of the `dyn ..` or `impl ..` of `Pin<Box<..>>`, or of `Box<..>`
/// where they say `Unpin` (the box is a future or a stream only then), and how
/// it is boxed.
fn boxed_bounds(
    ty: &Type,
) -> Option<(
    Boxed,
    &syn::punctuated::Punctuated<syn::TypeParamBound, Token![+]>,
)> {
    let (boxed, inner) = match single_type_argument(ty, "Pin") {
        Some(pinned) => (Boxed::Pinned, single_type_argument(pinned, "Box")?),
        None => (Boxed::Unpinned, single_type_argument(ty, "Box")?),
    };
    let bounds = match peeled(inner) {
        Type::TraitObject(object) => &object.bounds,
        Type::ImplTrait(written) => &written.bounds,
        _ => return None,
    };
    let unpin = || {
        bounds.iter().any(|bound| {
            matches!(bound, syn::TypeParamBound::Trait(bound)
                if matches!(bound.modifier, syn::TraitBoundModifier::None)
                    && bound.path.segments.last().is_some_and(|last| last.ident == "Unpin"))
        })
    };
    (boxed == Boxed::Pinned || unpin()).then_some((boxed, bounds))
}

/// Traits a returned future or stream may have that the wrapper the expansion
/// returns has not: it is no value to copy, compare or print (auto traits,
/// `Captures<'a>`-style and blanket-implemented traits such as `TryStream` it has
/// as the inner one has them).
const NOT_WRAPPER_BOUNDS: [&str; 9] = [
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
];

/// An error for each bound of a returned `impl Future` or `impl Stream` that the
/// wrapper the expansion returns does not have (`Clone`, `Debug`): the compiler
/// would say it of the wrapper, a type the user never wrote.
fn refuse_wrapper_bounds(output: &syn::ReturnType, errors: &mut Errors) {
    let syn::ReturnType::Type(_, returned) = output else {
        return;
    };
    // Written out: `impl ..`, or `Pin<Box<impl ..>>` (`Box<impl ..>`).
    let written = match peeled(returned) {
        Type::ImplTrait(returned) => returned,
        boxed => match single_type_argument(boxed, "Pin")
            .or(Some(boxed))
            .and_then(|pinned| single_type_argument(pinned, "Box"))
            .map(peeled)
        {
            Some(Type::ImplTrait(returned)) => returned,
            _ => return,
        },
    };
    for bound in &written.bounds {
        if let syn::TypeParamBound::Trait(bound) = bound
            && matches!(bound.modifier, syn::TraitBoundModifier::None)
            && let Some(last) = bound.path.segments.last()
            && NOT_WRAPPER_BOUNDS
                .iter()
                .any(|lacking| last.ident == lacking)
        {
            errors.push(syn::Error::new_spanned(
                bound,
                format!(
                    "the returned value is wrapped to keep its span, and the wrapper is not `{}`: take the bound off, or instrument what makes the value instead",
                    last.ident
                ),
            ));
        }
    }
}

/// The crates a stream trait is named through (`futures::Stream`,
/// `tokio_stream::Stream`).
const STREAM_CRATES: [&str; 4] = ["futures", "futures_core", "futures_util", "tokio_stream"];

/// Whether one of `bounds` is the `futures` crates' stream: `Stream<Item = T>`
/// (or `FusedStream`), or one named through a crate that has it
/// (`futures::Stream`). A bare `Stream`, which says nothing of its items, is taken
/// for a trait of the application's own (a connection's byte stream, say): a
/// function returning one is instrumented as any other.
fn is_stream<'a>(bounds: impl IntoIterator<Item = &'a syn::TypeParamBound>) -> bool {
    bounds.into_iter().any(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return false;
        };
        let segments = &bound.path.segments;
        let Some(last) = segments.last() else {
            return false;
        };
        // `Item = T`, or a bound on it (`Item: Debug`); a `TryStream`'s `Ok` or
        // `Error`.
        let try_stream = last.ident == "TryStream";
        let named_items = match &last.arguments {
            syn::PathArguments::AngleBracketed(arguments) => {
                arguments.args.iter().any(|argument| {
                    let named = match argument {
                        syn::GenericArgument::AssocType(assoc) => &assoc.ident,
                        syn::GenericArgument::Constraint(bound) => &bound.ident,
                        _ => return false,
                    };
                    named == "Item" || (try_stream && (named == "Ok" || named == "Error"))
                })
            }
            _ => false,
        };
        let through_a_stream_crate =
            segments.len() > 1 && STREAM_CRATES.iter().any(|krate| segments[0].ident == krate);
        (try_stream || STREAMS.iter().any(|stream| last.ident == stream))
            && (named_items || through_a_stream_crate)
    })
}

/// `T` of a path type `Name<T>`.
fn single_type_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = peeled(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    })
}

/// The `async` block of a body that is only `Box::pin(async move { .. })`, as
/// `#[async_trait]` writes it. A body with statements before it is a function
/// returning a boxed future, whose statements run in its span at the call.
pub(crate) fn boxed_async_block(block: &syn::Block) -> Option<&syn::ExprAsync> {
    match &block.stmts[..] {
        [only] => boxed_async(only),
        _ => None,
    }
}

/// The `async` block of a statement that is `Box::pin(async ..)` as the body's
/// value.
fn boxed_async(statement: &syn::Stmt) -> Option<&syn::ExprAsync> {
    let syn::Stmt::Expr(value, None) = statement else {
        return None;
    };
    let Expr::Call(call) = unwrapped(value) else {
        return None;
    };
    let Expr::Path(function) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = function
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    if !segments.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    match unwrapped(&call.args[0]) {
        Expr::Async(block) => Some(block),
        _ => None,
    }
}

/// `expr` without the parentheses and the invisible groups around it (what a
/// `macro_rules!` `$e:expr` is passed in).
pub(crate) fn unwrapped(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Group(group) => expr = &group.expr,
            Expr::Paren(paren) => expr = &paren.expr,
            _ => return expr,
        }
    }
}

/// Whether a type is the output of a future whose type hides it
/// (`<Self::Future as Future>::Output`), which may be a `Result` the signature
/// does not show: read by a probe that takes any other value for an `Ok`.
fn is_hidden_output(ty: &Type) -> bool {
    matches!(
        peeled(ty),
        Type::Path(syn::TypePath { qself: Some(_), path })
            if path.segments.last().is_some_and(|segment| segment.ident == "Output")
    )
}

/// Whether a type is written as a `Result` (its last path segment).
pub(crate) fn is_result(ty: &Type) -> bool {
    match peeled(ty) {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        _ => false,
    }
}

/// Whether the `E` of `ty`, written `Result<T, E>`, names a lifetime other than
/// `'static`; of a type written otherwise (an alias, `WatchResult<'a>`), whether
/// any part of it does (its error may be what borrows).
fn error_borrows(ty: &Type) -> bool {
    struct Borrows(bool);
    impl syn::visit::Visit<'_> for Borrows {
        fn visit_lifetime(&mut self, lifetime: &syn::Lifetime) {
            self.0 |= lifetime.ident != "static";
        }
    }
    let written_error = match peeled(ty) {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .filter(|last| last.ident == "Result")
            .and_then(|last| match &last.arguments {
                syn::PathArguments::AngleBracketed(arguments) => arguments
                    .args
                    .iter()
                    .filter_map(|argument| match argument {
                        syn::GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .nth(1),
                _ => None,
            }),
        _ => None,
    };
    let mut borrows = Borrows(false);
    syn::visit::Visit::visit_type(&mut borrows, written_error.unwrap_or(ty));
    borrows.0
}

#[cfg(test)]
mod tests {
    use super::cfg_attr_levels_relaxed;
    use quote::quote;

    #[test]
    fn a_cfg_attrs_levels_are_relaxed_and_nothing_else() {
        let relaxed = |arguments, forbids| cfg_attr_levels_relaxed(arguments, forbids).to_string();
        assert_eq!(
            relaxed(
                quote!(
                    feature = "forbid",
                    forbid(unused),
                    expect(clippy::expect_used)
                ),
                true
            ),
            quote!(feature = "forbid", deny(unused), allow(clippy::expect_used)).to_string(),
            "the condition and the lints as written"
        );
        assert_eq!(
            relaxed(quote!(all(), forbid(unused), expect(unused_mut)), false),
            quote!(all(), forbid(unused), allow(unused_mut)).to_string(),
            "a forbid kept"
        );
        assert_eq!(
            relaxed(
                quote!(unix, cfg_attr(expect, expect(dead_code)), tool::expect),
                true
            ),
            quote!(unix, cfg_attr(expect, allow(dead_code)), tool::expect).to_string(),
            "a nested condition and a tool's path as written"
        );
    }
}
