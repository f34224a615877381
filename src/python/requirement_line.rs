//! One PEP 508 requirement (`name[extras] specifiers ; marker`, or `name @ url`), read well
//! enough to merge two lines for the same distribution without losing either.
//!
//! `strands-agents[litellm]` and `strands-agents>=1.0` become `strands-agents[litellm]>=1.0`:
//! extras are united, version clauses kept side by side (pip intersects them), markers kept.
//! Lines with different markers stay separate lines, as they apply to different Pythons.

use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The name as first written (`Strands_Agents`).
    pub name: String,
    /// The PEP 503 normalised name (`strands-agents`).
    pub key: String,
    /// Extras, lower-cased.
    pub extras: BTreeSet<String>,
    /// Version clauses (`>=1.0`, `<2`), in the order first written.
    pub clauses: Vec<String>,
    /// A direct reference (`name @ https://...`).
    pub url: Option<String>,
    /// The environment marker after `;`, white space normalised.
    pub marker: Option<String>,
    /// The line as written, kept while nothing was merged into it.
    original: String,
    merged: bool,
}

impl Requirement {
    /// Read a requirement line (comments already removed). `None` when it does not start
    /// with a distribution name.
    pub fn parse(line: &str) -> Option<Requirement> {
        let line = line.trim();
        if !line.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return None;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let key = normalized_name(&name);
        if key.is_empty() {
            return None;
        }
        let mut rest = line[name.len()..].trim_start();
        let mut extras = BTreeSet::new();
        if let Some(after) = rest.strip_prefix('[') {
            let (inside, tail) = after.split_once(']')?;
            extras = inside
                .split(',')
                .map(|extra| extra.trim().to_ascii_lowercase())
                .filter(|extra| !extra.is_empty())
                .collect();
            rest = tail.trim_start();
        }
        let (body, marker) = match rest.split_once(';') {
            Some((body, marker)) => (body.trim(), Some(compact(marker))),
            None => (rest.trim(), None),
        };
        let (clauses, url) = match body.strip_prefix('@') {
            Some(url) => (Vec::new(), Some(url.trim().to_string())),
            None => {
                let body = body.trim_start_matches('(').trim_end_matches(')');
                let clauses = body
                    .split(',')
                    .map(|clause| clause.split_whitespace().collect::<String>())
                    .filter(|clause| !clause.is_empty())
                    .collect();
                (clauses, None)
            }
        };
        Some(Requirement {
            name,
            key,
            extras,
            clauses,
            url,
            marker: marker.filter(|m| !m.is_empty()),
            original: line.to_string(),
            merged: false,
        })
    }

    /// Whether `other` is for the same distribution under the same marker, so one line can
    /// hold both.
    pub fn same_slot(&self, other: &Requirement) -> bool {
        self.key == other.key && self.marker == other.marker
    }

    /// Take what `other` adds. Returns a note when something could not be kept.
    pub fn merge(&mut self, other: &Requirement) -> Option<String> {
        let before = self.render();
        let mut note = None;
        self.extras.extend(other.extras.iter().cloned());
        match (&self.url, &other.url) {
            (Some(mine), Some(theirs)) if mine != theirs => {
                note = Some(format!(
                    "`{}` and `{}` point at different sources; the first is kept",
                    self.original, other.original
                ));
            }
            (None, Some(url)) => {
                self.url = Some(url.clone());
                if !self.clauses.is_empty() {
                    note = Some(format!(
                        "`{}` is a direct reference, so the version clauses `{}` were dropped",
                        other.original,
                        self.clauses.join(",")
                    ));
                }
                self.clauses.clear();
            }
            (Some(_), None) if !other.clauses.is_empty() => {
                note = Some(format!(
                    "`{}` is a direct reference, so `{}` was dropped",
                    self.original, other.original
                ));
            }
            _ => {
                let mut clauses = self.clauses.clone();
                for clause in &other.clauses {
                    if !clauses.contains(clause) {
                        clauses.push(clause.clone());
                    }
                }
                match contradiction(&clauses) {
                    Some((pin, clause)) => {
                        note = Some(format!(
                            "`{}` and `{}` cannot both hold (`{pin}` against `{clause}`); the first is kept",
                            self.original, other.original
                        ));
                    }
                    None => self.clauses = clauses,
                }
            }
        }
        if self.render() != before {
            self.merged = true;
        }
        note
    }

    /// Pin to `version` (the one a lock file holds) when the line's clauses allow it. Returns
    /// `Err` with the clause that excludes it; `Ok(false)` when there was nothing to do (a
    /// direct reference, or already pinned there).
    pub fn pin(&mut self, version: &str) -> Result<bool, String> {
        let pinned = format!("=={version}");
        if self.url.is_some() || self.clauses == [pinned.clone()] {
            return Ok(false);
        }
        // An exact version of the user's is theirs, whatever a lock says, pre-releases
        // (`0.58b0`) included, which the comparison below cannot order.
        if let Some(exact) = self.clauses.iter().find(|clause| {
            (clause.starts_with("==") || clause.starts_with("===")) && !clause.contains('*')
        }) {
            return if exact.trim_start_matches('=') == version {
                Ok(false)
            } else {
                Err(exact.clone())
            };
        }
        let mut clauses = self.clauses.clone();
        clauses.push(pinned.clone());
        if let Some((_, clause)) = contradiction(&clauses) {
            return Err(clause);
        }
        self.clauses = vec![pinned];
        self.merged = true;
        Ok(true)
    }

