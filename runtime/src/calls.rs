//! Per-operation call counters: every call of an annotated function or boundary,
//! sampled or not, counted with its outcome (DESIGN §10, §11).
//!
//! Calls are counted once something reads the counts (an adaptive sampler was
//! made; until then a sampled-out call does not pay for them). Counters are kept
//! per span name, the unit the adaptive sampler decides for, in a registry that
//! lives as long as the process: a call site finds its counters
//! once and keeps a `&'static` to them, so counting a call is two relaxed atomic
//! additions at most. The adaptive sampler reads the error rates here, and keeps
//! its per-operation window beside them.

use crate::sampling::adaptive::Window;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};

/// Distinct span names known only at run time given counters of their own; the
/// names beyond share one set (`OVERFLOW_NAME`), so that spans named from
/// unbounded input (a gRPC layer's made-up paths, spans named through the
/// `tracing` bridge) cannot grow the registry without limit. The names of the
/// annotated call sites, a number the program fixes, are not counted: however
/// much of it such input takes, an operation first called late (a nightly job)
/// still has counters, and first calls, of its own.
const MAX_OPERATIONS: usize = 4096;

/// Longer span names known only at run time are counted as [`OVERFLOW_NAME`]: the
/// names kept live as long as the process. (A call site's, a route say, keeps its
/// own counters however long: the program fixes it.)
const MAX_NAME_BYTES: usize = 256;

/// What the operations beyond [`MAX_OPERATIONS`] are counted as.
const OVERFLOW_NAME: &str = "_OTHER";

/// Names made at run time that stand for no one operation, but for what any peer
/// can make: the overflow's, and a gRPC call of a method the server is not known
/// to have (answered UNIMPLEMENTED). Their error rates are a scanner's, and never
/// make the adaptive sampler sample them in full.
const CATCH_ALL_NAMES: [&str; 2] = [OVERFLOW_NAME, crate::rpc::UNKNOWN_GRPC_METHOD_NAME];

/// The counters of one operation (one span name), on cache lines of their own
/// (two: the adjacent-line prefetcher pairs them): every call of the operation
/// writes them, and two hot operations' counters side by side would slow each
/// other's calls on many cores.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CallCounts {
    calls: AtomicU64,
    errors: AtomicU64,
    /// The adaptive sampler's state for this operation.
    pub(crate) window: Window,
    /// One of [`CATCH_ALL_NAMES`], made at run time: never sampled in full.
    pub(crate) catch_all: bool,
}

