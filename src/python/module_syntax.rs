//! What agentprep needs to know about one Python module, read with a real parser.
//!
//! tree-sitter-python gives a concrete syntax tree that survives syntax errors, so one broken
//! file does not stop `prepare`; its first error line is reported instead. From the tree we
//! keep only facts: imports (and whether they are optional) with the names they bind,
//! module-level functions and classes with their parameters and decorators, module-level
//! assignments from calls (`agent = Agent(...)`, `graph = builder.compile()`) and bare calls
//! (`app.run()`), `BedrockAgentCoreApp` instances with their `@app.entrypoint`, the names
//! called anywhere, and the string arguments that reveal AWS services in use.

use std::collections::BTreeSet;

use tree_sitter::{Node, Parser};

use crate::python::main_guard;
use crate::python::newer_syntax::{self, NewerSyntax};
use crate::python::path_inserts::{self, PathInsert};

/// One `import` or `from ... import` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The dotted module: `a.b` for `import a.b` and for `from a.b import c`; empty for
    /// `from . import c`.
    pub module: String,
    /// The names a `from` import takes (`c` in `from a.b import c`); empty for `import a.b`.
    pub names: Vec<String>,
    /// Leading dots of a relative import: `from ..x import y` has level 2.
    pub level: usize,
    /// Inside `try: ... except ImportError` or `if TYPE_CHECKING:`: the code runs without it.
    pub optional: bool,
}

impl Import {
    /// The top-level package an absolute import needs (`a` for `a.b.c`).
    pub fn top_level(&self) -> Option<&str> {
        (self.level == 0)
            .then(|| self.module.split('.').next().unwrap_or_default())
            .filter(|top| !top.is_empty())
    }
}

/// How a parameter can be passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Positional,
    KeywordOnly,
    VarPositional,
    VarKeyword,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    pub has_default: bool,
    /// The annotation as written (`str`, `AgentState`), if any.
    pub annotation: Option<String>,
}

/// A `def` or `async def`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    pub is_async: bool,
    /// The body yields: calling it gives a (sync or async) generator.
    pub is_generator: bool,
    /// Decorator expressions as written, without the `@` and without a trailing comment.
    pub decorators: Vec<String>,
    /// The body is `...` or `raise NotImplementedError` (after an optional docstring): a
    /// placeholder, not an implementation.
    pub is_stub: bool,
    /// 1-based line of the `def`.
    pub line: usize,
    /// Classes its body instantiates (callees whose last name is capitalised: `FastAPI`,
    /// `fastapi.FastAPI`): a factory that builds a web app says so here.
    pub builds: Vec<String>,
}

impl Function {
    /// Parameters a caller must pass, `self`/`cls` excluded for methods.
    pub fn required_positional(&self, is_method: bool) -> Vec<&Param> {
        self.params
            .iter()
            .skip(usize::from(is_method))
            .filter(|param| param.kind == ParamKind::Positional && !param.has_default)
            .collect()
    }

    /// Required keyword-only parameters (after `*`): a candidate with these cannot be called
    /// with the prompt alone.
    pub fn required_keyword_only(&self) -> Vec<&Param> {
        self.params
            .iter()
            .filter(|param| param.kind == ParamKind::KeywordOnly && !param.has_default)
            .collect()
    }
}

/// A module-level `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub name: String,
    /// Base class expressions as written (`Agent`, `unittest.TestCase`).
    pub bases: Vec<String>,
    pub methods: Vec<Function>,
    pub line: usize,
}

impl Class {
    pub fn method(&self, name: &str) -> Option<&Function> {
        self.methods.iter().find(|method| method.name == name)
    }
}

/// A module-level `name = BedrockAgentCoreApp(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeApp {
    pub variable: String,
    /// The module-level function decorated with `@<variable>.entrypoint`, if any.
    pub entrypoint: Option<String>,
    /// The module-level function decorated with `@<variable>.websocket`: the app serves `/ws`.
    pub websocket: Option<String>,
    pub line: usize,
}

/// A name an import binds: `Agent` for `from strands import Agent` (origin `strands.Agent`),
/// `np` for `import numpy as np` (origin `numpy`), `config` for `from . import config`
/// (origin `.config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub local: String,
    pub origin: String,
}

/// A module-level `target = callee(...)` (annotated or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub target: String,
    /// The called expression as written: `Agent`, `builder.compile`, `StateGraph(S).compile`.
    pub callee: String,
    pub line: usize,
    /// The names its arguments mention (`sub_agents=[researcher]` passes `researcher`): an
    /// agent built from other agents of the module is their orchestrator.
    pub passes: Vec<String>,
}

/// A call made by a module-level expression statement (`app.run()`, `load_dotenv()`), outside
/// any `if`: it runs whenever the module is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleCall {
    /// The called expression as written: `app.run`, `load_dotenv`.
    pub callee: String,
    /// For a method call (`app.run`), its receiver as written (`app`) and the method's name
    /// (`run`), taken from the syntax tree.
    pub receiver: Option<String>,
    pub method: Option<String>,
    pub line: usize,
}

