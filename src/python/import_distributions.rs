//! Which PyPI distribution provides a given top-level Python import.
//!
//! When an agent's third-party imports are turned into dependencies, the
//! import name is not always the name to install: `import yaml` needs
//! `PyYAML`, `import strands_tools` needs `strands-agents-tools`. This table
//! records those differences, plus the packages that AI-agent code commonly
//! imports (even where both names match), so that the common cases resolve
//! from a known answer rather than a guess. Names missing from the table are
//! left to the caller.
//!
//! Keys are top-level import names only (`langchain_core`, not
//! `langchain_core.messages`). Names are deliberately left out when the
//! top-level name alone cannot tell which distribution is meant:
//!
//! - namespace packages shared by many distributions, such as `google`
//!   (`protobuf`, `google-generativeai`, `google-cloud-*`), `azure`,
//!   `awslabs` or `snowflake`;
//! - names that several unrelated distributions install, such as `whisper`,
//!   `bson`, `multipart`, `slugify`, `ffmpeg` or `fpdf`.
//!
//! `agents` is the OpenAI Agents SDK's package, by far the most common import of
//! that name in agent code (a local `agents/` folder is the agent's own and is
//! never looked up here). Namespace packages are resolved by their next part
//! instead ([`distribution_for_module`]): `google.adk` is `google-adk`,
//! `google.cloud.storage` is `google-cloud-storage`.
//!
//! Several keys may map to one distribution (`pywin32` installs `win32api`,
//! `win32con`, `pythoncom` and more). The table was written by hand; every
//! distribution name in it was checked to exist on PyPI. Distribution names
//! are given in their usual spelling; PyPI compares them case-insensitively
//! and treats `-`, `_` and `.` alike.

