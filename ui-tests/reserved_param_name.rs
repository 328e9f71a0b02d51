use otel_traced::{traced, traced_rpc};

// Named as the expansion's own locals are: the body would see those.
#[traced]
fn toggled(__otel_on: bool) -> bool {
    !__otel_on
}

#[traced_rpc(http)]
fn serve(request: &http::Request<()>, r#__otel_span: u32) -> http::Response<()> {
    let _ = (request, r#__otel_span);
    http::Response::new(())
}

fn main() {
    let _ = toggled(true);
    let _ = serve(&http::Request::new(()), 1);
}
