//! Attribute values: which argument types become which OpenTelemetry value.
//!
//! The choice is made by the type system, never by reading type names, so type
//! aliases and re-exports behave like the type they stand for. The macro wraps every
//! recorded argument in one of the probe types ([`Arg`], [`Explicit`],
//! [`ExplicitDisplay`]) and calls `__otel_value` on `&&&&probe` ("autoref
//! specialisation"): method lookup peels one reference per step and takes the first
//! impl whose bounds hold, so the impl for `&&&Probe` is tried before `&&Probe`,
//! then `&Probe`, then `Probe`. Hence [`AsAttribute`] wins over the built-in scalars, scalars win over
//! `Debug`/`Display`, and a generic `T` without bounds falls through to "not
//! recorded" (or to a compile error under `#[attr]`).

use crate::setting::InstalledSetting;
use opentelemetry::trace::Status;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use std::borrow::Cow;
use std::fmt::{self, Debug, Display, Write as _};
use std::rc::Rc;
use std::sync::Arc;

/// Strings we format with `Debug` or `Display` are cut at this many characters, so
/// that one large argument cannot bloat a span.
pub const MAX_FORMATTED_CHARS: usize = 4096;

/// Converts a user type into an attribute value.
///
/// Implement it for domain types that have a natural, low-cardinality attribute form;
/// `#[traced]` then records parameters of that type by default, and it wins over
/// `Debug` and `Display` under `#[attr]`.
///
/// ```
/// use otel_traced::{AsAttribute, opentelemetry::Value};
///
/// struct OrderId(u64);
///
/// impl AsAttribute for OrderId {
///     fn as_attribute(&self) -> Value {
///         // As `#[traced]` records a `u64`: an integer where it fits, else text
///         // (`as i64` would make a large id negative).
///         i64::try_from(self.0).map_or_else(|_| self.0.to_string().into(), Value::I64)
///     }
/// }
/// assert_eq!(OrderId(7).as_attribute(), Value::I64(7));
/// assert_eq!(OrderId(u64::MAX).as_attribute(), Value::from(u64::MAX.to_string()));
/// ```
pub trait AsAttribute {
    /// The value recorded for `self`.
    fn as_attribute(&self) -> Value;
}

/// References and smart pointers to a value are that value, as for the scalars.
macro_rules! as_attribute_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<T: AsAttribute + ?Sized> AsAttribute for $pointer {
            fn as_attribute(&self) -> Value {
                (**self).as_attribute()
            }
        }
    )*};
}
as_attribute_through_pointer!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

/// What the highest probe level records: an [`AsAttribute`] value, also inside an
/// `Option` (nothing for `None`, as for an optional scalar).
#[doc(hidden)]
pub trait UserAttribute {
    fn user_attribute(&self) -> Option<Value>;
}

impl<T: AsAttribute + ?Sized> UserAttribute for T {
    #[inline]
    fn user_attribute(&self) -> Option<Value> {
        Some(self.as_attribute())
    }
}

impl<T: AsAttribute> UserAttribute for Option<T> {
    #[inline]
    fn user_attribute(&self) -> Option<Value> {
        self.as_ref().map(AsAttribute::as_attribute)
    }
}

/// An `Option` of a value behind a reference or a pointer, as the scalars'.
macro_rules! user_attribute_option_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<T: AsAttribute> UserAttribute for $pointer {
            #[inline]
            fn user_attribute(&self) -> Option<Value> {
                (**self).user_attribute()
            }
        }
    )*};
}
user_attribute_option_through_pointer!(
    &Option<T>,
    &mut Option<T>,
    Box<Option<T>>,
    Rc<Option<T>>,
    Arc<Option<T>>
);

/// The type of value an attribute holds, as the span catalog describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ValueKind {
    /// A boolean.
    Bool,
    /// An integer (`i64`; wider integers beyond it are recorded as their text).
    Int,
    /// A floating-point number.
    Double,
    /// A string.
    String,
    /// An array of booleans.
    BoolArray,
    /// An array of integers.
    IntArray,
    /// An array of floating-point numbers.
    DoubleArray,
    /// An array of strings.
    StringArray,
    /// Decided at run time (`AsAttribute`, a generic parameter, an expression).
    Unknown,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Bool => "bool",
            ValueKind::Int => "int",
            ValueKind::Double => "double",
            ValueKind::String => "string",
            ValueKind::BoolArray => "bool[]",
            ValueKind::IntArray => "int[]",
            ValueKind::DoubleArray => "double[]",
            ValueKind::StringArray => "string[]",
            ValueKind::Unknown => "unknown",
        })
    }
}

