//! Every user mistake becomes a diagnostic at the offending token, and all of one
//! annotation's mistakes are reported in one build. What passes is resolved into the
//! plan `expand` turns into code: which parameters are recorded, under which keys.

mod lazy;
mod messaging;
mod naming;
mod rpc;

pub(crate) use messaging::Operation;
pub(crate) use naming::Warning;
pub(crate) use rpc::{Access, Boundary, Carrier, Protocol, Returned, Side};

use crate::fields::{BaggageEntry, Field, Format, Key};
use crate::parse::{Errors, Param, ParamMode, TracedFn};
use naming::{Findings, NameKind, check_key, check_name, written_kind};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens as _;
use syn::Ident;
use syn::ext::IdentExt;

/// Snake-case segments that mark a parameter as a secret (DESIGN §3's, and the
/// plurals and others a secret goes by: one-time codes, a card's verification
/// value, a social security number, a session's id).
const SECRET_SEGMENTS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "authorization",
    "auth",
    "bearer",
    "jwt",
    "cookie",
    "cookies",
    "apikey",
    "apikeys",
    "privkey",
    "passcode",
    "otp",
    "totp",
    "pin",
    "sessionid",
    "cvv",
    "cvc",
    "ssn",
];

/// Pairs of adjacent segments that mark a secret (DESIGN §3's, and the keys
/// that sign or encrypt).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("api", "keys"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("signing", "key"),
    ("hmac", "key"),
    ("encryption", "key"),
    ("master", "key"),
    ("session", "key"),
    ("session", "id"),
    ("access", "tokens"),
    ("card", "number"),
    ("mfa", "code"),
    ("verification", "code"),
];

/// Words that mark a secret as a name's last (`pass`, `db_pass`, `user_pw`,
/// `aws_creds`), not before another (`pass_through`, `pass_count`).
const SECRET_LAST_SEGMENTS: &[&str] = &["pass", "pw", "creds"];

/// The words compared as they are, where every other is compared without a
/// trailing number (`password2`, `api_keys2`): `auth0` is the provider
/// (`auth0_domain`), `token0` a pair's first.
const KEPT_NUMBERED: &[&str] = &["auth", "token"];

/// How a recorded value becomes an attribute value (see the runtime's `value.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// A parameter by default: `AsAttribute` or a scalar, otherwise not recorded.
    Default,
    /// `#[attr]`, `attrs(key = value)`, `ret`: `AsAttribute`, a scalar, then
    /// `Debug`, otherwise a compile error.
    Explicit,
    /// `#[attr(display)]`: `AsAttribute`, a scalar, then `Display`.
    ExplicitDisplay,
    /// `#[attr]` or `attrs(..)` of a value named for a URL: `AsAttribute`, a
    /// scalar, then `Display`, then `Debug` (set where the expansion records it).
    ExplicitUrl,
    /// `%value`: `Display`.
    Display,
    /// `?value`: `Debug`.
    Debug,
    /// `baggage(..)`: the entry named by `value` (a literal) of the baggage the
    /// body runs with: the current one's, unless the annotation's own
    /// `set_baggage` sets it (`set_here`).
    Baggage { set_here: bool },
}

impl Recorded {
    fn baggage(entry: &BaggageEntry, set_here: bool) -> Self {
        let source = &entry.source.name;
        Recorded {
            key: entry.key.name.clone(),
            probe: Probe::Baggage { set_here },
            value: quote::quote!(#source),
            span: entry.source.span(),
            kind: Kind::Declared("String"),
            cfg: Vec::new(),
            names_a_url: false,
        }
    }
}

impl From<Format> for Probe {
    fn from(format: Format) -> Self {
        match format {
            Format::Typed => Probe::Explicit,
            Format::Display => Probe::Display,
            Format::Debug => Probe::Debug,
        }
    }
}

/// One attribute the expansion records: under `key`, the value of the expression
/// `value` (a parameter's name or a field's expression), with diagnostics at `span`.
pub(crate) struct Recorded {
    pub key: String,
    pub probe: Probe,
    pub value: TokenStream,
    pub span: Span,
    /// The kind of value the span catalog lists for the key.
    pub kind: Kind,
    /// A parameter's `#[cfg(..)]` attributes, which the recording carries too.
    pub cfg: Vec<syn::Attribute>,
    /// A parameter or a key named for a URL or a connection string
    /// (`database_url`, `dsn`): the user information and signatures of the URLs
    /// in its text are redacted, as `url.full`'s are.
    pub names_a_url: bool,
}

/// How the catalog learns a recorded value's kind.
pub(crate) enum Kind {
    /// Known from the syntax or the registry: a `ValueKind` variant's name.
    Declared(&'static str),
    /// The kind the type system gives this parameter type; `by_default` for a
    /// parameter recorded only if its type is a scalar.
    OfType {
        ty: Box<syn::Type>,
        by_default: bool,
    },
    /// Known only at run time.
    Unknown,
    /// Left out of the catalog: a parameter recorded by default whose type the
    /// catalog cannot name (a generic parameter, `impl Trait`, a type of the
    /// crate's own imported by its name), recorded or not as its type says.
    NotRecorded,
}

impl Recorded {
    fn field(field: &Field) -> Self {
        Recorded {
            key: field.key.name.clone(),
            probe: field.format.into(),
            value: field.value.to_token_stream(),
            span: syn::spanned::Spanned::span(&field.value),
            kind: written_kind(field).map_or(Kind::Unknown, Kind::Declared),
            cfg: Vec::new(),
            names_a_url: names_a_url(&field.key.name),
        }
    }

