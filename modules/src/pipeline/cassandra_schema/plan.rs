//! Compares the wanted schema with the live one and decides, before anything runs, the exact CQL
//! to run. Only additive changes are planned; a destructive one is a refusal (and one refusal
//! means nothing at all runs).

use super::schema::{ident, normalized_replication, replication_cql, DropTarget, Keyspace, Schema, Seed, Table};

/// A seed row and how to find out whether it is there.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCheck {
    pub seed: Seed,
    /// `SELECT … WHERE <primary key> LIMIT 1`
    pub select: String,
    /// False when the table does not exist yet (so the row cannot be there).
    pub table_exists: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// DDL, in the order it must run.
    pub statements: Vec<String>,
    pub seeds: Vec<SeedCheck>,
    /// Changes that would lose data or that Cassandra cannot make; each names what and why.
    pub refusals: Vec<String>,
    /// Differences that are left alone (a live column the input does not mention).
    pub warnings: Vec<String>,
}

pub fn plan(wanted: &Schema, live: &Schema, allow_destructive: bool) -> Plan {
    let mut p = Plan::default();
    let mut live = live.clone();
    plan_drops(wanted, &mut live, allow_destructive, &mut p);
    for ks in &wanted.keyspaces {
        match live.keyspace(&ks.name) {
            None => create_keyspace(ks, &mut p),
            Some(l) => {
                let l = l.clone();
                alter_keyspace(ks, &l, allow_destructive, &mut p)
            }
        }
    }
    for seed in &wanted.seeds {
        let table = live.keyspace(&seed.keyspace).and_then(|k| k.table(&seed.table));
        let key_source = table.or_else(|| wanted.keyspace(&seed.keyspace).and_then(|k| k.table(&seed.table)));
        let Some(key_source) = key_source.filter(|t| !t.partition_key.is_empty()) else {
            p.refusals.push(format!("seed row for {}.{}: the table does not exist and is not created", seed.keyspace, seed.table));
            continue;
        };
        match seed_select(seed, key_source) {
            Ok(select) => p.seeds.push(SeedCheck { seed: seed.clone(), select, table_exists: table.is_some() }),
            Err(msg) => p.refusals.push(msg),
        }
    }
    p
}

fn seed_select(seed: &Seed, table: &Table) -> Result<String, String> {
    let key: Vec<&String> = table.partition_key.iter().chain(table.clustering.iter().map(|(c, _)| c)).collect();
    let mut conds = Vec::new();
    for k in &key {
        let Some((_, v)) = seed.values.iter().find(|(c, _)| c == *k) else {
            return Err(format!("seed row for {}.{} gives no value for primary key column {k}", seed.keyspace, seed.table));
        };
        conds.push(format!("{} = {v}", ident(k)));
    }
    Ok(format!("SELECT {} FROM {}.{} WHERE {} LIMIT 1", ident(key[0]), ident(&seed.keyspace), ident(&seed.table), conds.join(" AND ")))
}

fn plan_drops(wanted: &Schema, live: &mut Schema, allow: bool, p: &mut Plan) {
    for d in &wanted.drops {
        let (exists, what, cql) = match d {
            DropTarget::Keyspace(k) => {
                (live.keyspace(k).is_some(), format!("keyspace {k}"), format!("DROP KEYSPACE IF EXISTS {}", ident(k)))
            }
            DropTarget::Table(k, t) => (
                live.keyspace(k).and_then(|x| x.table(t)).is_some(),
                format!("table {k}.{t}"),
                format!("DROP TABLE IF EXISTS {}.{}", ident(k), ident(t)),
            ),
            DropTarget::Type(k, t) => (
                live.keyspace(k).and_then(|x| x.udt(t)).is_some(),
                format!("type {k}.{t}"),
                format!("DROP TYPE IF EXISTS {}.{}", ident(k), ident(t)),
            ),
            DropTarget::Index(k, i) => (
                live.keyspace(k).is_some_and(|x| x.indexes.iter().any(|x| &x.name == i)),
                format!("index {k}.{i}"),
                format!("DROP INDEX IF EXISTS {}.{}", ident(k), ident(i)),
            ),
            DropTarget::Column(k, t, c) => (
                live.keyspace(k).and_then(|x| x.table(t)).and_then(|x| x.column(c)).is_some(),
                format!("column {k}.{t}.{c}"),
                format!("ALTER TABLE {}.{} DROP {}", ident(k), ident(t), ident(c)),
            ),
        };
        if !exists {
            continue;
        }
        if !allow {
            p.refusals.push(format!("refusing to drop {what} (its data would be lost); set allow_destructive: true to drop it"));
            continue;
        }
        p.statements.push(cql);
        // Plan the rest against the schema as it will be after the drop.
        match d {
            DropTarget::Keyspace(k) => live.keyspaces.retain(|x| &x.name != k),
            DropTarget::Table(k, t) => {
                let ks = live.keyspace_mut(k);
                ks.tables.retain(|x| &x.name != t);
                ks.indexes.retain(|x| &x.table != t);
            }
            DropTarget::Type(k, t) => live.keyspace_mut(k).types.retain(|x| &x.name != t),
            DropTarget::Index(k, i) => live.keyspace_mut(k).indexes.retain(|x| &x.name != i),
            DropTarget::Column(k, t, c) => {
                if let Some(table) = live.keyspace_mut(k).tables.iter_mut().find(|x| &x.name == t) {
                    table.columns.retain(|x| &x.name != c);
                }
            }
        }
    }
}