/// The built-in scalars: the types recorded by default with their native type.
/// `None` means "absent" (an `Option` that holds nothing).
#[doc(hidden)]
pub trait ScalarValue {
    /// The kind of value recorded (wide integers count as `Int`, though one beyond
    /// `i64` is recorded as its decimal string).
    const KIND: ValueKind;
    /// The kind of an array of this scalar.
    const ARRAY_KIND: ValueKind = ValueKind::Unknown;
    fn scalar_value(&self) -> Option<Value>;
}

/// A scalar that may be an element of an array value: not itself a collection (a
/// `Vec<Vec<u8>>` is a payload, not recorded by default, where a `Vec<u8>` is an
/// array of integers).
#[doc(hidden)]
pub trait ScalarElement: ScalarValue {}

/// The kind a parameter of type `T` is recorded with, known at compile time for
/// the built-in scalars and `Unknown` otherwise: an inherent constant applies when
/// its bound holds, and the trait constant of [`UnknownKind`] fills in when not.
#[doc(hidden)]
#[derive(Debug)]
pub struct KindOf<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: ScalarValue + ?Sized> KindOf<T> {
    /// The kind of a recorded value of this type.
    pub const KIND: ValueKind = T::KIND;
    /// Whether a parameter of this type is recorded by default, and as what.
    pub const BY_DEFAULT: Option<ValueKind> = Some(T::KIND);
}

/// The fallback of [`KindOf`]: a type that is not a built-in scalar is recorded
/// by default only if it implements `AsAttribute`, which a constant cannot tell, so
/// the catalog lists it only when it is recorded explicitly.
#[doc(hidden)]
pub trait UnknownKind {
    const KIND: ValueKind = ValueKind::Unknown;
    const BY_DEFAULT: Option<ValueKind> = None;
}

impl<T: ?Sized> UnknownKind for KindOf<T> {}

/// Whether a parameter of type `T` is recorded by default for implementing
/// [`AsAttribute`] (also behind a pointer or in an `Option`), which [`KindOf`]
/// cannot tell: then with a kind known only at run time. The same inherent
/// constant and trait fallback as [`KindOf`]'s.
#[doc(hidden)]
#[derive(Debug)]
pub struct UserKindOf<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: UserAttribute + ?Sized> UserKindOf<T> {
    pub const BY_DEFAULT: Option<ValueKind> = Some(ValueKind::Unknown);
}

/// The fallback of [`UserKindOf`]: not recorded for an `AsAttribute` of its own.
#[doc(hidden)]
pub trait NotUserAttribute {
    const BY_DEFAULT: Option<ValueKind> = None;
}

impl<T: ?Sized> NotUserAttribute for UserKindOf<T> {}

macro_rules! scalar_via_i64 {
    ($($ty:ty),*) => {$(
        impl ScalarValue for $ty {
            const KIND: ValueKind = ValueKind::Int;
            const ARRAY_KIND: ValueKind = ValueKind::IntArray;
            #[inline]
            fn scalar_value(&self) -> Option<Value> {
                Some(Value::I64(i64::from(*self)))
            }
        }
        impl ScalarElement for $ty {}
    )*};
}
scalar_via_i64!(i8, i16, i32, i64, u8, u16, u32);

/// Integers that may not fit `i64`: recorded as `i64` when they fit, otherwise as
/// their decimal string (the one case where one key's type varies, DESIGN §3).
macro_rules! scalar_wide_integer {
    ($($ty:ty),*) => {$(
        impl ScalarValue for $ty {
            const KIND: ValueKind = ValueKind::Int;
            const ARRAY_KIND: ValueKind = ValueKind::IntArray;
            #[inline]
            fn scalar_value(&self) -> Option<Value> {
                Some(match i64::try_from(*self) {
                    Ok(small) => Value::I64(small),
                    Err(_) => Value::String(StringValue::from(self.to_string())),
                })
            }
        }
        impl ScalarElement for $ty {}
    )*};
}
scalar_wide_integer!(u64, u128, i128, usize, isize);