    fn parameter(
        key: String,
        probe: Probe,
        param: &Param,
        ident: &Ident,
        traced: &TracedFn,
    ) -> Self {
        let kind = if nameable(&param.ty, &traced.function.sig) {
            Kind::OfType {
                ty: Box::new(with_static_lifetimes(&param.ty)),
                by_default: probe == Probe::Default,
            }
        } else if probe == Probe::Default {
            Kind::NotRecorded
        } else {
            Kind::Unknown
        };
        Recorded {
            key,
            probe,
            value: ident.to_token_stream(),
            span: ident.span(),
            kind,
            cfg: param.cfg.clone(),
            names_a_url: names_a_url(&ident.unraw().to_string()),
        }
    }
}

/// Words of a parameter's name that say it holds a URL, or a connection string
/// written as one (`postgres://app:pw@db/shop`).
const URL_WORDS: &[&str] = &[
    "url",
    "urls",
    "uri",
    "uris",
    "dsn",
    "endpoint",
    "endpoints",
    "connection",
    "conn",
];

/// Whether a parameter's name or a key (`db.connection_url`) says it holds a URL
/// ([`URL_WORDS`]).
fn names_a_url(name: &str) -> bool {
    (name.split('.').flat_map(words)).any(|word| URL_WORDS.contains(&word.as_str()))
}

/// Whether `ty` can be named in an item nested in the function (the catalog's
/// `static`): not when it mentions `impl Trait`, `Self`, `_`, the function's own
/// type or const parameters, or what may be one of its impl's or trait's (the
/// macro does not see the impl, and a nested item cannot use its parameters). Only
/// types of the standard library's and paths from a module (`crate::OrderId`,
/// `http::Method`) are taken: an impl's parameters may have any name
/// (`impl<Body>`), and an associated function need not take `self` nor name
/// `Self`. A type that fails to be named would fail the build, and the `catalog`
/// feature, which another crate of the build may turn on, must not break one.
/// Lifetimes do not matter: the catalog names the type with every lifetime
/// `'static` ([`with_static_lifetimes`]).
fn nameable(ty: &syn::Type, signature: &syn::Signature) -> bool {
    struct Visitor<'a> {
        generics: &'a syn::Generics,
        nameable: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_type(&mut self, ty: &'ast syn::Type) {
            // A macro's type may expand to anything (`Self`, a parameter).
            if matches!(
                ty,
                syn::Type::ImplTrait(_) | syn::Type::Infer(_) | syn::Type::Macro(_)
            ) {
                self.nameable = false;
            }
            // Neither the standard library's nor from a module: `T`, `R::Id`,
            // `Body`, an alias `Quantity`.
            if let syn::Type::Path(path) = ty
                && path.qself.is_none()
                && let Some(first) = path.path.segments.first()
            {
                let from_a_module = path.path.segments.len() > 1
                    && first.ident.to_string().starts_with(char::is_lowercase);
                if !from_a_module && !crate::std_types::is_std_type(&first.ident) {
                    self.nameable = false;
                }
            }
            syn::visit::visit_type(self, ty);
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            // A constant in an array length or a generic argument that may be a
            // const parameter of the impl's (`[u8; N]`, `[u8; LEN]`): any but one
            // from a module (`[u8; crate::LEN]`).
            let from_a_module =
                path.path.segments.len() > 1
                    && path.path.segments.first().is_some_and(|first| {
                        first.ident.to_string().starts_with(char::is_lowercase)
                    });
            if path.qself.is_some() || !from_a_module {
                self.nameable = false;
            }
            syn::visit::visit_expr_path(self, path);
        }
        fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {
            // Made `'static` in the catalog's copy of the type.
        }
        fn visit_ident(&mut self, ident: &'ast Ident) {
            let generic = self.generics.params.iter().any(|param| match param {
                syn::GenericParam::Type(param) => param.ident == *ident,
                syn::GenericParam::Const(param) => param.ident == *ident,
                syn::GenericParam::Lifetime(_) => false,
            });
            if generic || ident == "Self" {
                self.nameable = false;
            }
        }
    }
    let mut visitor = Visitor {
        generics: &signature.generics,
        nameable: true,
    };
    syn::visit::Visit::visit_type(&mut visitor, ty);
    visitor.nameable
}

/// `ty` with every lifetime `'static`, so that an item nested in the function can
/// name it: the lifetimes of the function, its impl or its trait are not in scope
/// there, and they do not change the kind of value.
/// A lifetime a `for<'a>` binds stays: it is the type's own, not the function's.
fn with_static_lifetimes(ty: &syn::Type) -> syn::Type {
    use syn::visit_mut::VisitMut;
    /// The lifetimes bound by the `for<..>`s around the one being visited.
    struct Eraser(Vec<syn::Ident>);
    impl Eraser {
        fn within(&mut self, bound: Option<&syn::BoundLifetimes>, visit: impl FnOnce(&mut Self)) {
            let depth = self.0.len();
            if let Some(bound) = bound {
                self.0
                    .extend(bound.lifetimes.iter().filter_map(|param| match param {
                        syn::GenericParam::Lifetime(param) => Some(param.lifetime.ident.clone()),
                        _ => None,
                    }));
            }
            visit(self);
            self.0.truncate(depth);
        }
    }
    impl VisitMut for Eraser {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            if !self.0.contains(&lifetime.ident) {
                *lifetime = syn::Lifetime::new("'static", lifetime.span());
            }
        }
        fn visit_bound_lifetimes_mut(&mut self, _: &mut syn::BoundLifetimes) {
            // The binder itself: its lifetimes are kept.
        }
        fn visit_type_bare_fn_mut(&mut self, function: &mut syn::TypeBareFn) {
            let bound = function.lifetimes.clone();
            self.within(bound.as_ref(), |eraser| {
                syn::visit_mut::visit_type_bare_fn_mut(eraser, function);
            });
        }
        fn visit_trait_bound_mut(&mut self, trait_bound: &mut syn::TraitBound) {
            let bound = trait_bound.lifetimes.clone();
            self.within(bound.as_ref(), |eraser| {
                syn::visit_mut::visit_trait_bound_mut(eraser, trait_bound);
            });
        }
    }
    let mut ty = ty.clone();
    Eraser(Vec::new()).visit_type_mut(&mut ty);
    ty
}

