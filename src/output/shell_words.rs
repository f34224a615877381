//! Shell quoting for the commands agentprep prints for the user to paste.
//!
//! The seed's tool printed its `agentcore configure` command through a pretty-printer that
//! wrapped lines inside the role ARN, so the pasted command broke. Here every argument is quoted
//! for POSIX shells (bash, zsh) and the command is laid out one option per line with `\`
//! continuations: no line break ever falls inside an argument, whatever the terminal width.

/// Quote one word for a POSIX shell; words made only of safe characters stay bare.
pub fn quote(word: &str) -> String {
    let is_safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(is_safe) {
        return word.to_string();
    }
    // Inside single quotes nothing is special except the quote itself, which is closed,
    // escaped and reopened.
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// One line: the words quoted and joined by spaces.
pub fn join(words: &[String]) -> String {
    words
        .iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Several lines: the program and its positional words first, then each `--option value` pair
/// on a line of its own, joined with ` \` continuations.
pub fn join_multiline(words: &[String]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for word in words {
        if word.starts_with("--") && !current.is_empty() {
            lines.push(current.join(" "));
            current.clear();
        }
        current.push(quote(word));
    }
    if !current.is_empty() {
        lines.push(current.join(" "));
    }
    lines.join(" \\\n    ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn plain_words_stay_bare_and_others_are_single_quoted() {
        assert_eq!(
            quote("arn:aws:iam::123456789012:role/AgentCoreRole-x"),
            "arn:aws:iam::123456789012:role/AgentCoreRole-x"
        );
        assert_eq!(quote("my dir/invoke.py"), "'my dir/invoke.py'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn multiline_breaks_only_between_options() {
        let text = join_multiline(&words(&[
            "agentcore",
            "configure",
            "--name",
            "a b",
            "--non-interactive",
        ]));
        assert_eq!(
            text,
            "agentcore configure \\\n    --name 'a b' \\\n    --non-interactive"
        );
    }
}
