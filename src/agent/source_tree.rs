//! Which files of the agent's source go into the deployment, and which are left out and why.
//!
//! The seed's tool copied only top-level `*.py` files and lost subpackages and data files. Here
//! the whole tree is taken, minus what must never ship: caches, virtual environments, version
//! control, the files the secret-file policy names (`secret_files`), test folders, and
//! whatever the source's own `.gitignore` files (including those of the enclosing repository)
//! and `.dockerignore` exclude. Every skipped path is reported with its reason; `--include`
//! forces a secret or ignored file in, with a warning naming it. A symlink that leads outside
//! the source is refused: following it would ship files the user never meant to publish. One
//! inside is judged by its name and then by its target: the walk is finished first, so a link
//! to a file the walk left out (`config.txt -> .env`, a file under `.venv/`) is left out too,
//! with a warning, rather than shipping the target's contents under an innocent name.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Serialize;

use crate::agent::include_patterns::IncludePatterns;
use crate::agent::secret_files::{self, SecretKind};
use crate::error::UserError;

/// A file that goes into the deployment.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path below the source root, `/`-separated on every platform once rendered.
    pub relative: PathBuf,
    /// Where to read it from (a symlink inside the source is read through its target).
    pub absolute: PathBuf,
    pub size: u64,
    /// When it was last modified (`serve --watch` tells a change by it).
    pub modified: Option<std::time::SystemTime>,
}

/// Why a path was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum SkipReason {
    PythonCache,
    VirtualEnvironment,
    VersionControl,
    EnvironmentFile,
    KeyOrCredentials,
    SecretsFile,
    InfrastructureState,
    TestFolder,
    ToolFiles,
    IgnoreRule(String),
    SymlinkToDirectory,
    BrokenSymlink,
    /// A name that is not UTF-8: the manifest, the zip and Python's imports all need one that is.
    NameNotUtf8,
    /// A symlink whose target is left out (`target` is below the source, `why` says why).
    LinkToSkipped {
        target: String,
        why: Box<SkipReason>,
    },
    OutputDirectory,
}

impl From<SecretKind> for SkipReason {
    fn from(kind: SecretKind) -> SkipReason {
        match kind {
            SecretKind::EnvironmentFile => SkipReason::EnvironmentFile,
            SecretKind::KeyOrCredentials => SkipReason::KeyOrCredentials,
            SecretKind::SecretsFile => SkipReason::SecretsFile,
            SecretKind::InfrastructureState => SkipReason::InfrastructureState,
        }
    }
}

impl SkipReason {
    pub fn describe(&self) -> String {
        match self {
            SkipReason::PythonCache => "Python cache".into(),
            SkipReason::VirtualEnvironment => "virtual environment".into(),
            SkipReason::VersionControl => "version control".into(),
            SkipReason::EnvironmentFile => "environment file (may hold secrets)".into(),
            SkipReason::KeyOrCredentials => "key or credentials file".into(),
            SkipReason::SecretsFile => "secrets file".into(),
            SkipReason::InfrastructureState => {
                "infrastructure state or variables (may hold secrets)".into()
            }
            SkipReason::TestFolder => "tests".into(),
            SkipReason::ToolFiles => "tool or editor files".into(),
            SkipReason::IgnoreRule(file) => format!("excluded by `{file}`"),
            SkipReason::SymlinkToDirectory => {
                "symlink to a directory (its target is copied as is)".into()
            }
            SkipReason::BrokenSymlink => "broken symlink".into(),
            SkipReason::NameNotUtf8 => {
                "a name that is not UTF-8 (the manifest, the zip and Python need UTF-8 names)"
                    .into()
            }
            SkipReason::LinkToSkipped { .. } => "symlink to a file left out".into(),
            SkipReason::OutputDirectory => "agentprep's own output".into(),
        }
    }

