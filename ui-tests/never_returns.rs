use otel_traced::traced;

#[traced]
fn serve_forever(port: u16) -> ! {
    loop {
        let _ = port;
    }
}

fn main() {
    if false {
        serve_forever(8080);
    }
}
