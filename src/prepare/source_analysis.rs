//! Everything `prepare` learns from the agent's source alone, with no AWS call: its files and
//! modules, its package and entry, its name, what its entry loads, the requirements and AWS
//! services that follows, and what the user should know before deploying.

use std::path::Path;

use crate::agent::capabilities::{self, Capabilities};
use crate::agent::dotenv_names;
use crate::agent::entry::{self, Chosen, Entry, EntryKind};
use crate::agent::import_graph::ImportGraph;
use crate::agent::include_patterns::IncludePatterns;
use crate::agent::name::{self, AgentName};
use crate::agent::outside_code::{self, TakenCode};
use crate::agent::outside_imports;
use crate::agent::package_name::PackageName;
use crate::agent::python_choice::{self, PythonChoice};
use crate::agent::python_modules::{self, PythonModule};
use crate::agent::requirements::{self, Requirements};
use crate::agent::runtime_imports::{self, RuntimeImport};
use crate::agent::source_facts::SourceFacts;
use crate::agent::source_tree::{self, SourceTree};
use crate::bundle::output_dir::GENERATED_TOP_LEVEL;
use crate::error::UserError;
use crate::prepare::options::PrepareOptions;
use crate::python::requirement_line::Requirement;
use crate::python::sdk_generations;

/// The agent as its source describes it.
#[derive(Debug)]
pub struct SourceAnalysis {
    pub tree: SourceTree,
    pub package: PackageName,
    pub chosen: Chosen,
    pub agent: AgentName,
    /// Where the agent's name came from (`--name`, the source folder, the entry's class...).
    pub name_origin: String,
    pub requirements: Requirements,
    /// The third-party modules the entry's loaded modules import, for the manifest.
    pub runtime_imports: Vec<RuntimeImport>,
    pub uses: Capabilities,
    /// The Python the project asks for.
    pub python: PythonChoice,
    /// Subfolders of the source the entry's bare imports resolve from (`src` for `src/main.py`
    /// importing `helpers` beside it), which `invoke.py` puts on `sys.path`.
    pub import_roots: Vec<String>,
    /// The agent's own code taken from outside the source, with why.
    pub outside_code: Vec<TakenCode>,
    /// Warnings about the source (the requirements' own are in `requirements.warnings`).
    pub warnings: Vec<String>,
}

