//! The folders a module puts on `sys.path` when it is imported, when the path is built from
//! the module's own location: `sys.path.insert(0, os.path.join(os.path.dirname(__file__),
//! "..", "shared"))`, `sys.path.append(str(Path(__file__).resolve().parent.parent))`.
//!
//! Real agents reach their own code this way: a module beside the agent's folder, found
//! through a folder the agent adds at import. Read statically, such a path is a folder
//! relative to the module's own (`../shared`), which `prepare` can look at. Only module-level
//! statements count (they run when the module is imported; a function's body or a
//! `__main__` block does not), names assigned before the call are followed (`_HERE =
//! os.path.dirname(os.path.abspath(__file__))`), and a loop over candidates
//! (`for candidate in (os.path.join(_HERE, "lib"), os.path.join(_HERE, "..", "lib")):`) gives
//! each candidate. A path that depends on anything else (the working directory, an
//! environment variable, an f-string) is not a folder of the module's and is left out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tree_sitter::Node;

use crate::python::main_guard;

/// A folder relative to the module's own: `up` levels above it, then `down`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelativeFolder {
    pub up: usize,
    pub down: Vec<String>,
}

impl RelativeFolder {
    /// The folder, for a module whose own folder is `folder`.
    pub fn below(&self, folder: &Path) -> PathBuf {
        let mut path = folder.to_path_buf();
        for _ in 0..self.up {
            path.pop();
        }
        path.extend(&self.down);
        path
    }
}

/// One `sys.path.insert(...)`, `sys.path.append(...)` or `site.addsitedir(...)` at module level,
/// with the folders its argument may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInsert {
    /// 1-based line of the call.
    pub line: usize,
    pub folders: Vec<RelativeFolder>,
}

/// The module file itself, as a step below its folder: `os.path.dirname(__file__)` takes it
/// off, and a path that still ends in it is a file, not a folder.
const MODULE_FILE: &str = "\0__file__";

/// A value the reading follows: a location relative to the module's folder, or a string.
#[derive(Debug, Clone)]
enum Value {
    Location { up: usize, down: Vec<String> },
    Text(String),
}

impl Value {
    fn parent(self) -> Option<Value> {
        match self {
            Value::Location { mut up, mut down } => {
                if down.pop().is_none() {
                    up += 1;
                }
                Some(Value::Location { up, down })
            }
            Value::Text(_) => None,
        }
    }

    /// `os.path.join(self, part)` then normalised, as `os.path.abspath` would.
    fn join(self, part: &Value) -> Option<Value> {
        let Value::Text(part) = part else {
            return None;
        };
        if part.starts_with('/') || part.contains('\\') {
            return None;
        }
        let mut value = self;
        for step in part.split('/') {
            value = match step {
                "" | "." => value,
                ".." => value.parent()?,
                name => match value {
                    Value::Location { up, mut down } => {
                        down.push(name.to_string());
                        Value::Location { up, down }
                    }
                    Value::Text(_) => return None,
                },
            };
        }
        Some(value)
    }

    fn folder(&self) -> Option<RelativeFolder> {
        match self {
            Value::Location { up, down } if !down.iter().any(|step| step == MODULE_FILE) => {
                Some(RelativeFolder {
                    up: *up,
                    down: down.clone(),
                })
            }
            _ => None,
        }
    }
}

/// The `sys.path` additions of the module whose syntax tree is `root`; `origin_of` says where
/// a name its imports bound comes from (`pathlib.Path` for `Path`), which says what a call is.
pub fn find(
    root: Node,
    source: &[u8],
    origin_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<PathInsert> {
    let mut reading = Reading {
        source,
        origin_of,
        names: HashMap::new(),
        inserts: Vec::new(),
    };
    reading.statements(root);
    reading.inserts
}

struct Reading<'a> {
    source: &'a [u8],
    origin_of: &'a dyn Fn(&str) -> Option<String>,
    /// Module-level names bound to values so far, each with every value it may have.
    names: HashMap<String, Vec<Value>>,
    inserts: Vec<PathInsert>,
}