    /// `--include` may overrule this reason: the secret-file policy and the ignore files are
    /// the user's to overrule; caches, environments and agentprep's own output are not.
    fn can_be_forced(&self) -> bool {
        matches!(
            self,
            SkipReason::EnvironmentFile
                | SkipReason::KeyOrCredentials
                | SkipReason::SecretsFile
                | SkipReason::InfrastructureState
                | SkipReason::IgnoreRule(_)
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// The agent's source as it will be shipped.
#[derive(Debug)]
pub struct SourceTree {
    /// The source directory, canonical; for a single-file source, its folder.
    pub root: PathBuf,
    /// The source was one `.py` file rather than a directory.
    pub single_file: bool,
    /// Files to copy, sorted by relative path.
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
    /// `project_dirs`, found once (finding them walks the ancestors for a `.git`).
    pub project_dirs: std::sync::OnceLock<Vec<PathBuf>>,
    /// `top_level_names`, listed once (the package choice, the outside imports, the
    /// requirements and the manifest all ask).
    pub top_level_names: std::sync::OnceLock<std::collections::BTreeSet<String>>,
    /// What the user should know of the files: those forced in with `--include`, links left
    /// out for their target, patterns that forced nothing.
    pub warnings: Vec<String>,
}

impl SourceTree {
    pub fn python_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.relative.extension().is_some_and(|ext| ext == "py"))
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|file| file.size).sum()
    }

    /// Whether a bare import of `top` names the agent's own code: a top-level module or folder
    /// of the source, or one of `also` (the package's names, the folders its imports resolve
    /// from).
    pub fn is_own_name(&self, top: &str, also: &[&str]) -> bool {
        also.contains(&top) || self.top_level_names().contains(top)
    }

    /// The source directory, then the project above it, where the agent's project files
    /// (requirements, `pyproject.toml`, `.python-version`, a Dockerfile) may live: inside a
    /// git repository every folder up to its root; outside one, only the direct parent (a
    /// stray file higher up is not the agent's project).
    pub fn project_dirs(&self) -> &[PathBuf] {
        self.project_dirs.get_or_init(|| self.find_project_dirs())
    }

    fn find_project_dirs(&self) -> Vec<PathBuf> {
        let repository = self.root.ancestors().find(|dir| dir.join(".git").exists());
        let mut dirs = vec![self.root.clone()];
        match repository {
            Some(repository) => dirs.extend(
                self.root
                    .ancestors()
                    .skip(1)
                    .take_while(|dir| dir.starts_with(repository))
                    .map(Path::to_path_buf),
            ),
            None if !self.single_file => dirs.extend(self.root.parent().map(Path::to_path_buf)),
            None => {}
        }
        dirs
    }

    /// The top-level modules and folders of the source (`config` for `config.py`, `pricing`
    /// for `pricing/table.py`): what a bare import of the agent's own code names.
    pub fn top_level_names(&self) -> &std::collections::BTreeSet<String> {
        self.top_level_names.get_or_init(|| {
            self.files
                .iter()
                .filter_map(|file| file.relative.components().next())
                .map(|first| {
                    first
                        .as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".py")
                        .to_string()
                })
                .collect()
        })
    }
}

/// Read the source at `source` (a directory or one `.py` file). Paths in `exclude` (the output
/// directory, when it lies inside the source) are left out; files `include` matches are taken
/// although the secret-file policy or an ignore file leaves them out.
pub fn scan(
    source: &Path,
    exclude: &[PathBuf],
    include: &IncludePatterns,
) -> anyhow::Result<SourceTree> {
    let metadata = fs::metadata(source).map_err(|error| {
        UserError::usage(format!(
            "the source `{}` cannot be read: {error}",
            source.display()
        ))
        .with_hint("pass the agent's source directory with `--source-dir DIR`")
    })?;
    let canonical = source
        .canonicalize()
        .with_context(|| format!("resolving `{}`", source.display()))?;
    if metadata.is_file() {
        if canonical.extension().is_none_or(|ext| ext != "py") {
            return Err(UserError::usage(format!(
                "the source `{}` is a file but not a Python module",
                source.display()
            ))
            .with_hint("pass the agent's directory, or its `.py` file, with `--source-dir`")
            .into());
        }
        let root = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let name = canonical.file_name().map(PathBuf::from).unwrap_or_default();
        return Ok(SourceTree {
            root,
            single_file: true,
            files: vec![SourceFile {
                relative: name,
                absolute: canonical.clone(),
                size: metadata.len(),
                modified: metadata.modified().ok(),
            }],
            skipped: Vec::new(),
            project_dirs: Default::default(),
            top_level_names: Default::default(),
            warnings: Vec::new(),
        });
    }
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    let mut walk = Walk::new(&canonical, exclude, include.clone())?;
    walk.directory(&canonical)?;
    walk.resolve_links()?;
    for unused in include.unused(&walk.used_patterns) {
        walk.warnings.push(format!(
            "`--include {unused}` forced nothing in: no file it matches is left out by the \
             secret-file policy or an ignore file (to force in a file of a folder left out \
             whole, such as `.aws/`, name the folder)"
        ));
    }
    let tree = walk.into_tree();
    if !tree
        .files
        .iter()
        .any(|file| file.relative.extension().is_some_and(|ext| ext == "py"))
    {
        return Err(UserError::usage(format!(
            "the source `{}` holds no Python files",
            source.display()
        ))
        .with_hint("point `--source-dir` at the folder that holds the agent's `.py` files")
        .into());
    }
    Ok(tree)
}

