//! Restores: groups, a pure planner and an executor.

pub mod groups;
