#[otel_traced::main(service = "shop")]
fn main() {}

mod not_main {
    #[otel_traced::main]
    fn start() {}

    #[otel_traced::main]
    struct Settings;
}

mod with_arguments {
    // Another attribute's `main` (`#[paw::main]`) takes them.
    #[otel_traced::main]
    #[otel_traced::traced]
    fn main(port: u16) {
        let _ = port;
    }
}
