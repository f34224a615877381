//! The version `agentprep --version` prints: the package's, with the commit it was built from
//! when it is built from a git checkout (`0.1.0 (git 1a2b3c4)`, `+dirty` with local changes),
//! so a report names exactly what ran. Without git, or outside a checkout (a source
//! distribution), the package's version alone.

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let described = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|changes| !changes.is_empty());
            format!(
                "{version} (git {commit}{})",
                if dirty { "+dirty" } else { "" }
            )
        }
        None => version.to_string(),
    };
    println!("cargo:rustc-env=AGENTPREP_VERSION={described}");
    // Built again when the checked-out commit moves or the index changes. Git names the files:
    // in a linked worktree `.git` is a file, and HEAD and the index live elsewhere (with the
    // branches in the main checkout's folder).
    let reference = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "index"].into_iter().chain(reference.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `git ARGS` in the package's directory: its trimmed output, or `None` when git is missing or
/// fails (not a checkout).
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
