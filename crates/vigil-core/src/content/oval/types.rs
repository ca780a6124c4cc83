//! The enumerations of the OVAL 5.11 common schema (oval-common-schema.xsd): datatypes,
//! operations, operators, check and existence enumerations, set operators. Each parses
//! from the exact attribute word the schema defines and prints back to it.

use std::fmt;
use std::str::FromStr;

macro_rules! oval_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
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
        Binary = "binary",
        Boolean = "boolean",
        EvrString = "evr_string",
        DebianEvrString = "debian_evr_string",
        FilesetRevision = "fileset_revision",
        Float = "float",
        IosVersion = "ios_version",
        Int = "int",
        Ipv4Address = "ipv4_address",
        Ipv6Address = "ipv6_address",
        String = "string",
        Version = "version",
        Record = "record",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.8 OperationEnumeration.
    Operation {
        Equals = "equals",
        NotEqual = "not equal",
        CaseInsensitiveEquals = "case insensitive equals",
        CaseInsensitiveNotEqual = "case insensitive not equal",
        GreaterThan = "greater than",
        LessThan = "less than",
        GreaterThanOrEqual = "greater than or equal",
        LessThanOrEqual = "less than or equal",
        BitwiseAnd = "bitwise and",
        BitwiseOr = "bitwise or",
        PatternMatch = "pattern match",
        SubsetOf = "subset of",
        SupersetOf = "superset of",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.9 OperatorEnumeration.
    Operator {
        And = "AND",
        One = "ONE",
        Or = "OR",
        Xor = "XOR",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.3 CheckEnumeration (`none exist` is deprecated but still read).
    Check {
        All = "all",
        AtLeastOne = "at least one",
        NoneExist = "none exist",
        NoneSatisfy = "none satisfy",
        OnlyOne = "only one",
    }
);

oval_enum!(
    /// OVAL 5.11 §4.3.4 ExistenceEnumeration.
    Existence {
        AllExist = "all_exist",
        AnyExist = "any_exist",
        AtLeastOneExists = "at_least_one_exists",
        NoneExist = "none_exist",
        OnlyOneExists = "only_one_exists",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema SetOperatorEnumeration.
    SetOperator {
        Complement = "COMPLEMENT",
        Intersection = "INTERSECTION",
        Union = "UNION",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema ArithmeticEnumeration.
    ArithmeticOperation {
        Add = "add",
        Multiply = "multiply",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema FilterActionEnumeration.
    FilterAction {
        Exclude = "exclude",
        Include = "include",
    }
);

oval_enum!(
    /// OVAL 5.11 definitions schema DateTimeFormatEnumeration (time_difference).
    DateTimeFormat {
        YearMonthDay = "year_month_day",
        MonthDayYear = "month_day_year",
        DayMonthYear = "day_month_year",
        WinTimestamp = "win_filetime",
        SecondsSinceEpoch = "seconds_since_epoch",
        CimDatetime = "cim_datetime",
    }
);
