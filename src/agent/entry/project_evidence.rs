//! What the project itself says its entry is, which wins over guessing from the code.
//!
//! A project that runs somewhere already names how: its Dockerfile's `CMD`/`ENTRYPOINT`
//! (`uvicorn main:app --port 8080`, `python -m agent.server`), a `Procfile` line, the
//! `entrypoint` the official CLI recorded in `.bedrock_agentcore.yaml`, a `langgraph.json`
//! graph, a LlamaIndex Workflows table in `pyproject.toml`. Real agents were prepared wrongly
//! where this was ignored: `app = create_app()` served by `uvicorn main:app` lost to a helper
//! of the tools package. A command names a module and, for a server (uvicorn, gunicorn,
//! hypercorn, `fastapi run`), the app in it; a file run with `python` names the module the
//! entry must be in. Paths are matched against the source's modules by their ending, because
//! a Dockerfile in the project above the source names them from there.

use std::path::PathBuf;

use crate::agent::dockerfile::{self, shell_words};
use crate::agent::project_files::ProjectFiles;
use crate::agent::python_modules::PythonModule;

/// How the project runs the named module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runs {
    /// An ASGI server serves `attribute` (`uvicorn main:app`); `factory`: it is a function
    /// returning the app (`--factory`); `port`: the port the command gives, if any.
    Served {
        attribute: String,
        factory: bool,
        port: Option<u16>,
    },
    /// `attribute` is the agent object a framework runs (a LangGraph graph, a workflow).
    Object { attribute: String },
    /// The module is run as a program (`python main.py`, `python -m agent`): the entry is in it.
    Program,
}

/// The module the project names, how it runs it, and where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectEntry {
    /// Index into the modules.
    pub module: usize,
    pub runs: Runs,
    /// `` `Dockerfile`'s `CMD` ``, `` `Procfile` ``, ...
    pub source: String,
}

/// The entry the project names, from the first place that names one that resolves to a module
/// of the source; `project`'s folders are the source folder and the project above it, nearest
/// first.
pub fn find(project: &ProjectFiles, modules: &[PythonModule]) -> Option<ProjectEntry> {
    let mut named: Vec<(Named, String)> = Vec::new();
    for dir in project.dirs() {
        if let Some(text) = dir.text(".bedrock_agentcore.yaml") {
            for file in toolkit_entrypoints(text) {
                named.push((
                    Named::File(file),
                    format!(
                        "{}'s `entrypoint`",
                        project.label(dir, ".bedrock_agentcore.yaml")
                    ),
                ));
            }
        }
        if let Some(text) = dir.text("agentcore/agentcore.json") {
            for file in new_cli_entrypoints(text) {
                named.push((
                    Named::File(file),
                    format!(
                        "{}'s `entrypoint`",
                        project.label(dir, "agentcore/agentcore.json")
                    ),
                ));
            }
        }
        if let Some(text) = dir.text("langgraph.json") {
            for (file, attribute) in langgraph_graphs(text) {
                named.push((
                    Named::Object(file, attribute),
                    format!("{}'s graph", project.label(dir, "langgraph.json")),
                ));
            }
        }
        if let Some(document) = dir.pyproject() {
            for (module, attribute) in workflow_tables(document) {
                named.push((
                    Named::Object(module, attribute),
                    format!(
                        "{}'s `[tool.llamaagents.workflows]`",
                        project.label(dir, "pyproject.toml")
                    ),
                ));
            }
        }
        for name in dir.dockerfiles() {
            if let Some(command) = dir.text(name).and_then(dockerfile_command) {
                named.extend(
                    command_names(&command)
                        .into_iter()
                        .map(|named| (named, format!("{}'s `CMD`", project.label(dir, name)))),
                );
            }
        }
        if let Some(document) = dir.pyproject() {
            for module in script_modules(document) {
                named.push((
                    Named::Module(module),
                    format!(
                        "{}'s `[project.scripts]`",
                        project.label(dir, "pyproject.toml")
                    ),
                ));
            }
        }
        if let Some(text) = dir.text("Procfile") {
            for line in text.lines() {
                if let Some((_, command)) = line.split_once(':') {
                    let words = shell_words(command);
                    named.extend(
                        command_names(&words)
                            .into_iter()
                            .map(|named| (named, project.label(dir, "Procfile"))),
                    );
                }
            }
        }
    }
    named.into_iter().find_map(|(named, source)| {
        let (module, runs) = named.resolve(modules)?;
        Some(ProjectEntry {
            module,
            runs,
            source,
        })
    })
}

