//! `filehash_item` construction for the deprecated `filehash_object` (OVAL 5.11
//! independent-definitions-schema, deprecated since 5.8 in favour of filehash58): one
//! item per file with both its `md5` and `sha1` digests, lower-case hex, as oscap 1.3.7
//! writes them (compared on `tests/fixtures/oval/fs/filehash.xml`).

use std::ffi::OsStr;
use std::path::Path;

use super::file::push_location;
use super::filehash58::digest;
use crate::probes::Item;

pub(crate) fn item(dir: &Path, name: &OsStr, content: &[u8]) -> Item {
    let mut item = Item::new();
    push_location(&mut item, dir, Some(name));
    for (field, kind) in [("md5", "MD5"), ("sha1", "SHA-1")] {
        match digest(kind, content) {
            Some(h) => item.push(field, h),
            None => item.push_absent(field),
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_digests_of_known_content() {
        let i = item(Path::new("/d"), OsStr::new("f"), b"abc");
        assert_eq!(i.first("md5"), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            i.first("sha1"),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(i.first("filepath"), Some("/d/f"));
    }
}
