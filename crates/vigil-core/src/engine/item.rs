//! OVAL system-characteristics items (OVAL 5.11 §4.4): the facts a probe collected for
//! an object, with the item status and the collected-object flag the spec defines.

use std::fmt;

/// OVAL 5.11 oval-system-characteristics StatusEnumeration, per item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemStatus {
    #[serde(rename = "exists")]
    /// The item was found; its fields hold what was collected.
    Exists,
    #[serde(rename = "does not exist")]
    /// The item named was looked for and is not there.
    DoesNotExist,
    #[serde(rename = "error")]
    /// Collecting the item failed (see [`Item::message`]).
    Error,
    #[serde(rename = "not collected")]
    /// The item was not collected (the probe does not collect this kind of data).
    NotCollected,
}

impl ItemStatus {
    /// The word OVAL system characteristics spell the status with.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Exists => "exists",
            ItemStatus::DoesNotExist => "does not exist",
            ItemStatus::Error => "error",
            ItemStatus::NotCollected => "not collected",
        }
    }
}

/// OVAL 5.11 FlagEnumeration of a collected object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Flag {
    #[serde(rename = "error")]
    /// Collection failed; nothing can be said about the items.
    Error,
    #[serde(rename = "complete")]
    /// Every matching item was collected (at least one).
    Complete,
    #[serde(rename = "incomplete")]
    /// Some matching items were collected, not all (e.g. a limit was reached).
    Incomplete,
    #[serde(rename = "does not exist")]
    /// No item matches the object.
    DoesNotExist,
    #[serde(rename = "not collected")]
    /// The object was not collected (unsupported object type or behavior).
    NotCollected,
    #[serde(rename = "not applicable")]
    /// The object does not apply to this platform (e.g. a Windows object on Linux).
    NotApplicable,
}

impl Flag {
    /// The word OVAL spells the flag with.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Error => "error",
            Flag::Complete => "complete",
            Flag::Incomplete => "incomplete",
            Flag::DoesNotExist => "does not exist",
            Flag::NotCollected => "not collected",
            Flag::NotApplicable => "not applicable",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of an item. A field may repeat (e.g. several `subexpression` values); a
/// field whose value is `None` was not collected (status does not exist).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemField {
    /// The entity name, e.g. `path`, `filename`, `text`.
    pub name: String,
    /// The value as text; `None` when the entity does not exist for this item, and for
    /// a record entity.
    pub value: Option<String>,
    /// For a record entity (OVAL 5.11 EntityItemRecordType, e.g. the `value` of a
    /// `yamlfilecontent_item`), its named fields in order (a name may repeat); `None`
    /// for every other entity. Boxed: most fields are simple, and every item holds many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<Vec<ItemField>>>,
}

impl ItemField {
    /// A simple (non-record) field with a value.
    pub fn simple(name: &str, value: impl Into<String>) -> ItemField {
        ItemField {
            name: name.to_string(),
            value: Some(value.into()),
            record: None,
        }
    }

    fn heap_size(&self, alloc: fn(usize) -> usize) -> usize {
        alloc(self.name.capacity())
            + self.value.as_ref().map_or(0, |v| alloc(v.capacity()))
            + self.record.as_ref().map_or(0, |r| {
                alloc(r.capacity() * std::mem::size_of::<ItemField>())
                    + r.iter().map(|f| f.heap_size(alloc)).sum::<usize>()
            })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
/// One item: a file, a line of text, a package, ... with its fields in the order of the
/// item schema.
pub struct Item {
    /// Whether the item exists, and if not, why.
    pub status: ItemStatus,
    /// The fields in schema order; a name may repeat.
    pub fields: Vec<ItemField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Why the status is not `exists`; `None` otherwise.
    pub message: Option<String>,
}

impl Item {
    /// An empty item with status `exists`.
    pub fn new() -> Item {
        Item {
            status: ItemStatus::Exists,
            fields: Vec::new(),
            message: None,
        }
    }

    /// A field-less item with this status and the reason for it.
    pub fn with_status(status: ItemStatus, message: impl Into<String>) -> Item {
        Item {
            status,
            fields: Vec::new(),
            message: Some(message.into()),
        }
    }

    /// Adds a field (builder style).
    pub fn field(mut self, name: &str, value: impl Into<String>) -> Item {
        self.push(name, value);
        self
    }

    /// Adds a field with a value.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.fields.push(ItemField::simple(name, value));
    }

    /// Adds a record entity made of these fields (OVAL 5.11 EntityItemRecordType).
    pub fn push_record(&mut self, name: &str, fields: Vec<ItemField>) {
        self.fields.push(ItemField {
            name: name.to_string(),
            value: None,
            record: Some(Box::new(fields)),
        });
    }

    /// Adds a field with no value (the entity does not exist for this item).
    pub fn push_absent(&mut self, name: &str) {
        self.fields.push(ItemField {
            name: name.to_string(),
            value: None,
            record: None,
        });
    }

    /// Every value of a field, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name == name)
            .map(|f| f.value.as_deref())
    }

    /// Every field named `name` (simple or record), in order.
    pub fn entities<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ItemField> + 'a {
        self.fields.iter().filter(move |f| f.name == name)
    }

    /// The first field `name` that has a value; `None` when there is none.
    pub fn first<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.values(name).flatten().next()
    }

    /// About how many bytes of memory the item holds, allocator overhead included (what
    /// [`crate::engine::probe::ItemSink`] counts against `--max-object-bytes`).
    pub fn heap_size(&self) -> usize {
        fn alloc(n: usize) -> usize {
            // glibc malloc: 8 bytes of header, 16-byte granules, 32 bytes at least.
            if n == 0 {
                0
            } else {
                (n + 8).div_ceil(16).max(2) * 16
            }
        }
        let strings: usize = self.fields.iter().map(|f| f.heap_size(alloc)).sum();
        std::mem::size_of::<Item>()
            + alloc(self.fields.capacity() * std::mem::size_of::<ItemField>())
            + strings
            + self.message.as_ref().map_or(0, |m| alloc(m.capacity()))
    }
}

impl Default for Item {
    fn default() -> Self {
        Item::new()
    }
}

/// A probe's answer for one object.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Collected {
    /// The collected-object flag for the object as a whole.
    pub flag: Flag,
    /// The items collected, in the probe's order.
    pub items: Vec<Item>,
    /// Why an object is not collected, incomplete or in error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

impl Collected {
    /// The flag follows from the items: complete when any exist, does not exist
    /// otherwise.
    pub fn from_items(items: Vec<Item>) -> Collected {
        let flag = if items.iter().any(|i| i.status == ItemStatus::Error) {
            Flag::Error
        } else if items.is_empty() {
            Flag::DoesNotExist
        } else {
            Flag::Complete
        };
        Collected {
            flag,
            items,
            messages: Vec::new(),
        }
    }

    /// An answer with no items, this flag and the reason for it.
    pub fn with_flag(flag: Flag, message: impl Into<String>) -> Collected {
        Collected {
            flag,
            items: Vec::new(),
            messages: vec![message.into()],
        }
    }

    /// No items, flag `not collected`, with the reason.
    pub fn not_collected(message: impl Into<String>) -> Collected {
        Collected::with_flag(Flag::NotCollected, message)
    }

    /// No items, flag `error`, with the reason.
    pub fn error(message: impl Into<String>) -> Collected {
        Collected::with_flag(Flag::Error, message)
    }
}
