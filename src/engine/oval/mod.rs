//! OVAL 5.11 evaluation: entity comparison, criteria and check/existence truth tables,
//! variables, object collection with filters and sets.

pub mod compare;
