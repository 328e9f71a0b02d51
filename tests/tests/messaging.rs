//! Messaging boundaries (DESIGN §9): every operation's span name, kind and
//! attributes; the creation context travelling in the message's headers; `process`
//! parented to it (or to the current span, linking to it), `send` linking to a
//! `create` span's context, `receive` and `settle` linking to the messages; the
//! same operations over a batch (`batch = messages`), linking to every message.
// The expansion's uses of carriers named `_headers` are its own (clippy's pedantic
// lint, which CI's clippy then checks here).
#![warn(
    clippy::used_underscore_binding,
    clippy::no_effect_underscore_binding,
    clippy::shadow_same
)]

use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceId};
use otel_traced::propagation::{Extract, Inject};
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::capture;
use otel_traced::{traced, traced_rpc};
use otel_traced_tests::{assert_child_of, attribute, string};
use std::collections::HashMap;
use std::sync::Mutex;

type Headers = HashMap<String, String>;

#[derive(Clone, Debug)]
struct Message {
    headers: Headers,
    body: String,
}

/// The consumer side reads a message's headers through the message itself.
impl Extract for Message {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.headers.get_all(key)
    }

    fn keys(&self) -> Vec<&str> {
        Extract::keys(&self.headers)
    }
}

/// A batch producer writes into each message's headers.
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

type Queue = Mutex<Vec<Message>>;

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", carrier = headers)]
fn create(body: &str, headers: Headers) -> Message {
    Message {
        headers,
        body: body.to_owned(),
    }
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers, skip(queue, body))]
fn send(queue: &Queue, mut headers: Headers, body: String) {
    queue.lock().unwrap().push(Message { headers, body });
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = message, skip(queue))]
fn receive(queue: &Queue, message: &Message) -> usize {
    queue.lock().unwrap().len()
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = message)]
fn process(message: &Message) -> usize {
    inventory(message.body.len())
}

#[traced]
fn inventory(units: usize) -> usize {
    units
}

/// A settlement the system calls `ack`, by a consumer group: its
/// `messaging.operation.name`, and the span's name.
#[traced_rpc(
    messaging,
    settle,
    operation_name = "ack",
    system = "kafka",
    destination = "orders",
    consumer_group = "fulfilment",
    carrier = message
)]
fn acknowledge(message: &Message) {
    let _ = message;
}

#[traced_rpc(messaging, receive, system = "rabbitmq")]
fn poll(queue: &Queue) -> Option<Message> {
    queue.lock().unwrap().pop()
}

#[traced(skip(queue))]
fn checkout(queue: &Queue, order: &str) {
    let message = create(order, Headers::new());
    send(queue, message.headers, message.body);
}

#[traced(skip(queue))]
fn place_order(queue: &Queue, order: &str) {
    send(queue, Headers::new(), order.to_owned());
}

#[traced(skip(queue))]
fn worker_loop(queue: &Queue) -> usize {
    let message = queue.lock().unwrap().pop().expect("a message");
    receive(queue, &message);
    let units = process(&message);
    acknowledge(&message);
    units
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = messages, skip(queue))]
fn send_batch(queue: &Queue, messages: Vec<Message>) {
    queue.lock().unwrap().extend(messages);
}

/// Carriers the bodies do not read, named so.
#[traced_rpc(messaging, create, system = "kafka", destination = "orders", carrier = _headers)]
fn create_unread(_headers: Headers) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = _headers)]
fn send_unread(_headers: &mut Headers) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = _message)]
fn process_unread(_message: &Message) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = _messages)]
fn send_batch_unread(_messages: &mut [Message]) {}

#[test]
fn carriers_the_bodies_do_not_read_are_still_written_and_read() {
    let mut sent = message("an order");
    let mut batch = [message("a lamp"), message("a chair")];
    let captured = capture(|| {
        create_unread(Headers::default());
        send_unread(&mut sent.headers);
        process_unread(&sent);
        send_batch_unread(&mut batch);
    });
    let spans = captured.spans();
    assert_eq!(spans.len(), 4, "{}", captured.tree());
    let span_of = |carried: Option<Ids>| {
        let carried = carried.expect("a context written");
        spans
            .iter()
            .find(|span| ids(&span.span_context) == carried)
            .expect("the span the message names")
    };
    let send = span_of(carried(&sent));
    assert_eq!(&*send.name, "send orders");
    let process = find(spans, "process orders");
    assert_child_of(process, send);
    assert_eq!(linked_to(process), [ids(&send.span_context)], "read");
    let batch_send = span_of(carried(&batch[0]));
    assert_eq!(&*batch_send.name, "send orders");
    assert_ne!(batch_send.span_context, send.span_context);
    assert_eq!(carried(&batch[1]), carried(&batch[0]));
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = messages)]
fn send_in_place(messages: &mut [Message]) {
    let _ = messages;
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = messages)]
fn process_batch(messages: &[Message]) -> usize {
    inventory(messages.len())
}

/// A batch processed in a trace of its own, whatever span is current.
#[traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = messages, root)]
fn process_batch_apart(messages: &[Message]) -> usize {
    messages.len()
}