/// How much of a folder outside the source a walk may take: past either bound, it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    pub max_files: usize,
    pub max_bytes: u64,
}

/// A walk stopped at its [`WalkLimits`]: the folder holds more than that.
#[derive(Debug)]
pub struct OverLimits {
    pub limits: WalkLimits,
}

impl std::fmt::Display for OverLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "it holds more than {} files or {} MB",
            self.limits.max_files,
            self.limits.max_bytes / (1024 * 1024)
        )
    }
}

impl std::error::Error for OverLimits {}

/// Read the folder `root`, outside the agent's source, by the rules the source is read by
/// (caches, virtual environments, secrets, tests and what its ignore files exclude are left
/// out): only its top-level entries `only` names (`helpers`, `config.py`), or all of them; within
/// `limits`, past which it stops with an [`OverLimits`] error.
pub fn scan_outside(
    root: &Path,
    only: Option<&BTreeSet<String>>,
    limits: WalkLimits,
) -> anyhow::Result<SourceTree> {
    let canonical = root
        .canonicalize()
        .with_context(|| format!("resolving `{}`", root.display()))?;
    let mut walk = Walk::new(&canonical, Vec::new(), IncludePatterns::none())?;
    walk.only = only.cloned();
    walk.limits = Some(limits);
    walk.directory(&canonical)?;
    walk.resolve_links()?;
    Ok(walk.into_tree())
}

struct Walk {
    /// Only these top-level entries of the root are walked (a folder outside the source, of
    /// which only what the agent imports is taken); `None`: all.
    only: Option<BTreeSet<String>>,
    /// Bounds of a walk outside the source, and the bytes taken so far.
    limits: Option<WalkLimits>,
    bytes: u64,
    root: PathBuf,
    exclude: Vec<PathBuf>,
    /// `.gitignore` matchers from the repository root down to the current directory, each with
    /// the file's path for the report.
    rules: Vec<(Gitignore, String)>,
    dockerignore: Option<Gitignore>,
    include: IncludePatterns,
    files: Vec<SourceFile>,
    skipped: Vec<Skipped>,
    /// Every path left out, with its reason: what a symlink's target is checked against.
    left_out: BTreeMap<PathBuf, SkipReason>,
    /// Paths forced in with `--include`, with the reason they would have been left out.
    forced: BTreeMap<PathBuf, SkipReason>,
    /// Symlinks to files, judged once the walk knows what it left out: (path, relative).
    links: Vec<(PathBuf, PathBuf)>,
    /// The `--include` patterns that forced something in.
    used_patterns: BTreeSet<String>,
    warnings: Vec<String>,
}

impl Walk {
    fn new(root: &Path, exclude: Vec<PathBuf>, include: IncludePatterns) -> anyhow::Result<Walk> {
        Ok(Walk {
            only: None,
            limits: None,
            bytes: 0,
            root: root.to_path_buf(),
            exclude,
            rules: ancestor_gitignores(root),
            dockerignore: dockerignore(root)?,
            include,
            files: Vec::new(),
            skipped: Vec::new(),
            left_out: BTreeMap::new(),
            forced: BTreeMap::new(),
            links: Vec::new(),
            used_patterns: BTreeSet::new(),
            warnings: Vec::new(),
        })
    }

    /// What the walk found, as a tree of the folder it walked, its files sorted.
    fn into_tree(self) -> SourceTree {
        let mut files = self.files;
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        SourceTree {
            root: self.root,
            single_file: false,
            files,
            skipped: self.skipped,
            project_dirs: Default::default(),
            top_level_names: Default::default(),
            warnings: self.warnings,
        }
    }

    /// Take a file, within the walk's limits.
    fn take(&mut self, file: SourceFile) -> anyhow::Result<()> {
        self.bytes += file.size;
        self.files.push(file);
        if let Some(limits) = self.limits
            && (self.files.len() > limits.max_files || self.bytes > limits.max_bytes)
        {
            return Err(OverLimits { limits }.into());
        }
        Ok(())
    }