/// Pairs of (top-level import name, PyPI distribution name), sorted by import
/// name in byte order so that [`distribution_for_import`] can binary search
/// them.
pub const IMPORT_TO_DISTRIBUTION: &[(&str, &str)] = &[
    ("Bio", "biopython"),
    ("Crypto", "pycryptodome"),
    ("Cryptodome", "pycryptodomex"),
    ("IPython", "ipython"),
    ("Levenshtein", "python-Levenshtein"),
    ("MySQLdb", "mysqlclient"),
    ("OpenSSL", "pyOpenSSL"),
    ("PIL", "pillow"),
    ("PyPDF2", "PyPDF2"),
    ("a2a", "a2a-sdk"),
    ("accelerate", "accelerate"),
    ("ag_ui", "ag-ui-protocol"),
    ("agents", "openai-agents"),
    ("agno", "agno"),
    ("aioboto3", "aioboto3"),
    ("aiobotocore", "aiobotocore"),
    ("aiofiles", "aiofiles"),
    ("aiohttp", "aiohttp"),
    ("annotated_types", "annotated-types"),
    ("anthropic", "anthropic"),
    ("anyio", "anyio"),
    ("apscheduler", "APScheduler"),
    ("arxiv", "arxiv"),
    ("asyncpg", "asyncpg"),
    ("atlassian", "atlassian-python-api"),
    ("attr", "attrs"),
    ("autogen", "ag2"),
    ("autogen_agentchat", "autogen-agentchat"),
    ("autogen_core", "autogen-core"),
    ("autogen_ext", "autogen-ext"),
    ("aws_lambda_powertools", "aws-lambda-powertools"),
    ("aws_opentelemetry_distro", "aws-opentelemetry-distro"),
    ("aws_requests_auth", "aws-requests-auth"),
    ("aws_xray_sdk", "aws-xray-sdk"),
    ("backoff", "backoff"),
    ("bedrock_agentcore", "bedrock-agentcore"),
    (
        "bedrock_agentcore_starter_toolkit",
        "bedrock-agentcore-starter-toolkit",
    ),
    ("boto3", "boto3"),
    ("botocore", "botocore"),
    ("browser_use", "browser-use"),
    ("bs4", "beautifulsoup4"),
    ("cachetools", "cachetools"),
    ("cassandra", "cassandra-driver"),
    ("certifi", "certifi"),
    ("charset_normalizer", "charset-normalizer"),
    ("chromadb", "chromadb"),
    ("claude_agent_sdk", "claude-agent-sdk"),
    ("click", "click"),
    ("cohere", "cohere"),
    ("confluent_kafka", "confluent-kafka"),
    ("crewai", "crewai"),
    ("crewai_tools", "crewai-tools"),
    ("cryptography", "cryptography"),
    ("cv2", "opencv-python"),
    ("dataclasses_json", "dataclasses-json"),
    ("datasets", "datasets"),
    ("dateutil", "python-dateutil"),
    ("ddgs", "ddgs"),
    ("decouple", "python-decouple"),
    ("defusedxml", "defusedxml"),
    ("discord", "discord.py"),
    ("django", "Django"),
    ("dns", "dnspython"),
    ("docker", "docker"),
    ("docx", "python-docx"),
    ("dotenv", "python-dotenv"),
    ("dspy", "dspy"),
    ("duckdb", "duckdb"),
    ("duckduckgo_search", "duckduckgo-search"),
    ("elasticsearch", "elasticsearch"),
    ("email_validator", "email-validator"),
    ("engineio", "python-engineio"),
    ("exa_py", "exa-py"),
    ("faiss", "faiss-cpu"),
    ("fastapi", "fastapi"),
    ("fastmcp", "fastmcp"),
    ("firecrawl", "firecrawl-py"),
    ("fitz", "PyMuPDF"),
    ("flask", "Flask"),
    ("frontmatter", "python-frontmatter"),
    ("gi", "PyGObject"),
    ("git", "GitPython"),
    ("github", "PyGithub"),
    ("google_auth_oauthlib", "google-auth-oauthlib"),
    ("google_crc32c", "google-crc32c"),
    ("googleapiclient", "google-api-python-client"),
    ("gradio", "gradio"),
    ("groq", "groq"),
    ("grpc", "grpcio"),
    ("grpc_tools", "grpcio-tools"),
    ("gtts", "gTTS"),
    ("guardrails", "guardrails-ai"),
    ("haystack", "haystack-ai"),
    ("html2text", "html2text"),
    ("httpx", "httpx"),
    ("httpx_sse", "httpx-sse"),
    ("huggingface_hub", "huggingface-hub"),
    ("hydra", "hydra-core"),
    ("instructor", "instructor"),
    ("jinja2", "Jinja2"),
    ("jira", "jira"),
    ("jmespath", "jmespath"),
    ("jose", "python-jose"),
    ("json_repair", "json-repair"),
    ("jsonpath_ng", "jsonpath-ng"),
    ("jsonschema", "jsonschema"),
    ("jupyter_client", "jupyter-client"),
    ("jwt", "PyJWT"),
    ("kafka", "kafka-python"),
    ("kubernetes", "kubernetes"),
    ("lancedb", "lancedb"),
    ("langchain", "langchain"),
    ("langchain_anthropic", "langchain-anthropic"),
    ("langchain_aws", "langchain-aws"),
    ("langchain_community", "langchain-community"),
    ("langchain_core", "langchain-core"),
    ("langchain_experimental", "langchain-experimental"),
    ("langchain_google_genai", "langchain-google-genai"),
    ("langchain_mcp_adapters", "langchain-mcp-adapters"),
    ("langchain_ollama", "langchain-ollama"),
    ("langchain_openai", "langchain-openai"),
    ("langchain_tavily", "langchain-tavily"),
    ("langchain_text_splitters", "langchain-text-splitters"),
    ("langfuse", "langfuse"),
    ("langgraph", "langgraph"),
    ("langgraph_checkpoint_aws", "langgraph-checkpoint-aws"),
    ("langgraph_sdk", "langgraph-sdk"),
    ("langgraph_supervisor", "langgraph-supervisor"),
    ("langgraph_swarm", "langgraph-swarm"),
    ("langsmith", "langsmith"),
    ("litellm", "litellm"),
    ("llama_cpp", "llama-cpp-python"),
    ("llama_index", "llama-index"),
    ("llama_parse", "llama-parse"),
    ("loguru", "loguru"),
    ("lxml", "lxml"),
    ("magic", "python-magic"),
    ("markdown", "Markdown"),
    ("markdown_it", "markdown-it-py"),
    ("markdownify", "markdownify"),
    ("markupsafe", "MarkupSafe"),
    ("marvin", "marvin"),
    ("matplotlib", "matplotlib"),
    ("mcp", "mcp"),
    ("mem0", "mem0ai"),
    ("mistralai", "mistralai"),
    ("mlflow", "mlflow"),
    ("moto", "moto"),
    ("mypy_extensions", "mypy-extensions"),
    ("nacl", "PyNaCl"),
    ("neo4j", "neo4j"),
    ("nest_asyncio", "nest-asyncio"),
    ("nltk", "nltk"),
    ("notion_client", "notion-client"),
    ("nova_act", "nova-act"),
    ("numpy", "numpy"),
    ("ollama", "ollama"),
    ("openai", "openai"),
    ("openpyxl", "openpyxl"),
    ("opensearchpy", "opensearch-py"),
    ("opentelemetry", "opentelemetry-api"),
    ("orjson", "orjson"),
    ("osgeo", "GDAL"),
    ("packaging", "packaging"),
    ("pandas", "pandas"),
    ("paramiko", "paramiko"),
    ("pdfminer", "pdfminer.six"),
    ("pdfplumber", "pdfplumber"),
    ("pgvector", "pgvector"),
    ("phi", "phidata"),
    ("pinecone", "pinecone"),
    ("pkg_resources", "setuptools"),
    ("playwright", "playwright"),
    ("plotly", "plotly"),
    ("polars", "polars"),
    ("pptx", "python-pptx"),
    ("presidio_analyzer", "presidio-analyzer"),
    ("presidio_anonymizer", "presidio-anonymizer"),
    ("prometheus_client", "prometheus-client"),
    ("prompt_toolkit", "prompt_toolkit"),
    ("psutil", "psutil"),
    ("psycopg", "psycopg"),
    ("psycopg2", "psycopg2-binary"),
    ("psycopg_pool", "psycopg-pool"),
    ("pyarrow", "pyarrow"),
    ("pydantic", "pydantic"),
    ("pydantic_ai", "pydantic-ai"),
    ("pydantic_core", "pydantic-core"),
    ("pydantic_settings", "pydantic-settings"),
    ("pygments", "Pygments"),
    ("pymilvus", "pymilvus"),
    ("pymongo", "pymongo"),
    ("pymysql", "PyMySQL"),
    ("pypdf", "pypdf"),
    ("pytest", "pytest"),
    ("python_multipart", "python-multipart"),
    ("pythoncom", "pywin32"),
    ("pythonjsonlogger", "python-json-logger"),
    ("pytz", "pytz"),
    ("pywintypes", "pywin32"),
    ("qdrant_client", "qdrant-client"),
    ("redis", "redis"),
    ("requests", "requests"),
    ("requests_aws4auth", "requests-aws4auth"),
    ("requests_oauthlib", "requests-oauthlib"),
    ("requests_toolbelt", "requests-toolbelt"),
    ("rich", "rich"),
    ("ruamel", "ruamel.yaml"),
    ("s3transfer", "s3transfer"),
    ("safetensors", "safetensors"),
    ("sagemaker", "sagemaker"),
    ("scipy", "scipy"),
    ("selenium", "selenium"),
    ("semantic_kernel", "semantic-kernel"),
    ("sentence_transformers", "sentence-transformers"),
    ("sentry_sdk", "sentry-sdk"),
    ("serial", "pyserial"),
    ("serpapi", "google-search-results"),
    ("setuptools", "setuptools"),
    ("skimage", "scikit-image"),
    ("sklearn", "scikit-learn"),
    ("slack_bolt", "slack-bolt"),
    ("slack_sdk", "slack-sdk"),
    ("smolagents", "smolagents"),
    ("socketio", "python-socketio"),
    ("spacy", "spacy"),
    ("speech_recognition", "SpeechRecognition"),
    ("sqlalchemy", "SQLAlchemy"),
    ("sse_starlette", "sse-starlette"),
    ("starlette", "starlette"),
    ("strands", "strands-agents"),
    ("strands_agents_builder", "strands-agents-builder"),
    ("strands_tools", "strands-agents-tools"),
    ("streamlit", "streamlit"),
    ("stripe", "stripe"),
    ("structlog", "structlog"),
    ("tabulate", "tabulate"),
    ("tavily", "tavily-python"),
    ("telegram", "python-telegram-bot"),
    ("tenacity", "tenacity"),
    ("tiktoken", "tiktoken"),
    ("tokenizers", "tokenizers"),
    ("torch", "torch"),
    ("tqdm", "tqdm"),
    ("trafilatura", "trafilatura"),
    ("transformers", "transformers"),
    ("tree_sitter", "tree-sitter"),
    ("twilio", "twilio"),
    ("typer", "typer"),
    ("typing_extensions", "typing_extensions"),
    ("unidecode", "Unidecode"),
    ("urllib3", "urllib3"),
    ("usb", "pyusb"),
    ("uv", "uv"),
    ("uvicorn", "uvicorn"),
    ("wandb", "wandb"),
    ("weaviate", "weaviate-client"),
    ("websocket", "websocket-client"),
    ("websockets", "websockets"),
    ("werkzeug", "Werkzeug"),
    ("wikipedia", "wikipedia"),
    ("win32api", "pywin32"),
    ("win32com", "pywin32"),
    ("win32con", "pywin32"),
    ("wx", "wxPython"),
    ("xlsxwriter", "XlsxWriter"),
    ("xmltodict", "xmltodict"),
    ("yaml", "PyYAML"),
    ("yfinance", "yfinance"),
    ("yt_dlp", "yt-dlp"),
    ("zmq", "pyzmq"),
];