impl ModuleCall {
    /// Whether this is `receiver.method(...)`.
    pub fn is_method_call(&self, receiver: &str, method: &str) -> bool {
        self.receiver.as_deref() == Some(receiver) && self.method.as_deref() == Some(method)
    }
}

/// A keyword argument with a literal value, anywhere in the module: `stateless_http=True` in
/// `FastMCP("calc", stateless_http=True)` is `{callee: "FastMCP", keyword: "stateless_http",
/// value: "True"}`. Strings keep their quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordArgument {
    pub callee: String,
    pub keyword: String,
    pub value: String,
}

/// Everything kept from one module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleSyntax {
    pub imports: Vec<Import>,
    /// Names bound by imports anywhere in the module, in source order.
    pub bindings: Vec<Binding>,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub assignments: Vec<Assignment>,
    pub module_calls: Vec<ModuleCall>,
    /// Calls made at module level under a condition other than `if __name__ == "__main__":`
    /// (`if os.getenv("LOCAL"):`, `try:`, `with ...:`): they may run when the module is
    /// imported.
    pub guarded_calls: Vec<ModuleCall>,
    /// The last name of every called expression anywhere (`load_dotenv`, `invoke_agent_runtime`).
    pub called_names: BTreeSet<String>,
    pub apps: Vec<RuntimeApp>,
    /// First argument of every `<x>.client("service")` / `client("service")` call: the AWS
    /// services a boto3 user talks to.
    pub boto3_services: Vec<String>,
    /// Contents of every string literal, for markers such as an MCP server's package name.
    pub strings: Vec<String>,
    /// Literal keyword arguments of every call (`host="0.0.0.0"`, `port=8000`).
    pub keyword_arguments: Vec<KeywordArgument>,
    /// 1-based line of the first syntax error, if the module does not parse cleanly.
    pub syntax_error_line: Option<usize>,
    /// Syntax that needs a newer Python than 3.10 (`f"{row["name"]}"` needs 3.12).
    pub needs_python: Option<NewerSyntax>,
    /// Every `<x>.run(first, ...)` / `run(first, ...)` call anywhere (a `__main__` block
    /// included), with its first argument as written: `uvicorn.run(create_app(), ...)` names
    /// the app a program serves.
    pub run_calls: Vec<RunCall>,
    /// The folders the module puts on `sys.path` when imported, built from its own location.
    pub path_inserts: Vec<PathInsert>,
}

/// A call of something named `run`, with its first positional argument's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCall {
    pub callee: String,
    pub argument: String,
    pub line: usize,
}

impl ModuleSyntax {
    /// Where the module-level name `local` comes from, when an import bound it: `strands.Agent`
    /// for `Agent` after `from strands import Agent`.
    pub fn origin_of(&self, local: &str) -> Option<&str> {
        self.bindings
            .iter()
            .rev()
            .find(|binding| binding.local == local)
            .map(|binding| binding.origin.as_str())
    }

    /// The dotted origin of an expression such as `strands.Agent` or `Agent`, resolved
    /// through the module's imports (`None` when its first name was not imported).
    pub fn resolve(&self, expression: &str) -> Option<String> {
        let head = expression.split(['(', '[']).next().unwrap_or(expression);
        let (first, rest) = match head.split_once('.') {
            Some((first, rest)) => (first, Some(rest)),
            None => (head, None),
        };
        let origin = self.origin_of(first.trim())?;
        Some(match rest {
            Some(rest) => format!("{origin}.{rest}"),
            None => origin.to_string(),
        })
    }
}

/// The line of the first syntax error of `source`, if any: the parse alone, none of the facts
/// (for checking generated code).
pub fn syntax_error_line(source: &str) -> anyhow::Result<Option<usize>> {
    Ok(error_line(syntax_tree(source)?.root_node()))
}

/// Parse one module's source.
pub fn parse(source: &str) -> anyhow::Result<ModuleSyntax> {
    let tree = syntax_tree(source)?;
    let root = tree.root_node();
    let reader = Reader {
        source: source.as_bytes(),
    };
    let mut module = ModuleSyntax {
        syntax_error_line: error_line(root),
        ..ModuleSyntax::default()
    };
    reader.collect_everywhere(root, false, &mut module);
    reader.collect_module_level(root, &mut module);
    module.needs_python = newer_syntax::find(root, source);
    let origin_of = |name: &str| module.origin_of(name).map(str::to_string);
    let inserts = path_inserts::find(root, source.as_bytes(), &origin_of);
    module.path_inserts = inserts;
    Ok(module)
}

/// The tree-sitter tree of `source`.
fn syntax_tree(source: &str) -> anyhow::Result<tree_sitter::Tree> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into())?;
    parser
        .parse(source, None)
        .ok_or_else(|| anyhow::anyhow!("the Python parser gave up"))
}