/// A Dockerfile of the project whose image runs one of the source's modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileRun {
    /// The Dockerfile.
    pub path: PathBuf,
    /// The image's working directory (where `COPY . .` puts the build context) is on
    /// `sys.path` when the module runs: it is run by its dotted name (`python -m agents.main`,
    /// `uvicorn agents.main:app`), or the image sets `PYTHONPATH`. `python agents/main.py`
    /// puts only the script's own folder there.
    pub workdir_on_path: bool,
}

/// The Dockerfiles of the project (the source folder's and those above it) whose command runs
/// the module `module` of `modules`.
pub fn dockerfiles_running(
    project: &ProjectFiles,
    modules: &[PythonModule],
    module: usize,
) -> Vec<DockerfileRun> {
    let mut found = Vec::new();
    for dir in project.dirs() {
        for name in dir.dockerfiles() {
            let Some(text) = dir.text(name) else {
                continue;
            };
            let Some(command) = dockerfile_command(text) else {
                continue;
            };
            let runs: Vec<Named> = command_names(&command)
                .into_iter()
                .filter(|named| {
                    named
                        .clone()
                        .resolve(modules)
                        .is_some_and(|(index, _)| index == module)
                })
                .collect();
            if runs.is_empty() {
                continue;
            }
            let by_dotted_name = runs.iter().any(|named| match named {
                Named::Module(_) => true,
                Named::Served { module, .. } => !module.ends_with(".py"),
                Named::File(_) | Named::Object(..) => false,
            });
            let sets_pythonpath = dockerfile::last_stage(text).iter().any(|instruction| {
                instruction.keyword == "ENV" && instruction.arguments.contains("PYTHONPATH")
            });
            found.push(DockerfileRun {
                path: dir.path.join(name),
                workdir_on_path: by_dotted_name || sets_pythonpath,
            });
        }
    }
    found
}

/// A module (and maybe an attribute) as a project file names it, not yet matched.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// A path (`src/main.py`, `./agent.py`).
    File(String),
    /// A dotted module (`python -m agent.server`).
    Module(String),
    /// A server's `module:attribute`.
    Served {
        module: String,
        attribute: String,
        factory: bool,
        port: Option<u16>,
    },
    /// A path or dotted module, and the agent object in it.
    Object(String, String),
}

impl Named {
    fn resolve(self, modules: &[PythonModule]) -> Option<(usize, Runs)> {
        match self {
            Named::File(file) => Some((by_path(modules, &file)?, Runs::Program)),
            // `python -m pkg` runs `pkg/__main__.py`.
            Named::Module(dotted) => Some((
                by_dotted(modules, &format!("{dotted}.__main__"))
                    .or_else(|| by_dotted(modules, &dotted))?,
                Runs::Program,
            )),
            Named::Served {
                module,
                attribute,
                factory,
                port,
            } => Some((
                by_dotted(modules, &module).or_else(|| by_path(modules, &module))?,
                Runs::Served {
                    attribute,
                    factory,
                    port,
                },
            )),
            Named::Object(module, attribute) => Some((
                by_path(modules, &module).or_else(|| by_dotted(modules, &module))?,
                Runs::Object { attribute },
            )),
        }
    }
}

