//! The foreign-key order: parents before children, a nullable edge of each cycle deferred
//! (inserted as NULL, set after every insert).

use std::collections::{BTreeMap, BTreeSet};

use super::{ForeignKeyPlan, TablePlan};
use crate::restore::RestoreError;

/// Orders `tables` parents before children by the foreign keys among them, deferring a nullable
/// edge of each cycle (Kahn's algorithm; ties broken by name, so the order is stable).
pub(super) fn order(tables: &mut [TablePlan]) -> Result<(), RestoreError> {
    let names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    loop {
        // child -> parents still to come first
        let mut waiting: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for table in tables.iter() {
            let parents = table
                .parents
                .iter()
                .filter(|fk| names.contains(&fk.references_table))
                .map(|fk| fk.references_table.as_str())
                .collect();
            waiting.insert(table.name.as_str(), parents);
        }
        let mut sorted: Vec<String> = Vec::new();
        let mut left = waiting.clone();
        while let Some(next) = left
            .iter()
            .find(|(_, parents)| parents.iter().all(|p| !left.contains_key(p)))
            .map(|(name, _)| *name)
        {
            left.remove(next);
            sorted.push(next.to_string());
        }
        if left.is_empty() {
            tables.sort_by_key(|t| sorted.iter().position(|n| n == &t.name));
            return Ok(());
        }
        // A cycle remains among `left`: defer one nullable edge that lies on it.
        let stuck: BTreeSet<&str> = left.keys().copied().collect();
        let candidate = tables
            .iter()
            .filter(|t| stuck.contains(t.name.as_str()))
            .flat_map(|t| t.parents.iter().map(move |fk| (t, fk)))
            .find(|(t, fk)| {
                stuck.contains(fk.references_table.as_str())
                    && reaches(&left, &fk.references_table, &t.name)
                    && t.deferrable(fk)
            })
            .map(|(t, fk)| (t.name.clone(), fk.name.clone()));
        let Some((child, key)) = candidate else {
            return Err(RestoreError::Cycle {
                tables: stuck.iter().copied().collect::<Vec<_>>().join(", "),
            });
        };
        let table = tables.iter_mut().find(|t| t.name == child).expect("listed");
        let at = table
            .parents
            .iter()
            .position(|fk| fk.name == key)
            .expect("listed");
        let fk = table.parents.remove(at);
        table.deferred.push(fk);
    }
}

/// Whether `to` can be reached from `from` along the waiting edges.
fn reaches(waiting: &BTreeMap<&str, BTreeSet<&str>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node)
            && let Some(next) = waiting.get(node)
        {
            stack.extend(next.iter().copied());
        }
    }
    false
}

impl TablePlan {
    /// A foreign key can be deferred when its columns are nullable and the table's primary key
    /// comes from the snapshot, to find the rows again for the update.
    pub(super) fn deferrable(&self, fk: &ForeignKeyPlan) -> bool {
        let key_kept = !self.primary_key.is_empty()
            && self
                .primary_key
                .iter()
                .all(|c| self.kept.iter().any(|k| &k.name == c));
        key_kept && fk.columns.iter().all(|c| self.nullable.contains(c))
    }
}
