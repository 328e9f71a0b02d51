//! Without the `metrics` feature nothing is measured: the calls the rest of the
//! runtime makes cost nothing.

use crate::callsite::SpanMeta;
use crate::config::MetricsSettings;
use crate::init::InitError;
use crate::rpc::RpcMeta;
use crate::tally::{Failure, ReplyCode};
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

/// Never made: no call is timed.
#[derive(Debug)]
pub(crate) enum Timing {}

impl Timing {
    pub(crate) fn count_messages(&mut self, _count: u64) {
        match *self {}
    }

    pub(crate) fn update_attribute(&mut self, _attribute: KeyValue) {
        match *self {}
    }
}

/// Nothing to keep per call site.
#[derive(Debug)]
pub(crate) struct SiteSeries;

impl SiteSeries {
    pub(crate) const fn new() -> Self {
        SiteSeries
    }
}

#[inline]
pub(crate) fn time_function(_meta: &SpanMeta, _series: &'static SiteSeries) -> Option<Timing> {
    None
}

#[inline]
pub(crate) fn time_boundary(_rpc: &RpcMeta, _attributes: &[KeyValue]) -> Option<Timing> {
    None
}

/// Never made: no call is timed.
#[derive(Debug)]
pub(crate) enum Stamp {}

pub(crate) fn end_of(timing: &Timing) -> Stamp {
    match *timing {}
}

pub(crate) fn start(timing: &mut Timing) {
    match *timing {}
}

pub(crate) fn note_end(timing: &mut Timing) {
    match *timing {}
}

pub(crate) fn record(
    timing: &mut Timing,
    _ended: Stamp,
    _failure: Option<Failure>,
    _reply: Option<ReplyCode>,
) {
    match *timing {}
}

/// Never made: no exporter can be given without the feature.
pub(crate) enum MetricReaderFactory {}

/// Never made: there is no metrics pipeline.
#[derive(Debug)]
pub(crate) enum Pipeline {}

impl Pipeline {
    pub(crate) fn start(
        _settings: &MetricsSettings,
        _custom: Option<MetricReaderFactory>,
        _resource: Resource,
    ) -> Result<Option<Self>, InitError> {
        Ok(None)
    }

    pub(crate) fn install(&mut self, _all_functions: bool) {
        match *self {}
    }

    pub(crate) fn observe_pipelines(
        &self,
        _spans: &std::sync::Arc<crate::processor::Counters>,
        _log_records: &std::sync::Arc<crate::processor::Counters>,
    ) {
        match *self {}
    }

    pub(crate) fn summarises_at_shutdown(&self) -> bool {
        match *self {}
    }

    pub(crate) fn start_flush(&self) -> crate::background::Pending {
        match *self {}
    }

    pub(crate) fn start_shutdown(self) -> crate::background::Pending {
        match self {}
    }
}