/// A poll loop's span, around the processing of what it polled.
#[traced]
fn poll_loop(messages: &[Message]) -> usize {
    process_batch_apart(messages)
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = messages)]
fn receive_batch(messages: &[Message]) -> usize {
    messages.len()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return, skip(queue))]
fn poll_batch(queue: &Queue, most: usize) -> Vec<Message> {
    let mut queue = queue.lock().unwrap();
    let taken = queue.len().min(most);
    queue.drain(..taken).collect()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return, skip(queue))]
async fn try_poll(queue: &Queue) -> Result<Vec<Message>, String> {
    match std::mem::take(&mut *queue.lock().unwrap()) {
        batch if batch.is_empty() => Err("nothing to receive".to_owned()),
        batch => Ok(batch),
    }
}

/// A consumer that hands out a view of its own buffer.
struct Consumer {
    buffer: Vec<Message>,
}

impl Consumer {
    #[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return, skip(queue))]
    fn poll(&mut self, queue: &Queue) -> &[Message] {
        self.buffer = std::mem::take(&mut *queue.lock().unwrap());
        &self.buffer
    }

    #[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return, skip(queue))]
    fn poll_timed_out(&mut self, queue: &Queue) -> Option<Vec<Message>> {
        let batch = std::mem::take(&mut *queue.lock().unwrap());
        (!batch.is_empty()).then_some(batch)
    }
}

/// A pull consumer's single-message receive (`basic_get`).
#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return, skip(queue))]
fn receive_one(queue: &Queue) -> Result<Option<Message>, String> {
    Ok(queue.lock().unwrap().pop())
}

#[traced_rpc(messaging, settle, system = "kafka", destination = "orders", batch = messages)]
fn settle_batch(mut messages: Vec<Message>) -> usize {
    messages.drain(..).count()
}

fn message(body: &str) -> Message {
    Message {
        headers: Headers::new(),
        body: body.to_owned(),
    }
}

/// The trace and span a message's `traceparent` names.
fn carried(message: &Message) -> Option<Ids> {
    let traceparent = message.headers.get("traceparent")?;
    let fields: Vec<&str> = traceparent.split('-').collect();
    Some((
        TraceId::from_hex(fields[1]).ok()?,
        SpanId::from_hex(fields[2]).ok()?,
    ))
}

fn assert_count(span: &SpanData, count: i64) {
    assert_eq!(
        attribute(span, "messaging.batch.message_count"),
        Some(&Value::I64(count)),
        "{}",
        span.name
    );
}

fn find<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

fn assert_messaging(span: &SpanData, kind: SpanKind, operation: &str) {
    assert_eq!(span.span_kind, kind, "{}", span.name);
    assert_eq!(attribute(span, "messaging.system"), Some(&string("kafka")));
    assert_eq!(
        attribute(span, "messaging.operation.type"),
        Some(&string(operation))
    );
    // The span is named `{messaging.operation.name} {destination}`.
    let (name, destination) = span.name.split_once(' ').expect("a destination");
    assert_eq!(destination, "orders");
    assert_eq!(
        attribute(span, "messaging.operation.name"),
        Some(&string(name))
    );
    assert_eq!(
        attribute(span, "messaging.destination.name"),
        Some(&string("orders"))
    );
}

type Ids = (TraceId, SpanId);

fn ids(context: &SpanContext) -> Ids {
    (context.trace_id(), context.span_id())
}

/// The spans `span` links to (a link read from headers is remote; the ids match).
fn linked_to(span: &SpanData) -> Vec<Ids> {
    span.links
        .iter()
        .map(|link| ids(&link.span_context))
        .collect()
}

#[test]
fn create_send_then_process_with_no_span_around_it_form_one_trace() {
    let queue = Queue::default();
    let captured = capture(|| {
        checkout(&queue, "4 lamps");
        // The consumer, with no span of its own around it.
        let message = queue.lock().unwrap().pop().expect("a message");
        process(&message)
    });
    assert_eq!(*captured.output(), 7);
    let spans = captured.spans();
    let (checkout, create, send, process, inventory) = (
        find(spans, "checkout"),
        find(spans, "create orders"),
        find(spans, "send orders"),
        find(spans, "process orders"),
        find(spans, "inventory"),
    );
    assert_messaging(create, SpanKind::Producer, "create");
    // Its context is not the message's creation context (create's is): CLIENT,
    // as the messaging conventions say for such a `send`.
    assert_messaging(send, SpanKind::Client, "send");
    assert_messaging(process, SpanKind::Consumer, "process");
    assert_child_of(create, checkout);
    assert_child_of(send, checkout);
    // The message carries the create span's context; send links to it rather
    // than replacing it.
    assert_eq!(linked_to(send), [ids(&create.span_context)]);
    assert_child_of(process, create);
    assert_eq!(linked_to(process), [ids(&create.span_context)]);
    assert_child_of(inventory, process);
    let trace: Vec<TraceId> = spans
        .iter()
        .map(|span| span.span_context.trace_id())
        .collect();
    assert!(trace.iter().all(|id| *id == trace[0]), "one trace");
    assert_eq!(spans.len(), 5, "{}", captured.tree());
}

