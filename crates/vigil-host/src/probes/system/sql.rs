//! `sql_object` and `sql57_object` (OVAL 5.11 independent schema): the result of an SQL
//! query against a database named by `engine`, `version` and `connection_string`.
//!
//! vigil does not connect to databases: it links no database client, and a scanner
//! that runs as root should not open network connections or database files on the
//! content's say. Every object is therefore an `error`, never a guess, with the
//! message OpenSCAP 1.3.7 gives on a host without opendbx backends (its `sql`/`sql57`
//! probes, read in OpenSCAP's `sql.c`/`sql57.c`, and compared on this host with
//! `tests/fixtures/oval/sys/sql.xml` and `sql57.xml`):
//! - an engine oscap does not know: `DB engine not found: ENGINE`;
//! - an engine of the OVAL enumeration oscap has no opendbx backend for (access, db2,
//!   cache, firstsql, foxpro, informix, ingres, interbase, lightbase, maxdb, monetdb,
//!   mimer, paradox, pervasive, sqlbase, sqlserver): `DB engine not supported: ENGINE`;
//! - an engine with a backend (firebird, mssql, mysql, oracle, postgre, sqlite,
//!   sqlite3, sybase): `odbx_init failed. Please install the opendbx ENGINE backend`
//!   (what oscap says when the backend library is missing), followed by a second
//!   message saying that vigil does not query databases;
//! - a connection string oscap cannot parse (a known keyword not followed by `=`):
//!   `Malformed connection string`.
//!
//! The same offline: there is nothing different to read in a root.

use crate::probes::{Collected, Context, ObjectQuery, Probe};

/// The probe of OVAL 5.11 `independent:sql_object` and `sql57_object`.
pub struct SqlProbe;

/// oscap's engine table: the OVAL engine name and whether an opendbx backend exists.
const ENGINES: &[(&str, bool)] = &[
    ("access", false),
    ("cache", false),
    ("db2", false),
    ("firebird", true),
    ("firstsql", false),
    ("foxpro", false),
    ("informix", false),
    ("ingres", false),
    ("interbase", false),
    ("lightbase", false),
    ("maxdb", false),
    ("mimer", false),
    ("monetdb", false),
    ("mssql", true),
    ("mysql", true),
    ("oracle", true),
    ("paradox", false),
    ("pervasive", false),
    ("postgre", true),
    ("sqlbase", false),
    ("sqlite", true),
    ("sqlite3", true),
    ("sqlserver", false),
    ("sybase", true),
];

/// The connection-string keywords oscap reads; each must be followed by `=`.
const KEYWORDS: &[&str] = &["server", "port", "pwd", "database", "uid", "connecttimeout"];

/// Whether oscap's parser accepts `conn`: `;`-separated tokens, and a token that starts
/// with a keyword (any case) has `=` after it (spaces allowed).
fn connection_string_parses(conn: &str) -> bool {
    conn.split(';').all(|tok| {
        let lower = tok.to_ascii_lowercase();
        KEYWORDS.iter().all(|k| match lower.strip_prefix(k) {
            Some(rest) => rest.trim_start().starts_with('='),
            None => true,
        })
    })
}

/// The messages of an object whose database vigil will not query.
fn messages(engine: &str, conn: &str) -> Vec<String> {
    if !connection_string_parses(conn) {
        return vec![format!("Malformed connection string: {conn}")];
    }
    match ENGINES.iter().find(|(e, _)| *e == engine) {
        None => vec![format!("DB engine not found: {engine}")],
        Some((_, false)) => vec![format!("DB engine not supported: {engine}")],
        Some((_, true)) => vec![
            format!("odbx_init failed. Please install the opendbx {engine} backend"),
            "vigil does not query databases (no database client is linked); the object \
             is an error, as for oscap without the opendbx backend"
                .into(),
        ],
    }
}

impl Probe<Context> for SqlProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["sql_object", "sql57_object"]
    }

    fn collect(&self, query: &ObjectQuery, _ctx: &Context) -> Collected {
        let value = |name: &str| {
            query
                .entity(name)
                .and_then(|e| e.values.first())
                .map(String::as_str)
        };
        let (Some(engine), Some(_), Some(conn), Some(_)) = (
            value("engine"),
            value("version"),
            value("connection_string"),
            value("sql"),
        ) else {
            return Collected::error(format!(
                "{}: {} needs engine, version, connection_string and sql",
                query.object_id, query.kind
            ));
        };
        let mut msgs = messages(engine, conn).into_iter();
        let mut c = Collected::error(msgs.next().unwrap_or_default());
        c.messages.extend(msgs);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    fn q(kind: &str, engine: &str, conn: &str) -> ObjectQuery {
        testutil::query(
            Family::Independent,
            kind,
            &[
                ("engine", Operation::Equals, engine),
                ("version", Operation::Equals, "1"),
                ("connection_string", Operation::Equals, conn),
                ("sql", Operation::Equals, "SELECT 1"),
            ],
        )
    }

    #[test]
    fn every_object_is_an_error_with_oscaps_message() {
        let ctx = testutil::live();
        let c = SqlProbe.collect(&q("sql_object", "postgre", "server=127.0.0.1"), &ctx);
        assert_eq!(c.flag, Flag::Error);
        assert_eq!(
            c.messages[0],
            "odbx_init failed. Please install the opendbx postgre backend"
        );
        let c = SqlProbe.collect(&q("sql57_object", "db2", "database=x"), &ctx);
        assert_eq!(c.messages, ["DB engine not supported: db2"]);
        let c = SqlProbe.collect(&q("sql57_object", "nosuch", ""), &ctx);
        assert_eq!(c.messages, ["DB engine not found: nosuch"]);
        let c = SqlProbe.collect(&q("sql_object", "sqlite", "Database x"), &ctx);
        assert!(c.messages[0].starts_with("Malformed connection string"));
    }

    #[test]
    fn connection_strings() {
        assert!(connection_string_parses(
            "server=h;port=1;database=d;uid=u;pwd=p"
        ));
        assert!(connection_string_parses("SERVER = h;;unknown"));
        assert!(!connection_string_parses("server h"));
        assert!(!connection_string_parses("pwd"));
    }
}