/// What passed the checks: the recording plan, and the warnings to emit.
pub(crate) struct Checked {
    pub recorded: Vec<Recorded>,
    pub warnings: Vec<Warning>,
    /// The boundary of `#[traced_rpc]`.
    pub boundary: Option<Boundary>,
}

/// Checks `traced`, adding to the errors `parse` found, and returns the recording
/// plan: which parameters are recorded, under which keys.
pub(crate) fn check(traced: &TracedFn, errors: Errors) -> syn::Result<Checked> {
    let mut findings = Findings {
        errors,
        warnings: Vec::new(),
    };
    // What parsing found (the list's syntax error first) is all there is to say.
    if traced.options.unreadable
        && let Some(error) = findings.errors.take()
    {
        return Err(error);
    }
    if let Some(name) = &traced.options.name {
        check_name(name, NameKind::Span, &mut findings.errors);
    }
    check_skip_list(traced, &mut findings.errors);
    check_reserved_names(traced, &mut findings.errors);
    check_lazy_options(&traced.options, &mut findings.errors);
    let boundary = traced
        .options
        .rpc
        .as_ref()
        .and_then(|rpc| rpc::check_boundary(traced, rpc, &mut findings.errors));
    // A messaging system is a value of `messaging.system`: one the registry does
    // not know (`kafak`) is worth a word, as any attribute's literal is.
    if let Some(system) = boundary
        .as_ref()
        .filter(|boundary| matches!(boundary.protocol, Protocol::Messaging { .. }))
        .and(traced.options.rpc.as_ref())
        .and_then(|rpc| rpc.system.as_ref())
    {
        naming::check_known_value("messaging.system", system, &mut findings);
    }
    let carrier = boundary
        .as_ref()
        .and_then(|boundary| boundary.carrier.as_ref())
        .map(|carrier| &carrier.ident);
    let owned = owned_keys(traced, boundary.as_ref());
    let recorded = plan_recording(traced, carrier, &owned, &mut findings);
    findings.errors.finish()?;
    Ok(Checked {
        recorded,
        warnings: findings.warnings,
        boundary,
    })
}