    fn directory(&mut self, dir: &Path) -> anyhow::Result<()> {
        let pushed = match gitignore_in(dir, &self.root)? {
            Some(rule) => {
                self.rules.push(rule);
                true
            }
            None => false,
        };
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
            .with_context(|| format!("reading `{}`", dir.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading `{}`", dir.display()))?;
        entries.sort_by_key(|entry| entry.file_name());
        if dir == self.root
            && let Some(only) = &self.only
        {
            entries.retain(|entry| only.contains(entry.file_name().to_string_lossy().as_ref()));
        }
        for entry in entries {
            self.entry(&entry)?;
        }
        if pushed {
            self.rules.pop();
        }
        Ok(())
    }

    fn entry(&mut self, entry: &fs::DirEntry) -> anyhow::Result<()> {
        let path = entry.path();
        let relative = path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf();
        let file_type = entry
            .file_type()
            .with_context(|| format!("reading `{}`", path.display()))?;
        let is_dir = file_type.is_dir() || (file_type.is_symlink() && path.is_dir());
        // Recorded lossily, such a name made every later `prepare` find a file its manifest
        // did not list, and stop.
        if entry.file_name().to_str().is_none() {
            self.skip(&relative, SkipReason::NameNotUtf8);
            return Ok(());
        }
        if let Some(reason) = self.skip_reason(&path, &relative, is_dir) {
            match self.include.forcing(&relative, is_dir) {
                Some(pattern) if reason.can_be_forced() => {
                    self.force(&relative, reason, pattern);
                }
                _ => {
                    self.skip(&relative, reason);
                    return Ok(());
                }
            }
        }
        if file_type.is_symlink() {
            self.links.push((path, relative));
            return Ok(());
        }
        if file_type.is_dir() {
            return self.directory(&path);
        }
        if file_type.is_file() {
            let metadata = entry.metadata().ok();
            self.take(SourceFile {
                relative,
                absolute: path,
                size: metadata.as_ref().map_or(0, |m| m.len()),
                modified: metadata.and_then(|m| m.modified().ok()),
            })?;
        }
        // Sockets, FIFOs and devices are not source files; they are silently not copied.
        Ok(())
    }

    /// Judge the symlinks met in the walk by their targets, now that the walk knows what it
    /// left out.
    fn resolve_links(&mut self) -> anyhow::Result<()> {
        for (path, relative) in std::mem::take(&mut self.links) {
            self.symlink(&path, relative)?;
        }
        Ok(())
    }

    fn symlink(&mut self, path: &Path, relative: PathBuf) -> anyhow::Result<()> {
        let Ok(target) = path.canonicalize() else {
            self.skip(&relative, SkipReason::BrokenSymlink);
            return Ok(());
        };
        if !target.starts_with(&self.root) {
            return Err(UserError::failed(format!(
                "`{}` in the source is a symlink to `{}`, outside the source directory",
                relative.display(),
                target.display()
            ))
            .with_hint(format!(
                "replace the link with a copy of what it points to, or exclude it with a line `{}` \
                 in the source's `.gitignore`",
                relative.display()
            ))
            .into());
        }
        if target.is_dir() {
            self.skip(&relative, SkipReason::SymlinkToDirectory);
            return Ok(());
        }
        let target_relative = target
            .strip_prefix(&self.root)
            .unwrap_or(&target)
            .to_path_buf();
        if let Some(target_state) = self.left_out_target(&target_relative) {
            let shown_target = slash_path(&target_relative);
            let (why, which_is) = match target_state {
                TargetState::LeftOut { as_path, why } => {
                    let which_is = format!("which is left out as `{as_path}` ({})", why.describe());
                    (why, which_is)
                }
                TargetState::ForcedIn { why } => {
                    let which_is = format!(
                        "a {} that `--include` ships only under its own name",
                        why.describe()
                    );
                    (why, which_is)
                }
            };
            match self.include.forcing(&relative, false) {
                Some(pattern) => {
                    self.warnings.push(format!(
                        "`{}` is deployed although it is a symlink to `{shown_target}`, \
                         {which_is}: `--include {pattern}` forced it in",
                        slash_path(&relative)
                    ));
                    self.used_patterns.insert(pattern);
                }
                None => {
                    self.warnings.push(format!(
                        "`{}` is a symlink to `{shown_target}`, {which_is}, so the link is \
                         left out too",
                        slash_path(&relative)
                    ));
                    self.skip(
                        &relative,
                        SkipReason::LinkToSkipped {
                            target: shown_target,
                            why: Box::new(why),
                        },
                    );
                    return Ok(());
                }
            }
        }
        // Sockets, FIFOs and devices are not source files, whatever leads to them.
        if target.is_file() {
            let metadata = fs::metadata(&target).ok();
            self.take(SourceFile {
                relative,
                absolute: target,
                size: metadata.as_ref().map_or(0, |m| m.len()),
                modified: metadata.and_then(|m| m.modified().ok()),
            })?;
        }
        Ok(())
    }

    /// Why the file at `target` (below the root) may not be shipped under a link's name: it,
    /// or a folder above it, was left out, or `--include` forced it in (naming it, not the
    /// link).
    fn left_out_target(&self, target: &Path) -> Option<TargetState> {
        for at in target.ancestors().filter(|at| !at.as_os_str().is_empty()) {
            if let Some(why) = self.left_out.get(at) {
                let mut as_path = slash_path(at);
                if at != target {
                    as_path.push('/');
                }
                let why = why.clone();
                return Some(TargetState::LeftOut { as_path, why });
            }
            if let Some(why) = self.forced.get(at) {
                let why = why.clone();
                return Some(TargetState::ForcedIn { why });
            }
        }
        None
    }

    fn skip(&mut self, relative: &Path, reason: SkipReason) {
        let mut path = slash_path(relative);
        if self.root.join(relative).is_dir() {
            path.push('/');
        }
        self.left_out.insert(relative.to_path_buf(), reason.clone());
        self.skipped.push(Skipped { path, reason });
    }

    /// Take `relative` although `reason` would leave it out, because `--include pattern`
    /// matches it; the user is told, file by file.
    fn force(&mut self, relative: &Path, reason: SkipReason, pattern: String) {
        self.warnings.push(format!(
            "`{}` is deployed although it is left out as a {}: `--include {pattern}` forced it in",
            slash_path(relative),
            reason.describe()
        ));
        self.forced.insert(relative.to_path_buf(), reason);
        self.used_patterns.insert(pattern);
    }

    fn skip_reason(&self, path: &Path, relative: &Path, is_dir: bool) -> Option<SkipReason> {
        if self.exclude.iter().any(|excluded| excluded == path) {
            return Some(SkipReason::OutputDirectory);
        }
        let name = path.file_name()?.to_string_lossy();
        if let Some(reason) = builtin_reason(&name, path, relative, is_dir) {
            return Some(reason);
        }
        for (rules, file) in self.rules.iter().rev() {
            match rules.matched(path, is_dir) {
                Match::Ignore(_) => return Some(SkipReason::IgnoreRule(file.clone())),
                Match::Whitelist(_) => return None,
                Match::None => {}
            }
        }
        if let Some(docker) = &self.dockerignore
            && docker
                .matched_path_or_any_parents(relative, is_dir)
                .is_ignore()
        {
            return Some(SkipReason::IgnoreRule(".dockerignore".into()));
        }
        None
    }
}

/// What the walk made of a symlink's target that keeps the link out.
enum TargetState {
    /// Left out, itself or with the folder `as_path`.
    LeftOut { as_path: String, why: SkipReason },
    /// Shipped only because `--include` named it.
    ForcedIn { why: SkipReason },
}

/// A path below the source as the report shows it: `/`-separated on every platform.
fn slash_path(relative: &Path) -> String {
    relative.to_string_lossy().replace('\\', "/")
}

/// The rules that hold whatever the project's ignore files say.
fn builtin_reason(name: &str, path: &Path, relative: &Path, is_dir: bool) -> Option<SkipReason> {
    if is_dir {
        return match name {
            "__pycache__" | ".venv" | "venv" => folder_name_reason(name),
            _ if path.join("pyvenv.cfg").is_file() => Some(SkipReason::VirtualEnvironment),
            _ => folder_name_reason(name),
        };
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".pyc") || lower.ends_with(".pyo") {
        return Some(SkipReason::PythonCache);
    }
    if let Some(kind) = secret_files::file_secret(relative) {
        return Some(kind.into());
    }
    if matches!(
        name,
        ".DS_Store" | ".gitignore" | ".dockerignore" | ".bedrock_agentcore.yaml" | "Thumbs.db"
    ) || is_editor_temp(name)
    {
        return Some(SkipReason::ToolFiles);
    }
    None
}

/// The folders left out by their name alone (a virtual environment is also told by its
/// `pyvenv.cfg`).
fn folder_name_reason(name: &str) -> Option<SkipReason> {
    if let Some(kind) = secret_files::folder_secret(name) {
        return Some(kind.into());
    }
    match name {
        "__pycache__" => Some(SkipReason::PythonCache),
        ".venv" | "venv" => Some(SkipReason::VirtualEnvironment),
        ".git" | ".hg" | ".svn" => Some(SkipReason::VersionControl),
        "tests" | "test" => Some(SkipReason::TestFolder),
        ".pytest_cache" | ".mypy_cache" | ".ruff_cache" | ".tox" | ".nox"
        | ".ipynb_checkpoints" | ".idea" | ".vscode" | "node_modules" | ".bedrock_agentcore"
        | ".agentprep" => Some(SkipReason::ToolFiles),
        _ if name.ends_with(".egg-info") => Some(SkipReason::ToolFiles),
        _ if name.contains(".agentprep-") => Some(SkipReason::OutputDirectory),
        _ => None,
    }
}

/// A folder of this name is never part of a deployment, whatever is in it.
pub fn is_skipped_folder_name(name: &str) -> bool {
    folder_name_reason(name).is_some()
}

/// A file an editor writes beside the one being edited (backups, swap and lock files, the
/// temporaries of "safe write"): never part of an agent, and no reason for `serve --watch` to
/// reload.
pub fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name.starts_with(".~lock.")
        || [
            ".swp",
            ".swo",
            ".swx",
            ".kate-swp",
            "___jb_tmp___",
            "___jb_old___",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// `.gitignore` files above the source, up to the root of the git repository it is in (none
/// when it is not in one): a repository's rules for `.env` or build output apply to its agents.
fn ancestor_gitignores(root: &Path) -> Vec<(Gitignore, String)> {
    let Some(repository) = root
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
    else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    let mut chain: Vec<&Path> = root
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(repository))
        .collect();
    chain.reverse();
    for dir in chain {
        if let Ok(Some(rule)) = gitignore_in(dir, root) {
            rules.push(rule);
        }
    }
    rules
}

fn gitignore_in(dir: &Path, source_root: &Path) -> anyhow::Result<Option<(Gitignore, String)>> {
    let file = dir.join(".gitignore");
    if !file.is_file() {
        return Ok(None);
    }
    let mut builder = GitignoreBuilder::new(dir);
    if let Some(error) = builder.add(&file) {
        return Err(UserError::failed(format!("cannot read `{}`: {error}", file.display())).into());
    }
    let rules = builder
        .build()
        .with_context(|| format!("reading `{}`", file.display()))?;
    let label = match dir.strip_prefix(source_root) {
        Ok(inside) if inside.as_os_str().is_empty() => ".gitignore".to_string(),
        Ok(inside) => format!("{}/.gitignore", inside.display()),
        Err(_) => file.display().to_string(),
    };
    Ok(Some((rules, label)))
}

/// The largest `.dockerignore` read (a real one is a few hundred bytes).
const MAX_IGNORE_FILE_BYTES: u64 = 1024 * 1024;

/// The source's `.dockerignore`. Docker matches its patterns from the build context's root
/// (`*.md` means only top-level Markdown files), unlike `.gitignore`, so each pattern is
/// anchored at the root before it is handed to the gitignore matcher.
fn dockerignore(root: &Path) -> anyhow::Result<Option<Gitignore>> {
    let file = root.join(".dockerignore");
    // Only a regular file is opened: a FIFO named `.dockerignore` blocked the open forever
    // (and with it `prepare`, or a `serve --watch` reload).
    if !fs::metadata(&file).is_ok_and(|metadata| metadata.is_file()) {
        return Ok(None);
    }
    let Ok(text) = crate::local_files::bounded_read::read_text(&file, MAX_IGNORE_FILE_BYTES) else {
        return Ok(None);
    };
    let mut builder = GitignoreBuilder::new(root);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negated, pattern) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
        let anchored = format!("{}/{pattern}", if negated { "!" } else { "" });
        builder
            .add_line(Some(file.clone()), &anchored)
            .map_err(|error| {
                UserError::failed(format!(
                    "`{}` has a pattern that cannot be read: {error}",
                    file.display()
                ))
            })?;
    }
    Ok(Some(builder.build().with_context(|| {
        format!("reading `{}`", file.display())
    })?))
}