/// Scalars with a value type of their own: `bool`, and floats as `f64`.
macro_rules! scalar_direct {
    ($($ty:ty => $kind:ident, $array_kind:ident, $value:ident($convert:expr)),*) => {$(
        impl ScalarValue for $ty {
            const KIND: ValueKind = ValueKind::$kind;
            const ARRAY_KIND: ValueKind = ValueKind::$array_kind;
            #[inline]
            fn scalar_value(&self) -> Option<Value> {
                let convert: fn($ty) -> _ = $convert;
                Some(Value::$value(convert(*self)))
            }
        }
        impl ScalarElement for $ty {}
    )*};
}
scalar_direct!(
    bool => Bool, BoolArray, Bool(|b| b),
    f64 => Double, DoubleArray, F64(|f| f),
    f32 => Double, DoubleArray, F64(decimal_widened)
);

/// An `f32` as the `f64` nearest its shortest decimal form: `0.1f32` is recorded as
/// 0.1, the number written, not as 0.10000000149011612, its binary value widened.
fn decimal_widened(value: f32) -> f64 {
    // An integer an `f32` holds exactly is that integer as an `f64`: no text needed.
    if value.fract() == 0.0 && value.abs() < 16_777_216.0 {
        return f64::from(value);
    }
    let mut digits = ShortText {
        bytes: [0; 24],
        len: 0,
    };
    // `{:e}` is the shortest form that reads back as `value`: 16 bytes at most
    // (`-1.17549435e-38`). Infinities and NaN widen as they are.
    if !value.is_finite() || write!(digits, "{value:e}").is_err() {
        return f64::from(value);
    }
    std::str::from_utf8(&digits.bytes[..digits.len])
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(f64::from(value))
}

/// A short text written on the stack.
struct ShortText {
    bytes: [u8; 24],
    len: usize,
}

