"""Environment variables a service reads, and which of them are secrets.

Names come from code (per language), example env files, Dockerfile ENV and compose
`environment`. A value is recorded as a default only when neither the name nor the
value looks secret, and never from a real `.env` file: those hold live credentials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .evidence import SourceText
from .models import Evidence, EnvVar

_NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
_UPPER_NAME = r"(?P<name>[A-Z_][A-Z0-9_]*)"
_LITERAL = r"(?:(?P<q>['\"`])(?P<quoted>[^'\"`\n]*)(?P=q)|(?P<bare>-?\d+(?:\.\d+)?|true|false|nil|None|null|undefined))"
_CALL_DEFAULT = r"(?:\s*,\s*(?:default\s*=\s*)?" + _LITERAL + r")?"

_JS = (
    rf"process\.env\.{_NAME}",
    rf"process\.env\[\s*['\"]{_NAME}['\"]\s*\]",
    rf"(?:Bun|Deno)\.env(?:\.get\(\s*['\"])?\.?{_NAME}",
    rf"import\.meta\.env\.{_UPPER_NAME}",
)
_PYTHON = (
    rf"environ\[\s*['\"]{_NAME}['\"]\s*\]",
    rf"environ\.get\(\s*['\"]{_NAME}['\"]{_CALL_DEFAULT}",
    rf"getenv\(\s*['\"]{_NAME}['\"]{_CALL_DEFAULT}",
    rf"\benv(?:\.\w+)?\(\s*['\"]{_UPPER_NAME}['\"]{_CALL_DEFAULT}",
    # helpers named for what they read: envbool("DEBUG"), env_int("WORKERS", 2), get_env_setting("SECRET_KEY")
    rf"\b(?!env\b)\w*env\w*\(\s*['\"]{_UPPER_NAME}['\"]{_CALL_DEFAULT}",
)
_RUBY = (
    rf"ENV\[\s*['\"]{_NAME}['\"]\s*\]",
    rf"ENV\.fetch\(\s*['\"]{_NAME}['\"]{_CALL_DEFAULT}",
)
_JAVA = (rf"System\.getenv\(\s*\"{_NAME}\"\s*\)",)
_GO = (
    rf"os\.(?:Getenv|LookupEnv)\(\s*\"{_NAME}\"\s*\)",
    rf"`[^`\n]*\b(?:env|envconfig):\"{_UPPER_NAME}[,\"]",  # struct tags of go-flags, envconfig, caarlos0/env
    rf"EnvVars?:\s*(?:\[\]string\{{\s*)?\"{_UPPER_NAME}\"",  # urfave/cli flags
    rf"\bcli\.EnvVars?\(\s*\"{_UPPER_NAME}\"",  # urfave/cli v3: Sources: cli.EnvVars("X"), cli.EnvVar("X")
    rf"\b(?:viper\.)?BindEnv\(\s*\"[\w.-]+\"\s*,\s*\"{_UPPER_NAME}\"",
)
_PHP = (
    rf"\benv\(\s*['\"]{_NAME}['\"]{_CALL_DEFAULT}",
    rf"getenv\(\s*['\"]{_NAME}['\"]\s*\)",
    rf"\$_ENV\[\s*['\"]{_NAME}['\"]\s*\]",
)
_RUST = (
    rf"env::var(?:_os)?\(\s*\"{_NAME}\"\s*\)(?:\s*\.unwrap_or(?:_else)?\(\s*(?:\|_\|\s*)?{_LITERAL})?",
    rf"#\[(?:arg|clap|structopt|config)\([^\]\n]*\benv\s*=\s*\"{_UPPER_NAME}\"",  # clap: #[arg(long, env = "X")]
    rf"\benv!\(\s*\"{_UPPER_NAME}\"",
)
_CSHARP = (rf"Environment\.GetEnvironmentVariable\(\s*\"{_NAME}\"\s*\)",)
_ELIXIR = (
    rf"System\.get_env\(\s*\"{_NAME}\"{_CALL_DEFAULT}\s*\)",
    rf"System\.fetch_env!\(\s*\"{_NAME}\"\s*\)",
)
_CONFIG = (
    rf"\$\{{{_UPPER_NAME}(?::(?P<bare>[^}}\n]*))?\}}",  # Spring ${PORT:8080}
    rf"%env\((?:\w+:)*{_NAME}\)%",  # Symfony
    rf"ENV(?:\[\s*|\.fetch\(\s*)['\"]{_NAME}['\"]",  # ERB in Rails YAML
)
_PRISMA = (rf"env\(\s*\"{_NAME}\"\s*\)",)

_PATTERNS_BY_EXTENSION: dict[str, tuple[re.Pattern[str], ...]] = {}
for _extensions, _patterns in (
    ((".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".vue", ".svelte", ".astro"), _JS),
    ((".py",), _PYTHON),
    ((".rb", ".ru", ".rake"), _RUBY),
    ((".java", ".kt", ".kts", ".groovy", ".scala"), _JAVA),
    ((".go",), _GO),
    ((".php",), _PHP),
    ((".rs",), _RUST),
    ((".cs", ".fs", ".vb"), _CSHARP),
    ((".ex", ".exs"), _ELIXIR),
    ((".properties", ".yml", ".yaml"), _CONFIG),
    ((".prisma",), _PRISMA),
):
    for _extension in _extensions:
        _PATTERNS_BY_EXTENSION[_extension] = tuple(re.compile(p) for p in _patterns)

# `x || "default"`, `x ?? 3000`, `x or "default"`, Ruby's `fetch("X") { 5 }` right after the reference;
# a comparison (`x === "true"`) treats an unset variable as a valid state, so it is optional too
# (`|| raise "missing"` is the opposite: the variable is required)
_FALLBACK = re.compile(r"\s*\)?\s*(?P<op>\|\||\?\?|\bor\b|\{|[!=]==?)\s*+(?!raise\b|throw\b|fail\b|abort\b)" + _LITERAL + "?")
_JS_DESTRUCTURE = re.compile(r"\{(?P<names>[^{}]*)\}\s*=\s*process\.env\b")
_VITE_BUILTINS = frozenset({"MODE", "DEV", "PROD", "SSR", "BASE_URL"})

_DOTENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?P<value>.*)$", re.M)
# `# DOMAIN=https://vw.example.com` in an example file: a documented setting, optional (the file ships it off)
_COMMENTED_DOTENV_LINE = re.compile(r"^[ \t]*#+[ \t]?(?:export[ \t]+)?(?P<name>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)=\S", re.M)
EXAMPLE_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults", "example.env",
                     ".env.local.example", ".env.example.local")
LIVE_ENV_FILES = (".env", ".env.local", ".env.production", ".env.development", ".env.staging", ".env.test")

_STRONG_SECRET = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "CREDENTIAL", "PRIVATE")
_WEAK_SECRET_TOKENS = frozenset({"KEY", "KEYS", "APIKEY", "PASS", "PWD", "DSN", "SALT", "PASSPHRASE"})
_PUBLIC_TOKENS = frozenset({"PUBLIC", "PUBLISHABLE"})
_CONNECTION_TOKENS = frozenset({"URL", "URI", "DSN"})
_BACKING_TOKENS = frozenset(
    {"DATABASE", "DB", "JDBC", "POSTGRES", "POSTGRESQL", "PG", "MYSQL", "MARIADB", "MONGO", "MONGODB", "REDIS", "AMQP",
     "RABBITMQ", "CLOUDAMQP", "BROKER", "CELERY", "KAFKA", "ELASTICSEARCH", "ELASTIC", "MEMCACHED", "CLICKHOUSE"}
)
_SECRET_VALUE = re.compile(
    r"://[^/\s:@]+:[^/\s@]+@"  # URL with user:password
    r"|^(?:sk|pk|rk)_(?:live|test)_|^sk-|^gh[pousr]_|^xox[abpr]-|^AKIA[0-9A-Z]{12}|^SG\.|-----BEGIN"
    r"|^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/=_\-]{32,}$"  # long random-looking token
)


def is_secret_name(name: str) -> bool:
    """Credentials by name, and connection strings to databases, which embed credentials."""
    upper = name.upper()
    if any(word in upper for word in _STRONG_SECRET):
        return True
    tokens = set(re.split(r"[^A-Z0-9]+", upper))
    if tokens & _WEAK_SECRET_TOKENS and not tokens & _PUBLIC_TOKENS:
        return True
    return bool(tokens & _CONNECTION_TOKENS and tokens & _BACKING_TOKENS) or "CONNECTIONSTRING" in upper.replace("_", "")


def looks_secret_value(value: str) -> bool:
    return bool(_SECRET_VALUE.search(value.strip()))


_ASSIGNMENT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S+)")
_SECRET_FLAG = re.compile(r"(--?[\w-]*(?:password|passwd|token|secret|api-?key)[\w-]*[= ])(\S+)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(://)[^/\s:@]+:[^/\s@]+@")
REDACTED = "<redacted>"


def redact_secrets(text: str) -> str:
    """A command line as it may appear in status: inline passwords, tokens and URL credentials removed."""
    text = _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text)
    text = _SECRET_FLAG.sub(rf"\1{REDACTED}", text)
    return _ASSIGNMENT.sub(
        lambda m: f"{m.group(1)}={REDACTED}" if is_secret_name(m.group(1)) or looks_secret_value(m.group(2))
        else m.group(0),
        text,
    )


_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://(?:[^@/\s]*@)?([A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class UrlMention:
    """A URL in a variable's value: its scheme names a database, its host may name a sibling service.
    Only these two parts are kept; the rest of the value may hold a password."""

    variable: str
    scheme: str
    host: str
    evidence: Evidence


@dataclass
class _Seen:
    evidence: list[Evidence] = field(default_factory=list)
    has_default: bool = False
    default: Optional[str] = None
    secret_value: bool = False


class EnvCollector:
    """Gathers every reference to every variable of one service, then summarises each."""

    def __init__(self, max_evidence: int) -> None:
        self._max_evidence = max_evidence
        self._seen: dict[str, _Seen] = {}
        self.urls: list[UrlMention] = []
        self._environ_dirs: set[str] = set()  # Go packages that parse os.Environ() themselves
        self._go_option_keys: dict[str, list[tuple[str, Evidence]]] = {}  # "NAME": { ... } map entries per package
        self._documented: dict[str, Evidence] = {}  # commented out in an example env file: only where nothing else says
        self._rust_struct_fields: dict[str, list[tuple[str, Evidence]]] = {}  # Deserialize struct -> its fields
        self._rust_flattened: list[tuple[str, str]] = []  # (env prefix, struct) of #[serde(flatten)] settings fields

    def scan_source(self, source: SourceText) -> None:
        extension = _extension(source)
        for pattern in _PATTERNS_BY_EXTENSION.get(extension, ()):
            for match in source.matches(pattern):
                self._reference(source, match)
        if extension in (".js", ".mjs", ".cjs", ".ts", ".mts", ".jsx", ".tsx"):
            self._destructured(source)
            if "createEnv(" in source.text:
                self._schema_keys(source)
        elif extension == ".py" and "BaseSettings" in source.text:
            self._pydantic_settings(source)
        elif extension == ".go":
            self._go_config(source)
        elif extension == ".rs":
            self._rust_structs(source)
            if _RUST_PREFIX.search(source.text):
                self._rust_settings(source)

    def scan_dotenv(self, source: SourceText) -> None:
        """Names from an env file. Only example files give defaults, and a secret's example value is a
        placeholder, not a default; values of live env files are never even looked at."""
        example = source.path.rpartition("/")[2] in EXAMPLE_ENV_FILES
        kind = "example env file" if example else "env file (names only)"
        for match in source.matches(_DOTENV_LINE):
            name = match.group("name")
            value = _unquote(match.group("value")) if example else ""
            evidence = source.evidence(f"declared in {kind}", match.start())
            if value and (is_secret_name(name) or looks_secret_value(value)):
                self._note_urls(name, value, evidence)
                self.declare(name, evidence, None, secret_value=looks_secret_value(value))
            else:
                self.declare(name, evidence, value or None)
        if example:
            for match in source.matches(_COMMENTED_DOTENV_LINE):
                self._documented.setdefault(match.group("name"), source.evidence(
                    "commented out in example env file (optional)", match.start()))

    def declare(
        self, name: str, evidence: Evidence, value: Optional[str], *, has_default: bool = False,
        secret_value: bool = False,
    ) -> None:
        """A variable given (or not) a value by code, a Dockerfile, a compose file or an env file."""
        seen = self._seen.setdefault(name, _Seen())
        seen.secret_value |= secret_value
        if len(seen.evidence) < self._max_evidence:
            seen.evidence.append(evidence)
        if value is not None or has_default:
            seen.has_default = True
            if value is not None:
                self._note_urls(name, value, evidence)
                seen.secret_value |= looks_secret_value(value)
                seen.default = value if seen.default is None else seen.default

    def result(self, limit: int) -> tuple[list[EnvVar], int]:
        """The variables sorted by name, at most limit of them, and how many were left out."""
        for directory in self._environ_dirs & set(self._go_option_keys):
            for name, evidence in self._go_option_keys.pop(directory):
                self.declare(name, evidence, None, has_default=True)  # a table of options parsed from os.Environ()
        for prefix, struct in self._rust_flattened:
            for field_name, evidence in self._rust_struct_fields.get(struct, []):
                self.declare(prefix + field_name.upper(), evidence.model_copy(
                    update={"detail": f"{evidence.detail} (flattened into the settings) read as "
                                      f"{prefix + field_name.upper()}"}), None, has_default=True)
        self._rust_flattened = []
        for name, evidence in self._documented.items():
            if name not in self._seen:  # the code's own reading (required or not) wins over a commented example
                self.declare(name, evidence, None, has_default=True)
        self._documented = {}
        variables = []
        # over the limit, keep the names met first: the entry point and the files nearest it are read first
        for name in sorted(list(self._seen)[:limit]):
            seen = self._seen[name]
            secret = is_secret_name(name) or seen.secret_value
            variables.append(
                EnvVar(
                    name=name,
                    secret=secret,
                    required=not seen.has_default,
                    default=None if secret else seen.default,
                    evidence=sorted(seen.evidence, key=lambda e: (e.file, e.line or 0)),
                )
            )
        return variables, max(0, len(self._seen) - limit)

    def names(self) -> set[str]:
        return set(self._seen)

    def first_evidence(self, name: str) -> Evidence:
        return self._seen[name].evidence[0]

    def _note_urls(self, name: str, value: str, evidence: Evidence) -> None:
        for match in _URL.finditer(value):
            self.urls.append(UrlMention(name, match.group(1).lower(), match.group(2).lower(), evidence))

    def _reference(self, source: SourceText, match: re.Match[str]) -> None:
        name = match.group("name")
        if name in _VITE_BUILTINS and match.group(0).startswith("import.meta"):
            return
        value, has_default = _literal(match)
        if not has_default:
            fallback = _FALLBACK.match(source.text, match.end())
            if fallback:
                value = None if fallback.group("op")[-1] == "=" else _literal(fallback)[0]
                has_default = True
        self.declare(name, source.evidence(f"reads {name}", match.start()), value, has_default=has_default)

    def _destructured(self, source: SourceText) -> None:
        """const { PORT = 3000, API_KEY } = process.env"""
        for match in source.matches(_JS_DESTRUCTURE):
            for part in match.group("names").split(","):
                name, _, default = part.partition("=")
                name = name.split(":")[0].strip()
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    value = _unquote(default.strip()) if default.strip() else None
                    evidence = source.evidence(f"reads {name}", match.start())
                    self.declare(name, evidence, value, has_default=bool(default.strip()))


    def _schema_keys(self, source: SourceText) -> None:
        """createEnv({ server: { AUTH_SECRET: z.string(), PORT: z.coerce.number().default(3000) } })"""
        for match in source.matches(_ZOD_KEY):
            optional = bool(re.match(r"[^\n,]*\.(?:optional|default)\(", source.text[match.end():]))
            self.declare(match.group("name"), source.evidence(f"env schema declares {match.group('name')}",
                                                              match.start()), None, has_default=optional)

    def _pydantic_settings(self, source: SourceText) -> None:
        """Fields of a pydantic-settings class are read from env vars: prefix + field name, or the alias."""
        for cls in _settings_classes(source):
            body_start = cls.end()
            following = _NEXT_TOP_LEVEL.search(source.text, body_start)
            body = source.text[body_start: following.start() if following else len(source.text)]
            prefix = _ENV_PREFIX.search(body)
            prefix_text = prefix.group(1) if prefix else ""
            for field_match in _SETTINGS_FIELD.finditer(body):
                name = field_match.group("field")
                if name in ("model_config", "Config") or name.startswith("_"):
                    continue
                alias = _FIELD_ALIAS.search(field_match.group("rest") or "")
                variable = alias.group(1) if alias else (prefix_text + name).upper()
                default = field_match.group("rest")
                has_default = bool(default) and not re.match(r"\s*Field\(\s*(?:\.\.\.|\))", default)
                evidence = source.evidence(f"settings field {name}", body_start + field_match.start("field"))
                self.declare(variable, evidence, None, has_default=has_default)

    def _rust_settings(self, source: SourceText) -> None:
        """config-rs `Environment::with_prefix("app")` and figment `Env::prefixed("APP_")` fill the fields of the
        settings struct in the same file from PREFIX_FIELD; a `#[serde(flatten)]` field stands for the fields
        of its own struct, wherever the service's sources define it (atuin's DbSettings: ATUIN_DB_URI)."""
        prefix = _RUST_PREFIX.search(source.text).group(1).upper().rstrip("_") + "_"
        for struct in source.matches(_RUST_STRUCT):
            body = struct.group("body")
            for field_match in _RUST_FIELD.finditer(body):
                if "flatten" in field_match.group("attrs") and field_match.group("type"):
                    self._rust_flattened.append((prefix, field_match.group("type").rpartition("::")[2]))
                    continue
                name = field_match.group(2)
                variable = prefix + name.upper()
                self.declare(variable, source.evidence(f"settings field {name} read as {variable}",
                                                       struct.start("body") + field_match.start(2)),
                             None, has_default=True)

    def _rust_structs(self, source: SourceText) -> None:
        """The fields of every Deserialize struct, for the settings structs that flatten them in."""
        for struct in source.matches(_RUST_STRUCT):
            self._rust_struct_fields.setdefault(struct.group("name"), [
                (f.group(2), source.evidence(f"settings field {f.group(2)}", struct.start("body") + f.start(2)))
                for f in _RUST_FIELD.finditer(struct.group("body"))])

    def _go_config(self, source: SourceText) -> None:
        """viper with SetEnvPrefix and AutomaticEnv reads PREFIX_KEY for each key it knows; a loop over
        os.Environ() with `case "NAME":` reads those names; envconfig's PrefixLookuper puts its prefix
        before the names of the struct tags; constants named Env... hold variable names."""
        text = source.text
        lookup_prefix = _GO_PREFIX_LOOKUPER.search(text)
        if lookup_prefix:
            for tag in source.matches(_GO_ENV_TAG):
                variable = lookup_prefix.group(1) + tag.group(1)
                self.declare(variable, source.evidence(f"envconfig reads {variable}", tag.start()), None,
                             has_default=",default=" in tag.group(0))
        for const in source.matches(_GO_ENV_CONST):
            self.declare(const.group(2), source.evidence(f"constant {const.group(1)} names {const.group(2)}",
                                                         const.start()), None, has_default=True)
        directory = source.path.rpartition("/")[0]
        if "os.Environ()" in text:
            self._environ_dirs.add(directory)
        for key in source.matches(_GO_OPTION_KEY):
            self._go_option_keys.setdefault(directory, []).append(
                (key.group(1), source.evidence(f"option {key.group(1)}", key.start(1))))
        prefix = _VIPER_PREFIX.search(text)
        if prefix and "AutomaticEnv" in text:
            for key in [*source.matches(_VIPER_KEY), *source.matches(_VIPER_GET)]:
                variable = f"{prefix.group(1)}_{key.group(1)}".upper().replace(".", "_").replace("-", "_")
                self.declare(variable, source.evidence(f"viper reads {variable}", key.start()), None,
                             has_default="SetDefault" in key.group(0))
        if "os.Environ()" in text:
            for case in source.matches(_GO_CASE):
                for name in re.findall(r"\"([A-Z][A-Z0-9_]+)\"", case.group(0)):
                    self.declare(name, source.evidence(f"reads {name}", case.start()), None)


_ZOD_KEY = re.compile(r"^[ \t]+" + _UPPER_NAME + r"\s*:\s*(?:[^,:\n]*\s*\?\s*)?z\.", re.MULTILINE)
_ANY_CLASS = re.compile(r"^class\s+(?P<name>\w+)\((?P<bases>[^)]*)\)\s*:", re.MULTILINE)
_NEXT_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)
_ENV_PREFIX = re.compile(r"env_prefix\s*=\s*['\"](\w*)['\"]")
_SETTINGS_FIELD = re.compile(r"^    (?P<field>[A-Za-z_]\w*)\s*:\s*[^=\n]+?(?:=\s*(?P<rest>[^\n]+))?$", re.MULTILINE)
_FIELD_ALIAS = re.compile(r"\b(?:validation_)?alias\s*=\s*['\"]([A-Za-z_]\w*)['\"]")
_VIPER_PREFIX = re.compile(r"SetEnvPrefix\(\s*\"(\w+)\"")
_VIPER_GET = re.compile(r"\bviper\.Get\w*\(\s*\"([\w.-]+)\"")
_GO_PREFIX_LOOKUPER = re.compile(r"PrefixLookuper\(\s*\"(\w+)\"")
_GO_ENV_TAG = re.compile(r"`[^`\n]*\benv:\"([A-Z_][A-Z0-9_]*)[^\"]*\"")
_GO_ENV_CONST = re.compile(r"^[ \t]*(Env\w*|\w+EnvVar?)\s*(?:string\s*)?=\s*\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\"", re.MULTILINE)
_GO_OPTION_KEY = re.compile(r"^[ \t]*\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\":\s*\{", re.MULTILINE)
_RUST_PREFIX = re.compile(r"(?:Environment::with_prefix|Env::prefixed)\(\s*\"(\w+)\"")
_RUST_STRUCT = re.compile(r"#\[derive\([^\]]*Deserialize[^\]]*\)\]\s*(?:#\[[^\]]*\]\s*)*pub\s+struct\s+(?P<name>\w+)\s*"
                          r"\{(?P<body>[^}]*)\}")
_RUST_FIELD = re.compile(r"^[ \t]*(?P<attrs>(?:#\[[^\]]*\]\s*)*)pub\s+([a-z_][a-z0-9_]*)\s*:\s*(?P<type>[\w:]*)",
                         re.MULTILINE)
_SHEBANG_EXTENSION = (("ruby", ".rb"), ("python", ".py"), ("node", ".js"), ("bun", ".ts"), ("deno", ".ts"))


def _settings_classes(source: SourceText) -> list[re.Match[str]]:
    """Classes deriving from BaseSettings, directly or through another settings class of the same file."""
    names, found = {"BaseSettings"}, {}
    classes = list(source.matches(_ANY_CLASS))
    while True:
        more = {c.group("name"): c for c in classes if c.group("name") not in names
                and names & set(re.findall(r"\w+", c.group("bases")))}
        if not more:
            return sorted(found.values(), key=lambda c: c.start())
        names |= set(more)
        found.update(more)


def _extension(source: SourceText) -> str:
    """The file's extension; for an executable script without one, that of the language its #! line names."""
    name = source.path.rpartition("/")[2]
    if "." in name:
        return "." + name.rpartition(".")[2]
    if source.text.startswith("#!"):
        first = source.text.split("\n", 1)[0]
        return next((ext for word, ext in _SHEBANG_EXTENSION if word in first), "")
    return ""


_VIPER_KEY = re.compile(r"\b(?:SetDefault|BindEnv)\(\s*\"([\w.-]+)\"")
_GO_CASE = re.compile(r"^\s*case\s+\"[A-Z][A-Z0-9_]+\"(?:\s*,\s*\"[A-Z][A-Z0-9_]+\")*\s*:", re.MULTILINE)


def _literal(match: re.Match[str]) -> tuple[Optional[str], bool]:
    groups = match.groupdict()
    if groups.get("quoted") is not None:
        return groups["quoted"], True
    bare = groups.get("bare")
    if bare is not None:
        return (None if bare in ("nil", "None", "null", "undefined") else bare.strip()), True
    return None, False


def _unquote(value: str) -> str:
    """A dotenv value without its quotes or trailing comment."""
    value = value.strip()
    if value[:1] in ("'", '"'):
        closing = value.find(value[0], 1)
        return value[1:closing] if closing > 0 else value[1:]
    return value.split(" #", 1)[0].strip()