/// The PyPI distribution that provides the top-level import `top_level`, if
/// it is one this table knows about.
pub fn distribution_for_import(top_level: &str) -> Option<&'static str> {
    IMPORT_TO_DISTRIBUTION
        .binary_search_by(|(import, _)| (*import).cmp(top_level))
        .ok()
        .and_then(|index| IMPORT_TO_DISTRIBUTION.get(index))
        .map(|(_, distribution)| *distribution)
}

/// Namespace packages whose distribution is named by a longer prefix of the import.
const NAMESPACE_TO_DISTRIBUTION: &[(&str, &str)] = &[
    ("google.adk", "google-adk"),
    ("google.api_core", "google-api-core"),
    ("google.auth", "google-auth"),
    ("google.genai", "google-genai"),
    ("google.generativeai", "google-generativeai"),
    ("google.oauth2", "google-auth"),
    ("google.protobuf", "protobuf"),
    ("llama_index.core", "llama-index-core"),
    ("opentelemetry.exporter.otlp", "opentelemetry-exporter-otlp"),
    ("opentelemetry.sdk", "opentelemetry-sdk"),
];

/// Families whose distribution is the first `parts` parts of the import joined with `-`:
/// `google.cloud.storage` -> `google-cloud-storage`.
const NAMESPACE_FAMILIES: &[(&str, usize)] = &[
    ("awslabs", 2),
    ("google.cloud", 3),
    ("llama_index.embeddings", 3),
    ("llama_index.llms", 3),
    ("llama_index.readers", 3),
    ("llama_index.tools", 3),
    ("llama_index.vector_stores", 3),
    ("opentelemetry.instrumentation", 3),
];

