//! `cargo xtask status`: every migration state produced for real, the table, `--json` and
//! `--check`.
//!
//! This file: reading the migration states out of a `status --json` document.

mod checksums;
mod connection;
mod groups;
mod states;

fn states(json: &serde_json::Value) -> Vec<(String, String)> {
    json["migrations"]
        .as_array()
        .expect("migrations is an array")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(json: &serde_json::Value, name: &str) -> String {
    states(json)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in {json}"))
        .1
}