impl CallCounts {
    /// Counts one call that ended, failed or not.
    #[inline]
    pub(crate) fn count(&self, failed: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Calls ended so far, and how many of them failed.
    #[inline]
    pub(crate) fn totals(&self) -> (u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

/// Set once an adaptive sampler exists: until then nothing reads the counts, and
/// sampled-out calls do not pay for them.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Makes every call counted from now on.
pub(crate) fn count_calls() {
    COUNTING.store(true, Ordering::Relaxed);
}

/// Whether calls are counted.
#[inline]
pub(crate) fn counting() -> bool {
    COUNTING.load(Ordering::Relaxed)
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry::new(MAX_OPERATIONS));

/// The counters of the operation named `name`, a name known only at run time,
/// made on first use.
pub(crate) fn counts_for(name: &str) -> &'static CallCounts {
    REGISTRY.counts_for(name, Named::AtRunTime)
}

/// The counters of the operation an annotated call site names, itself or by a
/// name made from its own (an HTTP boundary's `{method} {route}`).
pub(crate) fn counts_for_site(name: &str) -> &'static CallCounts {
    REGISTRY.counts_for(name, Named::BySite)
}

/// The counters of the operation a static name other than its call site's own
/// names (`in_span("validate", ..)`'s), found by the name's address in a small
/// cache of this thread's: a block named at run time takes the registry's lock
/// and a hash of its name once a thread (or when another name took its slot),
/// not at every call.
pub(crate) fn counts_for_static(name: &'static str) -> &'static CallCounts {
    STATIC_NAMES
        .try_with(|cache| {
            cache.get(name).unwrap_or_else(|| {
                let counts = counts_for_site(name);
                cache.put(name, counts);
                counts
            })
        })
        // The thread is exiting, its cache gone.
        .unwrap_or_else(|_| counts_for_site(name))
}

thread_local! {
    static STATIC_NAMES: StaticNames = const { StaticNames::new() };
}

/// Counters by a static name's address and length, which stand for its text: a
/// static string's bytes never move nor change. Direct-mapped: a name takes the
/// slot its address gives, replacing the one there.
struct StaticNames([Cell<Option<(&'static str, &'static CallCounts)>>; STATIC_NAME_SLOTS]);

/// Slots of [`StaticNames`]: more than a function's blocks usually are.
const STATIC_NAME_SLOTS: usize = 16;

impl StaticNames {
    const fn new() -> Self {
        StaticNames([const { Cell::new(None) }; STATIC_NAME_SLOTS])
    }

    fn slot(&self, name: &'static str) -> &Cell<Option<(&'static str, &'static CallCounts)>> {
        // String constants are laid out byte by byte: the address's low bits
        // tell them apart.
        &self.0[(name.as_ptr() as usize ^ name.len()) % STATIC_NAME_SLOTS]
    }

    fn get(&self, name: &'static str) -> Option<&'static CallCounts> {
        self.slot(name)
            .get()
            .filter(|(kept, _)| std::ptr::eq(*kept, name))
            .map(|(_, counts)| counts)
    }

    fn put(&self, name: &'static str, counts: &'static CallCounts) {
        self.slot(name).set(Some((name, counts)));
    }
}

/// Where an operation's name comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Named {
    /// An annotated call site: the program holds a fixed number of them.
    BySite,
    /// A request, or other code: without bound.
    AtRunTime,
}

/// The counters by operation name, `capacity` names known only at run time at
/// most.
#[derive(Debug)]
struct Registry {
    operations: RwLock<Operations>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Operations {
    by_name: HashMap<Box<str>, &'static CallCounts>,
    /// How many of them a name known only at run time made.
    made_at_run_time: usize,
    /// Whether a name over [`MAX_NAME_BYTES`] was counted as [`OVERFLOW_NAME`], and
    /// whether one past the capacity was (each said once).
    overflowed_long: bool,
    overflowed_full: bool,
}

impl Operations {
    /// Whether the cause of `name`'s being counted as [`OVERFLOW_NAME`] was said.
    fn overflow_said(&self, name: &str) -> bool {
        if name.len() > MAX_NAME_BYTES {
            self.overflowed_long
        } else {
            self.overflowed_full
        }
    }
}

impl Registry {
    fn new(capacity: usize) -> Self {
        Registry {
            operations: RwLock::default(),
            capacity,
        }
    }

    fn counts_for(&self, name: &str, named: Named) -> &'static CallCounts {
        // A name made at run time that cannot be kept, found all the same where a
        // call site keeps it.
        let full = |operations: &Operations| {
            named == Named::AtRunTime
                && (operations.made_at_run_time >= self.capacity || name.len() > MAX_NAME_BYTES)
        };
        {
            let operations = self
                .operations
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(counts) = operations.by_name.get(name) {
                return counts;
            }
            // Full: a new name shares the overflow's counters, found under the read
            // lock; else every span of a new name (a scanner's made-up paths) would
            // take the write lock, one thread at a time. (Once its cause was said.)
            if full(&operations)
                && operations.overflow_said(name)
                && let Some(counts) = operations.by_name.get(OVERFLOW_NAME)
            {
                return counts;
            }
        }
        let mut operations = self
            .operations
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(counts) = operations.by_name.get(name) {
            return counts;
        }
        let name = if full(&operations) {
            if !operations.overflow_said(name) {
                let long = name.len() > MAX_NAME_BYTES;
                if long {
                    operations.overflowed_long = true;
                } else {
                    operations.overflowed_full = true;
                }
                // Aside: this is a span opening on the application's thread.
                crate::notice::aside(overflow_said(long, self.capacity));
            }
            OVERFLOW_NAME
        } else {
            if named == Named::AtRunTime {
                operations.made_at_run_time += 1;
            }
            name
        };
        let catch_all = named == Named::AtRunTime && CATCH_ALL_NAMES.contains(&name);
        operations
            .by_name
            .entry(name.into())
            // Leaked on purpose: one small block per operation name, for the
            // process's lifetime, so that call sites hold plain references to it.
            .or_insert_with(|| {
                Box::leak(Box::new(CallCounts {
                    catch_all,
                    ..CallCounts::default()
                }))
            })
    }
}

/// What the first name counted as [`OVERFLOW_NAME`] for being `long`, or past the
/// `capacity`, says, once a process each: from then on the adaptive sampler sees
/// such names' calls as one operation's.
fn overflow_said(long: bool, capacity: usize) -> String {
    let why = if long {
        format!("a span name made at run time is over {MAX_NAME_BYTES} bytes")
    } else {
        format!("span names made at run time passed {capacity}")
    };
    format!(
        "{why}: the calls of such names first seen from now on are counted together as `{OVERFLOW_NAME}`, one operation for the adaptive sampler, never sampled in full; name spans by their route or method, not by values (said once)"
    )
}

thread_local! {
    /// The counters of the span this thread is opening, while its sampler decides:
    /// the sampler only sees the span's name, and looking that up per span would
    /// cost more than the whole decision may.
    static OPENING: Cell<Option<&'static CallCounts>> = const { Cell::new(None) };
}

/// Runs `open` (which builds a span) with `counts` as the counters its sampler sees.
#[inline]
pub(crate) fn while_opening<R>(counts: &'static CallCounts, open: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static CallCounts>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OPENING.with(|opening| opening.set(self.0));
        }
    }
    let _restore = Restore(OPENING.with(|opening| opening.replace(Some(counts))));
    open()
}

