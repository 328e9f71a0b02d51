//! A producer and a consumer joined by an in-process queue (a tokio channel carrying
//! headers and a payload), traced as messaging boundaries: the producer's `create`
//! span writes its context into the message's headers, `send` links to it, and the
//! consumer's `process` span continues it: producer and consumer share one trace
//! id. The console prints the consumer's part under that id once it has run (the
//! producer's request ended before the message was handled). A second queue
//! carries restocking notices sent and handled as batches (`batch = messages`):
//! one span for each batch, the consumer's linked to the producer's.
//!
//! ```text
//! cargo run -p otel-traced-examples --example queue
//! ```

use otel_traced::propagation::{Extract, Inject};
use otel_traced::{traced, traced_rpc};
use std::collections::HashMap;
use tokio::sync::mpsc;

type Headers = HashMap<String, String>;

/// What travels through the queue.
#[derive(Debug)]
struct Message {
    headers: Headers,
    payload: String,
}

/// A batch is read and written message by message, through each one's headers.
impl Extract for Message {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.headers.get_all(key)
    }

    fn keys(&self) -> Vec<&str> {
        Extract::keys(&self.headers)
    }
}

impl Inject for Message {
    fn set(&mut self, key: &str, value: String) {
        self.headers.set(key, value);
    }

    // So that a `tracestate` the message carried does not travel beside the
    // `traceparent` written in place of an invalid one.
    fn remove(&mut self, key: &str) {
        Inject::remove(&mut self.headers, key);
    }
}

// A message's payload is recorded as any parameter is (whole, a string; its first
// bytes, as bytes): skipped, as what a message holds may be any size, and personal.
#[traced_rpc(messaging, create, system = "tokio", destination = "orders", carrier = headers, skip(payload))]
fn create(headers: Headers, payload: &str) -> Message {
    Message {
        headers,
        payload: payload.to_owned(),
    }
}

/// A queue the consumer closed: the message was not sent.
type Unsent = mpsc::error::SendError<Message>;

/// Fails, its span and sent-message count saying so, once the consumer is gone.
#[traced_rpc(messaging, send, system = "tokio", destination = "orders", carrier = headers, skip(queue, payload))]
async fn send(
    queue: &mpsc::Sender<Message>,
    mut headers: Headers,
    payload: String,
) -> Result<(), Unsent> {
    queue.send(Message { headers, payload }).await
}

#[traced]
async fn place_order(queue: &mpsc::Sender<Message>, order_id: u64) -> Result<(), Unsent> {
    let message = create(Headers::new(), &format!("order {order_id}"));
    send(queue, message.headers, message.payload).await
}

#[traced_rpc(messaging, process, system = "tokio", destination = "orders", carrier = headers, skip(payload))]
async fn process(headers: Headers, payload: String) -> usize {
    reserve_stock(&payload).await
}

#[traced]
async fn reserve_stock(order: &str) -> usize {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    order.len()
}

#[traced_rpc(messaging, send, system = "tokio", destination = "restock", batch = notices, skip(queue))]
async fn send_restocks(queue: &mpsc::Sender<Message>, notices: Vec<Message>) -> Result<(), Unsent> {
    for notice in notices {
        queue.send(notice).await?;
    }
    Ok(())
}

#[traced_rpc(messaging, process, system = "tokio", destination = "restock", batch = notices)]
async fn restock(notices: &[Message]) -> usize {
    notices.iter().map(|notice| notice.payload.len()).sum()
}

#[otel_traced::main]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (queue, mut incoming) = mpsc::channel::<Message>(16);
    let consumer = tokio::spawn(async move {
        while let Some(message) = incoming.recv().await {
            process(message.headers, message.payload).await;
        }
    });
    let (restocks, mut notices) = mpsc::channel::<Message>(16);
    let restocker = tokio::spawn(async move {
        let mut batch = Vec::new();
        while notices.recv_many(&mut batch, 16).await > 0 {
            restock(&batch).await;
            batch.clear();
        }
    });
    for order_id in [42, 43] {
        place_order(&queue, order_id).await?;
    }
    let batch = ["lamp", "desk"].map(|sku| Message {
        headers: Headers::new(),
        payload: format!("restock {sku}"),
    });
    send_restocks(&restocks, batch.into()).await?;
    drop((queue, restocks));
    // A consumer that panicked is the run's failure.
    let (consumed, restocked) = tokio::join!(consumer, restocker);
    consumed?;
    restocked?;
    Ok(())
}
