//! How one call ended, kept beside its span for the per-operation outcome counters
//! and the duration metrics: both see every call, whether its span records or not.

use crate::calls::CallCounts;
use crate::metrics::{Stamp, Timing};

/// Why a call failed, as `error.type` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A returned error's type name, a gRPC status name, or `panic`.
    Named(&'static str),
    /// An HTTP status code that is an error on this side.
    HttpStatus(u16),
}

/// A call given up (its future dropped) before it ended, but for a gRPC call,
/// which ends `CANCELLED`: its duration is no completed call's, so it is kept
/// apart (`error.type = "cancelled"`); the operation did not fail, so its counters
/// (the adaptive sampler's error rate) count no error. (A name, not a variant of
/// its own: with a third variant, every annotated call's frame took two
/// instructions more with nothing installed, callgrind says.)
pub(crate) const CANCELLED: Failure = Failure::Named("cancelled");

impl Failure {
    /// The value of `error.type` (of the duration metrics).
    #[cfg(feature = "metrics")]
    pub(crate) fn value(self) -> opentelemetry::Value {
        match self {
            Failure::Named(name) => opentelemetry::Value::from(name),
            Failure::HttpStatus(status) => opentelemetry::Value::from(status.to_string()),
        }
    }
}

/// A boundary's reply status, kept small: the attribute is made only when a
/// duration is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReplyCode {
    /// `http.response.status_code`.
    Http(u16),
    /// `rpc.response.status_code`, by the code's name.
    Grpc(i32),
}

/// One call's outcome so far.
#[derive(Debug)]
pub(crate) struct Tally {
    /// The operation's counters, when calls are counted.
    counts: Option<&'static CallCounts>,
    /// The last failure seen: a returned error, a failed reply (a gRPC client's
    /// CANCELLED for a stream it gave up too), a panic, a call given up
    /// (`cancelled`, which replaces no other failure).
    failure: Option<Failure>,
    /// A boundary's reply status (`http.response.status_code`,
    /// `rpc.response.status_code`), for its duration histogram.
    reply: Option<ReplyCode>,
    /// When the call started, if its duration is recorded.
    timing: Option<Timing>,
}

impl Tally {
    /// The tally of a call of the operation `counts` gives, if anything counts or
    /// measures calls: an adaptive sampler reads the counts, `timing` is the
    /// call's when its duration is recorded. Otherwise none, and the call costs
    /// nothing more.
    #[inline]
    pub(crate) fn for_call(
        counts: impl FnOnce() -> &'static CallCounts,
        timing: Option<Timing>,
    ) -> Option<Self> {
        let counting = crate::calls::counting();
        if timing.is_none() && !counting {
            // Forgotten, not dropped: it is `None`, and the drop glue of a timing
            // (a boxed messaging part) would otherwise be called here every call.
            // (Without `metrics` a timing is never made, and has no drop glue.)
            #[cfg_attr(not(feature = "metrics"), expect(clippy::forget_non_drop))]
            std::mem::forget(timing);
            return None;
        }
        Some(Tally {
            counts: counting.then(counts),
            failure: None,
            reply: None,
            timing,
        })
    }

    /// Records no duration, nor messages, for this call (a test's capture takes it).
    pub(crate) fn forget_timing(&mut self) {
        self.timing = None;
    }

    /// The counters this call counts in, when calls are counted.
    pub(crate) fn counts(&self) -> Option<&'static CallCounts> {
        self.counts
    }

    /// Whether a failure was noted.
    pub(crate) fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Notes a failure; the last one is the call's, as the span's status and
    /// `error.type` say (a stream's last `Err` item, a gRPC reply after an error).
    pub(crate) fn fail(&mut self, failure: Failure) {
        self.failure = Some(failure);
    }

    /// Records no duration for this call: it ends before what it measures does
    /// (a response whose stream carries the status at its end).
    pub(crate) fn untimed(&mut self) {
        self.timing = None;
    }

    /// Whether a boundary's reply status was noted.
    pub(crate) fn replied(&self) -> bool {
        self.reply.is_some()
    }

    /// Notes a boundary's reply status.
    pub(crate) fn reply(&mut self, status: ReplyCode) {
        self.reply = Some(status);
    }

    /// Sets an attribute of the call's duration learnt after it started.
    pub(crate) fn update_attribute(&mut self, attribute: opentelemetry::KeyValue) {
        if let Some(timing) = &mut self.timing {
            timing.update_attribute(attribute);
        }
    }

    /// Notes how many messages a messaging call sent or consumed.
    pub(crate) fn count_messages(&mut self, count: usize) {
        if let Some(timing) = &mut self.timing {
            timing.count_messages(u64::try_from(count).unwrap_or(u64::MAX));
        }
    }

    /// Measures the call's duration from now, if it is measured: where its span
    /// was opened or decided against, whose work (only a recorded span's is long)
    /// is no part of it.
    #[inline]
    pub(crate) fn start_clock(&mut self) {
        if let Some(timing) = &mut self.timing {
            crate::metrics::start(timing);
        }
    }

    /// Notes that the call ended, if its duration is recorded.
    #[inline]
    pub(crate) fn note_end(&mut self) {
        if let Some(timing) = &mut self.timing {
            crate::metrics::note_end(timing);
        }
    }

    /// The time the call ended, if its duration is recorded: as noted, else now,
    /// read first thing when it ends, so that the clock's latency overlaps the
    /// span's ending.
    #[inline]
    pub(crate) fn ended(&self) -> Option<Stamp> {
        self.timing.as_ref().map(crate::metrics::end_of)
    }

    /// Counts the call and records its duration up to `ended` (from
    /// [`Tally::ended`]): it has ended. Settled where it lies, the tally is then
    /// only dropped: moving it out first (80 bytes) and reading it back at once
    /// stalled the measured call's end.
    pub(crate) fn settle(&mut self, ended: Option<Stamp>) {
        if let Some(counts) = self.counts {
            counts.count(self.failure.is_some_and(|failure| failure != CANCELLED));
        }
        if let (Some(timing), Some(ended)) = (&mut self.timing, ended) {
            crate::metrics::record(timing, ended, self.failure, self.reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CANCELLED, Failure, Tally};

    #[test]
    fn a_call_given_up_is_counted_as_a_call_not_as_an_error() {
        crate::calls::count_calls();
        let counts = || crate::calls::counts_for("tally.tests.given_up");
        for failure in [CANCELLED, Failure::Named("Declined")] {
            let mut tally = Tally::for_call(counts, None).expect("calls are counted");
            tally.fail(failure);
            tally.settle(None);
        }
        assert_eq!(counts().totals(), (2, 1));
    }
}