/// The line of the first syntax error under `root`, if it has one.
fn error_line(root: Node) -> Option<usize> {
    if root.has_error() {
        first_error_line(root)
    } else {
        None
    }
}

struct Reader<'a> {
    source: &'a [u8],
}

impl Reader<'_> {
    fn text(&self, node: Node) -> String {
        node.utf8_text(self.source).unwrap_or_default().to_string()
    }

    /// Imports, boto3 clients and strings, wherever they are in the tree.
    fn collect_everywhere(&self, node: Node, optional: bool, module: &mut ModuleSyntax) {
        let optional = optional || self.makes_imports_optional(node);
        match node.kind() {
            "import_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    let (dotted, local) = match name.kind() {
                        "aliased_import" => {
                            let dotted = name
                                .child_by_field_name("name")
                                .map(|n| self.text(n))
                                .unwrap_or_default();
                            let alias = name
                                .child_by_field_name("alias")
                                .map(|n| self.text(n))
                                .unwrap_or_default();
                            (dotted.clone(), Some((alias, dotted)))
                        }
                        _ => {
                            let dotted = self.text(name);
                            let top = dotted.split('.').next().unwrap_or_default().to_string();
                            (dotted, Some((top.clone(), top)))
                        }
                    };
                    if let Some((local, origin)) = local.filter(|(local, _)| !local.is_empty()) {
                        module.bindings.push(Binding { local, origin });
                    }
                    module.imports.push(Import {
                        module: dotted,
                        names: Vec::new(),
                        level: 0,
                        optional,
                    });
                }
                return;
            }
            "import_from_statement" => {
                let import = self.read_from_import(node, optional, &mut module.bindings);
                module.imports.push(import);
                return;
            }
            "call" => {
                if let Some(service) = self.boto3_client_service(node) {
                    module.boto3_services.push(service);
                }
                if let Some(function) = node.child_by_field_name("function") {
                    let name = match function.kind() {
                        "attribute" => function
                            .child_by_field_name("attribute")
                            .map(|n| self.text(n)),
                        "identifier" => Some(self.text(function)),
                        _ => None,
                    };
                    if name.as_deref() == Some("run") {
                        self.run_call(node, function, module);
                    }
                    if let Some(name) = name {
                        module.called_names.insert(name);
                    }
                    self.literal_keywords(node, function, module);
                }
            }
            "string" => {
                let mut cursor = node.walk();
                let content: String = node
                    .named_children(&mut cursor)
                    .filter(|part| part.kind() == "string_content")
                    .map(|part| self.text(part))
                    .collect();
                module.strings.push(content);
                return;
            }
            _ => {}
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.collect_everywhere(child, optional, module);
        }
    }

    fn read_from_import(&self, node: Node, optional: bool, bindings: &mut Vec<Binding>) -> Import {
        let (module_path, level) = match node.child_by_field_name("module_name") {
            Some(name) if name.kind() == "relative_import" => {
                let text = self.text(name);
                let level = text.chars().take_while(|c| *c == '.').count();
                (text[level..].to_string(), level)
            }
            Some(name) => (self.text(name), 0),
            None => (String::new(), 0),
        };
        let prefix = format!("{}{module_path}", ".".repeat(level));
        let mut cursor = node.walk();
        let mut names = Vec::new();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (original, local) = match name.kind() {
                "aliased_import" => (
                    name.child_by_field_name("name")
                        .map(|n| self.text(n))
                        .unwrap_or_default(),
                    name.child_by_field_name("alias")
                        .map(|n| self.text(n))
                        .unwrap_or_default(),
                ),
                _ => {
                    let text = self.text(name);
                    (text.clone(), text)
                }
            };
            let origin = if prefix.is_empty() || prefix.ends_with('.') {
                format!("{prefix}{original}")
            } else {
                format!("{prefix}.{original}")
            };
            if !local.is_empty() && !local.contains('.') {
                bindings.push(Binding { local, origin });
            }
            names.push(original);
        }
        Import {
            module: module_path,
            names,
            level,
            optional,
        }
    }

    /// `try:` with an `except ImportError`/`ModuleNotFoundError` handler, `if TYPE_CHECKING:`,
    /// or a test of the Python version: imports below run only if available, never at run
    /// time, or on one Python of two.
    fn makes_imports_optional(&self, node: Node) -> bool {
        match node.kind() {
            "try_statement" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor)
                    .filter(|child| child.kind() == "except_clause")
                    .any(|clause| {
                        let header = self.text(clause);
                        let header = header.split(':').next().unwrap_or_default();
                        header.contains("ImportError") || header.contains("ModuleNotFoundError")
                    })
            }
            // `if TYPE_CHECKING:` never runs; `if sys.version_info >= (3,):` / `if PY3:`
            // picks one of two imports, and only one of them has to exist.
            "if_statement" => node
                .child_by_field_name("condition")
                .is_some_and(|condition| {
                    let text = self.text(condition);
                    text.trim_start_matches("typing.") == "TYPE_CHECKING"
                        || text.contains("version_info")
                        || text.contains("sys.version")
                        || text.contains("PY2")
                        || text.contains("PY3")
                }),
            _ => false,
        }
    }

    /// Keep a `run(...)` call with its first positional argument.
    fn run_call(&self, call: Node, function: Node, module: &mut ModuleSyntax) {
        let Some(arguments) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = arguments.walk();
        let first = arguments
            .named_children(&mut cursor)
            .find(|argument| !matches!(argument.kind(), "keyword_argument" | "comment"));
        if let Some(first) = first {
            module.run_calls.push(RunCall {
                callee: compact(&self.text(function)),
                argument: compact(&self.text(first)),
                line: call.start_position().row + 1,
            });
        }
    }

    /// The keyword arguments of `call` (whose callee is `function`) whose values are literals
    /// (strings, numbers, `True`, `False`, `None`). The callee's text is made only for a call
    /// that has one: most calls have none, and every call of every module passes here.
    fn literal_keywords(&self, call: Node, function: Node, module: &mut ModuleSyntax) {
        let Some(arguments) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut callee: Option<String> = None;
        let mut cursor = arguments.walk();
        for argument in arguments.named_children(&mut cursor) {
            if argument.kind() != "keyword_argument" {
                continue;
            }
            let (Some(name), Some(value)) = (
                argument.child_by_field_name("name"),
                argument.child_by_field_name("value"),
            ) else {
                continue;
            };
            let literal = matches!(
                value.kind(),
                "string" | "integer" | "float" | "true" | "false" | "none"
            );
            if literal {
                let callee = callee.get_or_insert_with(|| compact(&self.text(function)));
                module.keyword_arguments.push(KeywordArgument {
                    callee: callee.clone(),
                    keyword: self.text(name),
                    value: self.text(value),
                });
            }
        }
    }

    /// `boto3.client("pricing", ...)`, `session.client("pricing")`, `client("pricing")`.
    fn boto3_client_service(&self, call: Node) -> Option<String> {
        let function = call.child_by_field_name("function")?;
        let name = match function.kind() {
            "attribute" => self.text(function.child_by_field_name("attribute")?),
            "identifier" => self.text(function),
            _ => return None,
        };
        if name != "client" {
            return None;
        }
        let arguments = call.child_by_field_name("arguments")?;
        let mut cursor = arguments.walk();
        let first = arguments.named_children(&mut cursor).next()?;
        if first.kind() != "string" {
            return None;
        }
        let mut cursor = first.walk();
        let content: String = first
            .named_children(&mut cursor)
            .filter(|part| part.kind() == "string_content")
            .map(|part| self.text(part))
            .collect();
        Some(content)
    }

    /// Functions, classes and runtime apps defined at module level.
    fn collect_module_level(&self, root: Node, module: &mut ModuleSyntax) {
        let mut cursor = root.walk();
        for statement in root.named_children(&mut cursor) {
            match statement.kind() {
                "function_definition" | "decorated_definition" | "class_definition" => {
                    let (decorators, definition) = self.unwrap_decorated(statement);
                    let Some(definition) = definition else {
                        continue;
                    };
                    if definition.kind() == "function_definition" {
                        module.functions.push(self.function(definition, decorators));
                    } else if definition.kind() == "class_definition" {
                        module.classes.push(self.class(definition));
                    }
                }
                "expression_statement" => {
                    let Some(expression) = statement.named_child(0) else {
                        continue;
                    };
                    let line = statement.start_position().row + 1;
                    match expression.kind() {
                        "assignment" => {
                            if let Some(assignment) = self.assignment(expression, line) {
                                module.assignments.push(assignment);
                            }
                        }
                        "call" => {
                            if let Some(function) = expression.child_by_field_name("function") {
                                module.module_calls.push(self.module_call(function, line));
                            }
                        }
                        _ => {}
                    }
                }
                "if_statement" if self.is_main_guard(statement) => {}
                "if_statement" | "try_statement" | "with_statement" => {
                    self.guarded_calls(statement, &mut module.guarded_calls);
                }
                _ => {}
            }
        }
        module.apps = module
            .assignments
            .iter()
            .filter(|assignment| {
                let callee = assignment.callee.as_str();
                callee == "BedrockAgentCoreApp" || callee.ends_with(".BedrockAgentCoreApp")
            })
            .map(|assignment| RuntimeApp {
                variable: assignment.target.clone(),
                entrypoint: None,
                websocket: None,
                line: assignment.line,
            })
            .collect();
        for app in &mut module.apps {
            let decorated = |name: &str| {
                let decorator = format!("{}.{name}", app.variable);
                module
                    .functions
                    .iter()
                    .find(|function| {
                        function.decorators.iter().any(|d| {
                            d == &decorator
                                || d.strip_prefix(decorator.as_str())
                                    .is_some_and(|rest| rest.starts_with('('))
                        })
                    })
                    .map(|function| function.name.clone())
            };
            app.entrypoint = decorated("entrypoint");
            app.websocket = decorated("websocket");
        }
    }

    fn is_main_guard(&self, statement: Node) -> bool {
        main_guard::is_main_guard(statement, self.source)
    }

    /// The calls made by expression statements anywhere in `node`'s blocks (not inside
    /// functions or classes, which do not run on import), `__main__` guards left out.
    fn guarded_calls(&self, node: Node, calls: &mut Vec<ModuleCall>) {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "function_definition" | "class_definition" | "decorated_definition" => {}
                "if_statement" if self.is_main_guard(child) => {}
                "expression_statement" => {
                    let Some(expression) = child.named_child(0) else {
                        continue;
                    };
                    let call = match expression.kind() {
                        "call" => Some(expression),
                        // `await server.serve()` in an `async with` does not run on import,
                        // but `result = uvicorn.run(...)` would.
                        "assignment" => expression
                            .child_by_field_name("right")
                            .filter(|right| right.kind() == "call"),
                        _ => None,
                    };
                    if let Some(function) =
                        call.and_then(|call| call.child_by_field_name("function"))
                    {
                        calls.push(self.module_call(function, child.start_position().row + 1));
                    }
                }
                _ => self.guarded_calls(child, calls),
            }
        }
    }

    /// The call of `function` (a call's `function` field) made at `line`.
    fn module_call(&self, function: Node, line: usize) -> ModuleCall {
        let (receiver, method) = if function.kind() == "attribute" {
            (
                function
                    .child_by_field_name("object")
                    .map(|object| self.text(object)),
                function
                    .child_by_field_name("attribute")
                    .map(|attribute| self.text(attribute)),
            )
        } else {
            (None, None)
        };
        ModuleCall {
            callee: self.text(function),
            receiver,
            method,
            line,
        }
    }

    /// `name = callee(...)` or `name: Type = callee(...)` with a plain name on the left.
    fn assignment(&self, assignment: Node, line: usize) -> Option<Assignment> {
        let left = assignment
            .child_by_field_name("left")
            .filter(|node| node.kind() == "identifier")?;
        let right = assignment
            .child_by_field_name("right")
            .filter(|node| node.kind() == "call")?;
        let mut names: Vec<String> = Vec::new();
        if let Some(arguments) = right.child_by_field_name("arguments") {
            let mut cursor = arguments.walk();
            let mut stack = vec![arguments];
            while let Some(node) = stack.pop() {
                if node.kind() == "identifier" {
                    let name = self.text(node);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                // A keyword's own name (`tools=`) is not a name it passes.
                stack.extend(node.named_children(&mut cursor).filter(|child| {
                    node.kind() != "keyword_argument"
                        || node.child_by_field_name("name") != Some(*child)
                }));
            }
        }
        Some(Assignment {
            target: self.text(left),
            callee: compact(&self.text(right.child_by_field_name("function")?)),
            line,
            passes: names,
        })
    }

    fn unwrap_decorated<'t>(&self, node: Node<'t>) -> (Vec<String>, Option<Node<'t>>) {
        if node.kind() != "decorated_definition" {
            return (Vec::new(), Some(node));
        }
        let mut cursor = node.walk();
        let decorators = node
            .named_children(&mut cursor)
            .filter(|child| child.kind() == "decorator")
            .map(|decorator| {
                // The expression alone: a comment after it (`@app.entrypoint  # note`) is a
                // child of the decorator node too.
                let mut inner = decorator.walk();
                let expression = decorator
                    .named_children(&mut inner)
                    .find(|child| child.kind() != "comment");
                match expression {
                    Some(expression) => compact(&self.text(expression)),
                    None => self
                        .text(decorator)
                        .trim_start_matches('@')
                        .trim()
                        .to_string(),
                }
            })
            .collect();
        (decorators, node.child_by_field_name("definition"))
    }

    fn function(&self, node: Node, decorators: Vec<String>) -> Function {
        let mut cursor = node.walk();
        let is_async = node
            .children(&mut cursor)
            .any(|child| child.kind() == "async");
        Function {
            name: node
                .child_by_field_name("name")
                .map(|n| self.text(n))
                .unwrap_or_default(),
            params: node
                .child_by_field_name("parameters")
                .map(|p| self.params(p))
                .unwrap_or_default(),
            is_async,
            is_generator: node
                .child_by_field_name("body")
                .is_some_and(contains_own_yield),
            is_stub: node
                .child_by_field_name("body")
                .is_some_and(|body| self.is_stub_body(body)),
            decorators,
            line: node.start_position().row + 1,
            builds: node
                .child_by_field_name("body")
                .map(|body| self.instantiated(body))
                .unwrap_or_default(),
        }
    }

    /// The capitalised callees (`FastAPI`, `starlette.applications.Starlette`) called in `node`.
    fn instantiated(&self, node: Node) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut cursor = node.walk();
        let mut stack = vec![node];
        while let Some(next) = stack.pop() {
            if next.kind() == "call"
                && let Some(function) = next.child_by_field_name("function")
                && matches!(function.kind(), "identifier" | "attribute")
            {
                let callee = self.text(function);
                let last = callee.rsplit('.').next().unwrap_or(&callee);
                if last.starts_with(|c: char| c.is_ascii_uppercase()) && !found.contains(&callee) {
                    found.push(callee);
                }
            }
            stack.extend(next.named_children(&mut cursor));
        }
        found
    }

    fn is_stub_body(&self, body: Node) -> bool {
        let mut cursor = body.walk();
        let statements: Vec<Node> = body
            .named_children(&mut cursor)
            .filter(|statement| statement.kind() != "comment")
            .collect();
        let placeholder = |statement: &Node| match statement.kind() {
            "pass_statement" => true,
            "raise_statement" => self.text(*statement).contains("NotImplementedError"),
            "expression_statement" => {
                let text = self.text(*statement);
                text == "..."
                    || statement
                        .named_child(0)
                        .is_some_and(|e| e.kind() == "string")
            }
            _ => false,
        };
        // A bare `pass` body is left alone (tests and sketches use it); a placeholder says so
        // with `...` or `raise NotImplementedError`.
        let says_placeholder = |statement: &Node| {
            statement.kind() == "raise_statement" || self.text(*statement) == "..."
        };
        statements.iter().all(placeholder) && statements.iter().any(says_placeholder)
    }

    fn params(&self, parameters: Node) -> Vec<Param> {
        let mut params = Vec::new();
        let mut keyword_only = false;
        let mut cursor = parameters.walk();
        for node in parameters.named_children(&mut cursor) {
            let positional_kind = if keyword_only {
                ParamKind::KeywordOnly
            } else {
                ParamKind::Positional
            };
            let annotation = node
                .child_by_field_name("type")
                .map(|annotation| compact(&self.text(annotation)));
            let (name, kind, has_default) = match node.kind() {
                "identifier" => (self.text(node), positional_kind, false),
                "typed_parameter" => {
                    let Some(inner) = node.named_child(0) else {
                        continue;
                    };
                    match inner.kind() {
                        "list_splat_pattern" => {
                            keyword_only = true;
                            (
                                self.text(inner).trim_start_matches('*').to_string(),
                                ParamKind::VarPositional,
                                false,
                            )
                        }
                        "dictionary_splat_pattern" => (
                            self.text(inner).trim_start_matches('*').to_string(),
                            ParamKind::VarKeyword,
                            false,
                        ),
                        _ => (self.text(inner), positional_kind, false),
                    }
                }
                "default_parameter" | "typed_default_parameter" => {
                    let name = node
                        .child_by_field_name("name")
                        .map(|n| self.text(n))
                        .unwrap_or_default();
                    (name, positional_kind, true)
                }
                "list_splat_pattern" => {
                    keyword_only = true;
                    (
                        self.text(node).trim_start_matches('*').to_string(),
                        ParamKind::VarPositional,
                        false,
                    )
                }
                "dictionary_splat_pattern" => (
                    self.text(node).trim_start_matches('*').to_string(),
                    ParamKind::VarKeyword,
                    false,
                ),
                "keyword_separator" => {
                    keyword_only = true;
                    continue;
                }
                _ => continue,
            };
            params.push(Param {
                name,
                kind,
                has_default,
                annotation,
            });
        }
        params
    }

    fn class(&self, node: Node) -> Class {
        let mut methods = Vec::new();
        if let Some(body) = node.child_by_field_name("body") {
            let mut cursor = body.walk();
            for statement in body.named_children(&mut cursor) {
                let (decorators, definition) = self.unwrap_decorated(statement);
                if let Some(definition) = definition.filter(|d| d.kind() == "function_definition") {
                    methods.push(self.function(definition, decorators));
                }
            }
        }
        let bases = node
            .child_by_field_name("superclasses")
            .map(|list| {
                let mut cursor = list.walk();
                list.named_children(&mut cursor)
                    .filter(|base| base.kind() != "keyword_argument")
                    .map(|base| compact(&self.text(base)))
                    .collect()
            })
            .unwrap_or_default();
        Class {
            name: node
                .child_by_field_name("name")
                .map(|n| self.text(n))
                .unwrap_or_default(),
            bases,
            methods,
            line: node.start_position().row + 1,
        }
    }
}