/// Checks the fields of `record!(..)` or `event!(..)` (and the event's name).
pub(crate) fn check_fields(name: Option<&syn::LitStr>, fields: &[Field]) -> syn::Result<Checked> {
    let mut findings = Findings::default();
    if let Some(name) = name {
        check_name(name, NameKind::Event, &mut findings.errors);
    }
    for (index, field) in fields.iter().enumerate() {
        check_key(&field.key, Some(field), &mut findings);
        lazy::check_lazy_value(&field.value, lazy::Lazily::Recorded, &mut findings.errors);
        // An event's attributes go out as written: a key twice would be twice in
        // it (the specification wants each once), and in `record!` the first value
        // would be lost for nothing.
        if fields[..index]
            .iter()
            .any(|earlier| earlier.key.name == field.key.name)
        {
            let place = if name.is_some() { "event" } else { "`record!`" };
            findings.errors.push(field.key.error(format!(
                "attribute key `{}` is given twice in this {place}; give it once",
                field.key.name
            )));
        }
    }
    findings.errors.finish()?;
    Ok(Checked {
        recorded: fields.iter().map(Recorded::field).collect(),
        warnings: findings.warnings,
        boundary: None,
    })
}

/// Names in `skip(..)` must be parameters, each named once.
fn check_skip_list(traced: &TracedFn, errors: &mut Errors) {
    let names: Vec<Ident> = traced
        .params
        .iter()
        .filter_map(|p| p.ident.as_ref().map(IdentExt::unraw))
        .collect();
    let skip = &traced.options.skip;
    let receiver = traced.function.sig.receiver().is_some();
    for (index, skipped) in skip.iter().enumerate() {
        if skipped == "self" && receiver {
            // Never recorded: listing it changes nothing.
            continue;
        }
        if skip[..index].contains(skipped) {
            errors.push(syn::Error::new(
                skipped.span(),
                format!("`{skipped}` is listed twice in `skip(..)`"),
            ));
        } else if traced
            .params
            .iter()
            .flat_map(|param| &param.pattern_names)
            .any(|bound| bound.unraw() == *skipped)
        {
            errors.push(syn::Error::new(
                skipped.span(),
                format!(
                    "`{skipped}` is bound by a destructured parameter, and those are never recorded: remove it from `skip(..)` (name one in `attrs({skipped} = {skipped})` to record it)"
                ),
            ));
        } else if !names.contains(skipped) {
            let function = &traced.function.sig.ident;
            errors.push(syn::Error::new(
                skipped.span(),
                format!("`{skipped}` is not a parameter of `{function}`; `skip(..)` lists parameter names"),
            ));
        }
    }
}

/// The prefix of the expansion's own locals (`__otel_span`), bound before a
/// parameter is moved into the body: a parameter of such a name would be taken
/// for the expansion's where the body starts.
const RESERVED_PREFIX: &str = "__otel_";

fn check_reserved_names(traced: &TracedFn, errors: &mut Errors) {
    let reserved = traced
        .params
        .iter()
        .filter_map(|param| param.ident.as_ref())
        .filter(|ident| ident.unraw().to_string().starts_with(RESERVED_PREFIX));
    for ident in reserved {
        errors.push(syn::Error::new(
            ident.span(),
            format!(
                "`{ident}`: names starting with `{RESERVED_PREFIX}` are kept for the macro's own bindings, which the body would see in place of this parameter; rename it"
            ),
        ));
    }
}