/// The one module whose file ends with `path` (`./src/main.py` matches `src/main.py` and, from
/// a project above the source, `agent/src/main.py` matches the source's `src/main.py`).
fn by_path(modules: &[PythonModule], path: &str) -> Option<usize> {
    let path = path.trim().trim_start_matches("./").trim_start_matches('/');
    if !path.ends_with(".py") {
        return None;
    }
    let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    unique(modules.iter().enumerate().filter_map(|(index, module)| {
        let file: Vec<&str> = module.file.split('/').collect();
        let common = file
            .iter()
            .rev()
            .zip(parts.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        // All of the module's path, or all of the named path, matches.
        (common == file.len() || common == parts.len()).then_some(index)
    }))
}

/// The one module whose dotted name ends with `dotted` (`app.main` from a Dockerfile whose
/// `WORKDIR` is above the source matches the source's `main`).
fn by_dotted(modules: &[PythonModule], dotted: &str) -> Option<usize> {
    let parts: Vec<&str> = dotted.split('.').filter(|part| !part.is_empty()).collect();
    if parts.is_empty() {
        return None;
    }
    let exact = unique(
        modules
            .iter()
            .enumerate()
            .filter(|(_, module)| module.dotted == dotted)
            .map(|(index, _)| index),
    );
    exact.or_else(|| {
        unique(modules.iter().enumerate().filter_map(|(index, module)| {
            let own: Vec<&str> = module.dotted.split('.').collect();
            let common = own
                .iter()
                .rev()
                .zip(parts.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            (!module.dotted.is_empty() && (common == own.len() || common == parts.len()))
                .then_some(index)
        }))
    })
}

fn unique(mut found: impl Iterator<Item = usize>) -> Option<usize> {
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The command the image runs: its last stage's last `ENTRYPOINT` then its last `CMD`, as
/// words.
fn dockerfile_command(dockerfile: &str) -> Option<Vec<String>> {
    let mut entrypoint: Vec<String> = Vec::new();
    let mut cmd: Vec<String> = Vec::new();
    for instruction in dockerfile::last_stage(dockerfile) {
        match instruction.keyword.as_str() {
            "ENTRYPOINT" => entrypoint = instruction.words(),
            "CMD" => cmd = instruction.words(),
            _ => {}
        }
    }
    entrypoint.extend(cmd);
    (!entrypoint.is_empty()).then_some(entrypoint)
}

/// What a command runs: the modules and apps it names, most specific first.
fn command_names(words: &[String]) -> Vec<Named> {
    // `sh -c "uvicorn main:app"` and `&&`-chains: every word of every part.
    let mut flat: Vec<String> = Vec::new();
    for word in words {
        if word.contains(' ') {
            flat.extend(shell_words(word));
        } else {
            flat.push(word.clone());
        }
    }
    let mut found = Vec::new();
    for (at, word) in flat.iter().enumerate() {
        let program = word.rsplit('/').next().unwrap_or(word);
        let rest = &flat[at + 1..];
        let is_python = program == "python" || program.starts_with("python3") || program == "py";
        if matches!(
            program,
            "uvicorn" | "hypercorn" | "gunicorn" | "granian" | "daphne"
        ) || (is_python
            && rest.first().is_some_and(|next| next == "-m")
            && rest.get(1).is_some_and(|server| {
                matches!(server.as_str(), "uvicorn" | "hypercorn" | "gunicorn")
            }))
        {
            if let Some(target) = rest.iter().find(|word| is_app_reference(word)) {
                let (module, attribute) = target.split_once(':').unwrap_or((target, "app"));
                let port = port_of(rest);
                found.push(Named::Served {
                    module: module.to_string(),
                    attribute: attribute.trim_end_matches("()").to_string(),
                    factory: rest.iter().any(|word| word == "--factory")
                        || attribute.ends_with("()"),
                    port,
                });
            }
            continue;
        }
        if program == "fastapi"
            && matches!(rest.first().map(String::as_str), Some("run" | "dev"))
            && let Some(path) = rest.iter().skip(1).find(|word| word.ends_with(".py"))
        {
            found.push(Named::Served {
                module: path.clone(),
                attribute: "app".into(),
                factory: false,
                port: None,
            });
            continue;
        }
        if is_python {
            match rest.first().map(String::as_str) {
                Some("-m") => {
                    if let Some(module) = rest.get(1)
                        && !matches!(
                            module.as_str(),
                            "pip" | "venv" | "uvicorn" | "gunicorn" | "hypercorn"
                        )
                    {
                        found.push(Named::Module(module.clone()));
                    }
                }
                Some(path) if path.ends_with(".py") => found.push(Named::File(path.to_string())),
                _ => {}
            }
        }
    }
    // `python -m uvicorn main:app` is read at `python` and again at `uvicorn`.
    found.dedup();
    found
}

/// The port a server command listens on: `--port 8080`, `--port=8080`, `-b 0.0.0.0:8080`.
fn port_of(arguments: &[String]) -> Option<u16> {
    arguments.iter().enumerate().find_map(|(at, word)| {
        let next = || arguments.get(at + 1).map(String::as_str);
        let value = match word.as_str() {
            "--port" => next()?,
            "-b" | "--bind" => next()?.rsplit(':').next()?,
            other => other.strip_prefix("--port=").or_else(|| {
                other
                    .strip_prefix("--bind=")
                    .and_then(|bind| bind.rsplit(':').next())
            })?,
        };
        value.parse().ok()
    })
}

/// `module:attribute` (`main:app`, `app.server:create_app()`), not a host:port or a URL.
fn is_app_reference(word: &str) -> bool {
    let Some((module, attribute)) = word.split_once(':') else {
        return false;
    };
    let name = |text: &str| {
        !text.is_empty()
            && text.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    name(module) && name(attribute.trim_end_matches("()"))
}

/// `entrypoint:` values of a `.bedrock_agentcore.yaml` that name an agent's own file (not a
/// generated `invoke.py` of a deployment directory).
fn toolkit_entrypoints(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| line.trim().strip_prefix("entrypoint:"))
        .map(|value| value.trim().trim_matches(['"', '\'']).to_string())
        .filter(|value| value.ends_with(".py") && !value.ends_with("invoke.py"))
        .collect()
}

/// `runtimes[].entrypoint` of the new CLI's `agentcore/agentcore.json`, joined to the runtime's
/// `codeLocation`.
fn new_cli_entrypoints(json: &str) -> Vec<String> {
    let Ok(project) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    project["runtimes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|runtime| {
            let entry = runtime["entrypoint"].as_str()?;
            let location = runtime["codeLocation"].as_str().unwrap_or("");
            Some(if location.is_empty() {
                entry.to_string()
            } else {
                format!("{}/{entry}", location.trim_end_matches('/'))
            })
        })
        .collect()
}

/// `graphs` of a LangGraph `langgraph.json`: `"./src/agent/graph.py:graph"`.
fn langgraph_graphs(json: &str) -> Vec<(String, String)> {
    let Ok(config) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    config["graphs"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, target)| {
            let (file, attribute) = target.as_str()?.rsplit_once(':')?;
            Some((file.to_string(), attribute.to_string()))
        })
        .collect()
}

/// The modules of a `pyproject.toml`'s console scripts (`[project.scripts]`, Poetry's
/// `[tool.poetry.scripts]`): `agent = "my_agent.main:run"` is the program `my_agent.main`.
fn script_modules(document: &toml::Table) -> Vec<String> {
    let pep621 = document
        .get("project")
        .and_then(|project| project.get("scripts"));
    let poetry = document
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("scripts"));
    [pep621, poetry]
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .flatten()
        .filter_map(|(_, target)| Some(target.as_str()?.split(':').next()?.trim().to_string()))
        .filter(|module| !module.is_empty())
        .collect()
}

