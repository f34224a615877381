//! Saving the state file without losing what people and the toolkit put in it: the new
//! document is written as edits to the old text (a changed value replaced where it stands, a
//! removed key's lines taken out, a new key appended to its mapping), so comments, blank lines,
//! quoting and key order stay as they were.
//!
//! The editor knows the block style the toolkit writes (PyYAML's: nested mappings by
//! indentation, sequences as `- ` lines, scalars on the key's line). Anything else it meets
//! (flow collections it must change inside, block scalars, anchors, several documents) makes it
//! rewrite just that key's value, or give up. Its result is parsed back and must be the new
//! document; when it is not, [`patch`] returns `None` and the caller writes the document whole.

use serde_yaml_ng::{Mapping, Value};

/// The old text edited into the text of `new`; `None` when this editor cannot do it exactly.
pub fn patch(old_text: &str, old: &Value, new: &Value) -> Option<String> {
    let lines: Vec<&str> = old_text.split_inclusive('\n').collect();
    if lines
        .iter()
        .any(|line| line.starts_with("---") || line.starts_with("..."))
    {
        return None;
    }
    let (Value::Mapping(old_root), Value::Mapping(new_root)) = (old, new) else {
        return None;
    };
    let mut edits = Vec::new();
    diff_mapping(&lines, 0, lines.len(), 0, old_root, new_root, &mut edits)?;
    let text = apply(&lines, edits);
    let reread: Value = serde_yaml_ng::from_str(&text).ok()?;
    let empty = || Value::Mapping(Mapping::new());
    let reread = if reread.is_null() { empty() } else { reread };
    (reread == *new).then_some(text)
}

/// Replace lines `start..end` (an empty range inserts before `start`) with `lines`.
struct Edit {
    start: usize,
    end: usize,
    lines: Vec<String>,
    /// How deep the edited mapping is: of two insertions at one line, the deeper one's lines
    /// come first (a key added to an inner mapping that ends where its parent does).
    depth: usize,
}

/// One key of a block mapping as it stands in the text.
struct KeyBlock {
    key: String,
    /// The key's line.
    line: usize,
    /// The line after its value (trailing blank and comment lines not included).
    end: usize,
    indent: usize,
    /// The value written on the key's line: its byte range in that line, when it is a plain or
    /// quoted scalar (not a block scalar, a flow collection, an anchor or a tag).
    inline_scalar: Option<(usize, usize)>,
    /// Nothing follows the colon but perhaps a comment: the value is the block below (or null).
    value_below: bool,
}

fn diff_mapping(
    lines: &[&str],
    start: usize,
    end: usize,
    depth: usize,
    old: &Mapping,
    new: &Mapping,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let blocks = key_blocks(lines, start, end)?;
    // The text must hold exactly the old mapping's keys, in any order.
    if blocks.len() != old.len()
        || blocks
            .iter()
            .any(|block| !old.contains_key(block.key.as_str()))
    {
        return None;
    }
    for block in &blocks {
        let old_value = old.get(block.key.as_str())?;
        match new.get(block.key.as_str()) {
            None => edits.push(Edit {
                start: block.line,
                end: block.end,
                lines: Vec::new(),
                depth,
            }),
            Some(new_value) if new_value == old_value => {}
            Some(new_value) => diff_value(lines, block, depth, old_value, new_value, edits)?,
        }
    }
    let added: Vec<(&Value, &Value)> = new
        .iter()
        .filter(|(key, _)| !old.contains_key(*key))
        .collect();
    if !added.is_empty() {
        let last = blocks.iter().max_by_key(|block| block.end)?;
        let mut text = Vec::new();
        for (key, value) in added {
            text.extend(entry_lines(key, value, last.indent)?);
        }
        edits.push(Edit {
            start: last.end,
            end: last.end,
            lines: text,
            depth,
        });
    }
    Some(())
}

fn diff_value(
    lines: &[&str],
    block: &KeyBlock,
    depth: usize,
    old: &Value,
    new: &Value,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    if let (Value::Mapping(old_map), Value::Mapping(new_map)) = (old, new)
        && block.value_below
        && !old_map.is_empty()
    {
        return diff_mapping(
            lines,
            block.line + 1,
            block.end,
            depth + 1,
            old_map,
            new_map,
            edits,
        );
    }
    let single_line = block.end == block.line + 1;
    let scalar = |value: &Value| !matches!(value, Value::Mapping(_) | Value::Sequence(_));
    if single_line && scalar(old) && scalar(new) {
        let written = scalar_text(new)?;
        let line = lines[block.line];
        let replaced = match block.inline_scalar {
            Some((from, to)) => format!("{}{written}{}", &line[..from], &line[to..]),
            // `key:` (null), perhaps with a comment: the value goes right after the colon.
            None if block.value_below => {
                let colon = key_colon(line)?;
                format!("{} {written}{}", &line[..=colon], &line[colon + 1..])
            }
            None => return None,
        };
        edits.push(Edit {
            start: block.line,
            end: block.end,
            lines: vec![replaced],
            depth,
        });
        return Some(());
    }
    // Anything else: the key written anew, where it stood.
    let key = Value::String(block.key.clone());
    edits.push(Edit {
        start: block.line,
        end: block.end,
        lines: entry_lines(&key, new, block.indent)?,
        depth,
    });
    Some(())
}