#[test]
fn create_keeps_a_creation_context_the_user_put_in_the_message() {
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let headers = Headers::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let captured =
        capture(|| otel_traced::baggage::with([("tenant", "acme")], || create("a chair", headers)));
    assert_eq!(
        captured
            .output()
            .headers
            .get("traceparent")
            .map(String::as_str),
        Some(traceparent),
        "the user's creation context, unchanged"
    );
    assert_eq!(
        captured.output().headers.get("baggage").map(String::as_str),
        Some("tenant=acme"),
        "the call's baggage, as a send's"
    );
    assert!(
        captured.find("create orders").is_none(),
        "no create span: {}",
        captured.tree()
    );
}

#[test]
fn a_message_sent_without_create_carries_the_send_span() {
    let queue = Queue::default();
    let captured = capture(|| {
        place_order(&queue, "a kettle");
        let message = queue.lock().unwrap().pop().expect("a message");
        process(&message)
    });
    let spans = captured.spans();
    let (send, process) = (find(spans, "send orders"), find(spans, "process orders"));
    assert_messaging(send, SpanKind::Producer, "send");
    assert!(send.links.is_empty());
    assert_child_of(process, send);
    assert_eq!(linked_to(process), [ids(&send.span_context)]);
}

#[test]
fn inside_a_worker_span_receive_process_and_settle_are_its_children_linked_to_the_message() {
    let queue = Queue::default();
    let producer = capture(|| place_order(&queue, "a piano"));
    let send = find(producer.spans(), "send orders").span_context.clone();
    let consumer = capture(|| worker_loop(&queue));
    let spans = consumer.spans();
    let worker = find(spans, "worker_loop");
    let (receive, process, settle) = (
        find(spans, "receive orders"),
        find(spans, "process orders"),
        find(spans, "ack orders"),
    );
    assert_messaging(receive, SpanKind::Client, "receive");
    assert_messaging(process, SpanKind::Consumer, "process");
    assert_messaging(settle, SpanKind::Client, "settle");
    for span in [receive, process, settle] {
        assert_child_of(span, worker);
        assert_eq!(linked_to(span), [ids(&send)], "{}", span.name);
    }
    assert_eq!(
        attribute(settle, "messaging.consumer.group.name"),
        Some(&Value::from("fulfilment"))
    );
    assert_eq!(attribute(receive, "messaging.consumer.group.name"), None);
}

/// The baggage a handler sees: the tenant, the region.
fn tenant_and_region() -> (Option<String>, Option<String>) {
    (
        otel_traced::baggage::get("tenant"),
        otel_traced::baggage::get("region"),
    )
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = message)]
fn process_for_tenant(message: &Message) -> (Option<String>, Option<String>) {
    let _ = message;
    tenant_and_region()
}

#[traced(skip(message))]
fn tenant_worker(message: &Message) -> (Option<String>, Option<String>) {
    process_for_tenant(message)
}

/// A message sent under the baggage `tenant=acme`, and the capture of its sending.
fn sent_for_acme() -> (Message, otel_traced::testing::Captured<()>) {
    let queue = Queue::default();
    let produced = capture(|| {
        otel_traced::baggage::with([("tenant", "acme")], || place_order(&queue, "a piano"))
    });
    let message = queue.lock().unwrap().pop().expect("sent");
    (message, produced)
}

#[test]
fn inside_a_worker_span_process_still_carries_the_messages_baggage() {
    let (message, _) = sent_for_acme();
    assert!(message.headers.contains_key("baggage"), "{message:?}");
    let consumer = capture(|| {
        otel_traced::baggage::with([("region", "eu"), ("tenant", "the worker's")], || {
            tenant_worker(&message)
        })
    });
    assert_eq!(
        consumer.output(),
        &(Some("acme".to_owned()), Some("eu".to_owned())),
        "the message's entries win, the worker's others stay"
    );
    let process = find(consumer.spans(), "process orders");
    assert_child_of(process, find(consumer.spans(), "tenant_worker"));
    // Outside any span too: the message's context is the parent, the worker's
    // baggage stays under the message's.
    let alone = capture(|| {
        otel_traced::baggage::with([("region", "eu"), ("tenant", "the worker's")], || {
            process_for_tenant(&message)
        })
    });
    assert_eq!(
        alone.output(),
        &(Some("acme".to_owned()), Some("eu".to_owned()))
    );
}

/// A consumer of a queue anyone may write to: the producer's context is linked
/// to, not continued, and its baggage does not reach the handler. (Its broker an
/// expression, evaluated only when tracing is on.)
#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = message, root, server = broker, skip(broker))]
fn process_untrusted(message: &Message, broker: &str) -> (Option<String>, Option<String>) {
    let _ = message;
    tenant_and_region()
}