/// The keys the annotation sets on this function's span, each with why: one the
/// application declared too would be overwritten, or overwrite what the sampler
/// and the call's metrics saw (DESIGN §5: a key declared twice is an error).
fn owned_keys(traced: &TracedFn, boundary: Option<&Boundary>) -> Vec<(&'static str, &'static str)> {
    const CODE: &str = "the function's code location is recorded (`code = false` leaves it to you)";
    const BOUNDARY: &str = "the boundary sets it from its options: it names the call, for the sampler and the duration metric as for the span";
    let mut owned = Vec::new();
    if traced.options.code.as_ref().is_none_or(|code| code.value) {
        owned.extend(
            ["code.function.name", "code.file.path", "code.line.number"].map(|key| (key, CODE)),
        );
    }
    if traced.options.ret.is_some() {
        owned.push(("return.value", "`ret` records the returned value there"));
    }
    // A `Result` recorded, a stream's `Err` items, a gRPC or HTTP reply's error.
    let stream_may_fail = traced.stream_may_fail();
    let replies =
        boundary.is_some_and(|boundary| !matches!(boundary.protocol, Protocol::Messaging { .. }));
    if traced.records_err || stream_may_fail || replies {
        owned.push((
            "error.type",
            "a failed call's error type is recorded there (and none on success, as the conventions ask)",
        ));
    }
    let Some(boundary) = boundary else {
        return owned;
    };
    let batch = boundary
        .carrier
        .as_ref()
        .is_some_and(|carrier| carrier.batch)
        || boundary.returns == Some(Returned::Messages);
    if batch {
        owned.push((
            "messaging.batch.message_count",
            "a batch's message count is recorded there",
        ));
    }
    const REPLY: &str = "the boundary records its reply's status there";
    const REQUEST: &str = "the boundary reads it from the request, for the sampler and the duration metric as for the span";
    const SERVER: &str = "`server = ..` names the server called there";
    let keys: &[&'static str] = match &boundary.protocol {
        Protocol::Http { route, template } => {
            owned.push(("http.response.status_code", REPLY));
            // Also from a header map, which tells no method (`_OTHER`, the span
            // named `HTTP`): a value declared would contradict the name and the
            // metric. Take the request where the method is to be recorded.
            owned.push(("http.request.method", REQUEST));
            if boundary.side == Side::Server {
                owned.push(("url.scheme", REQUEST));
            }
            match (boundary.side, route, template) {
                (Side::Server, Some(_), _) => &["http.route"],
                (Side::Client, _, Some(_)) => &["url.template"],
                _ => &[],
            }
        }
        Protocol::Grpc { .. } => {
            owned.push(("rpc.response.status_code", REPLY));
            if boundary.side == Side::Client {
                owned.extend(server_keys(boundary).map(|key| (key, SERVER)));
            }
            &["rpc.system.name", "rpc.method"]
        }
        Protocol::Messaging {
            destination,
            consumer_group,
            ..
        } => {
            if destination.is_some() {
                owned.push(("messaging.destination.name", BOUNDARY));
            }
            if consumer_group.is_some() {
                owned.push(("messaging.consumer.group.name", BOUNDARY));
            }
            owned.extend(server_keys(boundary).map(|key| (key, SERVER)));
            &[
                "messaging.system",
                "messaging.operation.name",
                "messaging.operation.type",
            ]
        }
    };
    owned.extend(keys.iter().map(|key| (*key, BOUNDARY)));
    owned
}

/// The keys `server = ..` sets: the server's address and port (a port its
/// scheme defaults, too).
fn server_keys(boundary: &Boundary) -> impl Iterator<Item = &'static str> {
    ["server.address", "server.port"]
        .into_iter()
        .filter(|_| boundary.server.is_some())
}

/// Whether a value is written `tracing::field::Empty` (or `field::Empty`), which
/// would be recorded as the text `Empty`. (Not a bare `Empty`, which may be the
/// application's own.)
fn is_declared_empty(value: &syn::Expr) -> bool {
    let syn::Expr::Path(path) = crate::parse::unwrapped(value) else {
        return false;
    };
    let segments: Vec<_> = (path.path.segments.iter())
        .map(|segment| &segment.ident)
        .collect();
    matches!(segments.as_slice(), [.., field, empty] if *field == "field" && *empty == "Empty")
}

/// Whether a parameter of type `ty` is never recorded, whatever it points to: a
/// raw or function pointer (an `extern "C"` callback's `userData: *mut c_void`),
/// also behind a reference. Its name is then no key to check.
fn never_a_value(ty: &syn::Type) -> bool {
    match crate::parse::peeled(ty) {
        syn::Type::Ptr(_) | syn::Type::BareFn(_) => true,
        syn::Type::Reference(reference) => never_a_value(&reference.elem),
        _ => false,
    }
}

