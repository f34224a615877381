//! The secret-file policy: the names and patterns of files that never leave the machine.
//!
//! One table, read by `prepare` (what it leaves out of the deployment, for a file and for the
//! target of a symlink) and by `deploy` (what it refuses to zip when someone put such a file
//! into the deployment by hand). Names are matched without regard to case, as the filesystems
//! of macOS and Windows do. Only names that clearly say "secret" are here: a name that merely
//! looks like one (`keys.py`, `secrets_manager.py`, `tokenizer.json`, `environment.py`) is the
//! agent's own, and leaving it out would break the agent. Python source (`secrets.py`) is
//! never named: it is code the agent imports, and it goes with the rest of the package.
//! `prepare --include PATTERN` is the way to ship a file named here on purpose.

use std::path::{Component, Path};

/// Which kind of secret a file named by the policy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// `.env`, `.env.*`, `*.env`, `.envrc`: variables, often API keys.
    EnvironmentFile,
    /// Private keys, key stores, and the credentials files of package managers, Docker, git
    /// and cloud command-line tools.
    KeyOrCredentials,
    /// Files named for the secrets they hold (`secrets.json`, `.streamlit/secrets.toml`,
    /// `client_secret.json`).
    SecretsFile,
    /// Terraform state and variables, which hold the secrets of what they describe.
    InfrastructureState,
}

