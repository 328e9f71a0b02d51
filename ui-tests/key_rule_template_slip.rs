#![allow(unused_variables)]

use otel_traced::traced;

// The template prefix misspelt: the key suggested is the template's, not one that
// would pass as a key of the application's own.
#[traced(attrs("http.request.headers.X-Request-Id" = ["abc"]))]
fn f() {}

// Misspelt, and in capitals.
#[traced(attrs("Http.Request.Headers.X-Id" = ["1"]))]
fn g() {}

fn main() {}