#[test]
fn a_root_process_starts_a_trace_of_its_own_linked_to_the_message_without_its_baggage() {
    let (message, produced) = sent_for_acme();
    let created = ids(&find(produced.spans(), "send orders").span_context);
    for under_a_span in [false, true] {
        let consumer = capture(|| {
            otel_traced::baggage::with([("region", "eu")], || {
                if under_a_span {
                    otel_traced::in_span("worker", || process_untrusted(&message, "kafka-1:9092"))
                } else {
                    process_untrusted(&message, "kafka-1:9092")
                }
            })
        });
        assert_eq!(
            consumer.output(),
            &(None, Some("eu".to_owned())),
            "the worker's baggage alone"
        );
        let process = find(consumer.spans(), "process orders");
        assert_messaging(process, SpanKind::Consumer, "process");
        assert_eq!(
            process.parent_span_id,
            SpanId::INVALID,
            "{}",
            consumer.tree()
        );
        assert_ne!(process.span_context.trace_id(), created.0);
        assert_eq!(linked_to(process), [created]);
    }
    // Not traced (nothing installed, no capture): the body runs as without the
    // annotation, none of the message's baggage in it.
    let untraced = otel_traced::baggage::with([("region", "eu")], || {
        process_untrusted(&message, "kafka-1:9092")
    });
    assert_eq!(untraced, (None, Some("eu".to_owned())));
}

#[test]
fn a_receive_without_headers_is_named_by_its_operation_alone() {
    let queue = Queue::default();
    let captured = capture(|| poll(&queue));
    assert!(captured.output().is_none());
    let span = find(captured.spans(), "receive");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        attribute(span, "messaging.system"),
        Some(&string("rabbitmq"))
    );
    assert_eq!(attribute(span, "messaging.destination.name"), None);
    assert!(span.links.is_empty());
}

#[test]
fn a_receive_returning_one_message_links_to_it_without_a_batch_count() {
    let queue = Queue::default();
    let captured = capture(|| {
        checkout(&queue, "a lamp");
        (receive_one(&queue), receive_one(&queue))
    });
    let (received, none) = captured.output();
    assert_eq!(
        received
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|message| &*message.body),
        Some("a lamp")
    );
    assert!(matches!(none, Ok(None)));
    let spans = captured.spans();
    let create = find(spans, "create orders");
    let receives: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.name == "receive orders")
        .collect();
    let [first, second] = receives[..] else {
        panic!("two receives: {}", captured.tree());
    };
    assert_messaging(first, SpanKind::Client, "receive");
    let links: Vec<Ids> = first
        .links
        .iter()
        .map(|link| ids(&link.span_context))
        .collect();
    assert_eq!(
        links,
        [ids(&create.span_context)],
        "the message's creation context"
    );
    assert!(second.links.is_empty(), "nothing received");
    for receive in [first, second] {
        assert_eq!(
            attribute(receive, "messaging.batch.message_count"),
            None,
            "a single-message operation has no batch count"
        );
    }
}

#[test]
fn a_batch_send_links_to_the_creation_contexts_and_gives_its_own_to_the_other_messages() {
    let queue = Queue::default();
    let captured = capture(|| {
        let created = create("a lamp", Headers::new());
        send_batch(&queue, vec![message("a desk"), created, message("a rug")]);
    });
    let spans = captured.spans();
    let (create, send) = (find(spans, "create orders"), find(spans, "send orders"));
    // Two messages take its context as their creation context: a PRODUCER.
    assert_messaging(send, SpanKind::Producer, "send");
    assert_count(send, 3);
    assert_eq!(linked_to(send), [ids(&create.span_context)]);
    let sent: Vec<Option<Ids>> = queue.lock().unwrap().iter().map(carried).collect();
    let (send, create) = (
        Some(ids(&send.span_context)),
        Some(ids(&create.span_context)),
    );
    assert_eq!(
        sent,
        [send, create, send],
        "the created message keeps its context"
    );
}

#[test]
fn a_batch_send_of_created_messages_only_is_a_client_span_that_changes_none() {
    let mut messages = Vec::new();
    let producer = capture(|| {
        messages = vec![
            create("a lamp", Headers::new()),
            create("a sofa", Headers::new()),
        ];
    });
    let before: Vec<Option<Ids>> = messages.iter().map(carried).collect();
    let captured = capture(|| send_in_place(&mut messages));
    let send = find(captured.spans(), "send orders");
    assert_messaging(send, SpanKind::Client, "send");
    assert_count(send, 2);
    let created: Vec<Ids> = producer
        .spans()
        .iter()
        .map(|span| ids(&span.span_context))
        .collect();
    assert_eq!(linked_to(send), created);
    assert_eq!(messages.iter().map(carried).collect::<Vec<_>>(), before);
}

#[test]
fn a_root_batch_process_starts_a_trace_of_its_own_under_a_current_span() {
    let queue = Queue::default();
    let sender = capture(|| place_order(&queue, "a bed"));
    let batch = queue.lock().unwrap().clone();
    let captured = capture(|| poll_loop(&batch));
    let spans = captured.spans();
    let (process, poll) = (find(spans, "process orders"), find(spans, "poll_loop"));
    assert_eq!(process.parent_span_id, SpanId::INVALID, "a root");
    assert_ne!(
        process.span_context.trace_id(),
        poll.span_context.trace_id()
    );
    let sent = ids(&find(sender.spans(), "send orders").span_context);
    assert_eq!(linked_to(process), [sent]);
}

