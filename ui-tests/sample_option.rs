use otel_traced::traced;

#[traced(sample = sometimes)]
fn maybe() {}

#[traced(sample)]
fn flag_only() {}

fn main() {}
