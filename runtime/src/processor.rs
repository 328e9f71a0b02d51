//! The processing pipeline around the SDK's processors and exporters.
//!
//! A key set twice on a span keeps its last value, as the specification asks
//! ("setting an attribute with the same key as an existing attribute should
//! overwrite"): the SDK appends instead, so `record!` of a key the function already
//! recorded would otherwise export both. That is settled where spans are exported
//! (on the export thread, not on the threads that end spans) and where a test
//! capture keeps them, and so is the value length limit for strings set through
//! the API or taken from requests. Spans are counted as they are accepted and as
//! they are exported, so that what was lost can be said.

use crate::config::BatchSettings;
use crate::value::cut_span_to;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Span, SpanData, SpanExporter, SpanLimits, SpanProcessor,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Any processor, boxed, so that exporters of every type fit one provider builder.
#[derive(Debug)]
pub(crate) struct BoxedProcessor(Box<dyn SpanProcessor>);

impl SpanProcessor for BoxedProcessor {
    fn on_start(&self, span: &mut Span, context: &Context) {
        self.0.on_start(span, context);
    }

    fn on_end(&self, span: SpanData) {
        self.0.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        shut_down_once_heard(timeout, |left| self.0.shutdown_with_timeout(left))
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.0.set_resource(resource);
    }
}

/// Shuts a batch processor down with `shut_down` within `timeout`, asking again
/// while its control channel is full. Flushes that timed out behind a slow or
/// stuck export leave their requests in that channel (the SDK's holds 64, and
/// forgets none): asked once, the shutdown was refused at once, with no last
/// export, and the exporter was never shut down (a console exporter never
/// printed what it held).
pub(crate) fn shut_down_once_heard(
    timeout: Duration,
    shut_down: impl Fn(Duration) -> OTelSdkResult,
) -> OTelSdkResult {
    /// The wait between two asks: the processor takes the queued flushes one
    /// export at a time.
    const AGAIN_AFTER: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match shut_down(left) {
            Err(OTelSdkError::InternalFailure(said))
                if said.contains(CONTROL_CHANNEL_FULL) && !left.is_zero() =>
            {
                std::thread::sleep(AGAIN_AFTER.min(left));
            }
            result => return result,
        }
    }
}

/// What the SDK's batch processors say when a control message (a flush, the
/// shutdown) finds their channel full.
const CONTROL_CHANNEL_FULL: &str = "Control channel is full";

/// The SDK's batch processor (on its own thread) around `exporter`, with our
/// settings applied explicitly (the SDK's defaults read the process environment,
/// which `Config::from_vars` must not). That processor does not bound an export's
/// time; the OTLP exporter enforces `export_timeout` itself.
pub(crate) fn batch(
    exporter: impl SpanExporter + 'static,
    settings: BatchSettings,
    default_delay: Duration,
) -> BoxedProcessor {
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(settings.max_queue_size)
        .with_scheduled_delay(settings.scheduled_delay.unwrap_or(default_delay))
        .with_max_export_batch_size(settings.max_export_batch_size)
        .build();
    BoxedProcessor(Box::new(
        BatchSpanProcessor::builder(exporter)
            .with_batch_config(config)
            .build(),
    ))
}

/// Spans (or log records) accepted, handed to the pipeline, and exported, so that
/// `Guard::dropped_spans` can say what was lost (the batch processors' own
/// counters are private).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Written by every thread that ends an item, the others by the export thread:
    /// on a cache line of its own, so that neither slows the other's writes.
    accepted: OwnLine<AtomicU64>,
    exported: AtomicU64,
    /// Spans recorded but not sampled, left out of the export
    /// ([`Counters::left_unsampled`]): no loss, yet neither handed to the exporter
    /// nor exported, which the SDK's own metrics count (each a counter of its own,
    /// which only grows: no difference of two is reported).
    unsampled: AtomicU64,
    /// In exports that failed, or parts of them not tried.
    failed: AtomicU64,
    /// What [`Counters::since_flushed`] last saw: the items lost, and of them those
    /// unwritten, of one reading.
    flushed: std::sync::Mutex<Lost>,
    /// Handed to the exporter so far.
    given: AtomicU64,
    /// Dropped from the full queue, as far as [`Counters::given`] could tell.
    overflowed: AtomicU64,
    /// Counted exported, then lost by an exporter that writes them out later (the
    /// console, whose output failed).
    unwritten: AtomicU64,
    /// Of the export under way (one at a time), the items the collector took but
    /// rejected (OTLP's partial success), for [`Counters::settled`] to count.
    rejected: AtomicU64,
    /// Whether the overflow going on was said.
    overflow_said: AtomicBool,
    /// The queue watched for overflows; none, no watch.
    queue: Option<Queue>,
    /// The `otel.component.type` of the exporter the items go to, for the SDK's
    /// own metrics; unset, no pipeline.
    exporter_type: OnceLock<&'static str>,
}

/// A value alone on its cache line (128 bytes: two lines, as the prefetcher of
/// x86 fetches them in pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
struct OwnLine<T>(T);

impl<T> std::ops::Deref for OwnLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Items accepted between two checks of the queue for an overflow where they end
/// (a few atomic loads; the export thread checks at each batch).
const OVERFLOW_CHECKED_EVERY: u64 = 64;
const _: () = assert!(OVERFLOW_CHECKED_EVERY.is_power_of_two());