#[test]
fn a_batch_process_with_no_span_around_it_is_a_root_linked_to_every_message() {
    let queue = Queue::default();
    let first = capture(|| place_order(&queue, "a bed"));
    let second = capture(|| place_order(&queue, "a cot"));
    let mut batch = queue.lock().unwrap().clone();
    batch.push(message("untraced"));
    let captured = capture(|| process_batch(&batch));
    assert_eq!(*captured.output(), 3);
    let spans = captured.spans();
    let (process, inventory) = (find(spans, "process orders"), find(spans, "inventory"));
    assert_messaging(process, SpanKind::Consumer, "process");
    assert_count(process, 3);
    assert_eq!(
        process.parent_span_id,
        SpanId::INVALID,
        "a batch has no one parent"
    );
    let senders: Vec<Ids> = [&first, &second]
        .iter()
        .map(|producer| ids(&find(producer.spans(), "send orders").span_context))
        .collect();
    assert_eq!(
        linked_to(process),
        senders,
        "the untraced message links nowhere"
    );
    assert_ne!(process.span_context.trace_id(), senders[0].0);
    assert_child_of(inventory, process);
}

#[test]
fn batch_receive_and_settle_inside_a_worker_span_are_its_children_linked_to_the_messages() {
    let queue = Queue::default();
    let producer = capture(|| place_order(&queue, "a vase"));
    let send = ids(&find(producer.spans(), "send orders").span_context);
    let batch = queue.lock().unwrap().clone();
    let consumer = capture(|| {
        worker(|| {
            receive_batch(&batch);
            process_batch(&batch);
            settle_batch(batch)
        })
    });
    let spans = consumer.spans();
    let worker = find(spans, "worker");
    for (name, kind, operation) in [
        ("receive orders", SpanKind::Client, "receive"),
        ("process orders", SpanKind::Consumer, "process"),
        ("settle orders", SpanKind::Client, "settle"),
    ] {
        let span = find(spans, name);
        assert_messaging(span, kind, operation);
        assert_count(span, 1);
        assert_child_of(span, worker);
        assert_eq!(linked_to(span), [send], "{name}");
    }
}

#[test]
fn an_empty_batch_counts_no_message_and_links_nowhere() {
    let captured = capture(|| process_batch(&[]) + settle_batch(Vec::new()));
    assert_eq!(*captured.output(), 0);
    for name in ["process orders", "settle orders"] {
        let span = find(captured.spans(), name);
        assert_count(span, 0);
        assert!(span.links.is_empty(), "{name}");
    }
}

#[traced]
fn worker<R>(body: impl FnOnce() -> R) -> R {
    body()
}

#[test]
fn a_receive_links_to_the_messages_it_returns() {
    let queue = Queue::default();
    let first = capture(|| place_order(&queue, "a stool"));
    let second = capture(|| place_order(&queue, "a shelf"));
    queue.lock().unwrap().push(message("untraced"));
    let senders: Vec<Ids> = [&first, &second]
        .iter()
        .map(|producer| ids(&find(producer.spans(), "send orders").span_context))
        .collect();
    let captured = capture(|| poll_batch(&queue, 16));
    assert_eq!(captured.output().len(), 3);
    let receive = find(captured.spans(), "receive orders");
    assert_messaging(receive, SpanKind::Client, "receive");
    assert_count(receive, 3);
    assert_eq!(
        linked_to(receive),
        senders,
        "the untraced message links nowhere"
    );
    let empty = capture(|| poll_batch(&queue, 16));
    let receive = find(empty.spans(), "receive orders");
    assert_count(receive, 0);
    assert!(receive.links.is_empty());
}

#[test]
fn an_async_receive_links_to_the_messages_of_its_ok_and_records_an_err() {
    let queue = Queue::default();
    let producer = capture(|| place_order(&queue, "a clock"));
    let send = ids(&find(producer.spans(), "send orders").span_context);
    let captured = capture(|| futures::executor::block_on(try_poll(&queue)));
    let receive = find(captured.spans(), "receive orders");
    assert_count(receive, 1);
    assert_eq!(linked_to(receive), [send]);
    let failed = capture(|| futures::executor::block_on(try_poll(&queue)));
    let receive = find(failed.spans(), "receive orders");
    assert_eq!(receive.status, Status::error("nothing to receive"));
    assert_eq!(
        attribute(receive, "error.type"),
        Some(&string("alloc::string::String"))
    );
    assert_eq!(attribute(receive, "messaging.batch.message_count"), None);
    assert!(receive.links.is_empty());
}

#[test]
fn a_receive_returning_its_buffer_or_an_option_counts_and_links_what_it_returns() {
    let queue = Queue::default();
    let producer = capture(|| place_order(&queue, "a bench"));
    let send = ids(&find(producer.spans(), "send orders").span_context);
    let mut consumer = Consumer { buffer: Vec::new() };
    let captured = capture(|| consumer.poll(&queue).len());
    assert_eq!(*captured.output(), 1);
    let receive = find(captured.spans(), "receive orders");
    assert_count(receive, 1);
    assert_eq!(linked_to(receive), [send]);
    let timed_out = capture(|| consumer.poll_timed_out(&queue));
    assert!(timed_out.output().is_none());
    let receive = find(timed_out.spans(), "receive orders");
    assert_count(receive, 0);
    assert!(receive.links.is_empty());
}

