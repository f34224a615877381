//! The oldest Python a module's syntax needs, when it is newer than AgentCore's oldest (3.10):
//! 3.11's `except*`, 3.12's statements and f-strings, 3.14's template strings and `except A, B:`.
//!
//! An agent written on Python 3.12 often uses 3.12's f-strings without knowing it
//! (`f"{row["name"]}"`, `f"{'\n'.join(lines)}"`): on 3.11 that module does not even compile,
//! and the worker dies with a `SyntaxError` before any of the agent's code runs. The statements
//! (`type X = ...`, `def f[T]()`, `except*`) are read from the tree-sitter tree; the f-string
//! rules (PEP 701: the enclosing quote reused, a backslash or a comment inside the braces) are
//! about tokens, which the tree does not keep, so they are found by a small scanner of the
//! source text that knows strings, comments and replacement fields.

use tree_sitter::Node;

use crate::python::version::PythonVersion;

/// Syntax that needs a newer Python than AgentCore's oldest, where it first occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewerSyntax {
    pub version: PythonVersion,
    /// 1-based line.
    pub line: usize,
    pub what: &'static str,
}

/// The newest requirement among the statements in `root` and the f-strings of `source`
/// (the first occurrence of it).
pub fn find(root: Node, source: &str) -> Option<NewerSyntax> {
    let mut found: Option<NewerSyntax> = fstring_of_3_12(source);
    let mut keep = |candidate: NewerSyntax| {
        if found.is_none_or(|known| {
            (candidate.version, std::cmp::Reverse(candidate.line))
                > (known.version, std::cmp::Reverse(known.line))
        }) {
            found = Some(candidate);
        }
    };
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let line = node.start_position().row + 1;
        match node.kind() {
            "type_alias_statement" => keep(NewerSyntax {
                version: PythonVersion::new(12),
                line,
                what: "a `type` alias statement",
            }),
            // The grammar names a subscripted annotation (`-> list[dict]`) the same way; only
            // the parameters of a definition are 3.12's.
            "type_parameter"
                if node.parent().is_some_and(|parent| {
                    matches!(parent.kind(), "function_definition" | "class_definition")
                }) =>
            {
                keep(NewerSyntax {
                    version: PythonVersion::new(12),
                    line,
                    what: "type parameters (`def f[T]()`, `class C[T]:`)",
                })
            }
            "string_start" if is_template_prefix(&source[node.byte_range()]) => keep(NewerSyntax {
                version: PythonVersion::new(14),
                line,
                what: "a template string (`t\"...\"`)",
            }),
            "except_clause"
                if node
                    .children_by_field_name("value", &mut node.walk())
                    .count()
                    > 1 =>
            {
                keep(NewerSyntax {
                    version: PythonVersion::new(14),
                    line,
                    what: "several exceptions without parentheses (`except A, B:`)",
                })
            }
            "except_clause" if node.child(1).is_some_and(|star| star.kind() == "*") => {
                keep(NewerSyntax {
                    version: PythonVersion::new(11),
                    line,
                    what: "`except*`",
                })
            }
            _ => {}
        }
        stack.extend(node.named_children(&mut cursor));
    }
    found
}

/// A string's opening (`t"`, `rt"""`, `Tr'`) that makes it a template string (PEP 750).
fn is_template_prefix(opening: &str) -> bool {
    let prefix = opening.trim_end_matches(['"', '\'']);
    prefix.len() <= 2 && prefix.contains(['t', 'T'])
}

/// The first f-string written with Python 3.12's rules (PEP 701).
fn fstring_of_3_12(source: &str) -> Option<NewerSyntax> {
    let mut scanner = Scanner {
        bytes: source.as_bytes(),
        at: 0,
        line: 1,
    };
    scanner.code(&[]).err()
}

/// Why a scan stopped early: the 3.12 syntax it met.
type Found = Result<(), NewerSyntax>;

struct Scanner<'s> {
    bytes: &'s [u8],
    at: usize,
    line: usize,
}

/// A string's closing delimiter.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Quote {
    char: u8,
    triple: bool,
}

impl Quote {
    /// Before 3.12 an f-string was read as one string token first: a quote that would have
    /// ended any f-string it sits in could not appear inside a replacement field.
    fn would_close(self, enclosing: &[Quote]) -> bool {
        enclosing
            .iter()
            .any(|outer| outer.char == self.char && (!outer.triple || self.triple))
    }
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn bump(&mut self) {
        if let Some(byte) = self.peek(0) {
            self.at += 1;
            if byte == b'\n' {
                self.line += 1;
            }
        }
    }