/// The direct keys of the block mapping on lines `start..end`.
fn key_blocks(lines: &[&str], start: usize, end: usize) -> Option<Vec<KeyBlock>> {
    let first = (start..end).find(|&i| is_content(lines[i]))?;
    let indent = indent_of(lines[first]);
    let mut blocks: Vec<KeyBlock> = Vec::new();
    let mut i = first;
    while i < end {
        let line = lines[i];
        if !is_content(line) {
            i += 1;
            continue;
        }
        let this_indent = indent_of(line);
        if this_indent < indent {
            return None;
        }
        if this_indent > indent {
            // Deeper lines belong to the key before; reaching one here means there was none.
            return None;
        }
        let (key, colon) = parse_key(line)?;
        let after = &line[colon + 1..];
        let value_start = colon + 1 + (after.len() - after.trim_start().len());
        let value = line[value_start..].trim_end_matches(['\n', '\r']);
        let value_below = value.is_empty() || value.starts_with('#');
        let inline_scalar = if value_below {
            None
        } else {
            scalar_extent(value).map(|length| (value_start, value_start + length))
        };
        // The key's block runs to the next line at its indentation or less (a `- ` line at its
        // indentation is its sequence, as PyYAML writes one).
        let mut next = i + 1;
        while next < end {
            let candidate = lines[next];
            if is_content(candidate) {
                let candidate_indent = indent_of(candidate);
                let dash = candidate[candidate_indent..].starts_with("- ")
                    || candidate[candidate_indent..].trim_end() == "-";
                if candidate_indent < indent || (candidate_indent == indent && !dash) {
                    break;
                }
            }
            next += 1;
        }
        // Blank and comment lines at the end lean towards what follows.
        let mut block_end = next;
        while block_end > i + 1 && !is_content(lines[block_end - 1]) {
            block_end -= 1;
        }
        blocks.push(KeyBlock {
            key,
            line: i,
            end: block_end,
            indent,
            inline_scalar,
            value_below,
        });
        i = next;
    }
    Some(blocks)
}

/// A line with something other than blanks and a comment.
fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key of a `key: value` line and the position of its colon. Plain keys and simply quoted
/// ones only; anything else (`? `, `- `, anchors, tags) is not for this editor.
fn parse_key(line: &str) -> Option<(String, usize)> {
    let indent = indent_of(line);
    let rest = &line[indent..];
    let first = rest.chars().next()?;
    if matches!(first, '\'' | '"') {
        let close = rest[1..].find(first)? + 1;
        let key = &rest[1..close];
        if key.contains('\\') || key.contains(first) {
            return None;
        }
        let colon = indent + close + 1;
        if !line[colon..].starts_with(':') {
            return None;
        }
        return Some((key.to_string(), colon));
    }
    if matches!(
        first,
        '-' | '?' | '&' | '*' | '!' | '{' | '[' | '|' | '>' | '%' | '@' | '`'
    ) {
        return None;
    }
    let colon = key_colon(line)?;
    Some((line[indent..colon].trim_end().to_string(), colon))
}

/// The colon that ends a plain key: the first `:` followed by a space or the line's end.
fn key_colon(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    (0..bytes.len()).find(|&i| {
        bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\n' | b'\r' | b'\t'))
    })
}