/// An expression's text on one line, its runs of white space made single spaces, so that a
/// decorator or callee split over lines compares as written on one.
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty()
            && !out.ends_with(['(', '[', '.'])
            && !word.starts_with([')', ']', '.', ','])
        {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A `yield` in this body that belongs to this function, not to a nested def, lambda or class.
fn contains_own_yield(node: Node) -> bool {
    if node.kind() == "yield" {
        return true;
    }
    if matches!(
        node.kind(),
        "function_definition" | "lambda" | "class_definition"
    ) {
        return false;
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor).any(contains_own_yield)
}

fn first_error_line(node: Node) -> Option<usize> {
    if node.is_error() || node.is_missing() {
        return Some(node.start_position().row + 1);
    }
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .filter(|child| child.has_error())
        .find_map(first_error_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_absolute_relative_and_optional() {
        let module = parse(
            "import os, yaml as y\nimport strands.models\nfrom strands_tools import calculator\n\
             from . import config\nfrom ..pricing.table import load\n\
             try:\n    import ujson\nexcept ImportError:\n    ujson = None\n\
             if TYPE_CHECKING:\n    import mypy_boto3_s3\n\
             def f():\n    import requests\n",
        )
        .unwrap();
        let tops: Vec<_> = module
            .imports
            .iter()
            .filter(|i| !i.optional)
            .filter_map(Import::top_level)
            .collect();
        assert_eq!(tops, ["os", "yaml", "strands", "strands_tools", "requests"]);
        let optional: Vec<_> = module
            .imports
            .iter()
            .filter(|i| i.optional)
            .map(|i| i.module.as_str())
            .collect();
        assert_eq!(optional, ["ujson", "mypy_boto3_s3"]);
        let relative: Vec<_> = module
            .imports
            .iter()
            .filter(|i| i.level > 0)
            .map(|i| (i.level, i.module.as_str()))
            .collect();
        assert_eq!(relative, [(1, ""), (2, "pricing.table")]);
        assert_eq!(module.imports[3].names, ["calculator"]);
    }

    #[test]
    fn classes_methods_and_their_shapes() {
        let module = parse(
            "class Agent(Base):\n    def __init__(self, region: str = 'us-east-1'):\n        pass\n\
             \n    def ask(self, text: str, *, verbose=False) -> str:\n        return text\n\
             \n    async def ask_stream(self, text):\n        yield text\n\
             \n    @staticmethod\n    def helper(x):\n        def inner():\n            yield 1\n        return inner\n",
        )
        .unwrap();
        let class = &module.classes[0];
        assert_eq!(class.name, "Agent");
        let ask = class.method("ask").unwrap();
        assert_eq!(
            ask.required_positional(true)
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["text"]
        );
        assert!(!ask.is_generator);
        assert!(!ask.is_stub);
        let twin = class.method("ask_stream").unwrap();
        assert!(twin.is_async && twin.is_generator);
        let helper = class.method("helper").unwrap();
        assert_eq!(helper.decorators, ["staticmethod"]);
        assert!(
            !helper.is_generator,
            "a yield in a nested def does not make the outer one a generator"
        );
        assert!(
            class
                .method("__init__")
                .unwrap()
                .required_positional(true)
                .is_empty()
        );
    }

    #[test]
    fn placeholders_are_told_from_implementations() {
        let module = parse(
            "class A:\n    async def stream(self, query):\n        \"\"\"Not here.\"\"\"\n        raise NotImplementedError('no')\n\
             def ellipsis(x):\n    ...\ndef real(x):\n    return x\n",
        )
        .unwrap();
        assert!(module.classes[0].methods[0].is_stub);
        assert!(module.functions[0].is_stub);
        assert!(!module.functions[1].is_stub);
    }

    #[test]
    fn runtime_apps_and_their_entrypoints() {
        let module = parse(
            "from bedrock_agentcore.runtime import BedrockAgentCoreApp\napp = BedrockAgentCoreApp()\n\
             @app.entrypoint\ndef invoke(payload, context):\n    return {}\n\
             @app.websocket\nasync def chat(websocket, context):\n    await websocket.accept()\n",
        )
        .unwrap();
        assert_eq!(
            module.apps,
            [RuntimeApp {
                variable: "app".into(),
                entrypoint: Some("invoke".into()),
                websocket: Some("chat".into()),
                line: 2
            }]
        );
        assert_eq!(module.functions[0].decorators, ["app.entrypoint"]);
    }

    #[test]
    fn boto3_services_and_strings() {
        let module = parse(
            "import boto3\npricing = boto3.client('pricing', region_name='us-east-1')\n\
             args = ['awslabs.aws-pricing-mcp-server@latest']\n",
        )
        .unwrap();
        assert_eq!(module.boto3_services, ["pricing"]);
        assert!(
            module
                .strings
                .iter()
                .any(|s| s == "awslabs.aws-pricing-mcp-server@latest")
        );
    }

    #[test]
    fn a_syntax_error_is_located_and_the_rest_still_read() {
        let module = parse(
            "import json\n\ndef broken(:\n    pass\n\ndef fine(prompt):\n    return prompt\n",
        )
        .unwrap();
        assert_eq!(module.syntax_error_line, Some(3));
        assert!(module.functions.iter().any(|f| f.name == "fine"));
    }

    #[test]
    fn a_comment_after_a_decorator_is_not_part_of_it() {
        let module = parse(
            "app = BedrockAgentCoreApp()\n\n@app.entrypoint  # the runtime calls this\n\
             def handler(payload):\n    return {}\n\n@tool(\n    name='x',\n)\ndef lookup(q):\n    pass\n",
        )
        .unwrap();
        assert_eq!(module.functions[0].decorators, ["app.entrypoint"]);
        assert_eq!(module.apps[0].entrypoint.as_deref(), Some("handler"));
        assert_eq!(module.functions[1].decorators, ["tool(name='x',)"]);
    }

    #[test]
    fn bindings_say_where_names_come_from() {
        let module = parse(
            "import numpy as np\nimport strands.models\nfrom strands import Agent, tool as strands_tool\n\
             from . import config\nfrom .pricing import table as t\n",
        )
        .unwrap();
        assert_eq!(module.origin_of("np"), Some("numpy"));
        assert_eq!(module.origin_of("strands"), Some("strands"));
        assert_eq!(module.origin_of("Agent"), Some("strands.Agent"));
        assert_eq!(module.origin_of("strands_tool"), Some("strands.tool"));
        assert_eq!(module.origin_of("config"), Some(".config"));
        assert_eq!(module.origin_of("t"), Some(".pricing.table"));
        assert_eq!(
            module.resolve("strands.models.BedrockModel").as_deref(),
            Some("strands.models.BedrockModel")
        );
        assert_eq!(module.resolve("local_name"), None);
    }

    #[test]
    fn module_level_assignments_calls_and_annotations() {
        let module = parse(
            "agent = Agent(\n    model=m,\n)\ngraph: CompiledGraph = builder.compile()\nx = 3\n\
             app.run()\nif __name__ == '__main__':\n    main()\n\
             def node(state: AgentState, config: dict = None):\n    load_dotenv()\n\
             class Tests(unittest.TestCase, metaclass=M):\n    pass\n",
        )
        .unwrap();
        let assigned: Vec<(&str, &str)> = module
            .assignments
            .iter()
            .map(|a| (a.target.as_str(), a.callee.as_str()))
            .collect();
        assert_eq!(assigned, [("agent", "Agent"), ("graph", "builder.compile")]);
        let calls: Vec<&str> = module
            .module_calls
            .iter()
            .map(|c| c.callee.as_str())
            .collect();
        assert_eq!(
            calls,
            ["app.run"],
            "a call under `if __name__` is not made on import"
        );
        assert!(module.called_names.contains("load_dotenv"));
        assert!(module.called_names.contains("main"));
        let params = &module.functions[0].params;
        assert_eq!(params[0].annotation.as_deref(), Some("AgentState"));
        assert_eq!(params[1].annotation.as_deref(), Some("dict"));
        assert_eq!(module.classes[0].bases, ["unittest.TestCase"]);
    }

    #[test]
    fn literal_keyword_arguments_are_kept_with_their_call() {
        let module = parse(
            "mcp = FastMCP('calc', host='0.0.0.0', stateless_http=True, tools=make())\n\
             if __name__ == '__main__':\n    mcp.run(transport=\"streamable-http\", port=8000)\n",
        )
        .unwrap();
        let kept: Vec<(&str, &str, &str)> = module
            .keyword_arguments
            .iter()
            .map(|k| (k.callee.as_str(), k.keyword.as_str(), k.value.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("FastMCP", "host", "'0.0.0.0'"),
                ("FastMCP", "stateless_http", "True"),
                ("mcp.run", "transport", "\"streamable-http\""),
                ("mcp.run", "port", "8000"),
            ]
        );
    }

    #[test]
    fn calls_under_a_condition_are_kept_apart_and_main_guards_left_out() {
        let module = parse(
            "import os, uvicorn\napp = make()\nif os.getenv('LOCAL'):\n    uvicorn.run(app, port=8080)\nelse:\n    setup()\n\
             try:\n    app.run()\nexcept Exception:\n    pass\nif __name__ == \"__main__\":\n    app.run()\n\
             if '__main__' == __name__:\n    other()\ndef f():\n    if x:\n        inner()\n",
        )
        .unwrap();
        let calls: Vec<(&str, usize)> = module
            .guarded_calls
            .iter()
            .map(|call| (call.callee.as_str(), call.line))
            .collect();
        assert_eq!(calls, [("uvicorn.run", 4), ("setup", 6), ("app.run", 8)]);
        assert!(module.module_calls.is_empty());
    }

    #[test]
    fn imports_that_depend_on_the_python_version_are_optional() {
        let module = parse(
            "import sys\nif sys.version_info > (3,):\n    from urllib.request import urlopen\nelse:\n    from urllib2 import urlopen\n\
             PY3 = True\nif PY3:\n    import queue\nelse:\n    import Queue\n",
        )
        .unwrap();
        let optional: Vec<&str> = module
            .imports
            .iter()
            .filter(|import| import.optional)
            .map(|import| import.module.as_str())
            .collect();
        assert_eq!(optional, ["urllib.request", "urllib2", "queue", "Queue"]);
    }
}
