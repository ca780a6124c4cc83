//! The probe interface (OVAL 5.11 §4.4, system characteristics): what the engine asks
//! for ([`ObjectQuery`], its variable references already resolved), what a probe gives
//! back ([`Collected`] items under a collected-object flag), the limits a collection
//! runs under ([`Limits`], [`ItemSink`], [`Deadline`]) and the [`Probe`] trait the
//! host's probes implement. The engine owns this interface and the probes depend on it,
//! never the other way (as ripgrep's grep-matcher trait sits apart from grep-regex);
//! the engine reaches probes only through a [`Collector`].
//!
//! A probe only gathers facts: it never decides pass or fail. How objects are
//! scheduled onto probes (batches, parallelism, panics) is the engine's
//! (`engine::oval::eval::schedule`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

pub use super::item::{Collected, Flag, Item, ItemField, ItemStatus};

use crate::content::oval::{Check, Datatype, Entity, Family, Object, Operation};
use crate::values::compare::{self, CompareError};

/// An object entity with its values resolved (literal, or every value of a var_ref).
#[derive(Debug, Clone)]
pub struct QueryEntity {
    /// The entity name, which names the item field it selects on (`path`, `filename`, ...).
    pub name: String,
    /// The datatype the values compare in.
    pub datatype: Datatype,
    /// The operation a candidate value must satisfy against the values.
    pub operation: Operation,
    /// The literal value, or every value of the variable; empty when the variable has none.
    pub values: Vec<String>,
    /// `xsi:nil="true"`: the entity has no value (meaningful only on nillable entities).
    pub nil: bool,
    /// How many of `values` a candidate must satisfy when there are several (`var_check`).
    pub var_check: Check,
    /// The entity was given through a var_ref (for messages and result documents).
    pub from_variable: bool,
}

impl QueryEntity {
    /// Does a collected value match this object entity? With several values (a
    /// var_ref with several values) the item matches when any of them does, as the
    /// object stands for the union of the objects each value selects.
    pub fn matches(&self, candidate: &str) -> Result<bool, CompareError> {
        let mut any = false;
        for v in &self.values {
            if compare::compare(self.datatype, self.operation, candidate, v)? {
                any = true;
                break;
            }
        }
        Ok(any)
    }

    /// Does this object entity select a collected value? The one matcher of every probe
    /// that enumerates candidates: [`matches`](Self::matches), except that an entity
    /// given as `xsi:nil` selects nothing.
    ///
    /// OVAL 5.11 gives `xsi:nil` on an object entity a meaning only where a component
    /// schema declares the entity `nillable`, and there the meaning is a different
    /// object, not a value to compare: unix `file_object`/`fileextendedattribute_object`
    /// `filename` (the directory itself), independent `environmentvariable58_object` and
    /// linux `selinuxsecuritycontext_object` `pid` (the tool's own process), `ldap`
    /// `relative_dn`/`attribute`, `gconf_object` `source`. Their probes handle that before
    /// matching (`probes::fs`, `system::environment`). Every other entity is not
    /// nillable (oscap's schema validation refuses the content: "The element is not
    /// 'nillable'"); evaluated anyway, a nil entity has no value, and no collected value
    /// equals no value: OpenSCAP 1.3.7 (`oscap oval eval --skip-valid`) collects nothing
    /// for a nil sysctl `name`, password/shadow `username`, process58 `command_line` and
    /// environmentvariable58 `name`, and the object does not exist
    /// (tests/integration/nil_entities.rs checks vigil against it). vigil's own
    /// families declare no entity nillable and follow the same rule.
    pub fn selects(&self, candidate: &str) -> Result<bool, CompareError> {
        if self.nil {
            return Ok(false);
        }
        self.matches(candidate)
    }

    /// The values to look up directly when the operation is `equals` (fast path: no
    /// enumeration needed).
    pub fn exact_values(&self) -> Option<&[String]> {
        (self.operation == Operation::Equals && !self.nil).then_some(self.values.as_slice())
    }
}

