//! `#[traced]` on a `main` that installs an `otel_traced::Config` itself.

#[otel_traced::traced]
fn main() -> Result<(), otel_traced::InitError> {
    let _guard = otel_traced::Config::from_env().service_name("shop").install()?;
    Ok(())
}
