//! What agentprep needs to know about one Python module, read with a real parser.
//!
//! tree-sitter-python gives a concrete syntax tree that survives syntax errors, so one broken
//! file does not stop `prepare`; its first error line is reported instead. From the tree we
//! keep only facts: imports (and whether they are optional), module-level functions and
//! classes with their parameters, `BedrockAgentCoreApp` instances with their
//! `@app.entrypoint`, and the string arguments that reveal AWS services in use.

use tree_sitter::{Node, Parser};

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
}

/// A `def` or `async def`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    pub is_async: bool,
    /// The body yields: calling it gives a (sync or async) generator.
    pub is_generator: bool,
    /// Decorator expressions as written, without the `@`.
    pub decorators: Vec<String>,
    /// 1-based line of the `def`.
    pub line: usize,
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
    pub line: usize,
}

/// Everything kept from one module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleSyntax {
    pub imports: Vec<Import>,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub apps: Vec<RuntimeApp>,
    /// First argument of every `<x>.client("service")` / `client("service")` call: the AWS
    /// services a boto3 user talks to.
    pub boto3_services: Vec<String>,
    /// Contents of every string literal, for markers such as an MCP server's package name.
    pub strings: Vec<String>,
    /// 1-based line of the first syntax error, if the module does not parse cleanly.
    pub syntax_error_line: Option<usize>,
}

/// Parse one module's source.
pub fn parse(source: &str) -> anyhow::Result<ModuleSyntax> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into())?;
    let tree = parser
        .parse(source, None)
        .ok_or_else(|| anyhow::anyhow!("the Python parser gave up"))?;
    let root = tree.root_node();
    let reader = Reader {
        source: source.as_bytes(),
    };
    let mut module = ModuleSyntax::default();
    if root.has_error() {
        module.syntax_error_line = first_error_line(root);
    }
    reader.collect_everywhere(root, false, &mut module);
    reader.collect_module_level(root, &mut module);
    Ok(module)
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
                    let dotted = match name.kind() {
                        "aliased_import" => name
                            .child_by_field_name("name")
                            .map(|n| self.text(n))
                            .unwrap_or_default(),
                        _ => self.text(name),
                    };
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
                module.imports.push(self.read_from_import(node, optional));
                return;
            }
            "call" => {
                if let Some(service) = self.boto3_client_service(node) {
                    module.boto3_services.push(service);
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

    fn read_from_import(&self, node: Node, optional: bool) -> Import {
        let (module_path, level) = match node.child_by_field_name("module_name") {
            Some(name) if name.kind() == "relative_import" => {
                let text = self.text(name);
                let level = text.chars().take_while(|c| *c == '.').count();
                (text[level..].to_string(), level)
            }
            Some(name) => (self.text(name), 0),
            None => (String::new(), 0),
        };
        let mut cursor = node.walk();
        let names = node
            .children_by_field_name("name", &mut cursor)
            .map(|name| match name.kind() {
                "aliased_import" => name
                    .child_by_field_name("name")
                    .map(|n| self.text(n))
                    .unwrap_or_default(),
                _ => self.text(name),
            })
            .collect();
        Import {
            module: module_path,
            names,
            level,
            optional,
        }
    }

    /// `try:` with an `except ImportError`/`ModuleNotFoundError` handler, or
    /// `if TYPE_CHECKING:`: imports below run only if available, or never at run time.
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
            "if_statement" => node
                .child_by_field_name("condition")
                .is_some_and(|condition| {
                    self.text(condition).trim_start_matches("typing.") == "TYPE_CHECKING"
                }),
            _ => false,
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
                    if let Some(app) = self.runtime_app(statement) {
                        module.apps.push(app);
                    }
                }
                _ => {}
            }
        }
        for app in &mut module.apps {
            let decorator = format!("{}.entrypoint", app.variable);
            app.entrypoint = module
                .functions
                .iter()
                .find(|function| function.decorators.iter().any(|d| d == &decorator))
                .map(|function| function.name.clone());
        }
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
                self.text(decorator)
                    .trim_start_matches('@')
                    .trim()
                    .to_string()
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
            decorators,
            line: node.start_position().row + 1,
        }
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
        Class {
            name: node
                .child_by_field_name("name")
                .map(|n| self.text(n))
                .unwrap_or_default(),
            methods,
            line: node.start_position().row + 1,
        }
    }

    /// `app = BedrockAgentCoreApp(...)` (also `bedrock_agentcore.runtime.BedrockAgentCoreApp()`).
    fn runtime_app(&self, statement: Node) -> Option<RuntimeApp> {
        let assignment = statement
            .named_child(0)
            .filter(|node| node.kind() == "assignment")?;
        let left = assignment
            .child_by_field_name("left")
            .filter(|node| node.kind() == "identifier")?;
        let right = assignment
            .child_by_field_name("right")
            .filter(|node| node.kind() == "call")?;
        let function = self.text(right.child_by_field_name("function")?);
        if function != "BedrockAgentCoreApp" && !function.ends_with(".BedrockAgentCoreApp") {
            return None;
        }
        Some(RuntimeApp {
            variable: self.text(left),
            entrypoint: None,
            line: statement.start_position().row + 1,
        })
    }
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
    fn runtime_apps_and_their_entrypoints() {
        let module = parse(
            "from bedrock_agentcore.runtime import BedrockAgentCoreApp\napp = BedrockAgentCoreApp()\n\
             @app.entrypoint\ndef invoke(payload, context):\n    return {}\n",
        )
        .unwrap();
        assert_eq!(
            module.apps,
            [RuntimeApp {
                variable: "app".into(),
                entrypoint: Some("invoke".into()),
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
}
