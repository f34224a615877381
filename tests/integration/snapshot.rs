//! Pinned human output: what agentprep prints for people, compared with a file under
//! `tests/integration/snapshots/`, so a change of wording is deliberate. Paths that vary
//! between machines are replaced (`[WORK]`, `[REPO]`). `AGENTPREP_UPDATE_SNAPSHOTS=1`
//! rewrites the files instead of comparing; review them with `git diff`.

use std::path::Path;

use crate::support::repo_root;

/// Compare `actual` (with `work` and the repository's path filtered) with the snapshot `name`.
pub fn assert_snapshot(name: &str, work: &Path, actual: &str) {
    let filtered = filter(actual, work);
    let file = repo_root()
        .join("tests/integration/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("AGENTPREP_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&file, &filtered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|_| {
        panic!(
            "no snapshot `{}`; run the test with AGENTPREP_UPDATE_SNAPSHOTS=1 to write it, then review it",
            file.display()
        )
    });
    if expected != filtered {
        let mut diff = String::new();
        let (old, new): (Vec<&str>, Vec<&str>) =
            (expected.lines().collect(), filtered.lines().collect());
        for index in 0..old.len().max(new.len()) {
            match (old.get(index), new.get(index)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => {
                    diff.push_str(&format!(
                        "line {}:\n- {}\n+ {}\n",
                        index + 1,
                        a.unwrap_or(&""),
                        b.unwrap_or(&"")
                    ));
                }
            }
        }
        panic!(
            "the output of `{name}` changed (rerun with AGENTPREP_UPDATE_SNAPSHOTS=1 if that is intended):\n{diff}"
        );
    }
}

fn filter(text: &str, work: &Path) -> String {
    let mut text = text.to_string();
    for (path, placeholder) in [(work.to_path_buf(), "[WORK]"), (repo_root(), "[REPO]")] {
        if let Ok(canonical) = path.canonicalize() {
            text = text.replace(&canonical.display().to_string(), placeholder);
        }
        text = text.replace(&path.display().to_string(), placeholder);
    }
    text
}
