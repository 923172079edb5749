//! The real path: `reset --all` with the built-in reset and the app's seed (`seed-command`, a
//! psql script standing in for `npx prisma db seed`): the snapshot it takes first, the seed
//! re-creating the admin and products under new ids, then the restore (`replace`), after which
//! every child is attached to the new ids.

use super::{Kept, SHOP_APP, Scenario, assert_attached};
use crate::support::{TempProject, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_with_the_seed_attaches_the_children_to_the_seeded_rows() {
    let (project, db) = (TempProject::from_fixture(SHOP_APP), TestDb::new().await);
    db.deploy(&project.migrations(), 1).await;
    db.execute(&std::fs::read_to_string(project.root.join("data.sql")).unwrap())
        .await;
    project.package_json("7.4.0", r#""prisma": { "seed": "tsx prisma/seed.ts" }"#);
    std::fs::write(
        project.root.join("seed.sh"),
        "#!/bin/sh\nexec psql \"${DATABASE_URL%%\\?*}\" -q -v ON_ERROR_STOP=1 -f seed.sql\n",
    )
    .unwrap();
    let fixture = std::fs::read_to_string(project.root.join("prisma-guard.toml")).unwrap();
    std::fs::write(
        project.root.join("prisma-guard.toml"),
        format!("{fixture}seed-command = \"sh seed.sh\"\n"),
    )
    .unwrap();

    let run = project.xtask(&db, &["reset", "--yes", "--all"]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(
        stdout.contains("running the app's seed: sh seed.sh"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: User: matched by email: 1 row(s) map to new ids; 8 children follow"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("note: Product: matched by slug: 2 row(s) map to new ids; 8 children follow"),
        "{stdout}"
    );
    let id = project.snapshots()[0].manifest.id.clone();
    let s = Scenario { project, db, id };
    assert_attached(&s, Kept::Snapshot, false).await;
}
