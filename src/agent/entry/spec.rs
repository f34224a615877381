//! `--entrypoint module:Class.method`, `module:function` or `module:variable`: the entry the
//! user named, used exactly as named (a method is not swapped for its streaming twin).

use crate::agent::entry::agent_objects::{self, AgentFramework};
use crate::agent::entry::protocol_servers;
use crate::agent::entry::{
    CallStyle, Chosen, Entry, EntryKind, ModuleRef, constructor_region, server_start,
};
use crate::agent::python_modules::PythonModule;
use crate::error::UserError;

/// The entry `spec` names. `package` is the source folder's package name, which may prefix
/// the module (`cost_estimator_agent.config`).
pub fn resolve(modules: &[PythonModule], spec: &str, package: &str) -> Result<Chosen, UserError> {
    let bad_spec = || {
        UserError::usage(format!(
            "`--entrypoint {spec}` is not of the form `module:Class.method`, `module:function` or `module:variable`"
        ))
        .with_hint("for `pricing/agent.py` with `class Agent` and method `ask`, pass `--entrypoint pricing.agent:Agent.ask`")
    };
    let (module_part, attribute) = spec.split_once(':').ok_or_else(bad_spec)?;
    if attribute.is_empty() || module_part.is_empty() {
        return Err(bad_spec());
    }
    let module = find_module(modules, module_part, package).ok_or_else(|| {
        let known: Vec<String> = modules
            .iter()
            .map(|module| ModuleRef::of(module).label().to_string())
            .collect();
        UserError::usage(format!(
            "`--entrypoint {spec}`: no module `{module_part}` in the source"
        ))
        .with_hint(format!("modules found: {}", known.join(", ")))
    })?;
    let at = ModuleRef::of(module);
    let syntax = &module.syntax;
    let not_found = |what: &str| {
        let mut names: Vec<String> = syntax.functions.iter().map(|f| f.name.clone()).collect();
        for class in &syntax.classes {
            names.extend(
                class
                    .methods
                    .iter()
                    .map(|m| format!("{}.{}", class.name, m.name)),
            );
        }
        names.extend(syntax.assignments.iter().map(|a| a.target.clone()));
        UserError::usage(format!(
            "`--entrypoint {spec}`: {what} in `{}`",
            module.file
        ))
        .with_hint(format!("defined there: {}", names.join(", ")))
    };
    let named = |entry: Entry| Chosen::new(entry, "named with `--entrypoint`".into());

    if let Some((class_name, method_name)) = attribute.split_once('.') {
        let class = syntax
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
        return Ok(named(Entry {
            at,
            kind: EntryKind::Method {
                class: class.name.clone(),
                method: method.name.clone(),
                style: CallStyle::of(method),
                stream_method: None,
                region_param,
            },
        }));
    }
    if let Some(app) = syntax.apps.iter().find(|app| app.variable == attribute) {
        return Ok(named(Entry {
            at,
            kind: EntryKind::ExistingApp {
                server_started_on_import: server_start(module, &app.variable),
                variable: app.variable.clone(),
                function: app.entrypoint.clone(),
                websocket: app.websocket.clone(),
            },
        }));
    }
    // A web app named by the user is served as it is, whatever routes it declares in ways the
    // source does not show.
    if let Some(app) = agent_objects::asgi_apps(syntax)
        .into_iter()
        .chain(agent_objects::web_apps(syntax))
        .find(|app| app.variable == attribute)
    {
        return Ok(named(Entry {
            at,
            kind: EntryKind::AsgiApp {
                server_started_on_import: server_start(module, &app.variable),
                variable: app.variable,
                websocket: app.websocket,
                factory: false,
            },
        }));
    }
    if let Some(function) = syntax.functions.iter().find(|f| f.name == attribute) {
        // A factory of a web app (`def create_app() -> FastAPI`): called for the app, which is
        // served as it is.
        let builds_web_app = function.builds.iter().any(|callee| {
            syntax
                .resolve(callee)
                .is_some_and(|origin| agent_objects::is_web_app_class(&origin))
        });
        if builds_web_app
            && function.required_positional(false).is_empty()
            && function.required_keyword_only().is_empty()
        {
            return Ok(named(Entry {
                at,
                kind: EntryKind::AsgiApp {
                    server_started_on_import: None,
                    websocket: agent_objects::websocket_handler(syntax, attribute),
                    variable: attribute.to_string(),
                    factory: true,
                },
            }));
        }
        if function.required_positional(false).len() != 1
            || !function.required_keyword_only().is_empty()
        {
            return Err(UserError::usage(format!(
                "`--entrypoint {spec}`: `{attribute}` must take exactly one argument, the prompt"
            )));
        }
        return Ok(named(Entry {
            at,
            kind: EntryKind::Function {
                function: function.name.clone(),
                style: CallStyle::of(function),
                stream_function: None,
            },
        }));
    }
    if let Some(server) = protocol_servers::a2a_servers(syntax)
        .into_iter()
        .find(|server| server.variable == attribute)
    {
        return Ok(named(Entry {
            at,
            kind: EntryKind::A2aServer {
                server_started_on_import: server_start(module, &server.variable),
                variable: server.variable,
                server: server.kind,
                factory: false,
            },
        }));
    }
    if let Some(server) = protocol_servers::mcp_servers(syntax)
        .into_iter()
        .find(|server| server.variable == attribute)
    {
        return Ok(named(Entry::mcp_server(module, server)));
    }
    // A module-level variable: a recognised agent object, or any other object, called with
    // the prompt (the generated code finds out at run time how it answers).
    if let Some(object) = agent_objects::uncallable_objects(syntax)
        .into_iter()
        .find(|object| object.variable == attribute)
    {
        return Err(UserError::usage(format!(
            "`--entrypoint {spec}`: `{attribute}` is {}, which is not called with a prompt",
            object.what
        ))
        .with_hint(format!("{}, and name that function instead", object.how)));
    }
    if syntax
        .assignments
        .iter()
        .any(|assignment| assignment.target == attribute)
    {
        let object = agent_objects::agent_objects(syntax)
            .into_iter()
            .find(|object| object.variable == attribute);
        let (framework, style) = object
            .map(|object| (object.framework, object.style))
            .unwrap_or((AgentFramework::Callable, CallStyle::Sync));
        return Ok(named(Entry {
            at,
            kind: EntryKind::AgentObject {
                variable: attribute.to_string(),
                framework,
                style,
            },
        }));
    }
    Err(not_found(&format!(
        "no function, app or module-level agent `{attribute}`"
    )))
}

/// `pricing/parser.py`, `pricing.parser` and `<package>.pricing.parser` all name the same
/// module; the package's name alone (or `__init__`) is its `__init__.py`, unless a module of
/// that name exists (`cost_estimator_agent/cost_estimator_agent.py`).
fn find_module<'m>(
    modules: &'m [PythonModule],
    written: &str,
    package: &str,
) -> Option<&'m PythonModule> {
    if let Some(by_file) = modules
        .iter()
        .find(|module| module.file == written || module.file.trim_end_matches(".py") == written)
    {
        return Some(by_file);
    }
    let dotted = written.trim_end_matches(".py").replace('/', ".");
    let unprefixed = dotted
        .strip_prefix(&format!("{package}."))
        .unwrap_or(&dotted)
        .to_string();
    let package_itself = if dotted == "__init__" || dotted == package {
        String::new()
    } else {
        dotted.clone()
    };
    [dotted, unprefixed, package_itself]
        .iter()
        .find_map(|wanted| modules.iter().find(|module| &module.dotted == wanted))
}
