//! Names of the standard library's types, which no generic parameter is given:
//! an item the expansion nests in a function (a catalog entry, a local function)
//! can name them, where it cannot name the parameters of the function's impl,
//! which the macro does not see.

/// The primitive types and the standard library's common ones, as code names
/// them once imported.
const STD_TYPES: [&str; 39] = [
    "bool",
    "char",
    "str",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "String",
    "Vec",
    "Option",
    "Result",
    "Box",
    "Cow",
    "Rc",
    "Arc",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "VecDeque",
    "Duration",
    "Instant",
    "SystemTime",
    "IpAddr",
    "Ipv4Addr",
    "Ipv6Addr",
    "SocketAddr",
    "PathBuf",
    "Path",
];

/// Whether `ident` names one of [`STD_TYPES`].
pub(crate) fn is_std_type(ident: &syn::Ident) -> bool {
    STD_TYPES.iter().any(|name| ident == name)
}
