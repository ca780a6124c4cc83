//! OVAL values: how two entity values compare (OVAL 5.11.1 §5.3.6.3.1 operations over
//! the §4.3.5 datatypes), the version orderings, and the PCRE2 patterns of `pattern
//! match`. A leaf: it depends only on the content model's datatype and operation
//! enumerations, so the engine (which compares states with items) and the probes (which
//! filter objects by their entities while collecting) share one definition of every
//! comparison without depending on each other.

pub mod compare;
pub mod pattern;
pub mod version;
