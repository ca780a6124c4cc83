//! The enumerations of the OVAL 5.11 common schema (oval-common-schema.xsd): datatypes,
//! operations, operators, check and existence enumerations, set operators. Each parses
//! from the exact attribute word the schema defines and prints back to it.

use std::fmt;
use std::str::FromStr;

macro_rules! oval_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                $(#[$vm])*
                #[doc = ""]
                #[doc = concat!("Written `", $word, "` in content.")]
                $variant
            ),+
        }

        impl $name {
            /// Every value, in declaration order (for messages and exhaustive tests).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The attribute word the schema spells this value with.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!(
                        "'{}' is not a valid {} (expected one of: {})",
                        s, stringify!($name), [$($word),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

oval_enum!(
    /// OVAL 5.11 §4.3.5 DatatypeEnumeration (plus `record` for record entities).
    Datatype {
        /// Hexadecimal octets; compared as case-insensitive hex text.
        Binary = "binary",
        /// `true`/`false`/`1`/`0`.
        Boolean = "boolean",
        /// An RPM epoch:version-release, compared as rpmvercmp does.
        EvrString = "evr_string",
        /// A Debian epoch:upstream-revision, compared as dpkg does.
        DebianEvrString = "debian_evr_string",
        /// An HP-UX fileset revision, e.g. `A.03.61.00`.
        FilesetRevision = "fileset_revision",
        /// An IEEE 754 double.
        Float = "float",
        /// A Cisco IOS version string.
        IosVersion = "ios_version",
        /// A signed integer (64 bits here).
        Int = "int",
        /// A dotted-quad IPv4 address, optionally with `/prefix`.
        Ipv4Address = "ipv4_address",
        /// An IPv6 address, optionally with `/prefix`.
        Ipv6Address = "ipv6_address",
        /// Text, compared character by character (the default).
        String = "string",
        /// A dotted version, compared component by component as integers.
        Version = "version",
        /// Fields of a record entity (OVAL 5.11 entity `record`), compared field by field.
        Record = "record",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.8 OperationEnumeration.
    Operation {
        /// Equal in the datatype (the default operation).
        Equals = "equals",
        /// Not equal in the datatype.
        NotEqual = "not equal",
        /// Equal ignoring case (strings only).
        CaseInsensitiveEquals = "case insensitive equals",
        /// Not equal ignoring case (strings only).
        CaseInsensitiveNotEqual = "case insensitive not equal",
        /// The item value is greater than the entity value.
        GreaterThan = "greater than",
        /// The item value is less than the entity value.
        LessThan = "less than",
        /// The item value is at least the entity value.
        GreaterThanOrEqual = "greater than or equal",
        /// The item value is at most the entity value.
        LessThanOrEqual = "less than or equal",
        /// Every bit set in the entity value is set in the item value (int, binary).
        BitwiseAnd = "bitwise and",
        /// The item value has no bit set outside the entity value (int, binary).
        BitwiseOr = "bitwise or",
        /// The entity value is a regular expression the item value must contain a match of.
        PatternMatch = "pattern match",
        /// The item network lies within the entity network (IPv4/IPv6 with prefix).
        SubsetOf = "subset of",
        /// The entity network lies within the item network (IPv4/IPv6 with prefix).
        SupersetOf = "superset of",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.9 OperatorEnumeration.
    Operator {
        /// True when all operands are true.
        And = "AND",
        /// True when exactly one operand is true.
        One = "ONE",
        /// True when at least one operand is true.
        Or = "OR",
        /// True when an odd number of operands are true.
        Xor = "XOR",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.3 CheckEnumeration (`none exist` is deprecated but still read).
    Check {
        /// Every item (or value) must satisfy.
        All = "all",
        /// At least one item must satisfy.
        AtLeastOne = "at least one",
        /// No item exists (the deprecated `check` value means the same: check `none
        /// satisfy` with existence `none_exist`).
        NoneExist = "none exist",
        /// No item may satisfy.
        NoneSatisfy = "none satisfy",
        /// Exactly one item must satisfy.
        OnlyOne = "only one",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.4 ExistenceEnumeration.
    Existence {
        /// Every item the object names exists (and at least one does).
        AllExist = "all_exist",
        /// Any number of items, zero included.
        AnyExist = "any_exist",
        /// At least one item exists (the default).
        AtLeastOneExists = "at_least_one_exists",
        /// No item exists.
        NoneExist = "none_exist",
        /// Exactly one item exists.
        OnlyOneExists = "only_one_exists",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema SetOperatorEnumeration.
    SetOperator {
        /// Items of the first operand that are not in the second.
        Complement = "COMPLEMENT",
        /// Items in both operands.
        Intersection = "INTERSECTION",
        /// Items in either operand (the default).
        Union = "UNION",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema ArithmeticEnumeration.
    ArithmeticOperation {
        /// The sum of the values.
        Add = "add",
        /// The product of the values.
        Multiply = "multiply",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema FilterActionEnumeration.
    FilterAction {
        /// Drop the items that satisfy the state (the default).
        Exclude = "exclude",
        /// Keep only the items that satisfy the state.
        Include = "include",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema DateTimeFormatEnumeration (time_difference).
    DateTimeFormat {
        /// `yyyymmdd`, `yyyy-mm-dd`, `yyyy/mm/dd` and their forms with a time.
        YearMonthDay = "year_month_day",
        /// `mm/dd/yyyy` and similar, with an optional time; month names allowed.
        MonthDayYear = "month_day_year",
        /// `dd/mm/yyyy` and similar, with an optional time; month names allowed.
        DayMonthYear = "day_month_year",
        /// A Windows FILETIME: 100 ns intervals since 1601-01-01, in decimal.
        WinTimestamp = "win_filetime",
        /// Seconds since 1970-01-01T00:00:00Z.
        SecondsSinceEpoch = "seconds_since_epoch",
        /// A WMI CIM_DATETIME, `yyyymmddHHMMSS.mmmmmmsUUU`.
        CimDatetime = "cim_datetime",
    }
);
