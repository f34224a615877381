//! A Dockerfile read as the image it builds: the instructions of its last stage, each with
//! its words.
//!
//! Two questions are asked of a project's Dockerfile: what command the image runs (which names
//! the agent's entry) and what its `COPY` instructions put in the image (which says whether
//! the agent's own code outside the prepared folder is part of what runs). Both are answered by
//! the last stage alone, since an earlier stage's files reach the image only through a
//! `COPY --from`, and both need the same reading of continuation lines, the JSON form
//! (`CMD ["python", "-m", "app"]`) and the shell form (`CMD python -m app`).

/// One instruction of a Dockerfile: `COPY . .` is `{keyword: "COPY", arguments: ". ."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case, as Docker treats it.
    pub keyword: String,
    /// The rest of the line, continuation lines joined.
    pub arguments: String,
}

impl Instruction {
    /// The arguments as words: the JSON form's strings, or the shell form's words.
    pub fn words(&self) -> Vec<String> {
        instruction_words(&self.arguments)
    }
}

/// The instructions of the last stage (after the last `FROM`), in order.
pub fn last_stage(dockerfile: &str) -> Vec<Instruction> {
    let joined = dockerfile.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut stage = Vec::new();
    for line in joined.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        let Some((keyword, rest)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let keyword = keyword.to_ascii_uppercase();
        if keyword == "FROM" {
            // A new stage: what an earlier one holds or runs is not the image's.
            stage.clear();
            continue;
        }
        stage.push(Instruction {
            keyword,
            arguments: rest.trim().to_string(),
        });
    }
    stage
}

/// The JSON form (`["uvicorn", "main:app"]`) or the shell form of an instruction's argument.
fn instruction_words(argument: &str) -> Vec<String> {
    if argument.starts_with('[')
        && let Ok(words) = serde_json::from_str::<Vec<String>>(argument)
    {
        return words;
    }
    shell_words(argument)
}

/// Words of a shell command, quotes removed (enough for the commands images run).
pub fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_stage_is_read_with_both_forms_and_continuations() {
        let dockerfile = "FROM python:3.12 AS build\nCOPY build.py .\nFROM python:3.12-slim\n# COPY secrets/ .\ncopy --chown=app \\\n  . /app\nCMD [\"python\", \"-m\", \"agents.main\"]\n";
        let stage = last_stage(dockerfile);
        let keywords: Vec<&str> = stage.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(
            keywords,
            ["COPY", "CMD"],
            "the build stage and the comment are not the image's"
        );
        assert_eq!(stage[0].words(), ["--chown=app", ".", "/app"]);
        assert_eq!(stage[1].words(), ["python", "-m", "agents.main"]);
        assert_eq!(
            shell_words(r#"sh -c "uvicorn main:app --port 80""#),
            ["sh", "-c", "uvicorn main:app --port 80"]
        );
    }
}