/// What the engine asks a probe to collect.
#[derive(Debug, Clone)]
pub struct ObjectQuery {
    /// The OVAL id of the object, `oval:NS:obj:N`.
    pub object_id: String,
    /// The object's test family.
    pub family: Family,
    /// The object element's local name, e.g. `file_object`; with `family` it picks the
    /// probe.
    pub kind: String,
    /// The `behaviors` attributes, by name; empty: the probe's defaults.
    pub behaviors: BTreeMap<String, String>,
    /// The object's entities, variables resolved, in document order.
    pub entities: Vec<QueryEntity>,
    /// The object's filters, pushed down so a probe can drop items as it collects; `None`
    /// without filters.
    pub item_filter: Option<ItemFilter>,
}

impl ObjectQuery {
    /// Builds a query from an object whose entities carry literal values only (tests and
    /// simple callers); the engine builds queries with resolved variables itself.
    pub fn from_literal_object(object: &Object) -> ObjectQuery {
        ObjectQuery {
            object_id: object.id.clone(),
            family: object.family.clone(),
            kind: object.kind.clone(),
            behaviors: object.behaviors.clone(),
            entities: object
                .entities
                .iter()
                .map(|e: &Entity| QueryEntity {
                    name: e.name.clone(),
                    datatype: e.datatype,
                    operation: e.operation,
                    values: e.literal().map(|s| vec![s.to_string()]).unwrap_or_default(),
                    nil: e.nil,
                    var_check: e.var_check,
                    from_variable: false,
                })
                .collect(),
            item_filter: None,
        }
    }

    /// The entity `name` of the object; `None` when the object does not give it.
    pub fn entity(&self, name: &str) -> Option<&QueryEntity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Does the object's entity `name` select `candidate`? An entity the object does not
    /// give selects every value; one it gives decides by [`QueryEntity::selects`].
    pub fn selects(&self, name: &str, candidate: &str) -> Result<bool, CompareError> {
        self.entity(name).map_or(Ok(true), |e| e.selects(candidate))
    }

    /// The behavior attribute `name`; `None` when not given (use the OVAL default).
    pub fn behavior(&self, name: &str) -> Option<&str> {
        self.behaviors.get(name).map(|s| s.as_str())
    }

    /// Whether the pushed-down filters keep `item`.
    pub fn keep(&self, item: &Item) -> bool {
        self.item_filter.as_ref().is_none_or(|f| f.keep(item))
    }
}

/// A predicate over items: `true` keeps the item.
pub type ItemPredicate = Arc<dyn Fn(&Item) -> bool + Send + Sync>;

/// The bounds one object's collection runs under (`--object-timeout`,
/// `--max-object-items`, `--max-object-bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// How long one probe call may take before it gives up and reports its objects as
    /// errors; `None` for no limit.
    pub object_timeout: Option<Duration>,
    /// Most items one object may collect; past it the object is an error, so a pattern
    /// matching a million files cannot exhaust memory.
    pub max_object_items: usize,
    /// Most memory one object's items may hold ([`Item::heap_size`]); past it the object
    /// is an error. Items differ in size by a factor of ten (a textfilecontent54 line
    /// against a file item with ACLs), so the item count alone does not bound memory.
    pub max_object_bytes: usize,
}

/// Default for [`Limits::object_timeout`], in seconds.
pub const DEFAULT_OBJECT_TIMEOUT_SECS: u64 = 300;

/// Default for [`Limits::max_object_items`].
pub const DEFAULT_MAX_OBJECT_ITEMS: usize = 500_000;

/// Default for [`Limits::max_object_bytes`]: 64 MiB, so an object matching every
/// line of a 20 MB file stops at about 100,000 items and 100 MB of peak memory
/// (benches/limits.sh).
pub const DEFAULT_MAX_OBJECT_BYTES: usize = 64 * 1024 * 1024;