/// Whether a parameter of type `ty` is never recorded by default: its type holds
/// an `impl Trait` or a type parameter of the function (`T`, `Option<T>`,
/// `&[impl Display]`) that no `AsAttribute` bounds, whose values the probe cannot
/// read (a generic is no scalar).
fn an_unbounded_generic(ty: &syn::Type, signature: &syn::Signature) -> bool {
    fn names_as_attribute<'a>(mut bounds: impl Iterator<Item = &'a syn::TypeParamBound>) -> bool {
        bounds.any(|bound| match bound {
            syn::TypeParamBound::Trait(bound) => {
                (bound.path.segments.last()).is_some_and(|segment| segment.ident == "AsAttribute")
            }
            _ => false,
        })
    }
    struct Visitor<'a> {
        generics: &'a syn::Generics,
        unbounded: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_type_impl_trait(&mut self, bounds: &'ast syn::TypeImplTrait) {
            if !names_as_attribute(bounds.bounds.iter()) {
                self.unbounded = true;
            }
            syn::visit::visit_type_impl_trait(self, bounds);
        }
        fn visit_type_path(&mut self, path: &'ast syn::TypePath) {
            if path.qself.is_none()
                && let Some(ident) = path.path.get_ident()
                && let Some(param) = self
                    .generics
                    .type_params()
                    .find(|param| param.ident == *ident)
            {
                let bounded_where = (self.generics.where_clause.iter())
                    .flat_map(|clause| &clause.predicates)
                    .filter_map(|predicate| match predicate {
                        syn::WherePredicate::Type(predicate) => Some(predicate),
                        _ => None,
                    })
                    .filter(|predicate| {
                        matches!(&predicate.bounded_ty, syn::Type::Path(bounded) if bounded.path.is_ident(ident))
                    })
                    .flat_map(|predicate| &predicate.bounds);
                if !names_as_attribute(param.bounds.iter().chain(bounded_where)) {
                    self.unbounded = true;
                }
            }
            syn::visit::visit_type_path(self, path);
        }
    }
    let mut visitor = Visitor {
        generics: &signature.generics,
        unbounded: false,
    };
    syn::visit::Visit::visit_type(&mut visitor, ty);
    visitor.unbounded
}

/// The options whose values are evaluated lazily ([`lazy::check_lazy_value`]):
/// `parent` and `server` only where the boundary takes them (where it does not,
/// that is said already, and once).
fn check_lazy_options(options: &crate::options::Options, errors: &mut Errors) {
    for link in &options.links {
        lazy::check_lazy_value(link, lazy::Lazily::Linked, errors);
    }
    let messaging = options.rpc.as_ref().is_some_and(|rpc| {
        !rpc.protocol_in_doubt
            && rpc
                .protocol
                .as_ref()
                .is_some_and(|flag| flag == "messaging")
    });
    let client = options
        .rpc
        .as_ref()
        .is_some_and(|rpc| rpc.side.as_ref().is_some_and(|flag| flag == "client"));
    let single_process = options.rpc.as_ref().is_some_and(|rpc| {
        rpc.operation.as_ref().is_some_and(|flag| flag == "process") && rpc.batch.is_none()
    });
    let takes_parent = match &options.rpc {
        None => true,
        Some(_) if messaging => !single_process,
        Some(_) => client,
    };
    if let Some(parent) = options.parent.as_ref().filter(|_| takes_parent) {
        lazy::check_lazy_value(parent, lazy::Lazily::WhereTheSpanOpens, errors);
    }
    if let Some(server) = (options.rpc.as_ref())
        .and_then(|rpc| rpc.server.as_ref())
        .filter(|_| messaging || client)
    {
        lazy::check_lazy_value(server, lazy::Lazily::WhenInstalled("server"), errors);
    }
}

