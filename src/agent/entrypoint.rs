//! Finding the agent's entry: what the generated `invoke.py` calls with the prompt.
//!
//! In order: the `--entrypoint` the user named; an existing `BedrockAgentCoreApp` with an
//! `@app.entrypoint` (reused as it is); otherwise a public method taking the prompt on an agent
//! class that can be built without arguments (a `region` argument is filled in), or a
//! module-level function taking the prompt. When a method or function has an async-generator
//! twin (`estimate_costs` and `estimate_costs_stream`), the entry streams. Several candidates
//! or none is an error that lists what was found and how to choose.

use serde::Serialize;

use crate::agent::python_modules::PythonModule;
use crate::error::UserError;
use crate::python::module_syntax::{Class, Function};

/// How the entry's callable answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStyle {
    /// `def f(prompt) -> answer`
    Sync,
    /// `async def f(prompt) -> answer`
    Async,
    /// `def f(prompt): yield ...` or `async def f(prompt): yield ...`: streamed as SSE.
    Stream,
}

/// What `invoke.py` calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// The agent's own `BedrockAgentCoreApp`: `invoke.py` imports and runs it.
    ExistingApp {
        module: String,
        variable: String,
        function: String,
    },
    /// `Class(region=...)` built once per process, then `instance.method(prompt)`.
    Method {
        module: String,
        class: String,
        method: String,
        style: CallStyle,
        /// The streaming twin, used instead of `method` when present.
        stream_method: Option<String>,
        /// The constructor's region parameter, filled from `AWS_REGION`.
        region_param: Option<String>,
    },
    /// `function(prompt)`.
    Function {
        module: String,
        function: String,
        style: CallStyle,
        stream_function: Option<String>,
    },
}

impl Entry {
    /// The `--entrypoint` spelling of this entry.
    pub fn spec(&self) -> String {
        match self {
            Entry::ExistingApp {
                module, variable, ..
            } => format!("{}:{variable}", module_label(module)),
            Entry::Method {
                module,
                class,
                method,
                ..
            } => format!("{}:{class}.{method}", module_label(module)),
            Entry::Function {
                module, function, ..
            } => format!("{}:{function}", module_label(module)),
        }
    }

    /// Whether the generated entrypoint answers with SSE.
    pub fn streams(&self) -> bool {
        match self {
            Entry::ExistingApp { .. } => false,
            Entry::Method {
                style,
                stream_method,
                ..
            } => stream_method.is_some() || *style == CallStyle::Stream,
            Entry::Function {
                style,
                stream_function,
                ..
            } => stream_function.is_some() || *style == CallStyle::Stream,
        }
    }
}

/// The package's own `__init__.py` has the dotted name `""`; specs spell it `__init__`.
fn module_label(module: &str) -> &str {
    if module.is_empty() {
        "__init__"
    } else {
        module
    }
}

/// A candidate with where it was found, for listings.
struct Candidate {
    entry: Entry,
    file: String,
    line: usize,
    /// Tier 0: a method of a class named like an agent; 1: a prompt-like name; 2: anything else.
    tier: u8,
}

/// Parameter and callable names that say "this takes the user's prompt".
const PROMPT_WORDS: &[&str] = &[
    "prompt",
    "text",
    "query",
    "question",
    "message",
    "user_input",
    "input",
    "request",
    "user_message",
    "msg",
    "invoke",
    "handler",
    "handle",
    "run",
    "answer",
    "ask",
    "chat",
    "respond",
    "call",
];

