//! `if __name__ == "__main__":`, the block a module runs only as a program: never when
//! `invoke.py` imports it. What runs on import (a server started, a folder put on `sys.path`)
//! is read everywhere else at module level, so both readers of module-level code ask this.

use tree_sitter::Node;

/// Whether `statement` (an `if`) tests `__name__ == "__main__"`, either way round, either quote.
pub fn is_main_guard(statement: Node, source: &[u8]) -> bool {
    statement
        .child_by_field_name("condition")
        .is_some_and(|condition| {
            let text: String = condition
                .utf8_text(source)
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .replace('\'', "\"");
            text == "__name__==\"__main__\"" || text == "\"__main__\"==__name__"
        })
}
