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
//!   `bson`, `multipart`, `slugify`, `ffmpeg`, `fpdf` or `agents`.
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
    ("click", "click"),
    ("cohere", "cohere"),
    ("confluent_kafka", "confluent-kafka"),
    ("crewai", "crewai"),
    ("cryptography", "cryptography"),
    ("cv2", "opencv-python"),
    ("dataclasses_json", "dataclasses-json"),
    ("datasets", "datasets"),
    ("dateutil", "python-dateutil"),
    ("decouple", "python-decouple"),
    ("defusedxml", "defusedxml"),
    ("discord", "discord.py"),
    ("django", "Django"),
    ("dns", "dnspython"),
    ("docker", "docker"),
    ("docx", "python-docx"),
    ("dotenv", "python-dotenv"),
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
    ("html2text", "html2text"),
    ("httpx", "httpx"),
    ("httpx_sse", "httpx-sse"),
    ("huggingface_hub", "huggingface-hub"),
    ("hydra", "hydra-core"),
    ("instructor", "instructor"),
    ("jinja2", "Jinja2"),
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
    ("langchain_text_splitters", "langchain-text-splitters"),
    ("langfuse", "langfuse"),
    ("langgraph", "langgraph"),
    ("langgraph_sdk", "langgraph-sdk"),
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
    ("matplotlib", "matplotlib"),
    ("mcp", "mcp"),
    ("mem0", "mem0ai"),
    ("mistralai", "mistralai"),
    ("mlflow", "mlflow"),
    ("moto", "moto"),
    ("mypy_extensions", "mypy-extensions"),
    ("nacl", "PyNaCl"),
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
    ("strands_tools", "strands-agents-tools"),
    ("streamlit", "streamlit"),
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
    ("typer", "typer"),
    ("typing_extensions", "typing_extensions"),
    ("unidecode", "Unidecode"),
    ("urllib3", "urllib3"),
    ("usb", "pyusb"),
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