#[test]
fn a_batch_send_of_new_messages_gives_each_its_context() {
    let queue = Queue::default();
    let captured = capture(|| send_batch(&queue, vec![message("a mat"), message("a jug")]));
    let send = find(captured.spans(), "send orders");
    assert_messaging(send, SpanKind::Producer, "send");
    assert_count(send, 2);
    assert!(send.links.is_empty());
    let sent: Vec<Option<Ids>> = queue.lock().unwrap().iter().map(carried).collect();
    let own = Some(ids(&send.span_context));
    assert_eq!(sent, [own, own]);
}

#[test]
fn a_batch_links_each_creation_context_once_however_many_messages_carry_it() {
    let queue = Queue::default();
    let captured = capture(|| {
        send_batch(&queue, (0..200).map(|_| message("a mat")).collect());
        send_batch(&queue, vec![message("a jug")]);
        let polled = poll_batch(&queue, 300);
        process_batch(&polled)
    });
    let sends: Vec<Ids> = captured
        .spans()
        .iter()
        .filter(|span| span.name == "send orders")
        .map(|span| ids(&span.span_context))
        .collect();
    assert_eq!(sends.len(), 2);
    for name in ["receive orders", "process orders"] {
        let span = find(captured.spans(), name);
        assert_eq!(
            linked_to(span),
            sends,
            "{name}: the other producer's is not crowded out"
        );
        assert_eq!(span.links.dropped_count, 0, "{name}");
    }
}

#[test]
fn links_past_the_limit_are_counted_as_dropped() {
    let queue = Queue::default();
    let captured = capture(|| {
        for _ in 0..300 {
            send_batch(&queue, vec![message("a mat")]);
        }
        let polled = poll_batch(&queue, 300);
        process_batch(&polled)
    });
    for name in ["receive orders", "process orders"] {
        let span = find(captured.spans(), name);
        assert_eq!(span.links.len(), 128, "{name}: the limit");
        assert_eq!(span.links.dropped_count, 172, "{name}");
    }
}

#[test]
fn an_installed_pipeline_cuts_a_batchs_links_to_its_limit_and_counts_the_rest() {
    use otel_traced_tests::receiver::{Receiver, Transport};
    let _turn = otel_traced_tests::installing_turn();
    let receiver = Receiver::start(Transport::Grpc);
    let endpoint = receiver.endpoint();
    let guard = otel_traced::Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "4"),
    ])
    .install()
    .expect("OTLP configured");
    let queue = Queue::default();
    for _ in 0..10 {
        send_batch(&queue, vec![message("a mat")]);
    }
    let polled = poll_batch(&queue, 10);
    process_batch(&polled);
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    for name in ["receive orders", "process orders"] {
        let span = spans.iter().find(|span| span.name == name).expect(name);
        assert_eq!(
            (span.links.len(), span.dropped_links_count),
            (4, 6),
            "{name}"
        );
    }
}

/// A producer naming its brokers as Kafka's `bootstrap.servers` lists them.
#[traced_rpc(messaging, send, system = "kafka", destination = "orders", server = "kafka-1:9093,kafka-2:9093", carrier = headers)]
fn send_to_cluster(headers: &mut Headers) {
    let _ = headers;
}

/// A consumer whose broker is known only at run time.
struct BrokerConsumer {
    broker: String,
}

impl BrokerConsumer {
    #[traced_rpc(messaging, process, system = "kafka", destination = "orders", server = self.broker, carrier = message)]
    fn handle(&self, message: &Message) {
        let _ = message;
    }
}

#[test]
fn a_broker_named_with_server_is_recorded_on_the_span() {
    let consumer = BrokerConsumer {
        broker: "amqp://guest@rabbit/orders-vhost".to_owned(),
    };
    let captured = capture(|| {
        send_to_cluster(&mut Headers::new());
        consumer.handle(&message("a rug"));
    });
    for (name, address, port) in [
        // The first of the list: the conventions record one address.
        ("send orders", "kafka-1", 9093),
        // The port AMQP's scheme implies, no user information.
        ("process orders", "rabbit", 5672),
    ] {
        let span = find(captured.spans(), name);
        assert_eq!(
            attribute(span, "server.address"),
            Some(&string(address)),
            "{name}"
        );
        assert_eq!(
            attribute(span, "server.port"),
            Some(&Value::I64(port)),
            "{name}"
        );
    }
}

