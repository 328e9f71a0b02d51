use otel_traced::traced;

#[traced(err)]
fn count() -> u32 {
    1
}

/// Through an alias the macro cannot see through: the compiler says it.
type Count = u32;

#[traced(err)]
fn aliased_count() -> Count {
    1
}

fn main() {
    let _ = count();
    let _ = aliased_count();
}