impl Reading<'_> {
    fn text(&self, node: Node) -> String {
        node.utf8_text(self.source).unwrap_or_default().to_string()
    }

    /// What an expression such as `os.path.join` or `Path` names, through the module's imports.
    fn callee(&self, node: Node) -> String {
        let text: String = self
            .text(node)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let (head, rest) = match text.split_once('.') {
            Some((head, rest)) => (head.to_string(), Some(rest.to_string())),
            None => (text.clone(), None),
        };
        let origin = (self.origin_of)(&head);
        match (origin, rest) {
            (Some(origin), Some(rest)) => format!("{origin}.{rest}"),
            (Some(origin), None) => origin,
            (None, _) => text,
        }
    }

    /// Module-level statements, in order, into blocks that run on import (`if`, `for`, `try`,
    /// `with`), not into functions, classes or a `__main__` block.
    fn statements(&mut self, node: Node) {
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "function_definition" | "class_definition" | "decorated_definition" => {}
                "if_statement" if self.is_main_guard(child) => {}
                "expression_statement" => self.expression_statement(child),
                "for_statement" => {
                    self.bind(child, Reading::elements);
                    self.statements(child);
                }
                "block" | "if_statement" | "elif_clause" | "else_clause" | "try_statement"
                | "except_clause" | "finally_clause" | "with_statement" | "while_statement" => {
                    self.statements(child)
                }
                _ => {}
            }
        }
    }

    fn is_main_guard(&self, statement: Node) -> bool {
        main_guard::is_main_guard(statement, self.source)
    }

    /// `name = value` or `for name in values:`: the name is bound to what `read` makes of the
    /// right-hand side.
    fn bind(&mut self, node: Node, read: fn(&Self, Node) -> Vec<Value>) {
        if let (Some(target), Some(value)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) && target.kind() == "identifier"
        {
            let values = read(self, value);
            self.names.insert(self.text(target), values);
        }
    }

    fn expression_statement(&mut self, statement: Node) {
        let Some(expression) = statement.named_child(0) else {
            return;
        };
        match expression.kind() {
            "assignment" => self.bind(expression, Reading::values),
            "call" => self.call_statement(expression, statement.start_position().row + 1),
            _ => {}
        }
    }

    /// `sys.path.insert(i, path)`, `sys.path.append(path)`, `site.addsitedir(path)`.
    fn call_statement(&mut self, call: Node, line: usize) {
        let (Some(function), Some(arguments)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return;
        };
        let position = match self.callee(function).as_str() {
            "sys.path.insert" => 1,
            "sys.path.append" | "site.addsitedir" => 0,
            _ => return,
        };
        let mut cursor = arguments.walk();
        let Some(path) = arguments
            .named_children(&mut cursor)
            .filter(|argument| argument.kind() != "comment")
            .nth(position)
        else {
            return;
        };
        let folders: Vec<RelativeFolder> =
            self.values(path).iter().filter_map(Value::folder).collect();
        if !folders.is_empty() {
            self.inserts.push(PathInsert { line, folders });
        }
    }

    /// What a loop's iterable gives: each element of a literal tuple or list, else its values.
    fn elements(&self, node: Node) -> Vec<Value> {
        let node = self.unwrapped(node);
        if matches!(node.kind(), "tuple" | "list") {
            let mut cursor = node.walk();
            return node
                .named_children(&mut cursor)
                .flat_map(|element| self.values(element))
                .collect();
        }
        self.values(node)
    }

    fn unwrapped<'t>(&self, mut node: Node<'t>) -> Node<'t> {
        while node.kind() == "parenthesized_expression" {
            match node.named_child(0) {
                Some(inner) => node = inner,
                None => break,
            }
        }
        node
    }

    /// Every value an expression may have, when it is built from the module's location.
    fn values(&self, node: Node) -> Vec<Value> {
        let node = self.unwrapped(node);
        match node.kind() {
            "identifier" => {
                let name = self.text(node);
                if name == "__file__" {
                    return vec![Value::Location {
                        up: 0,
                        down: vec![MODULE_FILE.to_string()],
                    }];
                }
                self.names.get(&name).cloned().unwrap_or_default()
            }
            "string" => {
                let mut cursor = node.walk();
                let parts: Vec<Node> = node.named_children(&mut cursor).collect();
                if parts.iter().any(|part| part.kind() == "interpolation") {
                    return Vec::new();
                }
                let text: String = parts
                    .iter()
                    .filter(|part| part.kind() == "string_content")
                    .map(|part| self.text(*part))
                    .collect();
                vec![Value::Text(text)]
            }
            // `Path(__file__).parent`: the folder of the file.
            "attribute" => match self.attribute_of(node) {
                Some((object, attribute)) if attribute == "parent" => self.up(object, 1),
                _ => Vec::new(),
            },
            // `Path(__file__).parents[1]`: the folder two levels up from the file.
            "subscript" => {
                let index = node
                    .child_by_field_name("subscript")
                    .and_then(|index| self.text(index).trim().parse::<usize>().ok());
                let parents = node
                    .child_by_field_name("value")
                    .and_then(|value| self.attribute_of(value))
                    .filter(|(_, attribute)| attribute == "parents");
                match (parents, index) {
                    (Some((object, _)), Some(index)) => self.up(object, index + 1),
                    _ => Vec::new(),
                }
            }
            // `Path(__file__).parent / "lib"`.
            "binary_operator" => {
                let (Some(left), Some(right), Some(operator)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Vec::new();
                };
                if self.text(operator) != "/" {
                    return Vec::new();
                }
                let rights = self.values(right);
                self.values(left)
                    .into_iter()
                    .flat_map(|left| rights.iter().filter_map(move |r| left.clone().join(r)))
                    .collect()
            }
            "call" => self.call_values(node),
            _ => Vec::new(),
        }
    }

    /// `object.attribute`: the object's node and the attribute's name.
    fn attribute_of<'t>(&self, node: Node<'t>) -> Option<(Node<'t>, String)> {
        if node.kind() != "attribute" {
            return None;
        }
        let object = node.child_by_field_name("object")?;
        let attribute = node.child_by_field_name("attribute")?;
        Some((object, self.text(attribute)))
    }

    /// The folders `levels` above each value of `node`.
    fn up(&self, node: Node, levels: usize) -> Vec<Value> {
        self.values(node)
            .into_iter()
            .filter_map(|value| (0..levels).try_fold(value, |at, _| at.parent()))
            .collect()
    }

    fn call_values(&self, call: Node) -> Vec<Value> {
        let (Some(function), Some(arguments)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return Vec::new();
        };
        let mut cursor = arguments.walk();
        let arguments: Vec<Node> = arguments
            .named_children(&mut cursor)
            .filter(|argument| argument.kind() != "comment")
            .collect();
        // A method of a path: `Path(__file__).resolve()`, `here.joinpath("lib")`.
        if let Some((object, method)) = self.attribute_of(function) {
            match method.as_str() {
                "resolve" | "absolute" => return self.values(object),
                "joinpath" => return self.joined(self.values(object), &arguments),
                _ => {}
            }
        }
        match self.callee(function).as_str() {
            "os.path.abspath" | "os.path.realpath" | "os.path.normpath" | "str" | "os.fspath" => {
                arguments
                    .first()
                    .map(|first| self.values(*first))
                    .unwrap_or_default()
            }
            "os.path.dirname" => arguments
                .first()
                .map(|first| {
                    self.values(*first)
                        .into_iter()
                        .filter_map(Value::parent)
                        .collect()
                })
                .unwrap_or_default(),
            "os.path.join" | "pathlib.Path" | "pathlib.PurePath" | "pathlib.PosixPath" => {
                let Some((first, rest)) = arguments.split_first() else {
                    return Vec::new();
                };
                let starts: Vec<Value> = self
                    .values(*first)
                    .into_iter()
                    .filter(|value| matches!(value, Value::Location { .. }))
                    .collect();
                self.joined(starts, rest)
            }
            _ => Vec::new(),
        }
    }

    /// Each of `starts` joined with `parts`, each part taking every value it may have.
    fn joined(&self, starts: Vec<Value>, parts: &[Node]) -> Vec<Value> {
        let mut values = starts;
        for part in parts {
            let options = self.values(*part);
            values = values
                .into_iter()
                .flat_map(|value| {
                    options
                        .iter()
                        .filter_map(move |option| value.clone().join(option))
                })
                .collect();
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inserts of `source`, its imports standing for what these tests import.
    fn inserts(source: &str) -> Vec<PathInsert> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(source, None).unwrap();
        let origin_of = |name: &str| -> Option<String> {
            let origin = match name {
                "Path" => "pathlib.Path",
                "abspath" | "dirname" | "join" => return Some(format!("os.path.{name}")),
                "os" | "sys" | "site" | "pathlib" => name,
                _ => return None,
            };
            Some(origin.to_string())
        };
        find(tree.root_node(), source.as_bytes(), &origin_of)
    }

    fn folders(source: &str) -> Vec<(usize, Vec<String>)> {
        inserts(source)
            .into_iter()
            .flat_map(|insert| insert.folders)
            .map(|folder| (folder.up, folder.down))
            .collect()
    }

    fn at(up: usize, down: &[&str]) -> (usize, Vec<String>) {
        (up, down.iter().map(|step| step.to_string()).collect())
    }

    #[test]
    fn paths_built_from_the_modules_file_are_read_as_folders_relative_to_it() {
        assert_eq!(
            folders(
                "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'shared'))\n"
            ),
            [at(1, &["shared"])]
        );
        assert_eq!(
            folders(
                "import sys\nfrom pathlib import Path\nsys.path.append(str(Path(__file__).resolve().parent.parent))\n"
            ),
            [at(1, &[])]
        );
        assert_eq!(
            folders(
                "import sys\nimport pathlib\nROOT = pathlib.Path(__file__).parents[1]\nsys.path.insert(0, str(ROOT / 'lib/common'))\n"
            ),
            [at(1, &["lib", "common"])]
        );
        assert_eq!(
            folders(
                "import sys\nfrom os.path import abspath, dirname, join\nsys.path.insert(0, abspath(join(__file__, '../../vendor')))\n"
            ),
            [at(1, &["vendor"])],
            "`__file__/..` is the module's folder, as `abspath` normalises it"
        );
        assert_eq!(
            folders("import site, os\nsite.addsitedir(os.path.dirname(__file__))\n"),
            [at(0, &[])]
        );
    }

    #[test]
    fn a_loop_over_candidates_gives_each_and_names_are_followed() {
        let source = r#"
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
for _cand in (os.path.join(_HERE, "engine"),
              os.path.join(_HERE, "..", "engine")):
    if os.path.isdir(_cand):
        sys.path.insert(0, os.path.abspath(_cand))
        break
"#;
        let found = inserts(source);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 9);
        assert_eq!(folders(source), [at(0, &["engine"]), at(1, &["engine"])]);
    }

    #[test]
    fn paths_that_do_not_come_from_the_module_and_calls_that_do_not_run_on_import_are_left_out() {
        let source = r#"
import os
import sys

sys.path.insert(0, os.getcwd())
sys.path.insert(0, "/opt/lib")
sys.path.insert(0, os.environ["EXTRA"])
sys.path.append(f"{os.path.dirname(__file__)}/x")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "/abs"))
sys.path.insert(0, __file__)


def later():
    sys.path.insert(0, os.path.dirname(__file__))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
"#;
        assert_eq!(folders(source), Vec::<(usize, Vec<String>)>::new());
    }

    #[test]
    fn a_relative_folder_is_found_below_the_modules_folder() {
        let folder = RelativeFolder {
            up: 1,
            down: vec!["shared".into()],
        };
        assert_eq!(
            folder.below(Path::new("/repo/agent/src")),
            Path::new("/repo/agent/shared")
        );
    }
}
