//! The lines git gives a pre-push hook on stdin: one per pushed ref.

use super::HookError;

/// One line git gives a pre-push hook on stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref pushed, e.g. `refs/heads/main` (`(delete)` for a deletion).
    pub local_ref: String,
    /// Its commit (all zeros for a deletion).
    pub local_sha: String,
    /// The ref updated at the remote.
    pub remote_ref: String,
    /// The remote's current commit (all zeros for a new ref).
    pub remote_sha: String,
}

/// What a [`PushUpdate`] does at the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushKind {
    /// A ref the remote does not have yet (remote sha all zeros).
    Create,
    /// An existing ref moves.
    Update,
    /// The remote ref is deleted (local sha all zeros).
    Delete,
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

impl PushUpdate {
    /// Whether it creates, updates or deletes the remote ref.
    pub fn kind(&self) -> PushKind {
        if is_zero(&self.local_sha) {
            PushKind::Delete
        } else if is_zero(&self.remote_sha) {
            PushKind::Create
        } else {
            PushKind::Update
        }
    }
}

/// Parses git's pre-push stdin: one `<local ref> <local sha> <remote ref> <remote sha>` per
/// line; blank lines are skipped. SHAs are 40 (SHA-1) or 64 (SHA-256) hex digits.
///
/// Errors: [`HookError::BadInput`] naming the line.
pub fn parse_pre_push(input: &str) -> Result<Vec<PushUpdate>, HookError> {
    let mut updates = Vec::new();
    for line in input.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem: &str| HookError::BadInput {
            line: line.to_string(),
            problem: problem.to_string(),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, remote_sha] = fields[..] else {
            return Err(bad("expected 4 fields"));
        };
        for sha in [local_sha, remote_sha] {
            let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex || !(sha.len() == 40 || sha.len() == 64) {
                return Err(bad(&format!("{sha:?} is not a commit id")));
            }
        }
        updates.push(PushUpdate {
            local_ref: local_ref.to_string(),
            local_sha: local_sha.to_lowercase(),
            remote_ref: remote_ref.to_string(),
            remote_sha: remote_sha.to_lowercase(),
        });
    }
    Ok(updates)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_updates_new_branches_and_deletions() {
        let input = format!(
            "refs/heads/main {A} refs/heads/main {B}\n\
             refs/heads/feature {A} refs/heads/feature {ZERO}\n\
             \n\
             (delete) {ZERO} refs/heads/old {B}\n"
        );
        let updates = parse_pre_push(&input).unwrap();
        assert_eq!(updates.len(), 3);
        assert_eq!(
            updates[0],
            PushUpdate {
                local_ref: "refs/heads/main".into(),
                local_sha: A.into(),
                remote_ref: "refs/heads/main".into(),
                remote_sha: B.into(),
            }
        );
        assert_eq!(updates[0].kind(), PushKind::Update);
        assert_eq!(updates[1].kind(), PushKind::Create);
        assert_eq!(updates[2].kind(), PushKind::Delete);
        assert_eq!(updates[2].local_ref, "(delete)");
    }

    #[test]
    fn empty_input_is_no_updates() {
        assert!(parse_pre_push("").unwrap().is_empty());
        assert!(parse_pre_push("\n\n").unwrap().is_empty());
    }

    #[test]
    fn sha256_ids_are_accepted() {
        let long = "ab".repeat(32);
        let zero = "0".repeat(64);
        let updates = parse_pre_push(&format!("refs/heads/x {long} refs/heads/x {zero}")).unwrap();
        assert_eq!(updates[0].kind(), PushKind::Create);
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "refs/heads/main",
            &format!("refs/heads/main {A} refs/heads/main"),
            &format!("refs/heads/main {A} refs/heads/main {B} extra"),
            &format!("refs/heads/main nothex refs/heads/main {B}"),
            &format!("refs/heads/main {} refs/heads/main {B}", &A[..39]),
        ] {
            let error = parse_pre_push(line).unwrap_err();
            assert!(matches!(error, HookError::BadInput { .. }), "{line}");
        }
    }
}