impl fmt::Write for ShortText {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        let end = self.len + piece.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(piece.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl ScalarElement for char {}
impl ScalarElement for str {}
impl ScalarElement for String {}
impl ScalarElement for Cow<'_, str> {}
impl<T: ScalarElement> ScalarElement for Option<T> {}

impl ScalarValue for char {
    const KIND: ValueKind = ValueKind::String;
    const ARRAY_KIND: ValueKind = ValueKind::StringArray;
    fn scalar_value(&self) -> Option<Value> {
        Some(Value::String(StringValue::from(self.to_string())))
    }
}

impl ScalarValue for str {
    const KIND: ValueKind = ValueKind::String;
    const ARRAY_KIND: ValueKind = ValueKind::StringArray;
    /// Cut to the value length limit before it is copied: a 100 MB body recorded
    /// under a limit of 64 copies 64 characters.
    #[inline]
    fn scalar_value(&self) -> Option<Value> {
        // Only a string longer in bytes than the limit in characters can be over it.
        if let Some(limit) = VALUE_LENGTH_LIMIT.get()
            && limit < self.len()
        {
            return Some(cut_copy(self, limit));
        }
        Some(Value::String(StringValue::from(self.to_owned())))
    }
}

/// The first `limit` characters of `text`, as a string value.
#[cold]
#[inline(never)]
fn cut_copy(text: &str, limit: usize) -> Value {
    Value::String(StringValue::from(text_within(text, limit).to_owned()))
}

impl ScalarValue for String {
    const KIND: ValueKind = ValueKind::String;
    const ARRAY_KIND: ValueKind = ValueKind::StringArray;
    #[inline]
    fn scalar_value(&self) -> Option<Value> {
        self.as_str().scalar_value()
    }
}

impl ScalarValue for Cow<'_, str> {
    const KIND: ValueKind = ValueKind::String;
    const ARRAY_KIND: ValueKind = ValueKind::StringArray;
    #[inline]
    fn scalar_value(&self) -> Option<Value> {
        (**self).scalar_value()
    }
}

impl<T: ScalarValue> ScalarValue for Option<T> {
    const KIND: ValueKind = T::KIND;
    const ARRAY_KIND: ValueKind = T::ARRAY_KIND;
    #[inline]
    fn scalar_value(&self) -> Option<Value> {
        self.as_ref().and_then(ScalarValue::scalar_value)
    }
}

/// Elements an array value keeps: a 1 MiB `&[u8]` body recorded whole would be a
/// million integers, a span too heavy for any collector to take.
const MAX_ARRAY_ITEMS: usize = 128;

/// Slices, arrays and `Vec`s of scalars are array values, of their first
/// [`MAX_ARRAY_ITEMS`] elements. An array holds one type, so integers that do not
/// all fit `i64` make an array of decimal strings, and an element with no value (an
/// empty `Option`) among those makes the whole array absent. An empty one is of
/// its elements' type, as the others of its key. Collections of collections are
/// not array values ([`ScalarElement`]).
impl<T: ScalarElement> ScalarValue for [T] {
    const KIND: ValueKind = T::ARRAY_KIND;
    fn scalar_value(&self) -> Option<Value> {
        if self.is_empty() {
            return Some(Value::Array(match T::ARRAY_KIND {
                ValueKind::BoolArray => Array::Bool(Vec::new()),
                ValueKind::IntArray => Array::I64(Vec::new()),
                ValueKind::DoubleArray => Array::F64(Vec::new()),
                _ => Array::String(Vec::new()),
            }));
        }
        let values: Option<Vec<Value>> = self
            .iter()
            .take(MAX_ARRAY_ITEMS)
            .map(ScalarValue::scalar_value)
            .collect();
        Some(Value::Array(homogeneous(values?)))
    }
}

impl<T: ScalarElement, const N: usize> ScalarValue for [T; N] {
    const KIND: ValueKind = T::ARRAY_KIND;
    fn scalar_value(&self) -> Option<Value> {
        self.as_slice().scalar_value()
    }
}

impl<T: ScalarElement> ScalarValue for Vec<T> {
    const KIND: ValueKind = T::ARRAY_KIND;
    fn scalar_value(&self) -> Option<Value> {
        self.as_slice().scalar_value()
    }
}

/// One array from element values (one at least) that may differ in type (`u64`
/// elements may be `I64` or strings): all elements of one type, otherwise all as
/// strings.
fn homogeneous(values: Vec<Value>) -> Array {
    /// `Array::$variant` of the values, if every one is a `Value::$variant`.
    macro_rules! all_of {
        ($variant:ident) => {
            values
                .iter()
                .map(|value| match value {
                    Value::$variant(item) => Some(item.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(Array::$variant)
        };
    }
    all_of!(Bool)
        .or_else(|| all_of!(I64))
        .or_else(|| all_of!(F64))
        .unwrap_or_else(|| {
            Array::String(
                values
                    .into_iter()
                    .map(|value| match value {
                        Value::String(text) => text,
                        other => StringValue::from(other.to_string()),
                    })
                    .collect(),
            )
        })
}

/// References and smart pointers to a scalar are that scalar (`Box<str>` and
/// `Arc<str>` included, through their `str`).
macro_rules! scalar_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<T: ScalarValue + ?Sized> ScalarValue for $pointer {
            const KIND: ValueKind = T::KIND;
            const ARRAY_KIND: ValueKind = T::ARRAY_KIND;
            #[inline]
            fn scalar_value(&self) -> Option<Value> {
                (**self).scalar_value()
            }
        }
        impl<T: ScalarElement + ?Sized> ScalarElement for $pointer {}
    )*};
}
scalar_through_pointer!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

/// Probe for a parameter recorded by default: [`AsAttribute`], then a scalar, then
/// nothing.
#[doc(hidden)]
#[derive(Debug)]
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// Probe for a parameter under `#[attr]`: [`AsAttribute`], then a scalar, then `Debug`,
/// then a compile error.
#[doc(hidden)]
#[derive(Debug)]
pub struct Explicit<'a, T: ?Sized>(pub &'a T);