/// A batch processor's queue: full, it drops what ends, which its processor counts
/// in private and says nothing of while the application runs.
#[derive(Debug)]
pub(crate) struct Queue {
    /// Its size.
    pub capacity: usize,
    /// The most its processor takes off it before handing them to the exporter
    /// (a batch): taken, not yet counted [`Counters::given`].
    pub in_hand: usize,
    /// What it holds, as said: `spans`, `log records`.
    pub items: &'static str,
    /// What sizes it, as said: its variable, and a builder call.
    pub sized_by: &'static str,
    /// How to make fewer of them, as said: sample, filter.
    pub fewer: &'static str,
}

impl Counters {
    /// Counters of a pipeline whose `queue` is watched.
    pub(crate) fn watching(queue: Queue) -> Self {
        Counters {
            queue: Some(queue),
            ..Counters::default()
        }
    }

    /// Notes `count` items handed to the exporter, and says once an overflow of
    /// the queue they came from: more accepted and not handed on than it holds,
    /// at the moment a batch leaves it, were dropped (an item is accepted once its
    /// processor has queued or dropped it, so none is on its way in). Called by the
    /// processor's one export thread.
    pub(crate) fn given(&self, count: u64) {
        if let Some(said) = self.overflow(count) {
            crate::notice::aside(said);
        }
    }

    /// What [`Counters::given`] says: the first overflow of an episode, which ends
    /// when the queue is half empty again.
    fn overflow(&self, count: u64) -> Option<String> {
        self.given.fetch_add(count, Ordering::AcqRel);
        self.dropped_beyond(0)
    }

    /// What [`Counters::accept`] says every [`OVERFLOW_CHECKED_EVERY`] items, also
    /// while no batch leaves the queue (an export that does not return): more
    /// waiting than the queue and a batch its processor took off it hold.
    fn overflow_while_queued(&self) -> Option<String> {
        self.dropped_beyond(self.queue.as_ref()?.in_hand as u64)
    }

    /// Counts as dropped what of the items accepted and not given the queue and
    /// `in_hand` more cannot hold, saying the first overflow of an episode. Each
    /// count is made against the latest [`Counters::overflowed`] (the export
    /// thread and the threads ending items both count), so none is counted twice;
    /// and reads what was given after what was accepted, so that a batch handed on
    /// meanwhile makes the count smaller, never larger.
    fn dropped_beyond(&self, in_hand: u64) -> Option<String> {
        let queue = self.queue.as_ref()?;
        let capacity = queue.capacity as u64;
        let mut overflowed = self.overflowed.load(Ordering::Acquire);
        let dropped = loop {
            let accepted = self.accepted.load(Ordering::Acquire);
            let waiting = accepted
                .saturating_sub(self.given.load(Ordering::Acquire))
                .saturating_sub(self.unsampled.load(Ordering::Acquire))
                .saturating_sub(overflowed);
            let Some(dropped) = waiting
                .checked_sub(capacity + in_hand)
                .filter(|dropped| *dropped > 0)
            else {
                if waiting <= capacity / 2 {
                    self.overflow_said.store(false, Ordering::Release);
                }
                return None;
            };
            match self.overflowed.compare_exchange(
                overflowed,
                overflowed + dropped,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break dropped,
                Err(counted_meanwhile) => overflowed = counted_meanwhile,
            }
        };
        if self.overflow_said.swap(true, Ordering::AcqRel) {
            return None;
        }
        let Queue {
            items,
            sized_by,
            fewer,
            ..
        } = queue;
        Some(format!(
            "at least {dropped} {items} were dropped: the export queue ({capacity}) was full, {items} coming faster than they were exported (or the export held up: a collector not answering, a console whose output the application holds locked); raise {sized_by}, or {fewer} (said again when it overflows after it emptied)"
        ))
    }

    /// Notes `count` items queued or dropped by their processor; every
    /// [`OVERFLOW_CHECKED_EVERY`] items, says an overflow that no batch leaving the
    /// queue would say (none leaves while an export hangs).
    #[inline]
    pub(crate) fn accept(&self, count: u64) {
        let before = self.accepted.fetch_add(count, Ordering::Relaxed);
        // Past a multiple of it (a power of two): a bit above its own changed.
        if before ^ (before + count) >= OVERFLOW_CHECKED_EVERY {
            self.check_overflow_while_queued();
        }
    }

    /// Said aside: this is the application's thread ending an item (in the SDK's
    /// `on_end`, the span's lock held), which a write to a stderr nobody reads (a
    /// full pipe) would block.
    #[cold]
    #[inline(never)]
    fn check_overflow_while_queued(&self) {
        if let Some(said) = self.overflow_while_queued() {
            crate::notice::aside(said);
        }
    }

    /// Names the exporter the items go to, as the SDK's own metrics say it: the
    /// conventions' value for OTLP (`otlp_grpc_span_exporter`), else its type's
    /// name. The first named stays.
    pub(crate) fn name_exporter(&self, exporter_type: &'static str) {
        let _ = self.exporter_type.set(exporter_type);
    }

    pub(crate) fn exported(&self, count: u64) {
        self.exported.fetch_add(count, Ordering::Relaxed);
    }