/// Choose the entry from the parsed modules, or from `spec` when the user gave one.
pub fn choose(
    modules: &[PythonModule],
    spec: Option<&str>,
    agent_name: &str,
) -> Result<Entry, UserError> {
    if let Some(spec) = spec {
        return from_spec(modules, spec, agent_name);
    }
    let apps: Vec<(&PythonModule, Entry, usize)> = modules
        .iter()
        .flat_map(|module| {
            module.syntax.apps.iter().filter_map(move |app| {
                let function = app.entrypoint.clone()?;
                Some((
                    module,
                    Entry::ExistingApp {
                        module: module.dotted.clone(),
                        variable: app.variable.clone(),
                        function,
                    },
                    app.line,
                ))
            })
        })
        .collect();
    match apps.as_slice() {
        [(_, entry, _)] => return Ok(entry.clone()),
        [] => {}
        several => {
            let listing: Vec<String> = several
                .iter()
                .map(|(module, entry, line)| {
                    format!("  - `{}` ({}:{line})", entry.spec(), module.file)
                })
                .collect();
            return Err(UserError::failed(format!(
                "the source defines several `BedrockAgentCoreApp` entrypoints:\n{}",
                listing.join("\n")
            ))
            .with_hint(format!(
                "choose one with `--entrypoint {}`",
                several[0].1.spec()
            )));
        }
    }

    let candidates: Vec<Candidate> = modules.iter().flat_map(candidates_in).collect();
    let Some(best_tier) = candidates.iter().map(|candidate| candidate.tier).min() else {
        return Err(nothing_found(modules));
    };
    let best: Vec<&Candidate> = candidates
        .iter()
        .filter(|candidate| candidate.tier == best_tier)
        .collect();
    if let [only] = best.as_slice() {
        return Ok(only.entry.clone());
    }
    let listing: Vec<String> = best
        .iter()
        .map(|candidate| {
            format!(
                "  - `{}` ({}:{})",
                candidate.entry.spec(),
                candidate.file,
                candidate.line
            )
        })
        .collect();
    Err(UserError::failed(format!(
        "the source offers several callables that could take the prompt:\n{}",
        listing.join("\n")
    ))
    .with_hint(format!(
        "choose one with `--entrypoint {}`",
        best[0].entry.spec()
    )))
}

fn nothing_found(modules: &[PythonModule]) -> UserError {
    let unbuildable: Vec<String> = modules
        .iter()
        .flat_map(|module| {
            module
                .syntax
                .classes
                .iter()
                .filter(|class| constructor_region(class).is_none())
                .filter_map(move |class| {
                    let init = class.method("__init__")?;
                    let needed: Vec<&str> = init
                        .required_positional(true)
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect();
                    Some(format!(
                        "  - class `{}` in {} needs constructor arguments: {}",
                        class.name,
                        module.file,
                        needed.join(", ")
                    ))
                })
        })
        .collect();
    let mut message = String::from(
        "no entry found in the agent's source: no `BedrockAgentCoreApp` with `@app.entrypoint`, no \
         agent class with a public method taking the prompt, no module-level function taking it",
    );
    if !unbuildable.is_empty() {
        message.push_str(&format!(
            "\nclasses that were passed over:\n{}",
            unbuildable.join("\n")
        ));
    }
    UserError::failed(message).with_hint(
        "add a function such as `def invoke(prompt: str) -> str`, or name the entry with \
         `--entrypoint module:Class.method` or `--entrypoint module:function`",
    )
}

/// `Some(region_param)` when the class can be built without arguments (a parameter called
/// `region`/`region_name` is filled in); `None` when it needs other arguments.
fn constructor_region(class: &Class) -> Option<Option<String>> {
    let Some(init) = class.method("__init__") else {
        return Some(None);
    };
    let region = init
        .params
        .iter()
        .skip(1)
        .find(|p| p.name == "region" || p.name == "region_name")
        .map(|p| p.name.clone());
    let required_other = init
        .required_positional(true)
        .iter()
        .chain(init.required_keyword_only().iter())
        .any(|param| param.name != "region" && param.name != "region_name");
    (!required_other).then_some(region)
}

/// Takes exactly one argument (the prompt) and can be called with it alone.
fn takes_prompt(function: &Function, is_method: bool) -> bool {
    !function.name.starts_with('_')
        && function.required_positional(is_method).len() == 1
        && function.required_keyword_only().is_empty()
        && !function
            .decorators
            .iter()
            .any(|d| matches!(d.as_str(), "staticmethod" | "classmethod" | "property"))
}