/// Read and understand the source. `output` is the deployment directory, left out of the
/// source when it lies inside it; `given_name` is the name the user gave (`--name`, or the
/// runtime's in a new-CLI project), already checked, with where it comes from.
pub fn analyse(
    options: &PrepareOptions,
    output: &Path,
    given_name: Option<(AgentName, String)>,
) -> anyhow::Result<SourceAnalysis> {
    let include = IncludePatterns::new(&options.include)?;
    let facts = SourceFacts::read(&options.source, &[output.to_path_buf()], &include)?;
    let named = entry::project_evidence::find(&facts.project_files, &facts.modules);
    let chosen = entry::choose(
        &facts.modules,
        &facts.graph,
        options.entrypoint.as_deref(),
        &facts.package.name,
        options.protocol,
        named.as_ref(),
    )?;
    let load = facts.loaded_by(&chosen.entry);
    let SourceFacts {
        tree,
        modules,
        package,
        graph,
        project_files,
    } = facts;
    let mut warnings = tree.warnings.clone();
    warnings.extend(syntax_problems(
        &modules,
        &graph,
        &chosen.entry,
        load.entry_index,
    )?);
    let (agent, name_origin) = match given_name {
        Some(given) => given,
        None => {
            let derived = derived_name(&tree, &chosen);
            (derived.name, derived.origin)
        }
    };
    if let Some(why) = &package.renamed_because {
        warnings.push(format!(
            "the source's folder is the package `{}` in the deployment: {why}",
            package.name
        ));
    }
    warnings.extend(chosen.warnings.iter().cloned());
    warnings.extend(oversized_warning(&tree));
    let source_dir_name = tree
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The folder's own name is the agent's (`from cost_estimator_agent.config import X`)
    // unless the package had to be renamed because that name is a library's.
    let mut own_names: Vec<&str> = vec![package.name.as_str()];
    if package.renamed_because.is_none() {
        own_names.push(&source_dir_name);
    }
    // What the agent needs at run time is what its entry loads; what the entry imports from
    // the folders its bare imports resolve from is the agent's own, not a library.
    own_names.extend(load.root_names.iter().map(String::as_str));
    // The agent's own code outside the source that its project runs with it (a Dockerfile's
    // build context, a folder it puts on `sys.path`) is taken, and loaded like its own.
    let mut reserved: Vec<String> = GENERATED_TOP_LEVEL
        .iter()
        .map(|name| name.to_string())
        .collect();
    reserved.push(package.name.clone());
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let outside_code = outside_code::find(&outside_code::Inputs {
        tree: &tree,
        modules: &modules,
        entry_index: load.entry_index,
        loaded: &load.modules,
        project_files: &project_files,
        own: &own_names,
        reserved: &reserved,
        home: home.as_deref(),
    });
    warnings.extend(outside_code.warnings.iter().cloned());
    own_names.extend(outside_code.own_names.iter().map(String::as_str));
    let runtime_modules: &Vec<PythonModule> = &load
        .modules
        .iter()
        .chain(outside_code.loaded())
        .cloned()
        .collect();
    let outside = outside_imports::find(&tree, runtime_modules, &own_names);
    warnings.extend(outside.iter().map(|import| import.warning()));
    warnings.extend(dotenv_names::find(&tree, runtime_modules).map(|dotenv| dotenv.warning()));
    // What resolves beside the source is the user's code, never a PyPI requirement.
    own_names.extend(outside.iter().map(|import| import.name.as_str()));
    // The generated `invoke.py` imports the AgentCore SDK only to wrap an agent; an app or a
    // protocol server of the agent's own is served without it.
    let wraps_agent = !matches!(
        chosen.entry.kind,
        EntryKind::AsgiApp { .. } | EntryKind::McpServer { .. } | EntryKind::A2aServer { .. }
    );
    let mut requirements = requirements::generate(
        &tree,
        runtime_modules,
        &own_names,
        options.requirements.as_deref(),
        wraps_agent,
    )?;
    // A file named with `--requirements` is the user's word; otherwise the code decides the
    // SDK generation, which an open-ended requirement would leave to chance: how an MCP server
    // is built, and what the code imports, for clients as for servers (`streamablehttp_client`
    // is the mcp SDK 1.x's).
    if options.requirements.is_none() {
        let server_needs = match &chosen.entry.kind {
            EntryKind::McpServer { older_sdk, .. } => older_sdk.clone(),
            _ => None,
        };
        let imports = python_modules::runtime_imports(runtime_modules)
            .map(|(module, import)| (module.file.as_str(), import));
        for older in server_needs
            .into_iter()
            .chain(sdk_generations::needed_by(imports))
        {
            requirements.cap_below_major(
                older.distribution,
                older.below_major,
                &older.bound_reason(),
            );
        }
    }
    // What an A2A server needs to be served, beyond what its imports say: the extras of what
    // it imports, whichever shape serves it (a web app around Strands' server needs Strands'
    // `a2a` extra as much as the server does).
    if matches!(chosen.entry.kind, EntryKind::A2aServer { .. }) && options.requirements.is_none() {
        let imports = |prefix: &str| {
            runtime_modules.iter().any(|module| {
                module
                    .syntax
                    .imports
                    .iter()
                    .any(|import| import.module.starts_with(prefix))
            })
        };
        if imports("strands.multiagent.a2a") {
            requirements.ensure_extra(
                "strands-agents",
                "a2a",
                "Strands' `A2AServer` needs the a2a SDK and its web server, which the `a2a` extra brings",
            );
        }
        if imports("a2a.server") {
            requirements.ensure_extra(
                "a2a-sdk",
                "http-server",
                "the a2a SDK's server applications need Starlette and SSE support, which the `http-server` extra brings",
            );
        }
    }
    // An app or a protocol server of the agent's own is served by uvicorn from `invoke.py`,
    // whatever the agent's own code imports; the MCP SDKs, the AgentCore SDK and Strands'
    // A2A extra bring it, a plain FastAPI app or the a2a SDK does not.
    let brings_uvicorn = requirements.lines.iter().any(|line| {
        Requirement::parse(line).is_some_and(|requirement| {
            matches!(
                requirement.key.as_str(),
                "mcp" | "fastmcp" | "bedrock-agentcore" | "uvicorn"
            ) || (requirement.key == "strands-agents"
                && requirement.extras.iter().any(|extra| extra == "a2a"))
        })
    });
    if !wraps_agent && !brings_uvicorn {
        requirements.ensure_present(
            "uvicorn",
            "the generated `invoke.py` serves the agent's own app with it",
        );
    }
    let runtime_imports =
        runtime_imports::find(runtime_modules, |top| tree.is_own_name(top, &own_names));
    let uses = capabilities::detect(runtime_modules);
    let python = python_choice::choose(&project_files, runtime_modules);
    warnings.extend(python.warnings.iter().cloned());
    Ok(SourceAnalysis {
        tree,
        package,
        chosen,
        agent,
        name_origin,
        requirements,
        runtime_imports,
        uses,
        python,
        import_roots: load.import_roots,
        outside_code: outside_code.taken,
        warnings,
    })
}