/// The PyPI distribution that provides the module `dotted` (`google.adk.agents`,
/// `strands.models`), if this table knows it: namespace packages by their longer prefix,
/// everything else by its top-level name.
pub fn distribution_for_module(dotted: &str) -> Option<String> {
    let parts: Vec<&str> = dotted.split('.').collect();
    for length in (2..=parts.len()).rev() {
        let prefix = parts[..length].join(".");
        if let Some((_, distribution)) = NAMESPACE_TO_DISTRIBUTION
            .iter()
            .find(|(namespace, _)| *namespace == prefix)
        {
            return Some((*distribution).to_string());
        }
    }
    for (family, length) in NAMESPACE_FAMILIES {
        let inside = dotted == *family || dotted.starts_with(&format!("{family}."));
        if inside && parts.len() >= *length {
            return Some(parts[..*length].join("-").replace('_', "-"));
        }
    }
    distribution_for_import(parts[0]).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_without_duplicates() {
        // Binary search is only correct on strictly increasing keys.
        for pair in IMPORT_TO_DISTRIBUTION.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{} must sort before {}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn entries_are_well_formed() {
        for (import, distribution) in IMPORT_TO_DISTRIBUTION {
            assert!(
                !import.is_empty() && !import.contains('.'),
                "bad import name {import:?}"
            );
            assert!(
                !distribution.is_empty() && !distribution.contains(' '),
                "bad distribution {distribution:?}"
            );
        }
    }

    #[test]
    fn agent_frameworks_resolve() {
        assert_eq!(distribution_for_import("strands"), Some("strands-agents"));
        assert_eq!(
            distribution_for_import("strands_tools"),
            Some("strands-agents-tools")
        );
        assert_eq!(
            distribution_for_import("bedrock_agentcore"),
            Some("bedrock-agentcore")
        );
        assert_eq!(
            distribution_for_import("opentelemetry"),
            Some("opentelemetry-api")
        );
    }

    #[test]
    fn differing_names_resolve() {
        assert_eq!(distribution_for_import("yaml"), Some("PyYAML"));
        assert_eq!(distribution_for_import("PIL"), Some("pillow"));
        assert_eq!(distribution_for_import("sklearn"), Some("scikit-learn"));
        assert_eq!(distribution_for_import("pkg_resources"), Some("setuptools"));
    }

    #[test]
    fn namespace_packages_resolve_by_their_next_part() {
        let of = |dotted: &str| distribution_for_module(dotted);
        assert_eq!(of("google.adk.agents").as_deref(), Some("google-adk"));
        assert_eq!(of("google.genai").as_deref(), Some("google-genai"));
        assert_eq!(
            of("google.cloud.storage.blob").as_deref(),
            Some("google-cloud-storage")
        );
        assert_eq!(
            of("llama_index.llms.bedrock_converse").as_deref(),
            Some("llama-index-llms-bedrock-converse")
        );
        assert_eq!(
            of("llama_index.core.agent").as_deref(),
            Some("llama-index-core")
        );
        assert_eq!(
            of("awslabs.aws_pricing_mcp_server").as_deref(),
            Some("awslabs-aws-pricing-mcp-server")
        );
        assert_eq!(of("strands.models").as_deref(), Some("strands-agents"));
        assert_eq!(of("agents").as_deref(), Some("openai-agents"));
        assert_eq!(of("a2a.server.apps").as_deref(), Some("a2a-sdk"));
        assert_eq!(of("uv._find_uv").as_deref(), Some("uv"));
        assert_eq!(of("google"), None);
        assert_eq!(of("google.mystery"), None);
    }

    #[test]
    fn lookup_is_case_sensitive() {
        // Import names are case-sensitive: `Crypto` is pycryptodome, `crypto` is not.
        assert_eq!(distribution_for_import("Crypto"), Some("pycryptodome"));
        assert_eq!(distribution_for_import("crypto"), None);
    }

    #[test]
    fn unknown_and_ambiguous_names_are_none() {
        assert_eq!(distribution_for_import("no_such_module_here"), None);
        assert_eq!(distribution_for_import("google"), None);
        assert_eq!(distribution_for_import("awslabs"), None);
        assert_eq!(distribution_for_import("langchain_core.messages"), None);
        assert_eq!(distribution_for_import(""), None);
    }
}
