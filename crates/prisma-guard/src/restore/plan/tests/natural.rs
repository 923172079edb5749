//! Natural keys: the automatic choice (a natural column, else a unique foreign key, else any
//! unique key), `match-on` overriding it or turning it off, its errors, and the foreign keys
//! that follow a mapped parent.

use std::collections::BTreeMap;

use super::*;
use crate::config::MatchOn;

/// User (unique email, and a unique `externalRef`), UserSetting (unique userId), a Link table
/// (unique pair of foreign keys), Tag (only `externalRef` unique), Log (no unique key), Pair (no
/// primary key).
fn shop() -> (Manifest, Vec<Table>) {
    let unique = |mut t: Table, keys: &[&[&str]]| {
        t.unique_keys = keys
            .iter()
            .map(|k| k.iter().map(|c| c.to_string()).collect())
            .collect();
        t
    };
    let user = unique(
        table(
            "User",
            &[
                "id integer",
                "externalRef text",
                "email text",
                "bossId integer null",
            ],
            vec![fk("User_bossId_fkey", &["bossId"], "User")],
        ),
        &[&["externalRef"], &["email"]],
    );
    let setting = unique(
        table(
            "UserSetting",
            &["id text", "userId integer", "theme text"],
            vec![fk("UserSetting_userId_fkey", &["userId"], "User")],
        ),
        &[&["userId"]],
    );
    let tag = unique(
        table("Tag", &["id integer", "externalRef text"], vec![]),
        &[&["externalRef"]],
    );
    let link = unique(
        table(
            "Link",
            &["id integer", "userId integer", "tagId integer"],
            vec![
                fk("Link_userId_fkey", &["userId"], "User"),
                fk("Link_tagId_fkey", &["tagId"], "Tag"),
            ],
        ),
        &[&["userId", "tagId"]],
    );
    let log = table(
        "Log",
        &["id integer", "userId integer"],
        vec![fk("Log_userId_fkey", &["userId"], "User")],
    );
    let mut pair = unique(
        table("Pair", &["a integer", "b integer"], vec![]),
        &[&["a"]],
    );
    pair.primary_key.clear();
    let live = vec![user, setting, tag, link, log, pair];
    let manifest = manifest(live.iter().map(|t| entry(t, 2)).collect(), vec![]);
    (manifest, live)
}

fn planned(match_on: &[(&str, MatchOn)]) -> Result<RestorePlan, RestoreError> {
    let (manifest, live) = shop();
    let mut plan = plan(&manifest, &live, &[], &Selection::default(), Mode::Merge).unwrap();
    let match_on: BTreeMap<String, MatchOn> = match_on
        .iter()
        .map(|(t, m)| (t.to_string(), m.clone()))
        .collect();
    natural_keys(&mut plan, &live, &match_on)?;
    Ok(plan)
}

fn key(plan: &RestorePlan, table: &str) -> Option<(Vec<String>, String)> {
    table_of(plan, table)
        .natural_key
        .as_ref()
        .map(|k| (k.columns.clone(), k.reason.clone()))
}

fn follows(plan: &RestorePlan, table: &str) -> Vec<String> {
    table_of(plan, table)
        .follows
        .iter()
        .map(|fk| fk.name.clone())
        .collect()
}

#[test]
fn a_natural_column_comes_before_a_unique_foreign_key_before_any_unique_key() {
    let plan = planned(&[]).unwrap();
    let owned = |cols: &[&str], reason: &str| {
        Some((
            cols.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            reason.to_string(),
        ))
    };
    // email wins over externalRef, which the catalog lists first.
    assert_eq!(key(&plan, "User"), owned(&["email"], "a natural column"));
    assert_eq!(
        key(&plan, "UserSetting"),
        owned(&["userId"], "a unique foreign key")
    );
    assert_eq!(
        key(&plan, "Link"),
        owned(&["userId", "tagId"], "a unique foreign key")
    );
    assert_eq!(key(&plan, "Tag"), owned(&["externalRef"], "a unique key"));
    assert_eq!(key(&plan, "Log"), None, "no unique key");
    assert_eq!(key(&plan, "Pair"), None, "no primary key to map");
    // Every key into a mapped table follows it, the self-reference too.
    assert_eq!(follows(&plan, "User"), ["User_bossId_fkey"]);
    assert_eq!(follows(&plan, "Log"), ["Log_userId_fkey"]);
    assert_eq!(
        follows(&plan, "Link"),
        ["Link_userId_fkey", "Link_tagId_fkey"]
    );
    assert!(follows(&plan, "Tag").is_empty());
}

#[test]
fn match_on_overrides_the_choice_or_turns_it_off() {
    let plan = planned(&[
        ("User", MatchOn::Column("externalRef".into())),
        ("Tag", MatchOn::Columns(vec![])),
        (
            "Link",
            MatchOn::Columns(vec!["tagId".into(), "userId".into()]),
        ),
    ])
    .unwrap();
    let user = table_of(&plan, "User").natural_key.clone().unwrap();
    assert_eq!(
        (user.columns, user.reason),
        (vec!["externalRef".to_string()], "match-on".into())
    );
    assert_eq!(key(&plan, "Tag"), None);
    assert!(
        follows(&plan, "Link") == ["Link_userId_fkey"],
        "Tag is not mapped, so its key does not follow"
    );
    // In the unique key's order, whatever the order configured.
    assert_eq!(key(&plan, "Link").unwrap().0, ["userId", "tagId"]);
}

#[test]
fn a_bad_match_on_is_an_error_naming_the_unique_keys() {
    let message = |m: &[(&str, MatchOn)]| planned(m).unwrap_err().to_string();
    assert_eq!(
        message(&[("User", MatchOn::Column("bossId".into()))]),
        "match-on User: (bossId) is not a unique key of the table; its unique keys are (externalRef), (email)"
    );
    assert_eq!(
        message(&[("Log", MatchOn::Column("userId".into()))]),
        "match-on Log: (userId) is not a unique key of the table; it has no unique key besides its primary key"
    );
    assert_eq!(
        message(&[("Nope", MatchOn::Column("slug".into()))]),
        "match-on Nope: no such table in the live schema"
    );
    assert!(
        message(&[("Pair", MatchOn::Column("a".into()))]).contains("no primary key"),
        "a table without a primary key has no id to map"
    );
}