#[test]
fn a_send_keeping_the_creation_context_still_carries_the_calls_baggage() {
    let queue = Queue::default();
    let captured = capture(|| {
        let created = create("a lamp", Headers::new());
        let batch = vec![create("a rug", Headers::new()), message("a mat")];
        // Made where the order's region and shop were known.
        let regional = otel_traced::baggage::with([("region", "eu"), ("shop", "lamps")], || {
            create("a vase", Headers::new())
        });
        otel_traced::baggage::with([("tenant", "acme"), ("shop", "rugs")], || {
            send(&queue, regional.headers.clone(), regional.body.clone());
            send(&queue, created.headers.clone(), created.body.clone());
            send_batch(&queue, batch.clone());
        });
        (created, batch, regional)
    });
    let (created, batch, regional) = captured.output();
    let sent = queue.lock().unwrap().clone();
    let traceparent = |message: &Message| message.headers.get("traceparent").cloned();
    let baggage = |message: &Message| message.headers.get("baggage").cloned();
    // The created messages keep their creation context, and take the baggage.
    for (sent, created) in [(&sent[1], created), (&sent[2], &batch[0])] {
        assert_eq!(traceparent(sent), traceparent(created), "{}", sent.body);
        assert_eq!(
            baggage(sent).as_deref(),
            Some("shop=rugs,tenant=acme"),
            "{}",
            sent.body
        );
    }
    // One made under baggage keeps it, the send's entries added under it.
    assert_eq!(traceparent(&sent[0]), traceparent(regional));
    assert_eq!(
        baggage(&sent[0]).as_deref(),
        Some("region=eu,shop=lamps,tenant=acme"),
        "the creation context's own entries win"
    );
    // A new one takes the send's context, baggage and all.
    let send = captured
        .spans()
        .iter()
        .rfind(|span| span.name == "send orders")
        .expect("the batch send");
    assert_eq!(carried(&sent[3]), Some(ids(&send.span_context)));
    assert_eq!(baggage(&sent[3]).as_deref(), Some("shop=rugs,tenant=acme"));
}

#[test]
fn a_new_message_keeps_the_baggage_it_carries_under_the_calls() {
    let queue = Queue::default();
    let carrying = |body: &str| Message {
        headers: Headers::from([("baggage".to_owned(), "priority=high,shop=lamps".to_owned())]),
        body: body.to_owned(),
    };
    let captured = capture(|| {
        otel_traced::baggage::with([("tenant", "acme"), ("shop", "rugs")], || {
            let lamp = carrying("a lamp");
            send(&queue, lamp.headers, lamp.body);
            send_batch(&queue, vec![carrying("a rug")]);
            create("a vase", carrying("a vase").headers)
        })
    });
    let sent = queue.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    for message in sent.iter().chain([captured.output()]) {
        assert_eq!(
            message.headers.get("baggage").map(String::as_str),
            Some("priority=high,shop=rugs,tenant=acme"),
            "the call's entries, winning, and the message's own: {}",
            message.body
        );
        assert!(
            message.headers.contains_key("traceparent"),
            "{}",
            message.body
        );
    }
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = message)]
fn process_shared(message: std::sync::Arc<Message>) -> usize {
    message.body.len()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = messages)]
fn receive_shared(messages: &[std::rc::Rc<Message>]) -> usize {
    messages.len()
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers)]
fn process_header_slice(headers: &[(String, Vec<u8>)]) -> usize {
    headers.len()
}

#[test]
fn messages_behind_pointers_and_header_slices_are_carriers() {
    let created = capture(|| create("a lamp", Headers::new()));
    let message = created.output().clone();
    let creation = carried(&message).expect("a creation context");
    let headers: Vec<(String, Vec<u8>)> = (message.headers.iter())
        .map(|(name, value)| (name.clone(), value.clone().into_bytes()))
        .collect();
    let captured = capture(|| {
        process_shared(std::sync::Arc::new(message.clone()));
        receive_shared(&[std::rc::Rc::new(message.clone())]);
        process_header_slice(&headers);
    });
    let spans = captured.spans();
    assert_eq!(spans.len(), 3, "{}", captured.tree());
    for span in spans {
        assert_eq!(linked_to(span), [creation], "{}", span.name);
    }
}

/// A message whose headers panic when read (a malformed header the
/// application's carrier does not expect), counting the reads.
#[derive(Default)]
struct Malformed(std::sync::atomic::AtomicUsize);

impl Malformed {
    fn reads(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Extract for Malformed {
    fn get_all(&self, _: &str) -> Vec<&str> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        panic!("malformed header")
    }

    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
fn poll_malformed() -> Vec<Malformed> {
    vec![Malformed::default()]
}

#[test]
fn a_message_whose_headers_panic_when_read_is_received_without_a_link() {
    let captured = capture(poll_malformed);
    assert_eq!(captured.output().len(), 1);
    assert!(captured.output()[0].reads() > 0, "its headers were read");
    let span = find(captured.spans(), "receive orders");
    assert!(span.links.is_empty());
    assert_count(span, 1);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        None,
        "ended as done"
    );
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = message)]
fn handle_malformed(message: &Malformed) -> u32 {
    let _ = message;
    7
}

#[test]
fn a_message_whose_headers_panic_when_read_is_processed_in_a_new_trace() {
    // Nothing installed (no other test's pipeline either): the handler runs.
    let _turn = otel_traced_tests::installing_turn();
    assert_eq!(handle_malformed(&Malformed::default()), 7);
    let message = Malformed::default();
    let captured = capture(|| handle_malformed(&message));
    assert_eq!(*captured.output(), 7);
    assert!(message.reads() > 0, "its headers were read");
    let span = find(captured.spans(), "process orders");
    assert_eq!(span.parent_span_id, SpanId::INVALID, "no creation context");
    assert!(span.links.is_empty());
    assert_eq!(span.status, Status::Unset);
}

/// Headers whose writing panics on a key they do not expect, and whose request
/// description panics too: the application's code, which the call without its
/// annotation never runs. They count the tries.
#[derive(Default)]
struct Unwritable {
    headers: Headers,
    writes: usize,
    targets: std::sync::atomic::AtomicUsize,
}