/// Probe for a parameter under `#[attr(display)]`: [`AsAttribute`], then a scalar,
/// then `Display`, then a compile error.
#[doc(hidden)]
#[derive(Debug)]
pub struct ExplicitDisplay<'a, T: ?Sized>(pub &'a T);

/// Probe for a value named for a URL under `#[attr]` or in `attrs(..)`:
/// [`AsAttribute`], then a scalar, then `Display`, then an `Option` of one (its
/// text, nothing for `None`), then a collection of them (an array of their texts,
/// the first [`MAX_ARRAY_ITEMS`]), then `Debug`, then a compile error. A parsed
/// URL's `Display` is its text, whose credentials
/// [`with_urls_redacted`](crate::redact::with_urls_redacted) finds; its `Debug`
/// (`url::Url`'s) writes them as fields, which nothing would.
#[doc(hidden)]
#[derive(Debug)]
pub struct ExplicitUrl<'a, T: ?Sized>(pub &'a T);

/// Highest priority: the user's own conversion.
#[doc(hidden)]
pub trait ViaAsAttribute {
    fn __otel_value(&self) -> Option<Value>;
}

/// Second: the built-in scalars.
#[doc(hidden)]
pub trait ViaScalar {
    fn __otel_value(&self) -> Option<Value>;
}

/// Third, under `#[attr]`: formatting.
#[doc(hidden)]
pub trait ViaFormat {
    fn __otel_value(&self) -> Option<Value>;
}

/// Last: a default parameter that is not recorded, or an `#[attr]` parameter that
/// cannot be (see [`Unrecordable`]).
#[doc(hidden)]
pub trait ViaFallback {
    type Output;
    fn __otel_value(&self) -> Self::Output;
}

macro_rules! probe_levels {
    ($($probe:ident),*) => {$(
        impl<T: UserAttribute + ?Sized> ViaAsAttribute for &&&$probe<'_, T> {
            #[inline]
            fn __otel_value(&self) -> Option<Value> {
                self.0.user_attribute()
            }
        }
        impl<T: ScalarValue + ?Sized> ViaScalar for &&$probe<'_, T> {
            #[inline]
            fn __otel_value(&self) -> Option<Value> {
                self.0.scalar_value()
            }
        }
    )*};
}
probe_levels!(Arg, Explicit, ExplicitDisplay);

impl<T: UserAttribute + ?Sized> ViaAsAttribute for &&&&&&ExplicitUrl<'_, T> {
    #[inline]
    fn __otel_value(&self) -> Option<Value> {
        self.0.user_attribute()
    }
}

impl<T: ScalarValue + ?Sized> ViaScalar for &&&&&ExplicitUrl<'_, T> {
    #[inline]
    fn __otel_value(&self) -> Option<Value> {
        self.0.scalar_value()
    }
}

/// Third, for a value named for a URL: its text.
#[doc(hidden)]
pub trait ViaUrlText {
    fn __otel_value(&self) -> Option<Value>;
}

impl<T: Display + ?Sized> ViaUrlText for &&&&ExplicitUrl<'_, T> {
    fn __otel_value(&self) -> Option<Value> {
        Some(formatted(format_args!("{}", self.0)))
    }
}

/// Then, for a value named for a URL: the text of the one it may hold.
#[doc(hidden)]
pub trait ViaUrlOption {
    fn __otel_value(&self) -> Option<Value>;
}

impl<T: OptionalUrl + ?Sized> ViaUrlOption for &&&ExplicitUrl<'_, T> {
    fn __otel_value(&self) -> Option<Value> {
        self.0.url_text()
    }
}

/// An `Option` of a URL, also behind a reference or a pointer (`&Option<Url>`,
/// which would otherwise be taken for a collection of one).
#[doc(hidden)]
pub trait OptionalUrl {
    fn url_text(&self) -> Option<Value>;
}

impl<T: Display> OptionalUrl for Option<T> {
    fn url_text(&self) -> Option<Value> {
        (self.as_ref()).map(|url| formatted(format_args!("{url}")))
    }
}

macro_rules! optional_url_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<T: OptionalUrl + ?Sized> OptionalUrl for $pointer {
            fn url_text(&self) -> Option<Value> {
                (**self).url_text()
            }
        }
    )*};
}

optional_url_through_pointer!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