/// Decides what is recorded under which key: parameters, then `attrs(..)` fields.
/// An explicit key (`#[attr]`, `attrs`) replaces the default recording of a
/// parameter with the same name; two explicit declarations of one key are an error.
/// A boundary's carrier (its request) is not a value to record. A parameter under
/// `#[cfg(..)]` may not be there at all: it clashes only with a declaration of its
/// key that is always there (`#[cfg(unix)]` and `#[cfg(windows)]` ones do not), and
/// replaces a default recording where its `cfg` holds.
fn plan_recording(
    traced: &TracedFn,
    carrier: Option<&Ident>,
    owned: &[(&'static str, &'static str)],
    findings: &mut Findings,
) -> Vec<Recorded> {
    let options = &traced.options;
    let mut explicit: Vec<Recorded> = Vec::new();
    let mut defaults: Vec<Recorded> = Vec::new();
    let mut declare = |key: &Key, recorded: Recorded, errors: &mut Errors| {
        let clashes = explicit.iter().any(|declared| {
            declared.key == key.name && (declared.cfg.is_empty() || recorded.cfg.is_empty())
        });
        if let Some((_, why)) = owned.iter().find(|(owned, _)| *owned == key.name) {
            errors.push(key.error(format!(
                "attribute key `{}` is set by the annotation itself: {why}",
                key.name
            )));
        } else if clashes {
            errors.push(key.error(format!(
                "attribute key `{}` is declared twice on this function",
                key.name
            )));
        } else {
            explicit.push(recorded);
        }
    };
    for param in &traced.params {
        let Some(ident) = &param.ident else { continue };
        let listed_in_skip = options.skip.contains(&ident.unraw());
        let name = ident.unraw().to_string();
        match &param.mode {
            ParamMode::Skipped => {}
            ParamMode::Explicit { key, display } => {
                if listed_in_skip {
                    findings.errors.push(syn::Error::new(
                        ident.span(),
                        format!(
                            "`{ident}` is both listed in `skip(..)` and marked `#[attr]`; keep one"
                        ),
                    ));
                    continue;
                }
                let key = match key {
                    Some(literal) => {
                        let key = Key::from(literal);
                        check_key(&key, None, findings);
                        let as_text = format!(
                            "`#[skip]` it and write `attrs({} = %{ident})`: `%` records its `Display`",
                            naming::written_key(&key.name)
                        );
                        naming::check_parameter_recorded(
                            &key, ident, &param.ty, &as_text, &param.ty, findings,
                        );
                        key
                    }
                    None => {
                        let key = Key::new(name, param.span);
                        naming::check_parameter_key(&key, findings);
                        key
                    }
                };
                let probe = if *display {
                    Probe::ExplicitDisplay
                } else {
                    Probe::Explicit
                };
                let recorded = Recorded::parameter(key.name.clone(), probe, param, ident, traced);
                declare(&key, recorded, &mut findings.errors);
            }
            ParamMode::Default => {
                if listed_in_skip
                    || options.skip_all.is_some()
                    || is_secret_name(&name)
                    || carrier == Some(ident)
                {
                    continue;
                }
                // A name is a key only where a value may be recorded under it:
                // not a pointer's, nor a generic's or an `impl Trait`'s that no
                // `AsAttribute` bounds.
                if !never_a_value(&param.ty)
                    && !an_unbounded_generic(&param.ty, &traced.function.sig)
                {
                    naming::check_parameter_key(&Key::new(name.clone(), param.span), findings);
                }
                defaults.push(Recorded::parameter(
                    name,
                    Probe::Default,
                    param,
                    ident,
                    traced,
                ));
            }
        }
    }
    for field in &options.attrs {
        if is_declared_empty(&field.value) {
            findings.errors.push(syn::Error::new_spanned(
                &field.value,
                format!(
                    "`Empty` is `tracing`'s field declared to be recorded later, which an OpenTelemetry span need not be: leave `{key}` out here and set it with `record!({key} = ..)` once known",
                    key = naming::written_key(&field.key.name)
                ),
            ));
            continue;
        }
        check_key(&field.key, Some(field), findings);
        lazy::check_lazy_value(&field.value, lazy::Lazily::Recorded, &mut findings.errors);
        if let Some((parameter, ty)) = parameter_named(&field.value, &traced.params)
            && field.format == crate::fields::Format::Typed
        {
            let as_text = format!(
                "`{} = %{parameter}` records its `Display`",
                naming::written_key(&field.key.name)
            );
            naming::check_parameter_recorded(
                &field.key,
                parameter,
                ty,
                &as_text,
                &field.value,
                findings,
            );
        }
        declare(&field.key, Recorded::field(field), &mut findings.errors);
    }
    for entry in &options.baggage {
        // A key that is no baggage key is told so alone: renaming it would not
        // make it one.
        if !check_baggage_key(&entry.source, &mut findings.errors) {
            continue;
        }
        if !entry.renamed && !naming::is_valid_key(&entry.key.name) {
            let key =
                naming::suggested_key(&entry.source.name).unwrap_or_else(|| "app.key".to_owned());
            findings.errors.push(entry.key.error(format_args!(
                "baggage key `{}` is not a valid attribute key: record it under another, `baggage(\"{}\" => {key})`",
                entry.source.name, entry.source.name,
            )));
            continue;
        }
        check_key(&entry.key, None, findings);
        naming::check_string_recorded(&entry.key, findings);
        let set_here = options
            .set_baggage
            .iter()
            .any(|field| field.key.name == entry.source.name);
        declare(
            &entry.key,
            Recorded::baggage(entry, set_here),
            &mut findings.errors,
        );
    }
    for (index, field) in options.set_baggage.iter().enumerate() {
        check_baggage_key(&field.key, &mut findings.errors);
        // The last would win, the first lost for nothing.
        if options.set_baggage[..index]
            .iter()
            .any(|earlier| earlier.key.name == field.key.name)
        {
            findings.errors.push(field.key.error(format_args!(
                "baggage key `{}` is given twice in this `set_baggage`; give it once",
                field.key.name
            )));
        }
    }
    defaults.retain_mut(|default| {
        let mut declared = explicit
            .iter()
            .filter(|declared| declared.key == default.key)
            .peekable();
        if declared.peek().is_none() {
            return true;
        }
        // Recorded by default only where no declaration of its key is there.
        let mut negated = Vec::new();
        for declared in declared {
            if declared.cfg.is_empty() {
                return false;
            }
            negated.push(not_configured(&declared.cfg));
        }
        default.cfg.extend(negated);
        true
    });
    defaults.extend(explicit);
    defaults
}