impl Extract for Unwritable {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.headers.get_all(key)
    }

    fn keys(&self) -> Vec<&str> {
        Extract::keys(&self.headers)
    }
}

impl Inject for Unwritable {
    fn set(&mut self, key: &str, value: String) {
        self.writes += 1;
        assert_eq!(key, "baggage", "unexpected header");
        self.headers.set(key, value);
    }

    fn target(&self) -> otel_traced::propagation::RequestTarget<'_> {
        self.targets
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        panic!("no request here")
    }
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers)]
fn send_unwritable(headers: &mut Unwritable) -> u32 {
    let _ = headers;
    7
}

/// A `create` asks its carrier for its target too.
#[traced_rpc(messaging, create, system = "kafka", destination = "orders", carrier = headers)]
fn create_unwritable(headers: &mut Unwritable) -> u32 {
    let _ = headers;
    8
}

#[test]
fn a_message_whose_headers_panic_when_written_is_sent_as_it_would_be_uninstrumented() {
    let mut headers = Unwritable::default();
    let captured = capture(|| send_unwritable(&mut headers));
    assert_eq!(*captured.output(), 7);
    assert_eq!(headers.writes, 1, "written into, which panicked");
    let span = find(captured.spans(), "send orders");
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty(), "{:?}", span.events);
    let captured = capture(|| create_unwritable(&mut headers));
    assert_eq!(*captured.output(), 8);
    assert!(
        headers.targets.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "asked its target, which panicked"
    );
    let span = find(captured.spans(), "create orders");
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty(), "{:?}", span.events);
}

/// A message counting how often its `traceparent` is read: once a creation
/// context is looked for.
struct Tallied(Message, std::sync::atomic::AtomicUsize);

impl Extract for Tallied {
    fn get_all(&self, key: &str) -> Vec<&str> {
        if key == "traceparent" {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.0.get_all(key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }
}

impl Inject for Tallied {
    fn set(&mut self, key: &str, value: String) {
        self.0.set(key, value);
    }

    fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = messages)]
fn send_tallied(messages: &mut [Tallied]) {
    let _ = messages;
}

#[test]
fn a_batch_sent_with_nothing_recording_reads_each_message_once() {
    // In a process of its own: a capture of another test would make spans
    // recordable meanwhile.
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "a_batch_sent_with_nothing_recording_reads_each_message_once",
            &[],
        );
        return;
    }
    let mut batch: Vec<Tallied> = (0..3)
        .map(|_| Tallied(message("a rug"), std::sync::atomic::AtomicUsize::new(0)))
        .collect();
    // One created elsewhere: the others are not all fresh, nor all carried.
    batch[1].0.headers.insert(
        "traceparent".to_owned(),
        "00-000000000000000000000000000000aa-00000000000000bb-01".to_owned(),
    );
    send_tallied(&mut batch);
    let reads: Vec<usize> = batch
        .iter()
        .map(|message| message.1.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    assert_eq!(
        reads,
        [1, 1, 1],
        "looked at as it is written, not before too"
    );
}

#[test]
fn a_batch_sent_with_nothing_installed_passes_the_current_trace_to_its_fresh_messages() {
    use otel_traced::opentelemetry::Context;
    use otel_traced::opentelemetry::trace::{TraceContextExt as _, TraceFlags, TraceState};
    // Nothing installed meanwhile, by another test of this binary.
    let _turn = otel_traced_tests::installing_turn();
    let queue = Queue::default();
    let remote = |trace: u128, span: u64| {
        SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            true,
            TraceState::NONE,
        )
    };
    let mut created = message("created elsewhere");
    created.headers.insert(
        "traceparent".to_owned(),
        "00-000000000000000000000000000000aa-00000000000000bb-01".to_owned(),
    );
    {
        // A request's context, passed on untraced.
        let _request = Context::new()
            .with_remote_span_context(remote(0xcc, 0xdd))
            .attach();
        send_batch(&queue, vec![created, message("fresh")]);
    }
    let sent = queue.lock().unwrap();
    assert_eq!(
        carried(&sent[0]),
        Some((TraceId::from(0xaa), SpanId::from(0xbb))),
        "its own creation context kept"
    );
    assert_eq!(
        carried(&sent[1]),
        Some((TraceId::from(0xcc), SpanId::from(0xdd))),
        "the request's"
    );
}

/// A handler failing with what its gRPC call returned.
#[traced_rpc(messaging, process, system = "kafka", destination = "payments", carrier = message)]
fn charge(message: &Message) -> Result<(), tonic::Status> {
    let _ = message;
    Err(tonic::Status::unavailable("the card service is down"))
}

#[test]
fn a_messaging_call_failing_with_a_grpc_status_records_the_error() {
    let message = Message {
        headers: Headers::new(),
        body: String::new(),
    };
    let captured = capture(|| charge(&message));
    let span = captured.find("process payments").expect("the span");
    assert_eq!(
        span.status,
        Status::error(
            "code: 'The service is currently unavailable', message: \"the card service is down\""
        )
    );
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("tonic::status::Status"))
    );
}
