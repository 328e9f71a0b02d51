//! A `main` named for the linker as edition 2024 writes it
//! (`#[unsafe(export_name = ..)]`) changes nothing of its body: `#[traced]` below
//! `#[otel_traced::main]` instruments it as on any `main`.
#![deny(warnings)]

#[otel_traced::main]
#[unsafe(export_name = "otel_traced_ui_main")]
#[otel_traced::traced]
fn main() {}