/// How one entry of the table matches a file's name (already lower-cased).
enum NamePattern {
    Exact(&'static str),
    Prefix(&'static str),
    Suffix(&'static str),
    /// A name starting with the first string and ending with the second.
    PrefixAndSuffix(&'static str, &'static str),
}

impl NamePattern {
    fn matches(&self, name: &str) -> bool {
        match self {
            NamePattern::Exact(exact) => name == *exact,
            NamePattern::Prefix(prefix) => name.starts_with(prefix),
            NamePattern::Suffix(suffix) => name.ends_with(suffix),
            NamePattern::PrefixAndSuffix(prefix, suffix) => {
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix)
                    && name.ends_with(suffix)
            }
        }
    }
}

use NamePattern::{Exact, Prefix, PrefixAndSuffix, Suffix};
use SecretKind::{EnvironmentFile, InfrastructureState, KeyOrCredentials, SecretsFile};

/// Files named by the policy wherever they are in the tree.
const FILES: &[(NamePattern, SecretKind)] = &[
    // Environment files: `.env`, `.env.production` (and, as agentprep always did, the
    // `.env.example` beside them), `prod.env`, direnv's `.envrc`.
    (Exact(".env"), EnvironmentFile),
    (Prefix(".env."), EnvironmentFile),
    (Suffix(".env"), EnvironmentFile),
    (Exact(".envrc"), EnvironmentFile),
    // Private keys and key stores.
    (Suffix(".pem"), KeyOrCredentials),
    (Suffix(".key"), KeyOrCredentials),
    (Suffix(".p12"), KeyOrCredentials),
    (Suffix(".pfx"), KeyOrCredentials),
    (Suffix(".jks"), KeyOrCredentials),
    (Suffix(".keystore"), KeyOrCredentials),
    (Suffix(".kdbx"), KeyOrCredentials),
    (Suffix(".ppk"), KeyOrCredentials),
    (Prefix("id_rsa"), KeyOrCredentials),
    (Prefix("id_dsa"), KeyOrCredentials),
    (Prefix("id_ecdsa"), KeyOrCredentials),
    (Prefix("id_ed25519"), KeyOrCredentials),
    // Credentials of tools: Python's package index and pip, netrc, PostgreSQL, git, Node's
    // package managers, Apache's password file, Kubernetes, boto 2 and s3cmd.
    (Exact("credentials"), KeyOrCredentials),
    (Exact(".pypirc"), KeyOrCredentials),
    (Exact("pip.conf"), KeyOrCredentials),
    (Exact("pip.ini"), KeyOrCredentials),
    (Exact(".netrc"), KeyOrCredentials),
    (Exact("_netrc"), KeyOrCredentials),
    (Exact(".pgpass"), KeyOrCredentials),
    (Exact(".git-credentials"), KeyOrCredentials),
    (Exact(".npmrc"), KeyOrCredentials),
    (Exact(".yarnrc"), KeyOrCredentials),
    (Exact(".yarnrc.yml"), KeyOrCredentials),
    (Exact(".htpasswd"), KeyOrCredentials),
    (Exact("kubeconfig"), KeyOrCredentials),
    (Exact(".boto"), KeyOrCredentials),
    (Exact(".s3cfg"), KeyOrCredentials),
    // Cloud credentials saved as JSON: Google's OAuth client and user files, its application
    // default credentials, service-account keys saved under that name.
    (Exact("credentials.json"), KeyOrCredentials),
    (
        Exact("application_default_credentials.json"),
        KeyOrCredentials,
    ),
    (
        PrefixAndSuffix("service-account", ".json"),
        KeyOrCredentials,
    ),
    (
        PrefixAndSuffix("service_account", ".json"),
        KeyOrCredentials,
    ),
    (PrefixAndSuffix("client_secret", ".json"), SecretsFile),
    (Prefix("secrets."), SecretsFile),
    // Terraform: state (and its backups) and variable files.
    (Suffix(".tfstate"), InfrastructureState),
    (Suffix(".tfstate.backup"), InfrastructureState),
    (Suffix(".tfvars"), InfrastructureState),
    (Suffix(".tfvars.json"), InfrastructureState),
];

/// Files named by the policy only inside a folder of this name: `config.json` is any tool's
/// settings, `.docker/config.json` holds registry logins.
const FILES_IN_FOLDER: &[(&str, &str, SecretKind)] =
    &[(".docker", "config.json", KeyOrCredentials)];

/// Folders left out whole: the settings of cloud command-line tools, SSH and GnuPG, and the
/// Jupyter server's (its tokens and password hash).
const FOLDERS: &[(&str, SecretKind)] = &[
    (".aws", KeyOrCredentials),
    (".azure", KeyOrCredentials),
    (".ssh", KeyOrCredentials),
    (".gnupg", KeyOrCredentials),
    (".kube", KeyOrCredentials),
    (".jupyter", KeyOrCredentials),
];

/// The policy's word on the file `relative` (a path below the source or the deployment),
/// looking at its name and the folder it is in, but not the folders above.
pub fn file_secret(relative: &Path) -> Option<SecretKind> {
    let name = relative.file_name()?.to_string_lossy().to_lowercase();
    if name.ends_with(".py") {
        return None;
    }
    if let Some((_, kind)) = FILES.iter().find(|(pattern, _)| pattern.matches(&name)) {
        return Some(*kind);
    }
    let folder = relative
        .parent()
        .and_then(Path::file_name)
        .map(|folder| folder.to_string_lossy().to_lowercase())?;
    FILES_IN_FOLDER
        .iter()
        .find(|(in_folder, file, _)| *in_folder == folder && *file == name)
        .map(|(_, _, kind)| *kind)
}

/// The policy's word on a folder named `name`: left out whole, or walked.
pub fn folder_secret(name: &str) -> Option<SecretKind> {
    let name = name.to_lowercase();
    FOLDERS
        .iter()
        .find(|(folder, _)| *folder == name)
        .map(|(_, kind)| *kind)
}

/// The policy's word on `relative`, folders above it included: what `deploy` checks each file
/// of a package with.
pub fn path_secret(relative: &Path) -> Option<SecretKind> {
    let folders = relative.parent().into_iter().flat_map(Path::components);
    for component in folders {
        if let Component::Normal(folder) = component
            && let Some(kind) = folder_secret(&folder.to_string_lossy())
        {
            return Some(kind);
        }
    }
    file_secret(relative)
}

/// The policy as `.dockerignore` globs (`**/.env`, `**/*.pem`, `**/.aws`, ...): what a
/// container build of the deployment never sends to the builder, written from this one table.
pub fn ignore_globs() -> Vec<String> {
    let mut globs: Vec<String> = FILES
        .iter()
        .map(|(pattern, _)| match pattern {
            Exact(name) => format!("**/{name}"),
            Prefix(prefix) => format!("**/{prefix}*"),
            Suffix(suffix) => format!("**/*{suffix}"),
            PrefixAndSuffix(prefix, suffix) => format!("**/{prefix}*{suffix}"),
        })
        .collect();
    globs.extend(
        FILES_IN_FOLDER
            .iter()
            .map(|(folder, file, _)| format!("**/{folder}/{file}")),
    );
    globs.extend(FOLDERS.iter().map(|(folder, _)| format!("**/{folder}")));
    globs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_audit_found_shipped_is_named() {
        for (path, kind) in [
            (".envrc", EnvironmentFile),
            ("prod.env", EnvironmentFile),
            (".git-credentials", KeyOrCredentials),
            (".npmrc", KeyOrCredentials),
            (".docker/config.json", KeyOrCredentials),
            (".streamlit/secrets.toml", SecretsFile),
            ("client_secret.json", SecretsFile),
            ("secrets.json", SecretsFile),
            ("terraform.tfstate", InfrastructureState),
            ("infra/terraform.tfstate.backup", InfrastructureState),
        ] {
            assert_eq!(path_secret(Path::new(path)), Some(kind), "{path}");
        }
    }

    #[test]
    fn the_common_secrets_of_python_node_docker_cloud_clis_and_notebooks_are_named() {
        for path in [
            ".env",
            ".env.production",
            "config/.ENV",
            "staging.env",
            ".pypirc",
            ".netrc",
            "pip.conf",
            ".yarnrc.yml",
            ".aws/credentials",
            ".aws/config",
            "deploy/.azure/accessTokens.json",
            ".kube/config",
            "kubeconfig",
            "credentials.json",
            "credentials",
            "gcloud/application_default_credentials.json",
            "service-account-prod.json",
            "client_secret_1234.apps.googleusercontent.com.json",
            "certs/server.pem",
            "tls.key",
            "id_rsa",
            "id_ed25519.pub",
            "store.p12",
            "store.pfx",
            "java.jks",
            "release.keystore",
            ".jupyter/jupyter_server_config.json",
            "secrets.yaml",
            "prod.tfvars",
            "prod.tfvars.json",
            ".htpasswd",
        ] {
            assert!(
                path_secret(Path::new(path)).is_some(),
                "{path} should be named"
            );
        }
    }

    #[test]
    fn look_alikes_of_secrets_are_the_agents_own_files() {
        for path in [
            "environment.py",
            "secrets_manager.py",
            "secrets.py",
            "tokenizer.json",
            "keys.py",
            "config.json",
            "docker/config.json",
            "settings.toml",
            "client.json",
            "keyboard.txt",
            "credentials_helper.py",
            "envelope.txt",
            "environment.yml",
        ] {
            assert_eq!(path_secret(Path::new(path)), None, "{path} should ship");
        }
    }

    #[test]
    fn env_templates_stay_left_out_as_they_always_were() {
        // agentprep has always left every `.env.*` out, templates included: an `.env.example`
        // filled in by mistake is as secret as `.env`, and the agent never reads it.
        for path in [".env.example", ".env.sample", ".env.template"] {
            assert_eq!(
                path_secret(Path::new(path)),
                Some(EnvironmentFile),
                "{path}"
            );
        }
    }

    #[test]
    fn a_secret_folder_names_everything_below_it_but_only_as_a_folder() {
        assert_eq!(
            path_secret(Path::new("agent/.ssh/known_hosts")),
            Some(KeyOrCredentials)
        );
        assert_eq!(folder_secret(".AWS"), Some(KeyOrCredentials));
        assert_eq!(path_secret(Path::new("agent/.ssh")), None);
        assert_eq!(file_secret(Path::new(".aws/notes.txt")), None);
    }
}
