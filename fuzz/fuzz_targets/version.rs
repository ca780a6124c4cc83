//! The version comparators and the datatype x operation comparison: any two strings
//! give an ordering or a CompareError, never a panic. The orderings must also be
//! antisymmetric (a < b exactly when b > a), as rpm and dpkg's own are.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::content::oval::{Datatype, Operation};
use vigil_core::values::{compare, version};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (a, b) = s.split_once('\u{0}').unwrap_or((&s, ""));
    if a.len() > 512 || b.len() > 512 {
        return;
    }
    assert_eq!(version::rpmvercmp(a, b), version::rpmvercmp(b, a).reverse());
    assert_eq!(version::verrevcmp(a, b), version::verrevcmp(b, a).reverse());
    let _ = version::compare_rpm_evr(a, b);
    if let (Ok(x), Ok(y)) = (version::compare_dpkg(a, b), version::compare_dpkg(b, a)) {
        assert_eq!(x, y.reverse());
    }
    let _ = version::compare_version(a, b);
    let _ = version::compare_segments(a, b);
    let _ = version::parse_dpkg(a);
    for &d in Datatype::ALL {
        for &o in Operation::ALL {
            let _ = compare::compare(d, o, a, b);
        }
    }
    let _ = compare::first_capture(b, a);
});