/// The counters of the span being sampled: those its call site handed over, else
/// (a span opened by other code on our provider) those of its name. Taken: a span
/// opened while this one is decided (by a sampler of the application's wrapping
/// ours) is another operation.
#[inline]
pub(crate) fn counts_of_span(name: &str) -> &'static CallCounts {
    OPENING.with(Cell::take).unwrap_or_else(|| counts_for(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_name_finds_its_counters_by_its_address() {
        let names = StaticNames::new();
        let name: &'static str = "calls.tests.static";
        assert!(names.get(name).is_none());
        let counts = counts_for_site(name);
        names.put(name, counts);
        assert!(
            names
                .get(name)
                .is_some_and(|kept| std::ptr::eq(kept, counts))
        );
        // The same text elsewhere is not taken for it by its address, but finds
        // the same counters through the registry.
        let elsewhere: &'static str = String::from(name).leak();
        assert!(names.get(elsewhere).is_none());
        assert!(names.get(&name[..name.len() - 1]).is_none());
        assert!(std::ptr::eq(
            counts_for_static(name),
            counts_for_static(elsewhere)
        ));
        assert!(std::ptr::eq(counts_for_static(name), counts));
    }

    #[test]
    fn one_set_of_counters_per_name() {
        let first = counts_for("calls.tests.same");
        let second = counts_for("calls.tests.same");
        assert!(std::ptr::eq(first, second));
        assert!(!std::ptr::eq(first, counts_for("calls.tests.other")));
    }

    #[test]
    fn the_call_site_counters_win_while_opening() {
        let site = counts_for("calls.tests.site");
        let (seen, nested) = while_opening(site, || {
            // A span opened while this one is decided is another operation.
            let seen = counts_of_span("calls.tests.elsewhere");
            (seen, counts_of_span("calls.tests.nested"))
        });
        assert!(std::ptr::eq(seen, site));
        assert!(std::ptr::eq(nested, counts_for("calls.tests.nested")));
        assert!(std::ptr::eq(
            counts_of_span("calls.tests.elsewhere"),
            counts_for("calls.tests.elsewhere")
        ));
    }

    #[test]
    fn a_full_registry_counts_new_and_long_names_as_other_without_the_write_lock() {
        let registry: &'static Registry = Box::leak(Box::new(Registry::new(2)));
        let overflowed = || {
            registry
                .operations
                .read()
                .expect("not poisoned")
                .overflowed_full
        };
        let first = registry.counts_for("first", Named::AtRunTime);
        registry.counts_for("second", Named::AtRunTime);
        assert!(!overflowed());
        let other = registry.counts_for("third", Named::AtRunTime);
        assert!(overflowed(), "said");
        assert!(std::ptr::eq(
            registry.counts_for("fourth", Named::AtRunTime),
            other
        ));
        assert!(std::ptr::eq(
            registry.counts_for("first", Named::AtRunTime),
            first
        ));
        // Once full, a new name is answered while another reader holds the lock:
        // taking the write lock would wait for it.
        let reading = registry.operations.read().expect("not poisoned");
        let (sender, answer) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender
                .send(std::ptr::from_ref(registry.counts_for("fifth", Named::AtRunTime)) as usize);
        });
        let answered = answer.recv_timeout(std::time::Duration::from_secs(10));
        drop(reading);
        assert_eq!(answered, Ok(std::ptr::from_ref(other) as usize));
        let roomy = Registry::new(10);
        let long = "n".repeat(MAX_NAME_BYTES + 1);
        assert!(std::ptr::eq(
            roomy.counts_for(&long, Named::AtRunTime),
            roomy.counts_for(OVERFLOW_NAME, Named::AtRunTime)
        ));
        // Said for its own cause: the registry filling up later is said too.
        let said = || {
            let operations = roomy.operations.read().expect("not poisoned");
            (operations.overflowed_long, operations.overflowed_full)
        };
        assert_eq!(said(), (true, false));
        assert!(!std::ptr::eq(
            roomy.counts_for(&long[..MAX_NAME_BYTES], Named::AtRunTime),
            roomy.counts_for(OVERFLOW_NAME, Named::AtRunTime)
        ));
        // A call site's long name (a long route) has counters of its own, found by
        // its name at run time too.
        let route = format!("GET /{}", "r".repeat(MAX_NAME_BYTES));
        let site = roomy.counts_for(&route, Named::BySite);
        assert!(!std::ptr::eq(
            site,
            roomy.counts_for(OVERFLOW_NAME, Named::AtRunTime)
        ));
        assert!(std::ptr::eq(
            roomy.counts_for(&route, Named::AtRunTime),
            site
        ));
        // Full now: said for that cause too.
        for index in 0..10 {
            roomy.counts_for(&format!("name {index}"), Named::AtRunTime);
        }
        assert_eq!(said(), (true, true));
    }

    #[test]
    fn names_known_at_run_time_leave_the_call_sites_their_own_counters() {
        let registry = Registry::new(2);
        let early = registry.counts_for("checkout", Named::BySite);
        for made_up in ["/a.B/x1", "/a.B/x2", "/a.B/x3"] {
            registry.counts_for(made_up, Named::AtRunTime);
        }
        let other = registry.counts_for(OVERFLOW_NAME, Named::AtRunTime);
        assert!(std::ptr::eq(
            registry.counts_for("/a.B/x4", Named::AtRunTime),
            other
        ));
        let late = registry.counts_for("nightly_report", Named::BySite);
        assert!(!std::ptr::eq(late, other), "a call site first called late");
        assert!(std::ptr::eq(
            registry.counts_for("nightly_report", Named::AtRunTime),
            late
        ));
        assert!(std::ptr::eq(
            registry.counts_for("checkout", Named::BySite),
            early
        ));
    }

    #[test]
    fn counts_calls_and_failures() {
        let counts = counts_for("calls.tests.count");
        counts.count(false);
        counts.count(true);
        counts.count(true);
        assert_eq!(counts.totals(), (3, 2));
    }
}
