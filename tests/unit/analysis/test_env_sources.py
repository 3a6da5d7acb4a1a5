"""Environment variables read through settings classes, helpers, flag libraries and config placeholders."""

from __future__ import annotations

from pathlib import Path

from hydron.analysis import analyze
from tests.unit.files import write


def env(root: Path) -> dict[str, bool]:
    """name -> required, over every service."""
    return {v.name: v.required for s in analyze(root).services for v in s.env}


def test_pydantic_settings_fields_with_prefix_and_alias(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "fastapi\npydantic-settings\n",
                     "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                     "config.py": """
                         from pydantic import Field
                         from pydantic_settings import BaseSettings, SettingsConfigDict

                         class Settings(BaseSettings):
                             model_config = SettingsConfigDict(env_prefix="APP_")
                             secret_key: str
                             workers: int = 2
                             database: str = Field(..., validation_alias="DATABASE_URL")

                         settings = Settings()
                         """})
    found = env(tmp_path)
    assert (found["APP_SECRET_KEY"], found["APP_WORKERS"], found["DATABASE_URL"]) == (True, False, True)
    assert "APP_MODEL_CONFIG" not in found


def test_helpers_named_for_env_and_env_dot_type(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "django\n", "manage.py": "import django\n",
                     "site/settings.py": "DEBUG = envbool('DEBUG', 'False')\nSECRET_KEY = os.getenv('SECRET_KEY')\n"
                                         "WORKERS = env.int('WORKERS', default=3)\n"})
    found = env(tmp_path)
    assert (found["DEBUG"], found["SECRET_KEY"], found["WORKERS"]) == (False, True, False)


def test_spring_placeholders_in_profile_configs(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<project><artifactId>clinic</artifactId><dependencies><dependency><groupId>"
                                "org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId>"
                                "</dependency></dependencies></project>\n",
                     "src/main/java/App.java": "@SpringBootApplication class App {}\n",
                     "src/main/resources/application-postgres.properties":
                         "spring.datasource.url=${POSTGRES_URL:jdbc:postgresql://localhost/clinic}\n"
                         "spring.datasource.username=${POSTGRES_USER}\n"})
    found = env(tmp_path)
    assert (found["POSTGRES_URL"], found["POSTGRES_USER"]) == (False, True)


def test_go_struct_tags_cli_flags_and_viper_prefix(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/srv\n\ngo 1.22\n",
                     "main.go": """
                         package main

                         type Opts struct {
                             Site string `long:"site" env:"SITE" default:"main"`
                         }

                         var flag = &cli.StringFlag{Name: "host", Sources: cli.EnvVars("SRV_HOST")}

                         func main() {
                             viper.SetEnvPrefix("srv")
                             viper.AutomaticEnv()
                             viper.SetDefault("port", 8081)
                             viper.BindEnv("dsn")
                         }
                         """})
    found = env(tmp_path)
    assert {"SITE", "SRV_HOST", "SRV_PORT", "SRV_DSN"} <= set(found)
    assert found["SRV_PORT"] is False


def test_rust_clap_env_attributes(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'srv'\n\n[dependencies]\naxum = '0.7'\n",
                     "src/main.rs": '#[derive(Parser)]\nstruct Args {\n    #[arg(long, env = "SRV_JWT_SECRET")]\n'
                                    '    jwt_secret: String,\n}\nfn main() {}\n'})
    assert "SRV_JWT_SECRET" in env(tmp_path)


def test_zod_env_schema_keys(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": '{"name": "web", "dependencies": {"next": "14"}}',
                     "src/env.ts": """
                         export const env = createEnv({
                           server: {
                             AUTH_SECRET: z.string(),
                             LOG_LEVEL: z.string().default("info"),
                           },
                         });
                         """})
    found = env(tmp_path)
    assert (found["AUTH_SECRET"], found["LOG_LEVEL"]) == (True, False)


def test_go_drivers_imported_in_code_count_and_indirect_requirements_do_not(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/srv\n\ngo 1.22\n\nrequire (\n"
                               "\tgithub.com/jinzhu/gorm v1.9.16\n\tgithub.com/lib/pq v1.10.0 // indirect\n"
                               "\tgithub.com/mattn/go-sqlite3 v1.14.15 // indirect\n)\n",
                     "main.go": 'package main\n\nimport (\n\t"github.com/jinzhu/gorm"\n'
                                '\t_ "github.com/jinzhu/gorm/dialects/sqlite"\n)\n\nfunc main() {}\n'})
    assert [d.kind for d in analyze(tmp_path).databases] == ["sqlite"]


def test_a_service_with_more_sources_than_the_limit_says_so(tmp_path: Path) -> None:
    from hydron.analysis.limits import Limits

    files = {"package.json": '{"name": "api", "dependencies": {"express": "4"}, "scripts": {"start": "node a0.js"}}'}
    files.update({f"a{i}.js": f"process.env.VAR_{i}\n" for i in range(6)})
    analysis = analyze(write(tmp_path, files), limits=Limits(max_sources_per_service=4))
    assert len(analysis.services[0].env) == 4
    assert any("read only the first 4 source files" in w for w in analysis.warnings)


GO_MOD = "module example.com/svc\n\ngo 1.22\n"
GO_MAIN = 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'


def test_settings_class_derived_from_another_settings_class(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "fastapi\npydantic-settings\n",
                     "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                     "settings.py": """
                         from pydantic_settings import BaseSettings

                         class LoggingSettings(BaseSettings):
                             LOG_LEVEL: str = "info"

                         class AppSettings(LoggingSettings):
                             BASE_URL: str = "http://localhost:8080"
                         """})
    assert {"LOG_LEVEL", "BASE_URL"} <= set(env(tmp_path))


def test_go_envconfig_prefix_lookuper_prefixes_the_struct_tags(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD, "main.go": GO_MAIN, "config/config.go": """
        package config

        type HTTP struct {
            Port int `env:"HTTP_PORT,default=8080"`
        }

        func Load() { envconfig.ProcessWith(ctx, &envconfig.Config{Lookuper: envconfig.PrefixLookuper("SHOP_", envconfig.OsLookuper())}) }
        """})
    assert env(tmp_path)["SHOP_HTTP_PORT"] is False


def test_go_constants_named_env_hold_variable_names(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD, "main.go": GO_MAIN, "config/keys.go": """
        package config

        const (
            EnvDatabaseDialect = "SHOP_DATABASE_DIALECT"
            DefaultName        = "NOT_AN_ENV_NAME"
        )
        """})
    found = env(tmp_path)
    assert "SHOP_DATABASE_DIALECT" in found and "NOT_AN_ENV_NAME" not in found


def test_go_option_table_counts_only_where_the_package_parses_os_environ(tmp_path: Path) -> None:
    table = 'package config\n\nvar options = map[string]*option{\n\t"LISTEN_ADDR": {\n\t\tvalue: "127.0.0.1:8080",\n\t},\n}\n'
    write(tmp_path, {"go.mod": GO_MOD, "main.go": GO_MAIN, "config/options.go": table,
                     "config/parser.go": "package config\n\nfunc parse() { parseLines(os.Environ()) }\n",
                     "other/table.go": table.replace("config", "other").replace("LISTEN_ADDR", "HEADER_NAME")})
    found = env(tmp_path)
    assert "LISTEN_ADDR" in found and "HEADER_NAME" not in found


def test_viper_get_calls_with_env_prefix_and_automatic_env(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD, "main.go": GO_MAIN + """
        func init() {
            viper.SetEnvPrefix("memos")
            viper.AutomaticEnv()
            dsn := viper.GetString("dsn")
        }
        """})
    assert "MEMOS_DSN" in env(tmp_path)


def test_rust_settings_struct_read_with_an_environment_prefix(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": '[package]\nname = "svc"\nversion = "0.1.0"\n\n[dependencies]\naxum = "0.7"\nconfig = "0.14"\n',
                     "src/main.rs": "fn main() {}\n", "src/settings.rs": """
        #[derive(Clone, Debug, Deserialize)]
        pub struct Settings {
            pub host: String,
            pub jwt_secret: Option<String>,
        }

        fn load() { Config::builder().add_source(Environment::with_prefix("shop").separator("__")); }
        """})
    assert {"SHOP_HOST", "SHOP_JWT_SECRET"} <= set(env(tmp_path))


def test_zod_key_whose_schema_is_on_the_next_line(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": '{"name": "svc", "dependencies": {"express": "4"}, "scripts": {"start": "node env.js"}}',
                     "env.js": """
        export const env = createEnv({
          server: {
            AUTH_SECRET:
              process.env.NODE_ENV === "production"
                ? z.string().min(1)
                : z.string().min(1).optional(),
          },
        });
        """})
    assert "AUTH_SECRET" in env(tmp_path)


def test_extensionless_script_in_bin_is_read_by_its_shebang(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\ngem 'sinatra'\n", "app.rb": "require 'sinatra'\n",
                     "bin/wiki": "#!/usr/bin/env ruby\nenvironment = ENV.fetch('APP_ENV', :production)\n"})
    assert "APP_ENV" in env(tmp_path)


def test_settings_commented_out_in_an_example_env_file_are_optional_variables(tmp_path: Path) -> None:
    """vaultwarden: its settings come from a macro (make_config!) no pattern can read, and .env.template
    documents every one of them commented out; the code's own reading still decides required-ness."""
    write(tmp_path, {"Cargo.toml": '[package]\nname = "vault"\nversion = "0.1.0"\n\n[dependencies]\nrocket = "0.5"\n',
                     "src/main.rs": 'fn main() { let p = std::env::var("ROCKET_PORT").unwrap(); rocket::build(); }\n',
                     ".env.template": """
                         ## Main data folder
                         # DATA_FOLDER=data
                         ## Database URL, see https://example.org/db for the syntax (a=b is not a setting)
                         # DATABASE_URL=postgresql://user:pass@host:5432/vault
                         #ROCKET_PORT=80
                         # DOMAIN=https://vw.domain.tld:8443
                         """})

    found = env(tmp_path)
    analysis = analyze(tmp_path)

    assert {n: found.get(n) for n in ("DATA_FOLDER", "DATABASE_URL", "DOMAIN")} == dict.fromkeys(
        ("DATA_FOLDER", "DATABASE_URL", "DOMAIN"), False)
    assert found["ROCKET_PORT"] is True  # read without a fallback by the code: the comment does not make it optional
    assert not analysis.databases  # a commented example URL is no datastore


def test_rust_settings_field_flattened_from_a_workspace_crate_reads_that_crates_fields(tmp_path: Path) -> None:
    """atuin: the server's Settings has `#[serde(flatten)] pub db_settings: DbSettings`, a struct of the
    atuin-server-database crate, so config-rs reads ATUIN_DB_URI, never ATUIN_DB_SETTINGS."""
    write(tmp_path, {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n\n[workspace.dependencies]\n'
                      'svc-database = { path = "crates/svc-database" }\n',
        "crates/svc-server/Cargo.toml": '[package]\nname = "svc-server"\nversion = "0.1.0"\n\n[dependencies]\n'
                                        'axum = "0.7"\nconfig = "0.14"\nsvc-database = { workspace = true }\n',
        "crates/svc-server/src/main.rs": "fn main() {}\n",
        "crates/svc-server/src/settings.rs": """
            use svc_database::DbSettings;

            #[derive(Clone, Deserialize, Serialize)]
            pub struct Settings {
                pub host: String,
                #[serde(flatten)]
                pub db_settings: DbSettings,
            }

            fn load() { Config::builder().add_source(Environment::with_prefix("svc").prefix_separator("_")); }
            """,
        "crates/svc-database/Cargo.toml": '[package]\nname = "svc-database"\nversion = "0.1.0"\n',
        "crates/svc-database/src/lib.rs": """
            #[derive(Clone, Deserialize, Serialize)]
            pub struct DbSettings {
                pub db_uri: String,
                /// read replicas
                pub read_db_uri: Option<String>,
            }
            """,
    })

    names = set(env(tmp_path))

    assert {"SVC_HOST", "SVC_DB_URI", "SVC_READ_DB_URI"} <= names
    assert "SVC_DB_SETTINGS" not in names