    fn found(&self, what: &'static str) -> Found {
        Err(NewerSyntax {
            version: PythonVersion::new(12),
            line: self.line,
            what,
        })
    }

    /// Code: the whole source when `enclosing` is empty; else the expression of a replacement
    /// field of the f-strings `enclosing` (innermost last), up to the `}` that ends it
    /// (consumed), or the `!` or `:` of its conversion or format spec (not consumed).
    fn code(&mut self, enclosing: &[Quote]) -> Found {
        let inside = !enclosing.is_empty();
        let mut depth = 0usize;
        while let Some(byte) = self.peek(0) {
            match byte {
                b'#' if inside => return self.found("a comment inside an f-string's braces"),
                b'#' => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                    continue;
                }
                b'\\' if inside => {
                    return self.found("a backslash inside an f-string's braces");
                }
                b'\'' | b'"' => {
                    let prefix = self.string_prefix();
                    let quote = self.opening_quote();
                    if quote.would_close(enclosing) {
                        return self
                            .found("an f-string that reuses its own quotes inside its braces");
                    }
                    if prefix.contains(['f', 'F', 't', 'T']) {
                        let mut nested = enclosing.to_vec();
                        nested.push(quote);
                        self.fstring(&nested)?;
                    } else {
                        self.plain_string(quote, inside)?;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' => depth = depth.saturating_sub(1),
                b'}' if inside && depth == 0 => {
                    self.bump();
                    return Ok(());
                }
                b'}' => depth = depth.saturating_sub(1),
                b':' if inside && depth == 0 => return Ok(()),
                b'!' if inside && depth == 0 && self.peek(1) != Some(b'=') => return Ok(()),
                // An unterminated single-quoted f-string: not this scanner's to judge.
                b'\n' if enclosing.last().is_some_and(|q| !q.triple) && depth == 0 => {
                    return Ok(());
                }
                _ => {}
            }
            self.bump();
        }
        Ok(())
    }

    /// The letters right before the quote at the cursor (`rb`, `f`, or none), when they are a
    /// string prefix and not the end of a name.
    fn string_prefix(&self) -> String {
        let mut start = self.at;
        while start > 0 && self.bytes[start - 1].is_ascii_alphabetic() {
            start -= 1;
        }
        let prefix = &self.bytes[start..self.at];
        let glued_to_name = start > 0
            && (self.bytes[start - 1].is_ascii_alphanumeric() || self.bytes[start - 1] == b'_');
        let is_prefix = prefix.len() <= 2
            && prefix
                .iter()
                .all(|b| matches!(b.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'));
        if glued_to_name || !is_prefix {
            return String::new();
        }
        String::from_utf8_lossy(prefix).into_owned()
    }

    /// Consume the opening quote at the cursor.
    fn opening_quote(&mut self) -> Quote {
        let char = self.peek(0).unwrap_or(b'"');
        let triple = self.peek(1) == Some(char) && self.peek(2) == Some(char);
        for _ in 0..if triple { 3 } else { 1 } {
            self.bump();
        }
        Quote { char, triple }
    }

    /// Whether the cursor is at `quote`'s closing delimiter (consumed when it is).
    fn closes(&mut self, quote: Quote) -> bool {
        let width = if quote.triple { 3 } else { 1 };
        if (0..width).all(|ahead| self.peek(ahead) == Some(quote.char)) {
            for _ in 0..width {
                self.bump();
            }
            return true;
        }
        false
    }

    /// A string that is not an f-string; `in_field`: it sits in a replacement field, where a
    /// backslash needs 3.12.
    fn plain_string(&mut self, quote: Quote, in_field: bool) -> Found {
        while let Some(byte) = self.peek(0) {
            if byte == b'\\' {
                if in_field {
                    return self.found("a backslash inside an f-string's braces");
                }
                // Raw or not, a backslash keeps the next character from closing the string.
                self.bump();
                self.bump();
                continue;
            }
            if self.closes(quote) || (byte == b'\n' && !quote.triple) {
                return Ok(());
            }
            self.bump();
        }
        Ok(())
    }

    /// The literal part of the innermost f-string of `enclosing`, its fields included, up to
    /// its closing quote.
    fn fstring(&mut self, enclosing: &[Quote]) -> Found {
        let Some(&quote) = enclosing.last() else {
            return Ok(());
        };
        while let Some(byte) = self.peek(0) {
            match byte {
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                b'{' if self.peek(1) == Some(b'{') => {
                    self.bump();
                    self.bump();
                }
                b'{' => {
                    self.bump();
                    self.replacement_field(enclosing)?;
                }
                b'\n' if !quote.triple => return Ok(()),
                _ => {
                    if self.closes(quote) {
                        return Ok(());
                    }
                    self.bump();
                }
            }
        }
        Ok(())
    }

    /// After a field's `{`: its expression, then a conversion and a format spec (which may
    /// hold fields of its own), up to the closing `}`.
    fn replacement_field(&mut self, enclosing: &[Quote]) -> Found {
        self.code(enclosing)?;
        if self.peek(0) == Some(b'!') {
            self.bump();
            while self.peek(0).is_some_and(|b| b.is_ascii_alphabetic()) {
                self.bump();
            }
        }
        if self.peek(0) == Some(b':') {
            self.bump();
            let quote = enclosing.last().copied();
            while let Some(byte) = self.peek(0) {
                match byte {
                    b'{' => {
                        self.bump();
                        self.replacement_field(enclosing)?;
                        continue;
                    }
                    b'}' => {
                        self.bump();
                        return Ok(());
                    }
                    b'\n' if quote.is_some_and(|q| !q.triple) => return Ok(()),
                    _ if quote.is_some_and(|q| !q.triple && q.char == byte) => return Ok(()),
                    _ => {}
                }
                self.bump();
            }
        } else if self.peek(0) == Some(b'}') {
            self.bump();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(source: &str) -> Option<(u8, usize)> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(source, None).unwrap();
        find(tree.root_node(), source).map(|found| (found.version.minor(), found.line))
    }

    #[test]
    fn fstrings_of_python_3_12_are_found_with_their_line() {
        assert_eq!(needs("x = 1\nprint(f\"{row[\"name\"]}\")\n"), Some((12, 2)));
        assert_eq!(needs("s = f\"{'\\n'.join(lines)}\"\n"), Some((12, 1)));
        assert_eq!(needs("s = f'''{\n  x  # the value\n}'''\n"), Some((12, 2)));
        assert_eq!(needs("s = f'{d['k']:>{width}}'\n"), Some((12, 1)));
    }

    #[test]
    fn fstrings_any_python_reads_are_not_flagged() {
        for source in [
            "s = f\"{row['name']}\"\n",
            "s = f'{x!r:>10} {{literal}} {y:{w}.{p}}'\n",
            "s = f\"\"\"{d[\"k\"]}\"\"\"\n",
            "s = '\"' + \"'\" + f'{a}' \"b\"\n",
            "s = rf'\\d+{x}'\n",
            "# f\"{x[\"k\"]}\" in a comment\n",
            "s = '''f\"{x[\"k\"]}\"'''\n",
            "s = f'{a if b else c}' + f'{x:=^10}'\n",
            "s = f'{x != y}'\n",
            "s = f'{ {\"a\": 1}[\"a\"] }'\n",
            "if_ = 'f'\nprint(if_\"\")\n",
        ] {
            assert_eq!(needs(source), None, "{source}");
        }
    }

    #[test]
    fn statements_of_newer_pythons_are_found() {
        assert_eq!(needs("type Point = tuple[int, int]\n"), Some((12, 1)));
        assert_eq!(
            needs("\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n"),
            Some((12, 3))
        );
        assert_eq!(
            needs("try:\n    pass\nexcept* ValueError:\n    pass\n"),
            Some((11, 3))
        );
        assert_eq!(
            needs("try:\n    pass\nexcept* ValueError:\n    pass\ntype X = int\n"),
            Some((12, 5)),
            "the newest requirement wins"
        );
        assert_eq!(
            needs("match x:\n    case 1:\n        pass\n"),
            None,
            "3.10 is the oldest anyway"
        );
    }

    #[test]
    fn subscripted_annotations_are_not_type_parameters() {
        assert_eq!(
            needs(
                "def f(x: list[dict]) -> dict[str, int]:\n    return {}\nclass C(Generic[T]):\n    pass\n"
            ),
            None
        );
    }

    #[test]
    fn syntax_of_python_3_14_is_found() {
        assert_eq!(needs("x = 1\ngreeting = t\"Hello {x}\"\n"), Some((14, 2)));
        assert_eq!(needs("s = rt'{x}\\d'\n"), Some((14, 1)));
        assert_eq!(
            needs("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"),
            Some((14, 3))
        );
        assert_eq!(
            needs("s = f\"{row[\"k\"]}\"\ngreeting = t\"hi\"\n"),
            Some((14, 2)),
            "3.14 outranks an earlier 3.12 f-string"
        );
        for older in [
            "try:\n    pass\nexcept (ValueError, TypeError):\n    pass\n",
            "try:\n    pass\nexcept ValueError as error:\n    pass\n",
            "s = rb'x' + f'{t}'\n",
            "t = 1\nprint(t, 'x')\n",
        ] {
            assert_eq!(needs(older), None, "{older}");
        }
    }
}
