//! Every compile-time diagnostic of the macros, pinned with its exact message, and
//! correct code that must compile without a warning (cases and their `.stderr` live
//! in `ui-tests/` at the repository root).

#[test]
fn diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("../ui-tests/*.rs");
    cases.pass("../ui-tests/pass/*.rs");
}
