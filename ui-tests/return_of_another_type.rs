use otel_traced::traced;

// A `return` of another type than the signature's is said to be expected because
// of the return type, pointed at as without the annotation.
#[traced]
fn size(limit: u32) -> u32 {
    if limit > 1 {
        return "too many";
    }
    limit
}

#[traced]
async fn size_later(limit: u32) -> u32 {
    if limit > 1 {
        return "too many";
    }
    limit
}

fn main() {
    let _ = size(1);
    let _ = size_later(1);
}
