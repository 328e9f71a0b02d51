use otel_traced::{event, record, traced};

async fn count() -> u64 {
    1
}

#[traced(attrs(order.lines = count().await))]
async fn place() -> u64 {
    1
}

#[traced]
fn parse(text: &str) -> Result<u64, std::num::ParseIntError> {
    record!(order.rows = text.parse::<u64>()?);
    Ok(1)
}

#[traced]
fn scan(rows: &[u64]) -> u64 {
    for row in rows {
        event!("row", row.value = if *row == 0 { continue } else { *row });
        record!(order.last = if *row == 9 { break } else { *row });
    }
    // Their own: a closure's `?`, an `async` block's `.await`, a loop's and a
    // labeled block's `break`.
    record!(
        order.first = rows.iter().map(|row| Some(*row)).find_map(|row| Some(row?)),
        order.later = { let _later = async { count().await }; 1 },
        order.looped = loop { break 2 },
        order.labeled = 'found: { if rows.is_empty() { break 'found 0 } 1 },
    );
    // Leaving the value from within a loop of its own is leaving it still.
    record!(order.sum = 'rows: loop { if rows.is_empty() { return 0 } break 'rows 1 });
    rows.len() as u64
}

fn main() {
    let _ = (place(), parse("1"), scan(&[1]));
}