/// `[tool.llamaagents.workflows]` of a `pyproject.toml`: `name = "module:workflow"`.
fn workflow_tables(document: &toml::Table) -> Vec<(String, String)> {
    document
        .get("tool")
        .and_then(|tool| tool.get("llamaagents"))
        .and_then(|agents| agents.get("workflows"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter_map(|(_, target)| {
            let (module, attribute) = target.as_str()?.split_once(':')?;
            Some((module.to_string(), attribute.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        dockerfile::Instruction {
            keyword: "CMD".into(),
            arguments: text.into(),
        }
        .words()
    }

    #[test]
    fn commands_name_servers_programs_and_modules() {
        assert_eq!(
            command_names(&words(
                r#"["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "9000"]"#
            )),
            [Named::Served {
                module: "main".into(),
                attribute: "app".into(),
                factory: false,
                port: Some(9000)
            }]
        );
        assert_eq!(
            command_names(&words(
                "opentelemetry-instrument python -m uvicorn app.server:create_app --factory --port=8080"
            )),
            [Named::Served {
                module: "app.server".into(),
                attribute: "create_app".into(),
                factory: true,
                port: Some(8080)
            }]
        );
        assert_eq!(
            command_names(&words(
                r#"["sh", "-c", "pip list && gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8080 api:application"]"#
            )),
            [Named::Served {
                module: "api".into(),
                attribute: "application".into(),
                factory: false,
                port: Some(8080)
            }]
        );
        assert_eq!(
            command_names(&words(r#"["uv", "run", "python", "-m", "agent.main"]"#)),
            [Named::Module("agent.main".into())]
        );
        assert_eq!(
            command_names(&words("python3.12 src/agent.py")),
            [Named::File("src/agent.py".into())]
        );
        assert_eq!(
            command_names(&words(
                r#"["fastapi", "run", "app/main.py", "--port", "80"]"#
            )),
            [Named::Served {
                module: "app/main.py".into(),
                attribute: "app".into(),
                factory: false,
                port: None
            }]
        );
    }

    #[test]
    fn a_dockerfile_runs_its_last_stages_entrypoint_and_cmd() {
        let dockerfile = "FROM python:3.12 AS build\nCMD [\"python\", \"build.py\"]\nFROM python:3.12-slim\nWORKDIR /app\nENTRYPOINT [\"opentelemetry-instrument\"]\nCMD python \\\n  -m agent\n";
        assert_eq!(
            dockerfile_command(dockerfile).unwrap(),
            ["opentelemetry-instrument", "python", "-m", "agent"]
        );
    }

    #[test]
    fn project_files_name_entries_matched_to_the_sources_modules() {
        let modules = vec![
            PythonModule::parsed("src/main.py", "app = create_app()\n"),
            PythonModule::parsed("src/tools/format.py", "def pretty(x): return x\n"),
            PythonModule::parsed("src/graph.py", "graph = 1\n"),
        ];
        assert_eq!(by_path(&modules, "./src/main.py"), Some(0));
        assert_eq!(
            by_path(&modules, "agent/src/main.py"),
            Some(0),
            "from the project above"
        );
        assert_eq!(by_path(&modules, "main.py"), Some(0));
        assert_eq!(by_dotted(&modules, "src.main"), Some(0));
        assert_eq!(by_dotted(&modules, "main"), Some(0));
        assert_eq!(by_dotted(&modules, "app.src.main"), Some(0));
        assert_eq!(by_dotted(&modules, "format"), Some(1));
        assert_eq!(by_dotted(&modules, "nothing"), None);

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Dockerfile"),
            "FROM python:3.12-slim\nCOPY . .\nCMD [\"uvicorn\", \"src.main:app\", \"--port\", \"8080\"]\n",
        )
        .unwrap();
        let found = find(
            &ProjectFiles::of_dirs(dir.path(), &[dir.path().to_path_buf()]),
            &modules,
        )
        .unwrap();
        assert_eq!(found.module, 0);
        assert_eq!(
            found.runs,
            Runs::Served {
                attribute: "app".into(),
                factory: false,
                port: Some(8080)
            }
        );
        assert_eq!(found.source, "`Dockerfile`'s `CMD`");

        std::fs::write(
            dir.path().join("langgraph.json"),
            r#"{"dependencies": ["."], "graphs": {"agent": "./src/graph.py:graph"}}"#,
        )
        .unwrap();
        let found = find(
            &ProjectFiles::of_dirs(dir.path(), &[dir.path().to_path_buf()]),
            &modules,
        )
        .unwrap();
        assert_eq!(
            (found.module, found.runs),
            (
                2,
                Runs::Object {
                    attribute: "graph".into()
                }
            ),
            "a framework's own table comes before a command"
        );
    }

    #[test]
    fn the_official_clis_files_name_the_agents_own_file_not_a_generated_one() {
        assert_eq!(
            toolkit_entrypoints(
                "agents:\n  a:\n    entrypoint: agent.py\n  b:\n    entrypoint: /x/deployment/invoke.py\n"
            ),
            ["agent.py"]
        );
        assert_eq!(
            new_cli_entrypoints(
                r#"{"runtimes": [{"name": "a", "entrypoint": "main.py", "codeLocation": "app/a/"}]}"#
            ),
            ["app/a/main.py"]
        );
        assert_eq!(
            workflow_tables(
                &"[tool.llamaagents.workflows]\nassistant = \"app.workflow:workflow\"\n"
                    .parse()
                    .unwrap()
            ),
            [("app.workflow".to_string(), "workflow".to_string())]
        );
    }

    #[test]
    fn console_scripts_name_the_program_module() {
        assert_eq!(
            script_modules(
                &"[project.scripts]\nagent = \"my_agent.main:run\"\n[tool.poetry.scripts]\ncli = \"my_agent.cli:app\"\n"
                    .parse()
                    .unwrap()
            ),
            ["my_agent.main", "my_agent.cli"]
        );
    }
}