impl Default for Limits {
    /// The command line's defaults.
    fn default() -> Limits {
        Limits {
            object_timeout: Some(Duration::from_secs(DEFAULT_OBJECT_TIMEOUT_SECS)),
            max_object_items: DEFAULT_MAX_OBJECT_ITEMS,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
        }
    }
}

impl Limits {
    /// No time limit, the default caps (unit tests and library callers that bound time
    /// themselves).
    pub fn untimed() -> Limits {
        Limits {
            object_timeout: None,
            ..Limits::default()
        }
    }

    /// An empty [`ItemSink`] for one object under these limits and `deadline`.
    pub fn sink(&self, deadline: Deadline) -> ItemSink {
        ItemSink {
            items: Vec::new(),
            bytes: 0,
            max_items: self.max_object_items,
            max_bytes: self.max_object_bytes,
            deadline,
            stopped: None,
        }
    }

    /// A deadline starting now for one probe call (one object, or one batch sharing a
    /// walk). Probes check it in their long loops: directory walks and content reads.
    pub fn deadline(&self) -> Deadline {
        Deadline {
            at: self.object_timeout.map(|t| Instant::now() + t),
            limit: self.object_timeout.unwrap_or_default(),
            hit: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// When a probe call must give up (see [`Limits::deadline`]). Cloning shares the
/// "expired" flag, so the parallel parts of one walk stop together.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Option<Instant>,
    limit: Duration,
    hit: Arc<AtomicBool>,
}

impl Deadline {
    /// No limit.
    pub fn none() -> Deadline {
        Deadline {
            at: None,
            limit: Duration::ZERO,
            hit: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the time is up; once it is, it stays so (and [`Deadline::was_hit`] says
    /// so afterwards).
    pub fn expired(&self) -> bool {
        if self.hit.load(AtomicOrdering::Relaxed) {
            return true;
        }
        match self.at {
            Some(at) if Instant::now() >= at => {
                self.hit.store(true, AtomicOrdering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Whether a check of this deadline found it expired.
    pub fn was_hit(&self) -> bool {
        self.hit.load(AtomicOrdering::Relaxed)
    }

    /// The message for objects abandoned at this deadline.
    pub fn message(&self) -> String {
        format!(
            "timed out after {} s (--object-timeout); collection was abandoned",
            self.limit.as_secs_f64()
        )
    }
}

/// A probe loop must stop producing items: the object passed a limit (see [`ItemSink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// Why an [`ItemSink`] stopped taking items.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stop {
    Items(usize),
    Bytes(usize),
    Deadline(String),
}

/// How often (in items) [`ItemSink::push`] looks at the deadline.
const DEADLINE_EVERY: usize = 1024;

/// The items one object collects, counted as they are produced: every probe loop pushes
/// each item here and stops at the first [`Full`], so what a capped collection holds is
/// bounded by the caps (`--max-object-items`, `--max-object-bytes`) and its time by the
/// deadline (`--object-timeout`), never by the size of the input. What was kept before
/// the stop stays as evidence; the object is then an error that says which limit it hit.
pub struct ItemSink {
    items: Vec<Item>,
    bytes: usize,
    max_items: usize,
    max_bytes: usize,
    deadline: Deadline,
    stopped: Option<Stop>,
}

impl ItemSink {
    /// Takes `item`, or answers [`Full`] (dropping it) once a limit is passed; after
    /// that every push is `Full`.
    pub fn push(&mut self, item: Item) -> Result<(), Full> {
        if self.stopped.is_some() {
            return Err(Full);
        }
        if self.items.len() % DEADLINE_EVERY == DEADLINE_EVERY - 1 && self.deadline.expired() {
            self.stopped = Some(Stop::Deadline(self.deadline.message()));
            return Err(Full);
        }
        if self.items.len() >= self.max_items {
            self.stopped = Some(Stop::Items(self.max_items));
            return Err(Full);
        }
        let size = item.heap_size();
        if self.bytes + size > self.max_bytes {
            self.stopped = Some(Stop::Bytes(self.max_bytes));
            return Err(Full);
        }
        self.bytes += size;
        self.items.push(item);
        Ok(())
    }

    /// Pushes every item of `items`, stopping at the first [`Full`].
    pub fn extend(&mut self, items: impl IntoIterator<Item = Item>) -> Result<(), Full> {
        items.into_iter().try_for_each(|i| self.push(i))
    }

    /// Whether a limit stopped the collection.
    pub fn is_full(&self) -> bool {
        self.stopped.is_some()
    }

    /// How many items are kept so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is kept yet.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items kept, and the message of the limit that stopped the collection.
    pub fn into_parts(self) -> (Vec<Item>, Option<String>) {
        let message = self.stopped.map(|s| match s {
            Stop::Items(n) => {
                format!("more than {n} items (--max-object-items): collection stopped there")
            }
            Stop::Bytes(n) => format!(
                "items hold more than {n} bytes (--max-object-bytes): collection stopped there"
            ),
            Stop::Deadline(m) => m,
        });
        (self.items, message)
    }

    /// The object: its items, in error with the limit's message when one stopped it.
    pub fn into_collected(self) -> Collected {
        let (items, stopped) = self.into_parts();
        let mut c = Collected::from_items(items);
        if let Some(m) = stopped {
            c.flag = Flag::Error;
            c.messages.insert(0, m);
        }
        c
    }
}

/// The object's filters (OVAL 5.11 §4.3.6.3), pushed down by the engine with their
/// variables resolved: a probe that produces many items (a walk of `/`) drops what the
/// filters exclude as it produces them, so memory stays bounded. Probes may ignore it;
/// the engine applies the filters again.
///
/// When the filter says which item fields it reads ([`ItemFilter::fields`]), a probe may
/// decide it on an item holding only those fields and build the complete item only for
/// what is kept (a walk of `/` then formats a handful of fields per entry, not all).
#[derive(Clone)]
pub struct ItemFilter {
    predicate: ItemPredicate,
    fields: Option<Arc<[String]>>,
}

impl ItemFilter {
    /// A filter that may read any field.
    pub fn new(predicate: ItemPredicate) -> ItemFilter {
        ItemFilter {
            predicate,
            fields: None,
        }
    }

    /// A filter whose decision depends only on the item's status and on the fields
    /// named (a field missing from the item must count the same as it would on the
    /// complete item, so probes give every named field they would give at all).
    pub fn with_fields(predicate: ItemPredicate, fields: Vec<String>) -> ItemFilter {
        ItemFilter {
            predicate,
            fields: Some(fields.into()),
        }
    }

    /// Whether the filter keeps `item`.
    pub fn keep(&self, item: &Item) -> bool {
        (self.predicate)(item)
    }

    /// The fields the decision reads, when known.
    pub fn fields(&self) -> Option<&[String]> {
        self.fields.as_deref()
    }
}

impl std::fmt::Debug for ItemFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemFilter")
    }
}

/// One test family's collector, for the object kinds it names. `C` is the context a
/// scan binds it to (the host, the site policy, the limits): the engine never looks
/// inside it.
pub trait Probe<C: ?Sized>: Send + Sync {
    /// Object element names this probe handles, e.g. `["file_object"]`.
    fn kinds(&self) -> &'static [&'static str];

    /// Collects one object.
    fn collect(&self, query: &ObjectQuery, ctx: &C) -> Collected;

    /// Collects many objects in one call, in query order, for probes that share work
    /// between objects (one file-system walk for every file object). `None`, the
    /// default, says the probe shares nothing: the scheduler then collects each object
    /// on its own, in parallel, so a panic in one object makes only that object an
    /// error.
    fn collect_many(&self, _queries: &[&ObjectQuery], _ctx: &C) -> Option<Vec<Collected>> {
        None
    }
}

/// The message for an object whose probe panicked.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    format!("probe panicked: {msg}")
}

/// Probes looked up by (family, object kind).
pub struct Registry<C: ?Sized> {
    probes: Vec<(Family, Arc<dyn Probe<C>>)>,
}

impl<C: ?Sized> Default for Registry<C> {
    fn default() -> Self {
        Registry::empty()
    }
}

impl<C: ?Sized> Registry<C> {
    /// A registry with no probes.
    pub fn empty() -> Registry<C> {
        Registry { probes: Vec::new() }
    }

    /// Adds `probe` for `family`; a probe registered earlier for the same family and kind
    /// wins.
    pub fn register(&mut self, family: Family, probe: Arc<dyn Probe<C>>) {
        self.probes.push((family, probe));
    }

    /// The probe for objects of `kind` in `family`, with its index (the same index for
    /// every kind one probe handles, so the scheduler can batch them).
    pub fn find(&self, family: &Family, kind: &str) -> Option<(usize, &Arc<dyn Probe<C>>)> {
        let key = self
            .probes
            .iter()
            .find(|(f, p)| f == family && p.kinds().contains(&kind))
            .map(|(_, p)| p)?;
        // Index of the probe's first registration: one probe registered for two
        // families is one batch.
        let i = self
            .probes
            .iter()
            .position(|(_, p)| Arc::ptr_eq(p, key))
            .expect("found above");
        Some((i, key))
    }

    /// Binds the registry to the context of one scan: what the engine collects through.
    pub fn bind<'a>(&'a self, ctx: &'a C) -> Bound<'a, C> {
        Bound {
            registry: self,
            ctx,
        }
    }
}

/// How the engine reaches probes: by the index [`Collector::probe_for`] gives, so that
/// objects of one probe are batched together. Implemented by a [`Registry`] bound to a
/// context ([`Bound`]); engine tests implement it with fakes.
pub trait Collector: Sync {
    /// The probe collecting objects of `kind` in `family`; `None`: not implemented.
    fn probe_for(&self, family: &Family, kind: &str) -> Option<usize>;
    /// [`Probe::collect`] of probe `probe`.
    fn collect(&self, probe: usize, query: &ObjectQuery) -> Collected;
    /// [`Probe::collect_many`] of probe `probe`.
    fn collect_many(&self, probe: usize, queries: &[&ObjectQuery]) -> Option<Vec<Collected>>;
}

/// A [`Registry`] bound to one scan's context.
pub struct Bound<'a, C: ?Sized> {
    registry: &'a Registry<C>,
    ctx: &'a C,
}

impl<C: ?Sized + Sync> Collector for Bound<'_, C> {
    fn probe_for(&self, family: &Family, kind: &str) -> Option<usize> {
        self.registry.find(family, kind).map(|(i, _)| i)
    }

    fn collect(&self, probe: usize, query: &ObjectQuery) -> Collected {
        self.registry.probes[probe].1.collect(query, self.ctx)
    }

    fn collect_many(&self, probe: usize, queries: &[&ObjectQuery]) -> Option<Vec<Collected>> {
        self.registry.probes[probe]
            .1
            .collect_many(queries, self.ctx)
    }
}

#[cfg(test)]
mod sink_tests {
    use super::*;

    fn ctx(items: usize, bytes: usize) -> Limits {
        Limits {
            object_timeout: None,
            max_object_items: items,
            max_object_bytes: bytes,
        }
    }

    fn item(n: usize) -> Item {
        Item::new().field("value", "x".repeat(n))
    }

    #[test]
    fn the_item_cap_keeps_the_cap_and_says_so() {
        let c = ctx(3, usize::MAX);
        let mut s = c.sink(Deadline::none());
        assert_eq!(s.extend((0..10).map(|_| item(1))), Err(Full));
        assert!(s.is_full());
        assert_eq!(s.push(item(1)), Err(Full));
        let col = s.into_collected();
        assert_eq!((col.flag, col.items.len()), (Flag::Error, 3));
        assert!(col.messages[0].contains("more than 3 items (--max-object-items)"));
    }

    #[test]
    fn the_byte_budget_counts_what_items_hold() {
        let one = item(1000).heap_size();
        assert!(one > 1000 && one < 1400, "{one}");
        let c = ctx(usize::MAX, 5 * one);
        let mut s = c.sink(Deadline::none());
        assert_eq!(s.extend((0..10).map(|_| item(1000))), Err(Full));
        let col = s.into_collected();
        assert_eq!((col.flag, col.items.len()), (Flag::Error, 5));
        assert!(
            col.messages[0].contains("(--max-object-bytes)"),
            "{:?}",
            col.messages
        );
        // Under the limits nothing changes.
        let mut s = c.sink(Deadline::none());
        s.push(item(1)).unwrap();
        assert_eq!(s.into_collected().flag, Flag::Complete);
    }

    #[test]
    fn the_deadline_is_checked_as_items_are_produced() {
        let mut c = ctx(usize::MAX, usize::MAX);
        c.object_timeout = Some(Duration::ZERO);
        let mut s = c.sink(c.deadline());
        assert_eq!(s.extend((0..5000).map(|_| item(1))), Err(Full));
        assert!(s.len() < DEADLINE_EVERY);
        let col = s.into_collected();
        assert_eq!(col.flag, Flag::Error);
        assert!(col.messages[0].contains("timed out"), "{:?}", col.messages);
    }
}

#[cfg(test)]
mod selects_tests {
    use super::*;

    fn entity(op: Operation, values: &[&str], nil: bool) -> QueryEntity {
        QueryEntity {
            name: "name".into(),
            datatype: Datatype::String,
            operation: op,
            values: values.iter().map(|v| v.to_string()).collect(),
            nil,
            var_check: Check::All,
            from_variable: false,
        }
    }

    fn query(family: Family, entities: Vec<QueryEntity>) -> ObjectQuery {
        ObjectQuery {
            object_id: "oval:x:obj:1".into(),
            family,
            kind: "sysctl_object".into(),
            behaviors: BTreeMap::new(),
            entities,
            item_filter: None,
        }
    }

    #[test]
    fn an_entity_the_object_does_not_give_selects_every_value() {
        let q = query(Family::Unix, vec![]);
        assert!(q.selects("name", "kernel.ostype").unwrap());
        assert!(q.selects("name", "").unwrap());
    }

    #[test]
    fn a_value_selects_by_its_operation_and_any_of_several_values_will_do() {
        let e = entity(Operation::Equals, &["a", "b"], false);
        assert!(e.selects("b").unwrap());
        assert!(!e.selects("c").unwrap());
        let e = entity(Operation::PatternMatch, &["^kernel\\."], false);
        assert!(e.selects("kernel.ostype").unwrap());
        assert!(!e.selects("net.ipv4.ip_forward").unwrap());
        let mut e = entity(Operation::GreaterThan, &["5"], false);
        e.datatype = Datatype::Int;
        assert!(e.selects("6").unwrap());
        assert!(
            e.selects("not a number").is_err(),
            "a value that cannot compare"
        );
    }

    /// OVAL 5.11 declares no nil meaning for these entities; oscap collects nothing.
    #[test]
    fn a_nil_entity_selects_nothing_whatever_its_operation() {
        for op in [
            Operation::Equals,
            Operation::NotEqual,
            Operation::PatternMatch,
        ] {
            // As the engine builds it (no values) and as a literal object gives it (the
            // empty text of `<name xsi:nil="true"/>`).
            for values in [&[][..], &[""], &[".*"]] {
                let e = entity(op, values, true);
                for v in ["", "kernel.ostype", ".*"] {
                    assert!(!e.selects(v).unwrap(), "{op} {values:?} selected {v:?}");
                }
            }
        }
        // Where `matches` alone would have said yes.
        let e = entity(Operation::Equals, &[""], true);
        assert!(e.matches("").unwrap());
        assert!(!e.selects("").unwrap());
    }
}