    /// Notes `count` spans recorded but not sampled, taken off the queue and left
    /// out of an export: delivered, as far as losses go. Before the batch's
    /// [`Counters::given`], so that no reading takes them for items still waiting.
    pub(crate) fn left_unsampled(&self, count: u64) {
        self.unsampled.fetch_add(count, Ordering::Release);
    }

    pub(crate) fn failed(&self, count: u64) {
        self.failed.fetch_add(count, Ordering::Relaxed);
    }

    /// Notes that the collector rejected `count` items of the export under way,
    /// though it took the export.
    #[cfg(feature = "otlp")]
    pub(crate) fn rejected(&self, count: u64) {
        self.rejected.fetch_add(count, Ordering::Relaxed);
    }

    /// Counts the `items` of an export that returned `Ok`: exported, but for
    /// those the collector rejected (failed).
    pub(crate) fn settled(&self, items: u64) {
        let rejected = self.rejected.swap(0, Ordering::Relaxed).min(items);
        self.failed(rejected);
        self.exported(items - rejected);
    }

    /// Notes `count` items counted exported that their exporter lost after all.
    pub(crate) fn unwritten(&self, count: u64) {
        self.unwritten.fetch_add(count, Ordering::AcqRel);
    }

    /// Items counted exported that their exporter lost after all, so far (the
    /// console's failed writes).
    pub(crate) fn unwritten_so_far(&self) -> u64 {
        self.unwritten.load(Ordering::Acquire)
    }

    /// Runs a processor's `flush` and, when it exported all it had (`Ok`: not one
    /// that timed out with items still on their way, nor one refused), notes that
    /// what of the items accepted before it no export failed was dropped from the
    /// queue: [`Counters::given`] sees no drop of the last items that were (it
    /// counts past the queue's capacity), the flush sees them all. (A failed
    /// export's items are counted as failed.)
    pub(crate) fn flushed(&self, flush: impl FnOnce() -> OTelSdkResult) -> OTelSdkResult {
        let accepted = self.accepted();
        let result = flush();
        if result.is_ok() {
            let unexported = accepted
                .saturating_sub(self.exported.load(Ordering::Acquire))
                .saturating_sub(self.unsampled.load(Ordering::Acquire));
            let failed = self.failed.load(Ordering::Acquire);
            self.overflowed
                .fetch_max(unexported.saturating_sub(failed), Ordering::AcqRel);
        }
        result
    }

    /// What is known lost while items still flow: in exports that failed, dropped
    /// from the full queue (as far as [`Counters::given`] could tell), and lost by
    /// their exporter after it took them; not what still waits in the queue.
    pub(crate) fn lost(&self) -> u64 {
        self.lost_in_parts().items
    }

    /// [`Counters::lost`], with those of them unwritten, from one reading.
    fn lost_in_parts(&self) -> Lost {
        let unwritten = self.unwritten.load(Ordering::Acquire);
        Lost {
            items: self.failed.load(Ordering::Acquire)
                + self.overflowed.load(Ordering::Acquire)
                + unwritten,
            unwritten,
        }
    }

    /// Spans accepted but not exported (or lost by their exporter after it took
    /// them): exact once the pipeline was flushed or shut down, and including
    /// spans still queued before that.
    pub(crate) fn unexported(&self) -> u64 {
        self.never_exported() + self.unwritten_so_far()
    }

    /// Of [`Counters::unexported`], those never counted exported.
    pub(crate) fn never_exported(&self) -> u64 {
        let accepted = self.accepted.load(Ordering::Acquire);
        accepted
            .saturating_sub(self.exported.load(Ordering::Acquire))
            .saturating_sub(self.unsampled.load(Ordering::Acquire))
    }

    /// Spans accepted so far: what a flush starting now must export.
    pub(crate) fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Acquire)
    }

    /// Items lost since the previous flush, once a flush ended: [`Counters::lost`]
    /// less what the previous flush saw, so that one outage does not make every
    /// later flush an error, and each loss is said once. Items still on their way
    /// when a flush timed out are no loss (yet): that flush's error says it timed
    /// out, and a later flush or the shutdown counts them if they are lost.
    /// Flushes may end together on several threads: they read one after another,
    /// so that each loss is said by one of them.
    pub(crate) fn lost_since_flushed(&self) -> u64 {
        self.since_flushed().items
    }

    /// [`Counters::lost_since_flushed`], with those of them its exporter lost after
    /// taking them (the console's failed writes), which are said apart.
    pub(crate) fn since_flushed(&self) -> Lost {
        let mut flushed = self
            .flushed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read under the lock: readings one after another, each part growing.
        let lost = self.lost_in_parts();
        let since = Lost {
            items: lost.items.saturating_sub(flushed.items),
            unwritten: lost.unwritten.saturating_sub(flushed.unwritten),
        };
        // The newest reading: no part of it is below the one before.
        *flushed = lost;
        since
    }
}

/// Items lost, and of them those their exporter lost after taking them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Lost {
    pub items: u64,
    pub unwritten: u64,
}