    /// Add `extra` unless the line has it. Returns whether it did.
    pub fn add_extra(&mut self, extra: &str) -> bool {
        if !self.extras.insert(extra.to_ascii_lowercase()) {
            return false;
        }
        self.merged = true;
        true
    }

    /// Keep the line below major version `major` (`mcp>=1.10` -> `mcp>=1.10,<2`) when its
    /// clauses let that major in. Returns whether it added the bound: a direct reference, or
    /// clauses that already stop below it (`<2`, `==1.27.0`, `~=1.10`), are kept as they are.
    pub fn cap_below_major(&mut self, major: u64) -> bool {
        if self.url.is_some() || !admits_major(&self.clauses, major) {
            return false;
        }
        // A lower bound at or past that major (`mcp>=2.1`) is the user asking for it: the
        // bound would leave no version at all.
        let asks_for_major = self.clauses.iter().any(|clause| {
            split_operator(clause).is_some_and(|(operator, bound)| {
                matches!(operator, ">=" | ">")
                    && release(bound).is_some_and(|bound| bound[0] >= major)
            })
        });
        if asks_for_major {
            return false;
        }
        self.clauses.push(format!("<{major}"));
        self.merged = true;
        true
    }

    /// The line to write: as written when nothing was merged into it.
    pub fn line(&self) -> String {
        if self.merged {
            self.render()
        } else {
            self.original.clone()
        }
    }

    fn render(&self) -> String {
        let mut out = self.name.clone();
        if !self.extras.is_empty() {
            let extras: Vec<&str> = self.extras.iter().map(String::as_str).collect();
            out.push_str(&format!("[{}]", extras.join(",")));
        }
        match &self.url {
            Some(url) => out.push_str(&format!(" @ {url}")),
            None => out.push_str(&self.clauses.join(",")),
        }
        if let Some(marker) = &self.marker {
            out.push_str(&format!("; {marker}"));
        }
        out
    }
}

/// A pin (`==1.2`) that another clause rules out (`>=2`), by comparing release numbers;
/// clauses it cannot read are taken to hold.
fn contradiction(clauses: &[String]) -> Option<(String, String)> {
    let pins = clauses.iter().filter_map(|clause| {
        clause
            .strip_prefix("==")
            .filter(|v| !v.contains('*'))
            .map(|v| (clause, v))
    });
    for (pin, version) in pins {
        let version = release(version)?;
        for clause in clauses.iter().filter(|clause| *clause != pin) {
            let (operator, bound) = split_operator(clause)?;
            let bound = release(bound)?;
            let holds = match operator {
                "==" | "===" => version == bound,
                "!=" => version != bound,
                ">=" => version >= bound,
                "<=" => version <= bound,
                ">" => version > bound,
                "<" => version < bound,
                _ => true,
            };
            if !holds {
                return Some((pin.clone(), clause.clone()));
            }
        }
    }
    None
}

/// Whether some version of major `major` satisfies every clause (each judged on its own; a
/// clause that cannot be read admits it).
fn admits_major(clauses: &[String], major: u64) -> bool {
    clauses.iter().all(|clause| {
        let Some((operator, bound)) = split_operator(clause) else {
            return true;
        };
        let Some(bound) = release(bound.trim_end_matches(".*")) else {
            return true;
        };
        let bound_major = bound[0];
        match operator {
            ">=" | ">" => bound_major <= major,
            "<" => bound_major > major || (bound_major == major && bound.len() > 1),
            "<=" => bound_major >= major,
            "==" | "===" => bound_major == major,
            // `~=1.10` is `>=1.10, ==1.*`; `~=1.10.2` stays within 1.10.
            "~=" => bound_major == major,
            _ => true,
        }
    })
}

fn split_operator(clause: &str) -> Option<(&str, &str)> {
    let at = clause.find(|c: char| c.is_ascii_alphanumeric())?;
    Some((&clause[..at], &clause[at..]))
}

/// `1.2.3` as comparable numbers, trailing zeros dropped (`1.0` == `1`); `None` for
/// versions with letters (pre-releases, local versions), which are not compared.
fn release(version: &str) -> Option<Vec<u64>> {
    let mut parts: Vec<u64> = version
        .split('.')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    while parts.len() > 1 && parts.last() == Some(&0) {
        parts.pop();
    }
    Some(parts)
}

/// The PEP 503 normalised distribution name: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn normalized_name(name: &str) -> String {
    let mut normalized = String::new();
    for c in name.trim_matches(|c| matches!(c, '-' | '_' | '.')).chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    normalized
}