fn create_keyspace(ks: &Keyspace, p: &mut Plan) {
    if ks.replication.is_none() {
        p.refusals
            .push(format!("keyspace {} does not exist and the input does not create it (CREATE KEYSPACE … WITH replication)", ks.name));
        return;
    }
    p.statements.push(ks.create_cql());
    for t in &ks.types {
        p.statements.push(t.create_cql(&ks.name));
    }
    for t in &ks.tables {
        if !t.declared {
            p.refusals.push(format!("table {}.{} does not exist and the input only alters it", ks.name, t.name));
            continue;
        }
        p.statements.push(t.create_cql(&ks.name));
    }
    for i in &ks.indexes {
        p.statements.push(i.create_cql(&ks.name));
    }
}

fn alter_keyspace(ks: &Keyspace, live: &Keyspace, allow: bool, p: &mut Plan) {
    if let (Some(want), Some(have)) = (&ks.replication, &live.replication) {
        if normalized_replication(want) != normalized_replication(have) {
            let (w, h) = (replication_cql(Some(&normalized_replication(want))), replication_cql(Some(&normalized_replication(have))));
            if allow {
                p.statements.push(format!("ALTER KEYSPACE {} WITH replication = {w}", ident(&ks.name)));
            } else {
                p.refusals.push(format!(
                    "keyspace {}: replication is {h}, wanted {w}; changing it moves data (run a repair after); set allow_destructive: true to change it",
                    ks.name
                ));
            }
        }
    }
    for t in &ks.types {
        match live.udt(&t.name) {
            None => p.statements.push(t.create_cql(&ks.name)),
            Some(l) => {
                for (f, ty) in &t.fields {
                    match l.fields.iter().find(|(lf, _)| lf == f) {
                        None => p.statements.push(format!("ALTER TYPE {}.{} ADD {} {ty}", ident(&ks.name), ident(&t.name), ident(f))),
                        Some((_, lt)) if lt.normalized() != ty.normalized() => p.refusals.push(format!(
                            "{}.{}.{}: field type is {}, wanted {}; Cassandra cannot change a field's type",
                            ks.name,
                            t.name,
                            f,
                            lt.normalized(),
                            ty.normalized()
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    for t in &ks.tables {
        match live.table(&t.name) {
            None if !t.declared => p.refusals.push(format!("table {}.{} does not exist and the input only alters it", ks.name, t.name)),
            None => p.statements.push(t.create_cql(&ks.name)),
            Some(l) => alter_table(&ks.name, t, l, p),
        }
    }
    for i in &ks.indexes {
        let same_target = |x: &super::schema::Index| {
            x.table == i.table
                && (x.target == i.target || x.target == format!("values({})", i.target) || format!("values({})", x.target) == i.target)
        };
        match live.indexes.iter().find(|x| x.name == i.name) {
            Some(l) if !same_target(l) => p.refusals.push(format!(
                "index {}.{} is on {}({}), wanted on {}({}); drop it first (allow_destructive) to move it",
                ks.name, i.name, l.table, l.target, i.table, i.target
            )),
            Some(_) => {}
            None if live.indexes.iter().any(same_target) => {}
            None => p.statements.push(i.create_cql(&ks.name)),
        }
    }
}

fn alter_table(ks: &str, want: &Table, live: &Table, p: &mut Plan) {
    let name = format!("{ks}.{}", want.name);
    if want.declared && (want.partition_key != live.partition_key || want.clustering != live.clustering) {
        p.refusals.push(format!(
            "table {name}: primary key is {}, wanted {}; Cassandra cannot change a primary key (create a new table and copy the data)",
            key_text(live),
            key_text(want)
        ));
        return;
    }
    for c in &want.columns {
        match live.column(&c.name) {
            None => p.statements.push(format!(
                "ALTER TABLE {}.{} ADD {} {}{}",
                ident(ks),
                ident(&want.name),
                ident(&c.name),
                c.ty,
                if c.is_static { " STATIC" } else { "" }
            )),
            Some(l) if l.ty.normalized() != c.ty.normalized() => p.refusals.push(format!(
                "{name}.{}: column type is {}, wanted {}; Cassandra cannot change a column's type (add a new column instead)",
                c.name,
                l.ty.normalized(),
                c.ty.normalized()
            )),
            Some(l) if l.is_static != c.is_static => p.refusals.push(format!(
                "{name}.{}: column is {}static, wanted {}static; Cassandra cannot change that",
                c.name,
                if l.is_static { "" } else { "not " },
                if c.is_static { "" } else { "not " }
            )),
            Some(_) => {}
        }
    }
    if want.declared {
        for l in live.columns.iter().filter(|l| want.column(&l.name).is_none()) {
            p.warnings
                .push(format!("{name}.{} exists but the input does not define it; left alone (drop it explicitly to remove it)", l.name));
        }
    }
}

fn key_text(t: &Table) -> String {
    let ck: Vec<String> = t.clustering.iter().map(|(c, o)| format!("{c} {}", o.word())).collect();
    format!("(({}){}{})", t.partition_key.join(", "), if ck.is_empty() { "" } else { ", " }, ck.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::cql_parse::parse;
    use super::*;

    const BASE: &str = "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
        CREATE TABLE ks.t (id text PRIMARY KEY, n bigint);";

    #[test]
    fn missing_objects_are_created_and_existing_ones_left_alone() {
        let wanted = parse(&format!("{BASE} ALTER TABLE ks.t ADD extra text; CREATE INDEX ON ks.t (n);")).unwrap();
        let p = plan(&wanted, &Schema::default(), false);
        assert!(p.refusals.is_empty(), "{:?}", p.refusals);
        assert_eq!(p.statements.len(), 3);
        assert!(p.statements[1].contains("extra text"), "{}", p.statements[1]);

        let mut live = parse(BASE).unwrap();
        live.keyspaces[0].replication.as_mut().unwrap().insert("class".into(), "org.apache.cassandra.locator.SimpleStrategy".into());
        let p = plan(&wanted, &live, false);
        assert_eq!(p.statements, ["ALTER TABLE ks.t ADD extra text", "CREATE INDEX IF NOT EXISTS t_n_idx ON ks.t (n)"]);
    }

    #[test]
    fn type_and_key_changes_and_drops_are_refused_with_names_and_types() {
        let live = parse(BASE).unwrap();
        let wanted = parse(&BASE.replace("n bigint", "n timestamp")).unwrap();
        let p = plan(&wanted, &live, true);
        assert_eq!(p.refusals.len(), 1);
        assert!(p.refusals[0].contains("ks.t.n: column type is bigint, wanted timestamp"), "{}", p.refusals[0]);

        let wanted = parse(&BASE.replace("id text PRIMARY KEY, n bigint", "id text, n bigint, PRIMARY KEY (id, n)")).unwrap();
        assert!(plan(&wanted, &live, false).refusals[0].contains("primary key is ((id)), wanted ((id), n ASC)"));

        let wanted = parse(&format!("{BASE} ALTER TABLE ks.t DROP n;")).unwrap();
        let p = plan(&wanted, &live, false);
        assert!(p.refusals[0].contains("refusing to drop column ks.t.n"), "{:?}", p.refusals);
        let p = plan(&wanted, &live, true);
        assert_eq!(p.statements, ["ALTER TABLE ks.t DROP n"]);

        let wanted = parse(&BASE.replace("'replication_factor': 1", "'replication_factor': 3")).unwrap();
        assert!(plan(&wanted, &live, false).refusals[0].contains("keyspace ks: replication is"));
        assert!(plan(&wanted, &live, true).statements[0].starts_with("ALTER KEYSPACE ks WITH replication"));
    }

    #[test]
    fn seeds_are_checked_by_their_primary_key() {
        let wanted = parse(&format!("{BASE} INSERT INTO ks.t (n, id) VALUES (1, 'x') IF NOT EXISTS;")).unwrap();
        let p = plan(&wanted, &parse(BASE).unwrap(), false);
        assert_eq!(p.seeds[0].select, "SELECT id FROM ks.t WHERE id = 'x' LIMIT 1");
        assert!(p.seeds[0].table_exists);
        let p = plan(&wanted, &Schema::default(), false);
        assert!(!p.seeds[0].table_exists, "a table that does not exist yet has no rows");
        let wanted = parse(&format!("{BASE} INSERT INTO ks.t (n) VALUES (1) IF NOT EXISTS;")).unwrap();
        assert!(plan(&wanted, &Schema::default(), false).refusals[0].contains("no value for primary key column id"));
    }
}