/// The agent's name from the source: its folder (or file), or, when that says nothing, the
/// entry's module, class or object, or the folder above.
fn derived_name(tree: &SourceTree, chosen: &Chosen) -> name::DerivedName {
    let source_name = if tree.single_file {
        tree.files
            .first()
            .map(|file| {
                file.relative
                    .with_extension("")
                    .to_string_lossy()
                    .into_owned()
            })
            .unwrap_or_default()
    } else {
        tree.root
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let at = &chosen.entry.at;
    let module_stem = Path::new(&at.file)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner = match &chosen.entry.kind {
        EntryKind::Method { class, .. } => Some((class.clone(), "the entry's class")),
        EntryKind::AgentObject { variable, .. } => Some((variable.clone(), "the agent object")),
        _ => None,
    };
    let parent = tree
        .root
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|_| !tree.single_file)
        .unwrap_or_default();
    let mut hints: Vec<(&str, &str)> = vec![(module_stem.as_str(), "the entry's module")];
    if let Some((name, what)) = &inner {
        hints.push((name.as_str(), what));
    }
    if !parent.is_empty() {
        hints.push((parent.as_str(), "the folder above the source"));
    }
    name::derive(&source_name, &hints)
}

/// Syntax errors: an error when the entry's module (`entry_index` among `modules`) reaches the broken module through its
/// imports (the agent cannot start), a warning otherwise.
fn syntax_problems(
    modules: &[PythonModule],
    graph: &ImportGraph,
    entry: &Entry,
    entry_index: Option<usize>,
) -> Result<Vec<String>, UserError> {
    let reached = entry_index
        .map(|index| graph.reachable_from(index))
        .unwrap_or_default();
    let mut warnings = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        let Some(line) = module.syntax.syntax_error_line else {
            continue;
        };
        if reached.contains(&index) {
            let how = if Some(index) == entry_index {
                "the entry's module".to_string()
            } else {
                format!("imported by the entry's module `{}`", entry.at.file)
            };
            return Err(UserError::failed(format!(
                "`{}` has a syntax error near line {line}, and it is {how}: the agent cannot start",
                module.file
            ))
            .with_hint(format!(
                "fix `{}` (`python -m py_compile {}` shows the error)",
                module.file, module.file
            )));
        }
        warnings.push(format!(
            "`{}` has a syntax error near line {line}; the entry does not import it, so it was copied as it is",
            module.file
        ));
    }
    Ok(warnings)
}

/// Said before anything is copied when the source alone passes what AgentCore's direct code
/// deploy takes uncompressed (750 MB, dependencies included): a 2 GB data file was copied
/// without a word, to a deployment no `deploy` could upload.
fn oversized_warning(tree: &SourceTree) -> Option<String> {
    let limit = crate::agentcore_contract::MAX_PACKAGE_UNCOMPRESSED_BYTES;
    let total = tree.total_bytes();
    if total <= limit {
        return None;
    }
    let mut largest: Vec<&source_tree::SourceFile> = tree.files.iter().collect();
    largest.sort_by_key(|file| std::cmp::Reverse(file.size));
    let named: Vec<String> = largest
        .iter()
        .take(3)
        .map(|file| {
            format!(
                "`{}` ({} MB)",
                file.relative.display(),
                file.size / (1024 * 1024)
            )
        })
        .collect();
    Some(format!(
        "the source is {} MB, over the {} MB AgentCore's direct code deploy takes uncompressed (dependencies included), so `deploy` will refuse it; the largest files: {}. Leave data out with a line in the source's `.gitignore` or `.dockerignore`, or deploy as a container",
        total / (1024 * 1024),
        limit / (1024 * 1024),
        named.join(", ")
    ))
}
