//! `family_object` (OVAL 5.11 independent schema, family_test): the platform family.
//! On Linux it is always `unix`, as oscap reports; it needs nothing from the host, so it
//! answers the same on an offline root.

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// The probe of OVAL 5.11 `independent:family_object`: `unix` on every host vigil runs
/// on.
pub struct FamilyProbe;

impl Probe<Context> for FamilyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["family_object"]
    }

    fn collect(&self, _query: &ObjectQuery, _ctx: &Context) -> Collected {
        Collected::from_items(vec![Item::new().field("family", "unix")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::Family;

    #[test]
    fn family_is_unix_live_and_offline() {
        let q = testutil::query(Family::Independent, "family_object", &[]);
        let dir = tempfile::tempdir().unwrap();
        for ctx in [testutil::live(), testutil::offline(dir.path())] {
            let c = FamilyProbe.collect(&q, &ctx);
            assert_eq!(c.flag, Flag::Complete);
            assert_eq!(c.items[0].first("family"), Some("unix"));
        }
    }
}