/// Then, for a value named for a URL: the texts of the ones it holds, behind a
/// reference or in a `Vec` (`replica_urls: &[Url]`).
#[doc(hidden)]
pub trait ViaUrlTexts {
    fn __otel_value(&self) -> Option<Value>;
}

impl<T: std::ops::Deref + ?Sized> ViaUrlTexts for &&ExplicitUrl<'_, T>
where
    for<'a> &'a T::Target: IntoIterator<Item: Display>,
{
    fn __otel_value(&self) -> Option<Value> {
        let texts = ((&**self.0).into_iter().take(MAX_ARRAY_ITEMS))
            .map(|url| StringValue::from(format_bounded(format_args!("{url}"))))
            .collect();
        Some(Value::Array(Array::String(texts)))
    }
}

impl<T: Debug + ?Sized> ViaFormat for &ExplicitUrl<'_, T> {
    fn __otel_value(&self) -> Option<Value> {
        Some(formatted(format_args!("{:?}", self.0)))
    }
}

impl<T: ?Sized> ViaFallback for ExplicitUrl<'_, T> {
    type Output = Unrecordable;
    fn __otel_value(&self) -> Unrecordable {
        Unrecordable
    }
}

impl<T: ?Sized> ViaFallback for Arg<'_, T> {
    type Output = Option<Value>;
    #[inline]
    fn __otel_value(&self) -> Option<Value> {
        None
    }
}

impl<T: Debug + ?Sized> ViaFormat for &Explicit<'_, T> {
    fn __otel_value(&self) -> Option<Value> {
        Some(formatted(format_args!("{:?}", self.0)))
    }
}

impl<T: Display + ?Sized> ViaFormat for &ExplicitDisplay<'_, T> {
    fn __otel_value(&self) -> Option<Value> {
        Some(formatted(format_args!("{}", self.0)))
    }
}

impl<T: ?Sized> ViaFallback for Explicit<'_, T> {
    type Output = Unrecordable;
    fn __otel_value(&self) -> Unrecordable {
        Unrecordable
    }
}

impl<T: ?Sized> ViaFallback for ExplicitDisplay<'_, T> {
    type Output = Unrecordable;
    fn __otel_value(&self) -> Unrecordable {
        Unrecordable
    }
}

/// What the probe of an `#[attr]` parameter yields when its type has no way to
/// become an attribute. It deliberately does not implement [`RecordedValue`], so the
/// expansion fails to compile at the parameter, with the message below.
#[doc(hidden)]
#[derive(Debug)]
pub struct Unrecordable;

/// The result of a probe that the expansion can record.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this value cannot be recorded as an attribute: its type lacks the trait its recording uses (`Debug` or `otel_traced::AsAttribute`; `Display` for `#[attr(display)]`)",
    label = "needs `Debug` or `otel_traced::AsAttribute` (with `display`: `Display`)",
    note = "derive `Debug`, record it with `Display` (`#[attr(display)]`, or `%value` in `attrs(..)`) if it has one, implement `otel_traced::AsAttribute`, or do not record it"
)]
pub trait RecordedValue {
    fn into_recorded(self) -> Option<Value>;
}

// Not offered in the error for a type that cannot be recorded: it would name
// this impl, not the user's type.
#[diagnostic::do_not_recommend]
impl RecordedValue for Option<Value> {
    #[inline]
    fn into_recorded(self) -> Option<Value> {
        self
    }
}

/// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (or the general
/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`), in characters as the specification counts
/// them: as the installed configuration says, else the environment (a test
/// capture, say).
pub(crate) static VALUE_LENGTH_LIMIT: InstalledSetting<Option<usize>> =
    InstalledSetting::new(crate::config::value_length_limit_from_env);

/// Cuts string values (and each string of a string array) to the value length
/// limit; other values pass unchanged. Inlined: without a limit (the default) it is
/// one load and a branch per recorded value.
#[inline]
pub(crate) fn within_length_limit(value: Value) -> Value {
    match VALUE_LENGTH_LIMIT.get() {
        None => value,
        Some(limit) => cut_to(value, limit),
    }
}

/// Cuts every string a span carries to `limit` characters, where our pipelines
/// export it and where a capture keeps it: what a request brought (a user agent, a
/// path, a gRPC status message), a type name, what code set through the API. Values
/// `#[traced]` records were cut as they were recorded (which spares holding them
/// whole, and serves an application's own provider too).
pub(crate) fn cut_span_to(span: &mut SpanData, limit: usize) {
    cut_all_to(&mut span.attributes, limit);
    for event in &mut span.events.events {
        cut_all_to(&mut event.attributes, limit);
    }
    for link in &mut span.links.links {
        cut_all_to(&mut link.attributes, limit);
    }
    if let Status::Error { description } = &mut span.status
        && let Some(end) = cut_end(description, limit)
    {
        description.to_mut().truncate(end);
    }
}