/// What the SDK's own metrics read of a pipeline (`crate::metrics::own`).
#[cfg(feature = "metrics")]
impl Counters {
    /// The exporter's `otel.component.type`, once a pipeline was built.
    pub(crate) fn exporter_type(&self) -> Option<&'static str> {
        self.exporter_type.get().copied()
    }

    /// Items handed to the exporter, and dropped from the full queue (as far as
    /// [`Counters::given`] could tell so far: exact after a flush).
    pub(crate) fn processed(&self) -> (u64, u64) {
        (
            self.given.load(Ordering::Acquire),
            self.overflowed.load(Ordering::Acquire),
        )
    }

    /// Items exported, and lost in exports that failed (or parts not tried).
    pub(crate) fn export_outcomes(&self) -> (u64, u64) {
        (
            self.exported.load(Ordering::Acquire),
            self.failed.load(Ordering::Acquire),
        )
    }

    /// Items waiting in the queue, or taken off it for a batch not handed on yet;
    /// at most its capacity (drops are counted late: the count would pass it by
    /// those not counted yet).
    pub(crate) fn queued(&self) -> u64 {
        let (given, overflowed) = self.processed();
        let waiting = self
            .accepted
            .load(Ordering::Acquire)
            .saturating_sub(given)
            .saturating_sub(self.unsampled.load(Ordering::Acquire))
            .saturating_sub(overflowed);
        match &self.queue {
            Some(queue) => waiting.min(queue.capacity as u64),
            None => waiting,
        }
    }

    /// The queue's capacity, where it is watched.
    pub(crate) fn capacity(&self) -> Option<usize> {
        self.queue.as_ref().map(|queue| queue.capacity)
    }
}

/// An exporter behind our pipeline.
#[derive(Debug)]
pub(crate) struct CountedExporter<E> {
    pub inner: E,
    pub counters: Arc<Counters>,
    pub limits: ExportLimits,
    /// What one request may weigh.
    pub budget: crate::batches::Budget,
}