fn style_of(function: &Function) -> CallStyle {
    match (function.is_async, function.is_generator) {
        (_, true) => CallStyle::Stream,
        (true, false) => CallStyle::Async,
        (false, false) => CallStyle::Sync,
    }
}

/// The streaming twin of `name` among `functions`: `name_stream`, `stream_name` or
/// `name_streaming`, a generator taking the prompt too.
fn stream_twin<'f>(
    name: &str,
    functions: impl Iterator<Item = &'f Function> + Clone,
    is_method: bool,
) -> Option<&'f Function> {
    let names = [
        format!("{name}_stream"),
        format!("stream_{name}"),
        format!("{name}_streaming"),
    ];
    functions
        .into_iter()
        .find(|f| names.contains(&f.name) && f.is_generator && takes_prompt(f, is_method))
}

fn is_prompt_like(function: &Function, is_method: bool) -> bool {
    let param = function
        .required_positional(is_method)
        .first()
        .map(|p| p.name.as_str())
        .unwrap_or_default();
    PROMPT_WORDS.contains(&param) || PROMPT_WORDS.contains(&function.name.as_str())
}

fn candidates_in(module: &PythonModule) -> Vec<Candidate> {
    let mut found = Vec::new();
    for class in module
        .syntax
        .classes
        .iter()
        .filter(|class| !class.name.starts_with('_'))
    {
        let Some(region_param) = constructor_region(class) else {
            continue;
        };
        let twins: Vec<&str> = class
            .methods
            .iter()
            .filter_map(|m| {
                stream_twin(&m.name, class.methods.iter(), true).filter(|_| !m.is_generator)
            })
            .map(|twin| twin.name.as_str())
            .collect();
        for method in class
            .methods
            .iter()
            .filter(|m| takes_prompt(m, true) && !twins.contains(&m.name.as_str()))
        {
            let stream_method = if method.is_generator {
                None
            } else {
                stream_twin(&method.name, class.methods.iter(), true).map(|twin| twin.name.clone())
            };
            let tier = if class.name.contains("Agent") {
                0
            } else if is_prompt_like(method, true) {
                1
            } else {
                2
            };
            found.push(Candidate {
                entry: Entry::Method {
                    module: module.dotted.clone(),
                    class: class.name.clone(),
                    method: method.name.clone(),
                    style: style_of(method),
                    stream_method,
                    region_param: region_param.clone(),
                },
                file: module.file.clone(),
                line: method.line,
                tier,
            });
        }
    }
    let functions = &module.syntax.functions;
    let twins: Vec<&str> = functions
        .iter()
        .filter(|f| !f.is_generator)
        .filter_map(|f| stream_twin(&f.name, functions.iter(), false))
        .map(|twin| twin.name.as_str())
        .collect();
    for function in functions.iter().filter(|f| {
        takes_prompt(f, false)
            && f.name != "main"
            && f.decorators.is_empty()
            && !twins.contains(&f.name.as_str())
    }) {
        let stream_function = if function.is_generator {
            None
        } else {
            stream_twin(&function.name, functions.iter(), false).map(|twin| twin.name.clone())
        };
        found.push(Candidate {
            entry: Entry::Function {
                module: module.dotted.clone(),
                function: function.name.clone(),
                style: style_of(function),
                stream_function,
            },
            file: module.file.clone(),
            line: function.line,
            tier: if is_prompt_like(function, false) {
                1
            } else {
                2
            },
        });
    }
    found
}

