//! `#[traced]` on a `main` that calls `otel_traced::init()` (or installs a
//! `Config`) itself: its span would open before tracing is installed and record
//! nothing. A bare `init()` of another crate's (`env_logger::init()`) is not
//! taken for it.

mod env_logger {
    pub fn init() {}
}

#[otel_traced::traced]
fn main() -> Result<(), otel_traced::InitError> {
    env_logger::init();
    let _guard = otel_traced::init()?;
    Ok(())
}
