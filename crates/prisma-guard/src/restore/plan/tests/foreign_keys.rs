//! Foreign keys: parents first, deferred cycle edges and self-references, references from
//! outside the selection.

use super::*;

#[test]
fn parents_come_first_and_cycles_are_deferred() {
    let (manifest, live) = app();
    let plan = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    let order = names(&plan);
    let at = |name: &str| order.iter().position(|n| *n == name).unwrap();
    assert!(
        at("User") < at("Post") && at("Post") < at("Comment"),
        "{order:?}"
    );
    // Self-references are deferred, never ordering edges.
    assert_eq!(table_of(&plan, "User").deferred_columns(), ["invitedById"]);
    assert_eq!(table_of(&plan, "Comment").deferred_columns(), ["parentId"]);
    // Exactly one edge of the Product <-> Image cycle is deferred; the other orders them.
    let image = table_of(&plan, "Image");
    let product = table_of(&plan, "Product");
    assert_eq!(image.deferred_columns(), ["productId"]);
    assert!(product.deferred.is_empty());
    assert!(at("Image") < at("Product"));
    assert_eq!(product.parents[0].references_table, "Image");
}

#[test]
fn a_cycle_without_a_nullable_edge_is_refused() {
    let a = table(
        "A",
        &["id integer", "b integer"],
        vec![fk("A_b", &["b"], "B")],
    );
    let b = table(
        "B",
        &["id integer", "a integer"],
        vec![fk("B_a", &["a"], "A")],
    );
    let manifest = manifest(vec![entry(&a, 1), entry(&b, 1)], vec![]);
    let err = plan(&manifest, &[a, b], &[], &Selection::default(), Mode::Merge).unwrap_err();
    assert!(
        matches!(err, RestoreError::Cycle { ref tables } if tables == "A, B"),
        "{err}"
    );
}

#[test]
fn replace_lists_references_from_outside_the_selection() {
    let (manifest, live) = app();
    let selection = Selection {
        tables: vec!["User".into()],
        ..Selection::default()
    };
    let plan = plan(&manifest, &live, &groups(), &selection, Mode::Replace).unwrap();
    let outside: Vec<(&str, &str)> = plan
        .outside_references
        .iter()
        .map(|o| (o.table.as_str(), o.foreign_key.name.as_str()))
        .collect();
    assert_eq!(outside, [("Post", "Post_authorId_fkey")]);
}