/// `#[cfg(not(all(..)))]` of the conditions of `cfg` (`#[cfg(..)]` attributes,
/// all of which hold where their item is there).
/// The parameter `value` is, written alone (`attrs(server.port = port)`), and its
/// type.
fn parameter_named<'a>(
    value: &syn::Expr,
    params: &'a [crate::parse::Param],
) -> Option<(&'a syn::Ident, &'a syn::Type)> {
    let syn::Expr::Path(path) = value else {
        return None;
    };
    let named = path.path.get_ident()?;
    if path.qself.is_some() {
        return None;
    }
    params.iter().find_map(|param| {
        let ident = param.ident.as_ref()?;
        (ident.unraw() == named.unraw()).then_some((ident, &param.ty))
    })
}

fn not_configured(cfg: &[syn::Attribute]) -> syn::Attribute {
    let conditions = cfg.iter().filter_map(|attribute| match &attribute.meta {
        syn::Meta::List(list) => Some(&list.tokens),
        _ => None,
    });
    syn::parse_quote!(#[cfg(not(all(#(#conditions),*)))])
}

/// A W3C Baggage key: a token, visible ASCII without separators.
/// Whether `key` is a W3C Baggage key; an error where it is not.
fn check_baggage_key(key: &Key, errors: &mut Errors) -> bool {
    let valid = !key.name.is_empty()
        && key
            .name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"(),/:;<=>?@[\\]{}".contains(&b));
    if !valid {
        errors.push(key.error(format_args!(
            "`{}` is not a valid baggage key: W3C Baggage keys are visible ASCII without separators such as `,`, `;`, `=` or spaces",
            key.name
        )));
    }
    valid
}

/// A parameter whose name suggests a secret is not recorded by default (DESIGN §3),
/// written in snake case or, where the lint is allowed, camel case (`authToken`,
/// `APIKey`).
fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    let segments: Vec<&str> = (words.iter())
        .map(|word| {
            let unnumbered = word.trim_end_matches(|c: char| c.is_ascii_digit());
            if KEPT_NUMBERED.contains(&unnumbered) {
                word
            } else {
                unnumbered
            }
        })
        .collect();
    segments
        .iter()
        .any(|segment| SECRET_SEGMENTS.contains(segment))
        || (segments.last()).is_some_and(|last| SECRET_LAST_SEGMENTS.contains(last))
        || (segments.windows(2)).any(|pair| SECRET_PAIRS.contains(&(pair[0], pair[1])))
}

/// The words of a name, in lower case: split at `_`, and where a capital follows a
/// lowercase letter or digit (`authToken`) or starts a word after capitals
/// (`APIKey`).
pub(crate) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (index, &c) in chars.iter().enumerate() {
        let previous = index.checked_sub(1).map(|before| chars[before]);
        let next = chars.get(index + 1);
        let starts_word = c.is_uppercase()
            && previous.is_some_and(|previous| {
                previous.is_lowercase()
                    || previous.is_ascii_digit()
                    || (previous.is_uppercase() && next.is_some_and(|next| next.is_lowercase()))
            });
        if (c == '_' || starts_word) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c != '_' {
            word.extend(c.to_lowercase());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}