/// `module:Class.method`, `module:function` or `module:app`.
fn from_spec(modules: &[PythonModule], spec: &str, agent_name: &str) -> Result<Entry, UserError> {
    let bad_spec = || {
        UserError::usage(format!("`--entrypoint {spec}` is not of the form `module:Class.method` or `module:function`"))
            .with_hint("for `pricing/agent.py` with `class Agent` and method `ask`, pass `--entrypoint pricing.agent:Agent.ask`")
    };
    let (module_part, attribute) = spec.split_once(':').ok_or_else(bad_spec)?;
    if attribute.is_empty() || module_part.is_empty() {
        return Err(bad_spec());
    }
    // `pricing/parser.py`, `pricing.parser` and `<agent>.pricing.parser` all name the same
    // module; the agent's name alone (or `__init__`) is the package itself, unless a module of
    // that name exists (`cost_estimator_agent/cost_estimator_agent.py`).
    let written = module_part.trim_end_matches(".py").replace('/', ".");
    let unprefixed = written
        .strip_prefix(&format!("{agent_name}."))
        .unwrap_or(&written)
        .to_string();
    let tries = [
        written.clone(),
        unprefixed,
        if written == "__init__" || written == agent_name {
            String::new()
        } else {
            written.clone()
        },
    ];
    let module = tries
        .iter()
        .find_map(|wanted| modules.iter().find(|module| &module.dotted == wanted))
        .ok_or_else(|| {
            let known: Vec<&str> = modules
                .iter()
                .map(|module| module_label(&module.dotted))
                .collect();
            UserError::usage(format!(
                "`--entrypoint {spec}`: no module `{module_part}` in the source"
            ))
            .with_hint(format!("modules found: {}", known.join(", ")))
        })?;
    let not_found = |what: &str| {
        let mut names: Vec<String> = module
            .syntax
            .functions
            .iter()
            .map(|f| f.name.clone())
            .collect();
        for class in &module.syntax.classes {
            names.extend(
                class
                    .methods
                    .iter()
                    .map(|m| format!("{}.{}", class.name, m.name)),
            );
        }
        names.extend(module.syntax.apps.iter().map(|app| app.variable.clone()));
        UserError::usage(format!(
            "`--entrypoint {spec}`: {what} in `{}`",
            module.file
        ))
        .with_hint(format!("defined there: {}", names.join(", ")))
    };
    if let Some((class_name, method_name)) = attribute.split_once('.') {
        let class = module
            .syntax
            .classes
            .iter()
            .find(|class| class.name == class_name)
            .ok_or_else(|| not_found(&format!("no class `{class_name}`")))?;
        let method = class
            .method(method_name)
            .ok_or_else(|| not_found(&format!("no method `{class_name}.{method_name}`")))?;
        if method.required_positional(true).len() != 1 || !method.required_keyword_only().is_empty()
        {
            return Err(UserError::usage(format!(
                "`--entrypoint {spec}`: `{class_name}.{method_name}` must take exactly one argument, the prompt"
            )));
        }
        let region_param = constructor_region(class).ok_or_else(|| {
            UserError::usage(format!(
                "`--entrypoint {spec}`: class `{class_name}` cannot be built without arguments"
            ))
            .with_hint("give its constructor defaults, or write a module-level function that builds it and pass that")
        })?;
        let stream_method = (!method.is_generator)
            .then(|| {
                stream_twin(method_name, class.methods.iter(), true).map(|twin| twin.name.clone())
            })
            .flatten();
        return Ok(Entry::Method {
            module: module.dotted.clone(),
            class: class.name.clone(),
            method: method.name.clone(),
            style: style_of(method),
            stream_method,
            region_param,
        });
    }
    if let Some(app) = module
        .syntax
        .apps
        .iter()
        .find(|app| app.variable == attribute)
    {
        let function = app.entrypoint.clone().ok_or_else(|| {
            UserError::usage(format!(
                "`--entrypoint {spec}`: `{attribute}` has no `@{attribute}.entrypoint` function"
            ))
        })?;
        return Ok(Entry::ExistingApp {
            module: module.dotted.clone(),
            variable: app.variable.clone(),
            function,
        });
    }
    let function = module
        .syntax
        .functions
        .iter()
        .find(|f| f.name == attribute)
        .ok_or_else(|| not_found(&format!("no function or app `{attribute}`")))?;
    if function.required_positional(false).len() != 1
        || !function.required_keyword_only().is_empty()
    {
        return Err(UserError::usage(format!(
            "`--entrypoint {spec}`: `{attribute}` must take exactly one argument, the prompt"
        )));
    }
    let stream_function = (!function.is_generator)
        .then(|| {
            stream_twin(attribute, module.syntax.functions.iter(), false)
                .map(|twin| twin.name.clone())
        })
        .flatten();
    Ok(Entry::Function {
        module: module.dotted.clone(),
        function: function.name.clone(),
        style: style_of(function),
        stream_function,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::module_syntax;

    fn module(dotted: &str, source: &str) -> PythonModule {
        PythonModule {
            dotted: dotted.into(),
            file: format!("{}.py", dotted.replace('.', "/")),
            syntax: module_syntax::parse(source).unwrap(),
        }
    }

    #[test]
    fn the_seed_shaped_agent_class_streams_through_its_twin() {
        let modules = [
            module(
                "cost_estimator_agent",
                "class AWSCostEstimatorAgent:\n    def __init__(self, region: str = 'us-east-1'):\n        pass\n\
                 \n    def estimate_costs(self, architecture_description: str) -> str:\n        return ''\n\
                 \n    async def estimate_costs_stream(self, architecture_description):\n        yield ''\n",
            ),
            module(
                "pricing.parser",
                "def parse_request(description):\n    return description\n",
            ),
        ];
        let entry = choose(&modules, None, "cost_estimator_agent").unwrap();
        assert_eq!(
            entry,
            Entry::Method {
                module: "cost_estimator_agent".into(),
                class: "AWSCostEstimatorAgent".into(),
                method: "estimate_costs".into(),
                style: CallStyle::Sync,
                stream_method: Some("estimate_costs_stream".into()),
                region_param: Some("region".into()),
            }
        );
        assert!(entry.streams());
        assert_eq!(
            entry.spec(),
            "cost_estimator_agent:AWSCostEstimatorAgent.estimate_costs"
        );
    }

    #[test]
    fn an_existing_app_wins() {
        let modules = [module(
            "app_agent",
            "app = BedrockAgentCoreApp()\n@app.entrypoint\ndef invoke(payload):\n    return {}\ndef answer(prompt):\n    return prompt\n",
        )];
        assert_eq!(
            choose(&modules, None, "x").unwrap(),
            Entry::ExistingApp {
                module: "app_agent".into(),
                variable: "app".into(),
                function: "invoke".into()
            }
        );
    }

    #[test]
    fn a_single_function_is_found_and_several_are_listed() {
        let one = [module(
            "minimal_agent",
            "def answer(prompt: str) -> str:\n    return prompt\n",
        )];
        assert_eq!(
            choose(&one, None, "minimal_agent").unwrap().spec(),
            "minimal_agent:answer"
        );
        let two = [module(
            "a",
            "def ask(prompt):\n    pass\ndef reply(text):\n    pass\n",
        )];
        let error = choose(&two, None, "a").unwrap_err();
        assert!(
            error.message.contains("`a:ask` (a.py:1)")
                && error.message.contains("`a:reply` (a.py:3)"),
            "{}",
            error.message
        );
        assert_eq!(
            error.hint.as_deref(),
            Some("choose one with `--entrypoint a:ask`")
        );
        assert_eq!(
            choose(&two, Some("a:reply"), "a").unwrap().spec(),
            "a:reply"
        );
    }

    #[test]
    fn nothing_found_names_classes_that_need_arguments() {
        let modules = [module(
            "m",
            "class Bot:\n    def __init__(self, api_key):\n        pass\n    def ask(self, prompt):\n        pass\n",
        )];
        let error = choose(&modules, None, "m").unwrap_err();
        assert!(
            error
                .message
                .contains("class `Bot` in m.py needs constructor arguments: api_key"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bad_specs_say_what_exists() {
        let modules = [module("m", "def answer(prompt):\n    pass\n")];
        assert!(
            choose(&modules, Some("nocolon"), "m")
                .unwrap_err()
                .message
                .contains("is not of the form")
        );
        let error = choose(&modules, Some("other:answer"), "m").unwrap_err();
        assert_eq!(error.hint.as_deref(), Some("modules found: m"));
        let error = choose(&modules, Some("m:missing"), "m").unwrap_err();
        assert_eq!(error.hint.as_deref(), Some("defined there: answer"));
    }
}