/// Cuts the strings of `attributes` to the value length limit, if there is one:
/// for what reaches a provider that is not ours whole (an exception event, a
/// span's opening attributes), which our pipelines' cut does not see.
pub(crate) fn attributes_within_length_limit(attributes: &mut [KeyValue]) {
    if let Some(limit) = VALUE_LENGTH_LIMIT.get() {
        cut_all_to(attributes, limit);
    }
}

fn cut_all_to(attributes: &mut [KeyValue], limit: usize) {
    for attribute in attributes {
        let value = std::mem::replace(&mut attribute.value, Value::Bool(false));
        attribute.value = cut_to(value, limit);
    }
}

/// A text a peer sent (a path, a query, a host, a user agent), as a span takes
/// it: its first [`MAX_FORMATTED_CHARS`] characters (as of a formatted argument),
/// or the value length limit's where that is shorter, borrowed, so that no more
/// is copied: a request's 400 KiB header is not held whole by every span waiting
/// for export.
pub(crate) fn as_received(text: &str) -> &str {
    text_within(text, received_limit())
}

/// [`as_received`] of a text made of what a peer sent (a redacted query, a URL),
/// cut where it is made whole: a URL cut before its user information was
/// redacted would show it.
pub(crate) fn received(mut text: String) -> String {
    let kept = as_received(&text).len();
    if kept < text.len() {
        text.truncate(kept);
        text.shrink_to_fit();
    }
    text
}

fn received_limit() -> usize {
    VALUE_LENGTH_LIMIT
        .get()
        .map_or(MAX_FORMATTED_CHARS, |limit| limit.min(MAX_FORMATTED_CHARS))
}

/// The first `limit` characters of `text`.
pub(crate) fn text_within(text: &str, limit: usize) -> &str {
    // No more bytes than the limit: no more characters, none to count.
    if text.len() <= limit {
        return text;
    }
    &text[..cut_end(text, limit).unwrap_or(text.len())]
}

/// Whether `text` is longer than `limit` characters (its bytes read first: no
/// longer, no more characters).
pub(crate) fn is_longer_than(text: &str, limit: usize) -> bool {
    text.len() > limit && cut_end(text, limit).is_some()
}

/// Where `text` is cut to `limit` characters, if it is longer.
fn cut_end(text: &str, limit: usize) -> Option<usize> {
    text.char_indices().nth(limit).map(|(end, _)| end)
}

/// `text` cut to `limit` characters.
pub(crate) fn cut_text(text: StringValue, limit: usize) -> StringValue {
    match cut_end(text.as_str(), limit) {
        Some(end) => StringValue::from(text.as_str()[..end].to_owned()),
        None => text,
    }
}

/// `value`'s strings cut to `limit` characters; other values pass unchanged.
pub(crate) fn cut_to(value: Value, limit: usize) -> Value {
    let cut = |text| cut_text(text, limit);
    match value {
        Value::String(text) => Value::String(cut(text)),
        Value::Array(Array::String(items)) => {
            Value::Array(Array::String(items.into_iter().map(cut).collect()))
        }
        other => other,
    }
}

/// Formats into a string value cut at [`MAX_FORMATTED_CHARS`] characters, without
/// formatting more than that.
pub(crate) fn formatted(args: fmt::Arguments<'_>) -> Value {
    Value::String(StringValue::from(format_bounded(args)))
}