fn compact(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(lines: &[&str]) -> String {
        let mut first = Requirement::parse(lines[0]).unwrap();
        for line in &lines[1..] {
            first.merge(&Requirement::parse(line).unwrap());
        }
        first.line()
    }

    #[test]
    fn extras_and_constraints_survive_a_merge() {
        assert_eq!(
            merged(&["strands-agents[litellm]", "strands-agents"]),
            "strands-agents[litellm]"
        );
        assert_eq!(
            merged(&["strands-agents", "strands-agents[otel]>=1.0"]),
            "strands-agents[otel]>=1.0"
        );
        assert_eq!(
            merged(&["requests>=2.28.0", "requests"]),
            "requests>=2.28.0"
        );
        assert_eq!(
            merged(&["boto3>=1.34", "boto3 <2"]),
            "boto3>=1.34,<2",
            "pip intersects the clauses"
        );
        assert_eq!(
            merged(&["Strands_Agents[a, b] >= 1.0 ; python_version >= '3.10'"]),
            "Strands_Agents[a, b] >= 1.0 ; python_version >= '3.10'",
            "a line nothing was merged into stays as written"
        );
    }

    #[test]
    fn contradicting_pins_keep_the_first_line() {
        let mut first = Requirement::parse("strands-agents>=1.0").unwrap();
        let note = first.merge(&Requirement::parse("Strands_Agents==0.1").unwrap());
        assert!(note.unwrap().contains("cannot both hold"));
        assert_eq!(first.line(), "strands-agents>=1.0");
        assert_eq!(
            merged(&["boto3==1.34.0", "boto3>=1.34"]),
            "boto3==1.34.0,>=1.34"
        );
    }

    #[test]
    fn a_locked_version_pins_a_line_its_clauses_allow() {
        let mut requirement =
            Requirement::parse("strands-agents[otel]>=1.0.1; python_version >= '3.10'").unwrap();
        assert_eq!(requirement.pin("1.2.0"), Ok(true));
        assert_eq!(
            requirement.line(),
            "strands-agents[otel]==1.2.0; python_version >= '3.10'"
        );
        let mut old = Requirement::parse("mcp>=2").unwrap();
        assert_eq!(old.pin("1.27.2"), Err(">=2".to_string()));
        assert_eq!(old.line(), "mcp>=2");
    }

    #[test]
    fn markers_and_direct_references_are_read() {
        let requirement = Requirement::parse("uvloop>=0.19 ;  sys_platform != 'win32'").unwrap();
        assert_eq!(requirement.key, "uvloop");
        assert_eq!(
            requirement.marker.as_deref(),
            Some("sys_platform != 'win32'")
        );
        assert_eq!(requirement.clauses, [">=0.19"]);
        let other = Requirement::parse("uvloop").unwrap();
        assert!(
            !requirement.same_slot(&other),
            "different markers, different lines"
        );
        let url = Requirement::parse("pkg @ https://example.invalid/pkg-1.0.tar.gz").unwrap();
        assert_eq!(
            url.url.as_deref(),
            Some("https://example.invalid/pkg-1.0.tar.gz")
        );
        assert!(Requirement::parse("--index-url x").is_none());
        assert_eq!(normalized_name("zope.interface"), "zope-interface");
    }

    #[test]
    fn a_major_cap_is_added_only_where_the_clauses_let_that_major_in() {
        let capped = |line: &str| {
            let mut requirement = Requirement::parse(line).unwrap();
            requirement.cap_below_major(2);
            requirement.line()
        };
        assert_eq!(capped("mcp"), "mcp<2");
        assert_eq!(capped("mcp>=1.10.0"), "mcp>=1.10.0,<2");
        assert_eq!(capped("mcp[cli]>=1.0.0"), "mcp[cli]>=1.0.0,<2");
        assert_eq!(capped("mcp>=1.0,<3"), "mcp>=1.0,<3,<2");
        assert_eq!(capped("mcp<2.1"), "mcp<2.1,<2");
        for kept in [
            "mcp<2",
            "mcp<2.0",
            "mcp<=1.99",
            "mcp==1.27.0",
            "mcp~=1.10",
            "mcp>=2.1",
            "mcp @ https://example.com/mcp-1.0.tar.gz",
        ] {
            assert_eq!(capped(kept), kept, "kept as written");
        }
    }

    #[test]
    fn an_exact_version_of_the_users_is_never_replaced_by_a_lock() {
        let mut beta = Requirement::parse("opentelemetry-instrumentation==0.58b0").unwrap();
        assert_eq!(beta.pin("0.59b0"), Err("==0.58b0".to_string()));
        assert_eq!(beta.line(), "opentelemetry-instrumentation==0.58b0");
        let mut same = Requirement::parse("opentelemetry-sdk==1.37.0").unwrap();
        assert_eq!(same.pin("1.37.0"), Ok(false));
        let mut open = Requirement::parse("mcp>=1.10").unwrap();
        assert_eq!(open.pin("1.27.0"), Ok(true));
        assert_eq!(open.line(), "mcp==1.27.0");
    }
}
