//! Every compile-time diagnostic of the macros, pinned with its exact message
//! (cases and their `.stderr` live in `ui-tests/` at the repository root).

#[test]
fn diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("../ui-tests/*.rs");
}