/// Formatted text up to this many bytes is built on the stack and then allocated
/// once, at its exact size (a `String` grown piece by piece allocates three or four
/// times for a small struct's `Debug`, the last time to shrink it into a value).
const INLINE_BYTES: usize = 256;

/// Formats `args`, keeping at most [`MAX_FORMATTED_CHARS`] characters and stopping
/// the formatter as soon as the limit is reached (a huge `Debug` output costs no more
/// than the kept part).
pub(crate) fn format_bounded(args: fmt::Arguments<'_>) -> String {
    format_within(args, MAX_FORMATTED_CHARS)
}

/// [`format_bounded`] to `limit` characters.
pub(crate) fn format_within(args: fmt::Arguments<'_>, limit: usize) -> String {
    let mut out = Bounded {
        inline: [0; INLINE_BYTES],
        len: 0,
        spilled: String::new(),
        chars: 0,
        limit,
    };
    // An error here only means the limit was reached: what fits is kept. A
    // `Display` or `Debug` that panics must not turn instrumentation into a panic
    // the program would not have had (uninstrumented, nothing formats the value):
    // the value then says so instead.
    if crate::panic::contained(|| out.write_fmt(args)).is_none() {
        out.spilled.clear();
        out.len = 0;
        out.chars = 0;
        let _ = out.write_str(FORMATTING_PANICKED);
    }
    out.finish()
}

/// The text of a value whose `Display` or `Debug` panicked while it was recorded.
pub(crate) const FORMATTING_PANICKED: &str = "<formatting panicked>";

/// The writer of [`format_bounded`]: the text on the stack while it fits, in
/// `spilled` once it does not.
struct Bounded {
    inline: [u8; INLINE_BYTES],
    len: usize,
    spilled: String,
    chars: usize,
    /// The most characters kept.
    limit: usize,
}

impl Bounded {
    fn finish(self) -> String {
        if self.spilled.capacity() > 0 {
            return self.spilled;
        }
        std::str::from_utf8(&self.inline[..self.len])
            .expect("only whole characters are copied")
            .to_owned()
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        // The part of `piece` within the limit, cut at a character boundary. A
        // piece of no more bytes than the room left fits whole (a character is one
        // byte at least).
        let room = self.limit - self.chars;
        let end = if piece.len() <= room {
            self.chars += piece.chars().count();
            piece.len()
        } else {
            let end = piece
                .char_indices()
                .nth(room)
                .map_or(piece.len(), |(index, _)| index);
            self.chars += piece[..end].chars().count();
            end
        };
        let kept = &piece[..end];
        if self.spilled.capacity() == 0 && self.len + kept.len() <= INLINE_BYTES {
            self.inline[self.len..self.len + kept.len()].copy_from_slice(kept.as_bytes());
            self.len += kept.len();
        } else {
            if self.spilled.capacity() == 0 {
                let so_far = std::str::from_utf8(&self.inline[..self.len])
                    .expect("only whole characters are copied");
                self.spilled = String::with_capacity(2 * (self.len + kept.len()));
                self.spilled.push_str(so_far);
            }
            self.spilled.push_str(kept);
        }
        if end < piece.len() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{INLINE_BYTES, MAX_FORMATTED_CHARS, format_bounded, format_within};

    #[test]
    fn short_text_is_formatted_whole() {
        assert_eq!(format_bounded(format_args!("{:?}", (1, "é"))), "(1, \"é\")");
    }

    #[test]
    fn a_limit_of_its_own_keeps_that_many_characters() {
        assert_eq!(
            format_within(format_args!("{}-{}", "ééé", "abc"), 5),
            "ééé-a"
        );
    }

    #[test]
    fn text_longer_than_the_stack_buffer_is_kept_whole() {
        let long = "ü".repeat(INLINE_BYTES); // twice the buffer, in two-byte characters
        assert_eq!(
            format_bounded(format_args!("<{long}>")),
            format!("<{long}>")
        );
    }

    #[test]
    fn text_is_cut_at_the_limit_on_a_character_boundary() {
        let long = "é".repeat(MAX_FORMATTED_CHARS + 10);
        let text = format_bounded(format_args!("a{long}"));
        assert_eq!(text.chars().count(), MAX_FORMATTED_CHARS);
        assert!(text.starts_with("aé"));
    }
}