/// How long the scalar at the start of `value` is (a trailing comment not included); `None`
/// for what is not a one-line plain or quoted scalar.
fn scalar_extent(value: &str) -> Option<usize> {
    let first = value.chars().next()?;
    match first {
        '\'' => {
            // '' is an escaped quote inside single quotes.
            let bytes = value.as_bytes();
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        '"' => {
            let bytes = value.as_bytes();
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        '|' | '>' | '{' | '[' | '&' | '*' | '!' => None,
        _ => {
            let end = value.find(" #").unwrap_or(value.len());
            Some(value[..end].trim_end().len())
        }
    }
}

/// A scalar as YAML writes it on one line.
fn scalar_text(value: &Value) -> Option<String> {
    let text = serde_yaml_ng::to_string(value).ok()?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    (!text.contains('\n')).then(|| text.to_string())
}

/// `key: value` (and the value's block) as lines indented by `indent`.
fn entry_lines(key: &Value, value: &Value, indent: usize) -> Option<Vec<String>> {
    let mut mapping = Mapping::new();
    mapping.insert(key.clone(), value.clone());
    let text = serde_yaml_ng::to_string(&Value::Mapping(mapping)).ok()?;
    let pad = " ".repeat(indent);
    Some(
        text.split_inclusive('\n')
            .map(|line| {
                if line.trim().is_empty() {
                    line.to_string()
                } else {
                    format!("{pad}{line}")
                }
            })
            .collect(),
    )
}

/// The text with the edits made. They never overlap: each is one key's lines, or an insertion
/// after a mapping's last key.
fn apply(lines: &[&str], mut edits: Vec<Edit>) -> String {
    // Bottom up, so the positions of the edits still to make stay valid. Of two insertions at
    // one line, the shallower is made first, so the deeper one's lines end up before it.
    edits.sort_by_key(|edit| (std::cmp::Reverse((edit.start, edit.end)), edit.depth));
    let mut out: Vec<String> = lines.iter().map(|line| line.to_string()).collect();
    if let Some(last) = out.last_mut()
        && !last.ends_with('\n')
    {
        last.push('\n');
    }
    for edit in edits {
        out.splice(edit.start..edit.end, edit.lines);
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMENTED: &str = r#"# Written by the toolkit, then by hand.
default_agent: alpha
agents:
  alpha:
    name: alpha   # the agent
    aws:
      region: us-east-1
      account: '123456789012'
      lifecycle_configuration:
        idle_runtime_session_timeout: 600  # ten minutes
        max_lifetime: null
      audiences:
      - one
      - two

    # The runtime, once deployed.
    bedrock_agentcore:
      agent_id: null
  beta:
    name: beta
"#;

    fn parse(text: &str) -> Value {
        serde_yaml_ng::from_str(text).unwrap()
    }

    fn set(document: &mut Value, path: &[&str], value: Value) {
        let mut node = document;
        for key in &path[..path.len() - 1] {
            node = node.get_mut(*key).unwrap();
        }
        node.as_mapping_mut()
            .unwrap()
            .insert(path[path.len() - 1].into(), value);
    }

    #[test]
    fn changed_values_are_replaced_where_they_stand_and_comments_stay() {
        let old = parse(COMMENTED);
        let mut new = old.clone();
        set(
            &mut new,
            &["agents", "alpha", "bedrock_agentcore", "agent_id"],
            "alpha-0123456789".into(),
        );
        set(
            &mut new,
            &[
                "agents",
                "alpha",
                "aws",
                "lifecycle_configuration",
                "max_lifetime",
            ],
            3600.into(),
        );
        set(&mut new, &["agents", "alpha", "name"], "alpha".into());
        let text = patch(COMMENTED, &old, &new).unwrap();
        let expected = COMMENTED
            .replace("agent_id: null", "agent_id: alpha-0123456789")
            .replace("max_lifetime: null", "max_lifetime: 3600");
        assert_eq!(text, expected);
    }

    #[test]
    fn keys_are_added_at_the_end_of_their_mapping_and_removed_with_their_block() {
        let old = parse(COMMENTED);
        let mut new = old.clone();
        set(
            &mut new,
            &["agents", "alpha", "aws", "s3_path"],
            "s3://b/p".into(),
        );
        new["agents"].as_mapping_mut().unwrap().remove("beta");
        let mut gamma = Mapping::new();
        gamma.insert("name".into(), "gamma".into());
        set(&mut new, &["agents", "gamma"], Value::Mapping(gamma));
        let text = patch(COMMENTED, &old, &new).unwrap();
        assert!(text.starts_with("# Written by the toolkit"), "{text}");
        assert!(text.contains("  # ten minutes\n"), "{text}");
        assert!(
            text.contains("      - two\n      s3_path: s3://b/p\n\n    # The runtime"),
            "{text}"
        );
        assert!(!text.contains("beta"), "{text}");
        assert!(text.ends_with("  gamma:\n    name: gamma\n"), "{text}");
        assert_eq!(parse(&text), new);
    }

    #[test]
    fn a_value_that_changes_shape_is_written_anew_in_its_place() {
        let old = parse(COMMENTED);
        let mut new = old.clone();
        set(
            &mut new,
            &["agents", "alpha", "aws", "audiences"],
            Value::Sequence(vec!["three".into()]),
        );
        set(
            &mut new,
            &["agents", "alpha", "bedrock_agentcore"],
            Value::Null,
        );
        let text = patch(COMMENTED, &old, &new).unwrap();
        assert!(text.contains("      audiences:\n      - three\n"), "{text}");
        assert!(
            text.contains("    # The runtime, once deployed.\n    bedrock_agentcore: null\n"),
            "{text}"
        );
        assert_eq!(parse(&text), new);
    }

    #[test]
    fn what_the_editor_does_not_know_is_left_to_a_whole_rewrite() {
        let flow = "agents: {alpha: {name: alpha}}\n";
        let old = parse(flow);
        let mut new = old.clone();
        set(&mut new, &["agents", "alpha", "name"], "renamed".into());
        // The flow mapping cannot be edited inside: the key is written anew, still right.
        let text = patch(flow, &old, &new).unwrap();
        assert_eq!(parse(&text), new);
        let several = "a: 1\n---\nb: 2\n";
        assert!(patch(several, &parse("a: 1"), &parse("a: 2")).is_none());
    }
}
