#[otel_traced::main(service = "shop")]
fn main() {}

mod not_main {
    #[otel_traced::main]
    fn start() {}

    #[otel_traced::main]
    struct Settings;
}
