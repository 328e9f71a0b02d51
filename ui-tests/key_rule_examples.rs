#![allow(unused_variables)]

use otel_traced::traced;

// The key suggested would fail again: none is given.
#[traced(attrs("OTEL.Retry" = 1))]
fn reserved() {}

// Under a deprecated template prefix: the key suggested is under its replacement.
#[traced(attrs("container.labels.My Label" = "x"))]
fn deprecated_template() {}

// A deprecated key's spelling: the key suggested is its replacement.
#[traced(attrs("HTTP.Method" = "GET"))]
fn deprecated_key() {}

// An obsolete key's spelling: no key is suggested, as it would be warned of.
#[traced(attrs("DB.User" = "admin"))]
fn obsolete_key() {}

// A namespace's spelling: no key is suggested, as it would be warned of.
#[traced(attrs("Http.Request" = "GET /"))]
fn namespace() {}

// A template's prefix in another case: what follows it keeps its `-`.
#[traced(attrs("Http.Request.Header.X-Id" = ["1"]))]
fn template_in_another_case() {}

// Words of another script: no key is suggested, as it would say nothing (`__.__`).
#[traced(attrs("订单.编号" = 1))]
fn another_script() {}

fn main() {}