/// The limits an installation holds its spans to where they are exported (and a
/// capture where it keeps them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExportLimits {
    /// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, which the SDK is given room past
    /// ([`with_room_for_repeats`]): held here, on the export thread.
    pub max_attributes: u32,
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`: the installation's own, also for
    /// the spans it still exports after its guard stopped waiting for them (the
    /// process-wide one is then the environment's, or the next installation's).
    pub value_length: Option<usize>,
}

/// Counts the spans an exporter delivered, each attribute key kept once and every
/// string cut to the value length limit first, in requests a collector takes
/// ([`crate::batches`]); an export that panics is a failed one (the batch
/// processor's thread would die with it).
impl<E: SpanExporter> SpanExporter for CountedExporter<E> {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        // A span recorded but not sampled (a sampler's `RecordOnly`, for span
        // processors of the user's own) is not exported, as the specification has
        // it: the SDK's batch processor does not check. Left out here, on the
        // export thread (a check where spans end cost each a copy of its data),
        // and counted apart: no loss, nor handed to the exporter, nor exported.
        let before = batch.len();
        batch.retain(|span| span.span_context.is_sampled());
        self.counters.left_unsampled((before - batch.len()) as u64);
        self.counters.given(batch.len() as u64);
        if batch.is_empty() {
            return Ok(());
        }
        for span in &mut batch {
            settle_attributes(span, self.limits);
        }
        // One request, unless its spans weigh more than a collector takes at once.
        let parts = crate::batches::split(batch, self.budget.get(), crate::batches::weight);
        crate::batches::export_parts(
            parts,
            |part| crate::panic::contained_export(|| self.inner.export(part)),
            &self.counters,
            &self.budget,
        )
        .await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

/// Counts every ended span as accepted once the processor `P` took it.
#[derive(Debug)]
pub(crate) struct Accepted<P> {
    pub inner: P,
    pub counters: Arc<Counters>,
}

impl<P: SpanProcessor> SpanProcessor for Accepted<P> {
    fn on_start(&self, span: &mut Span, context: &Context) {
        self.inner.on_start(span, context);
    }

    fn on_end(&self, span: SpanData) {
        self.inner.on_end(span);
        // Once queued or dropped (see `Counters::given`).
        self.counters.accept(1);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.counters.flushed(|| self.inner.force_flush())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

/// `limits` with room past the attribute count limit for keys set again: the SDK
/// appends every attribute set, and drops those past its limit, so a key set
/// again (a value overwritten, which the specification says adds none) took a
/// place, and one more set at the limit was dropped whole, or crowded out a key of
/// its own. The limit itself holds where spans are exported, each key once
/// ([`within_attribute_limit`]).
pub(crate) fn with_room_for_repeats(limits: SpanLimits) -> SpanLimits {
    SpanLimits {
        max_attributes_per_span: (limits.max_attributes_per_span)
            .saturating_add(crate::kept::REPEATS_AT_MOST),
        ..limits
    }
}

/// `span`'s attributes as they are exported (and captured): each key once with its
/// last value, held to `limits`.
pub(crate) fn settle_attributes(span: &mut SpanData, limits: ExportLimits) {
    keep_last_values(&mut span.attributes);
    within_attribute_limit(span, limits.max_attributes);
    if let Some(limit) = limits.value_length {
        cut_span_to(span, limit);
    }
}

/// Holds `span`, each of its keys once already ([`keep_last_values`]), to `max`
/// attributes, those past the limit counted as dropped.
fn within_attribute_limit(span: &mut SpanData, max: u32) {
    let max = max as usize;
    let excess = span.attributes.len().saturating_sub(max);
    if excess > 0 {
        span.attributes.truncate(max);
        span.dropped_attributes_count = (span.dropped_attributes_count)
            .saturating_add(u32::try_from(excess).unwrap_or(u32::MAX));
    }
}

/// Lists up to this long are checked for repeated keys pair by pair: for the few
/// attributes a span usually has, that is cheaper than hashing every key, and it
/// allocates nothing (this runs for every span exported).
const PAIRWISE_UP_TO: usize = 16;

/// Removes repeated keys, keeping each key's last value at its first position. A
/// list without repeats (the usual case) is left untouched.
pub(crate) fn keep_last_values(attributes: &mut Vec<KeyValue>) {
    if !has_repeated_keys(attributes) {
        return;
    }
    let mut kept: Vec<KeyValue> = Vec::with_capacity(attributes.len());
    for attribute in attributes.drain(..) {
        match kept
            .iter_mut()
            .find(|existing| existing.key == attribute.key)
        {
            Some(existing) => existing.value = attribute.value,
            None => kept.push(attribute),
        }
    }
    *attributes = kept;
}

fn has_repeated_keys(attributes: &[KeyValue]) -> bool {
    if attributes.len() > PAIRWISE_UP_TO {
        let mut seen = HashSet::with_capacity(attributes.len());
        return !attributes.iter().all(|kv| seen.insert(&kv.key));
    }
    // Pair by pair on a fingerprint of each key, which tells most keys apart in one
    // comparison; only equal fingerprints compare the keys.
    let mut prints = [0_u32; PAIRWISE_UP_TO];
    for (print, attribute) in prints.iter_mut().zip(attributes) {
        *print = fingerprint(attribute.key.as_str());
    }
    (1..attributes.len()).any(|later| {
        (0..later).any(|earlier| {
            prints[earlier] == prints[later] && attributes[earlier].key == attributes[later].key
        })
    })
}

/// A key's length and first and last bytes.
#[inline]
fn fingerprint(key: &str) -> u32 {
    let bytes = key.as_bytes();
    let edge = |byte: Option<&u8>| u32::from(byte.copied().unwrap_or(0));
    (bytes.len() as u32) << 16 | edge(bytes.first()) << 8 | edge(bytes.last())
}

#[cfg(test)]
mod tests {
    use super::{CountedExporter, Counters, ExportLimits, keep_last_values};
    use opentelemetry::KeyValue;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn an_overflowing_queue_is_said_once_an_episode() {
        // Counted where batches leave it only (none at `accept` past so much).
        let counters = Counters::watching(super::Queue {
            capacity: 1_000,
            in_hand: 1_000_000,
            items: "spans",
            sized_by: "OTEL_BSP_MAX_QUEUE_SIZE",
            fewer: "sample fewer",
        });
        // A batch of 500 leaves a full queue.
        counters.accept(1_500);
        assert_eq!(counters.overflow(500), None, "a full queue, nothing lost");
        // 1 800 more ended while the queue was full: when the next batch leaves
        // it, at most 1 000 are in it, so 1 300 were dropped.
        counters.accept(1_800);
        let said = counters.overflow(500).expect("an overflow");
        assert!(
            said.starts_with("at least 1300 spans were dropped: the export queue (1000) was full"),
            "{said}"
        );
        counters.accept(600);
        assert_eq!(counters.overflow(500), None, "said once");
        // Drained to half: the next overflow is said again.
        assert_eq!(counters.overflow(500), None);
        counters.accept(2_000);
        assert!(counters.overflow(500).is_some());
        assert_eq!(
            Counters::default().overflow(1_000_000),
            None,
            "an unwatched queue"
        );
    }

    /// What the SDK's own metrics read: handed on and dropped as the overflow
    /// count says them, the queue never fuller than its capacity.
    #[cfg(feature = "metrics")]
    #[test]
    fn the_metrics_read_what_was_handed_on_dropped_and_waits() {
        let counters = Counters::watching(super::Queue {
            capacity: 100,
            in_hand: 10,
            items: "spans",
            sized_by: "OTEL_BSP_MAX_QUEUE_SIZE",
            fewer: "sample fewer",
        });
        counters.accept(150);
        assert_eq!(
            counters.queued(),
            100,
            "drops not counted yet: as full as it can be"
        );
        // A batch of 10 leaves: of 140 waiting, 40 were dropped.
        counters.given(10);
        assert_eq!(counters.processed(), (10, 40));
        assert_eq!(counters.queued(), 100);
        counters.exported(8);
        counters.failed(2);
        assert_eq!(counters.export_outcomes(), (8, 2));
        assert_eq!(counters.capacity(), Some(100));
        assert_eq!(counters.exporter_type(), None, "no pipeline named yet");
        counters.name_exporter("otlp_grpc_span_exporter");
        counters.name_exporter("another");
        assert_eq!(counters.exporter_type(), Some("otlp_grpc_span_exporter"));
    }

    #[test]
    fn an_overflow_is_counted_also_while_no_batch_leaves_the_queue() {
        let counters = Counters::watching(super::Queue {
            capacity: 100,
            in_hand: 10,
            items: "spans",
            sized_by: "OTEL_BSP_MAX_QUEUE_SIZE",
            fewer: "sample fewer",
        });
        // An export of 10 hangs; items end one by one, checked every 64.
        assert_eq!(counters.overflow(10), None);
        for _ in 0..127 {
            counters.accept(1);
        }
        assert_eq!(
            counters.lost(),
            0,
            "117 wait: the queue and a batch hold 110"
        );
        counters.accept(1);
        assert_eq!(counters.lost(), 8, "at the 128th, 118 wait");
        for _ in 0..64 {
            counters.accept(1);
        }
        assert_eq!(counters.lost(), 72, "at the 192nd: all past 110 of 182");
        // The export returns and the next batch leaves: none counted twice.
        assert_eq!(counters.overflow(10), None);
        assert_eq!(counters.lost(), 72);
    }

    #[test]
    fn a_flush_counts_each_loss_once_and_none_on_its_way() {
        let counters = Counters::default();
        counters.accept(10);
        // A flush that exported 8 of them: the other 2 were dropped from the queue.
        let flushed = counters.flushed(|| {
            counters.accept(5); // ended while the flush ran
            counters.exported(8);
            Ok(())
        });
        assert!(flushed.is_ok());
        assert_eq!(counters.lost_since_flushed(), 2);
        counters.exported(5);
        assert_eq!(counters.lost_since_flushed(), 0, "said once");
        // A flush that timed out with spans on their way, exported after it: no
        // loss, and the next loss (the collector gone) is counted whole.
        counters.accept(1_000);
        let timed_out = counters.flushed(|| Err(OTelSdkError::Timeout(Duration::from_secs(5))));
        assert!(timed_out.is_err());
        assert_eq!(counters.lost_since_flushed(), 0, "on their way");
        counters.exported(1_000);
        counters.accept(300);
        counters.failed(300);
        assert_eq!(counters.lost_since_flushed(), 300);
    }

    /// Flushes ending together on two threads while exports fail: what they say
    /// adds up to what was lost, none said twice (a count read before another
    /// flush's, stored after it, had the next flush say that flush's part again).
    #[test]
    fn flushes_ending_together_say_each_loss_once() {
        let counters = Counters::default();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let said: u64 = std::thread::scope(|scope| {
            let flushes: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        let mut said = 0;
                        while !stop.load(std::sync::atomic::Ordering::Acquire) {
                            said += counters.lost_since_flushed();
                        }
                        said
                    })
                })
                .collect();
            for _ in 0..1_000_000 {
                counters.failed(1);
            }
            stop.store(true, std::sync::atomic::Ordering::Release);
            flushes
                .into_iter()
                .map(|flush| flush.join().expect("no panic"))
                .sum()
        });
        assert_eq!(said + counters.lost_since_flushed(), counters.lost());
    }

    /// Flushes ending together while the console's writes fail: each says its
    /// unwritten part within its loss, and both add up to what was lost.
    #[test]
    fn flushes_ending_together_say_the_unwritten_within_the_lost() {
        let counters = Counters::default();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let said = std::thread::scope(|scope| {
            let flushes: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        let mut said = super::Lost::default();
                        while !stop.load(std::sync::atomic::Ordering::Acquire) {
                            let since = counters.since_flushed();
                            assert!(since.unwritten <= since.items, "{since:?}");
                            said.items += since.items;
                            said.unwritten += since.unwritten;
                        }
                        said
                    })
                })
                .collect();
            for round in 0..200_000 {
                match round % 2 {
                    0 => counters.failed(1),
                    _ => counters.unwritten(1),
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Release);
            (flushes.into_iter())
                .map(|flush| flush.join().expect("no panic"))
                .fold(counters.since_flushed(), |all, said| super::Lost {
                    items: all.items + said.items,
                    unwritten: all.unwritten + said.unwritten,
                })
        });
        assert_eq!((said.items, said.unwritten), (200_000, 100_000));
    }

    /// Takes requests, failing those whose first span is named in `fails` with
    /// `error`; remembers the requests' first spans.
    #[derive(Debug)]
    struct Collector {
        fails: &'static [&'static str],
        error: &'static str,
        requests: Mutex<Vec<String>>,
    }

    impl SpanExporter for Collector {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let first = batch[0].name.to_string();
            self.requests.lock().unwrap().push(first.clone());
            if self.fails.contains(&first.as_str()) {
                Err(OTelSdkError::InternalFailure(self.error.to_owned()))
            } else {
                Ok(())
            }
        }
    }

    /// Exports one batch of three spans of 2 MiB each (three requests, whose
    /// first spans are `a`, `b` and `c`) through a counting exporter around
    /// `inner`, which answers at once: the result, the spans not exported, and
    /// `inner`.
    fn export_three_heavy<E: SpanExporter>(inner: E) -> (OTelSdkResult, u64, E) {
        use crate::batches::tests::span;
        let batch = vec![span("a", 2 << 20), span("b", 2 << 20), span("c", 2 << 20)];
        let limits = ExportLimits {
            max_attributes: 128,
            value_length: None,
        };
        export_through(inner, limits, batch)
    }

    /// Exports `batch` through a counting exporter around `inner`, which answers
    /// at once: the result, the spans not exported, and `inner`.
    fn export_through<E: SpanExporter>(
        inner: E,
        limits: ExportLimits,
        batch: Vec<SpanData>,
    ) -> (OTelSdkResult, u64, E) {
        let counters = Arc::new(Counters::default());
        counters.accept(batch.len() as u64);
        let exporter = CountedExporter {
            inner,
            counters: Arc::clone(&counters),
            limits,
            budget: crate::batches::Budget::default(),
        };
        let result = crate::panic::tests::polled_to_end(exporter.export(batch));
        (result, counters.unexported(), exporter.inner)
    }

    /// [`export_three_heavy`] through a [`Collector`]: the spans exported, and the
    /// requests made.
    fn export_heavy(fails: &'static [&'static str], error: &'static str) -> (u64, Vec<String>) {
        let (_, unexported, collector) = export_three_heavy(Collector {
            fails,
            error,
            requests: Mutex::default(),
        });
        (3 - unexported, collector.requests.into_inner().unwrap())
    }

    /// Keeps the spans it is given.
    #[derive(Debug, Default)]
    struct Keeps(Mutex<Vec<SpanData>>);

    impl SpanExporter for Keeps {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.lock().unwrap().extend(batch);
            Ok(())
        }
    }

    #[test]
    fn an_installations_spans_are_cut_to_its_own_length_limit() {
        use crate::batches::tests::span;
        // Whatever limit is in force in the process meanwhile (a guard that
        // stopped waiting for its spans has given the environment's back).
        for (own, kept) in [(Some(4), 4), (None, 100)] {
            let limits = ExportLimits {
                max_attributes: 128,
                value_length: own,
            };
            let (result, unexported, keeps) =
                export_through(Keeps::default(), limits, vec![span("a", 100)]);
            assert!(result.is_ok() && unexported == 0);
            let spans = keeps.0.into_inner().unwrap();
            assert_eq!(spans[0].attributes[0].value.as_str().chars().count(), kept);
        }
    }

    /// Panics in `export` itself, before it makes a future (as the console's
    /// exporter does its work), on requests whose first span is named in its
    /// list; remembers the others' first spans.
    #[derive(Debug)]
    struct PanicsEarly(&'static [&'static str], Mutex<Vec<String>>);

    impl SpanExporter for PanicsEarly {
        fn export(
            &self,
            batch: Vec<SpanData>,
        ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
            let first = batch[0].name.to_string();
            assert!(!self.0.contains(&first.as_str()), "a bug in the exporter");
            self.1.lock().unwrap().push(first);
            std::future::ready(Ok(()))
        }
    }

    /// [`export_three_heavy`] through [`PanicsEarly`] panicking on `panics`: the
    /// requests made, and the spans lost.
    fn export_panicking(panics: &'static [&'static str]) -> (Vec<String>, u64) {
        let (result, unexported, exporter) =
            export_three_heavy(PanicsEarly(panics, Mutex::default()));
        assert!(
            matches!(&result, Err(error) if crate::panic::is_caught_panic(error)),
            "{result:?}"
        );
        (exporter.1.into_inner().unwrap(), unexported)
    }

    #[test]
    fn a_part_whose_export_panics_fails_alone_but_a_second_panic_stops_the_rest() {
        assert_eq!(
            export_panicking(&["a"]),
            (vec!["b".to_owned(), "c".to_owned()], 1),
            "the rest tried"
        );
        assert_eq!(
            export_panicking(&["a", "b"]),
            (Vec::new(), 3),
            "a panic on every part (an unwrap of a failed request) stops them"
        );
    }

    #[test]
    fn a_request_refused_as_too_large_loses_itself_only() {
        let (exported, requests) = export_heavy(
            &["b"],
            "TonicTracesClient export failed with gRPC code: ResourceExhausted",
        );
        assert_eq!(requests, ["a", "b", "c"]);
        assert_eq!(exported, 2);
    }

    /// Refuses, as a proxy's 413, every request whose spans weigh more than
    /// its limit; counts the spans of those it takes.
    #[derive(Debug)]
    struct Proxy {
        limit: usize,
        taken: std::sync::atomic::AtomicUsize,
    }

    impl SpanExporter for Proxy {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let weight: usize = batch.iter().map(crate::batches::weight).sum();
            if weight > self.limit {
                return Err(OTelSdkError::InternalFailure(
                    "HTTP export failed with status code: 413".to_owned(),
                ));
            }
            (self.taken).fetch_add(batch.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
    }

    #[cfg(all(feature = "otlp", feature = "metrics"))]
    #[test]
    fn items_a_collector_rejected_are_failed_and_no_more_than_were_sent() {
        let counters = Counters::default();
        counters.rejected(3);
        counters.settled(10);
        assert_eq!(counters.export_outcomes(), (7, 3));
        // A collector saying it rejected more than it was sent.
        counters.rejected(30);
        counters.settled(10);
        assert_eq!(counters.export_outcomes(), (7, 13));
        // The next export, taken whole.
        counters.settled(5);
        assert_eq!(counters.export_outcomes(), (12, 13));
    }

    #[test]
    fn requests_refused_as_too_large_make_the_later_ones_smaller_until_taken() {
        use crate::batches::tests::span;
        let exporter = CountedExporter {
            inner: Proxy {
                limit: 150 << 10,
                taken: Default::default(),
            },
            counters: Arc::new(Counters::default()),
            limits: ExportLimits {
                max_attributes: 128,
                value_length: None,
            },
            budget: crate::batches::Budget::default(),
        };
        let export = || {
            let batch = (0..4).map(|_| span("s", 100 << 10)).collect();
            crate::panic::tests::polled_to_end(exporter.export(batch))
        };
        let one = crate::batches::weight(&span("s", 100 << 10));
        // One request of 400 KiB: refused, the next batch's halved.
        assert!(export().is_err());
        assert_eq!(exporter.budget.get(), 2 * one);
        // Two of 200 KiB: refused, the next batch's halved again.
        assert!(export().is_err());
        assert_eq!(exporter.budget.get(), one);
        // Four of 100 KiB: taken.
        assert!(export().is_ok());
        assert_eq!(exporter.budget.get(), one);
        assert_eq!(exporter.inner.taken.into_inner(), 4);
    }

    #[test]
    fn a_request_over_the_http_exporters_own_limit_loses_itself_only() {
        let (exported, requests) = export_heavy(
            &["b"],
            // What opentelemetry-otlp 0.33's HTTP client says before sending.
            "OTLP HTTP uncompressed request body is 70000000 bytes, exceeding the configured limit of 67108864 bytes; request will not be sent and telemetry data will be discarded; reduce the batch size, telemetry item size, or configure a larger limit",
        );
        assert_eq!(requests, ["a", "b", "c"]);
        assert_eq!(exported, 2);
    }

    #[test]
    fn after_a_request_failed_otherwise_the_rest_is_not_tried() {
        let (exported, requests) = export_heavy(&["a"], "HTTP export failed: network error");
        assert_eq!(requests, ["a"], "each would wait out its own timeout");
        assert_eq!(exported, 0);
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_at_its_first_position() {
        let mut attributes = vec![
            KeyValue::new("a", 1),
            KeyValue::new("b", 2),
            KeyValue::new("a", 3),
            KeyValue::new("c", 4),
            KeyValue::new("b", 5),
        ];
        keep_last_values(&mut attributes);
        assert_eq!(
            attributes,
            [
                KeyValue::new("a", 3),
                KeyValue::new("b", 5),
                KeyValue::new("c", 4)
            ]
        );
    }

    #[test]
    fn long_lists_are_deduplicated_too() {
        let mut attributes: Vec<KeyValue> =
            (0..40).map(|i| KeyValue::new(format!("k{i}"), i)).collect();
        attributes.push(KeyValue::new("k3", -3));
        keep_last_values(&mut attributes);
        assert_eq!(attributes.len(), 40);
        assert_eq!(attributes[3], KeyValue::new("k3", -3));
        let mut distinct: Vec<KeyValue> =
            (0..40).map(|i| KeyValue::new(format!("k{i}"), i)).collect();
        let before = distinct.clone();
        keep_last_values(&mut distinct);
        assert_eq!(distinct, before);
    }

    /// An exporter whose exports wait until `open` says they may go on.
    #[derive(Debug, Default)]
    struct Gated {
        open: Arc<(Mutex<bool>, std::sync::Condvar)>,
    }

    impl SpanExporter for Gated {
        async fn export(&self, _: Vec<SpanData>) -> OTelSdkResult {
            let (open, opened) = &*self.open;
            let open = open.lock().unwrap();
            drop(opened.wait_while(open, |open| !*open).unwrap());
            Ok(())
        }
    }

    #[test]
    fn a_shutdown_waits_for_room_behind_flushes_stuck_in_the_channel() {
        use opentelemetry_sdk::trace::{BatchSpanProcessor, SpanProcessor};
        let exporter = Gated::default();
        let open = Arc::clone(&exporter.open);
        let processor =
            super::BoxedProcessor(Box::new(BatchSpanProcessor::builder(exporter).build()));
        processor.on_end(crate::batches::tests::span("stuck", 0));
        std::thread::scope(|scope| {
            // One flush takes the span to the stuck export; 64 more fill the SDK's
            // control channel behind it (each gives up after 5 s, its request left
            // there).
            for _ in 0..65 {
                scope.spawn(|| processor.force_flush());
            }
            // Until a flush is refused at once: the channel is full (one asked
            // before all of them were waits its 5 s, its request queued too, so
            // they are given a moment first).
            std::thread::sleep(Duration::from_millis(200));
            let full = |flushed: &OTelSdkResult| matches!(flushed, Err(OTelSdkError::InternalFailure(said)) if said.contains(super::CONTROL_CHANNEL_FULL));
            while !full(&processor.force_flush()) {}
            let refused = processor.0.shutdown_with_timeout(Duration::from_secs(5));
            assert!(full(&refused), "the SDK's own refusal: {refused:?}");
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(200));
                let (open, opened) = &*open;
                *open.lock().unwrap() = true;
                opened.notify_all();
            });
            let heard = processor.shutdown_with_timeout(Duration::from_secs(5));
            assert!(heard.is_ok(), "heard once there was room: {heard:?}");
        });
    }

    #[test]
    fn distinct_keys_are_left_as_they_are() {
        let mut attributes = vec![KeyValue::new("a", 1), KeyValue::new("b", 2)];
        keep_last_values(&mut attributes);
        assert_eq!(attributes, [KeyValue::new("a", 1), KeyValue::new("b", 2)]);
    }
}
