//! Layered configuration: built-in defaults, then `aiwei.toml`, then `AIWEI_*`
//! environment variables, then the command line. Secrets can come from
//! files (`AIWEI_DATABASE_URL_FILE`), and `aiwei config show` prints the
//! result with secrets redacted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiwei_core::Role;
use aiwei_server::AppConfig;
use aiwei_store::DatabaseUrl;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Every setting, with its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the SQLite database, the key file and logs live.
    pub data_dir: PathBuf,
    /// `sqlite://FILE` or `postgres://…`; empty: `DATA_DIR/aiwei.db`.
    pub database_url: String,
    /// The key file protecting personal data; empty: `DATA_DIR/secret.key`.
    pub key_file: String,
    /// Address `aiwei serve` listens on.
    pub bind: String,
    /// The organisation's name, shown in pages and on printed forms.
    pub org_name: String,
    /// Prefix of matter numbers (1–8 capital letters).
    pub number_prefix: String,
    /// Hours a login session lasts.
    pub session_hours: i64,
    /// Mark cookies Secure (set when served behind TLS).
    pub secure_cookies: bool,
    /// The server is reached only through a reverse proxy that appends the
    /// client's address to `X-Forwarded-For`; the audit trail then records
    /// that address instead of the proxy's. Leave off otherwise: clients
    /// can forge the header.
    pub behind_proxy: bool,
    /// Log filter, e.g. `info` or `aiwei_server=debug,info`.
    pub log: String,
    /// Days an approved disclosure of caller data stays open.
    pub disclosure_days: i64,
    /// A text file holding the confidentiality agreement recipients sign;
    /// empty: the built-in text.
    pub agreement_file: String,
    /// Roles whose ledger exports show callers in clear (R-5.2: least
    /// privilege); everyone else's exports are masked.
    pub export_clear_roles: Vec<Role>,
    /// Days a new API token stays valid unless told otherwise.
    pub token_days: i64,
    /// Ledger and search pages count matches up to this many, then show
    /// "more than" (an exact count of a common word is slow on a large
    /// ledger).
    pub count_limit: i64,
}

impl Default for Settings {
    fn default() -> Self {
        let app = AppConfig::default();
        Self {
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            key_file: String::new(),
            bind: "127.0.0.1:8080".into(),
            org_name: app.org_name,
            number_prefix: app.number_prefix,
            session_hours: app.session_hours,
            secure_cookies: app.secure_cookies,
            behind_proxy: app.behind_proxy,
            log: "info".into(),
            disclosure_days: app.disclosure_days,
            agreement_file: String::new(),
            export_clear_roles: app.export_clear_roles,
            token_days: app.token_days,
            count_limit: app.count_limit,
        }
    }
}

/// Overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
}

impl Settings {
    /// Defaults → file → environment (`env` yields the variables) → CLI.
    pub fn load(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut s = match &overrides.config_file {
            Some(path) => Self::from_file(path)?,
            None if Path::new("aiwei.toml").exists() => Self::from_file(Path::new("aiwei.toml"))?,
            None => Self::default(),
        };
        let get = |name: &str| -> anyhow::Result<Option<String>> {
            if let Some(v) = env(&format!("AIWEI_{name}")) {
                return Ok(Some(v));
            }
            if let Some(path) = env(&format!("AIWEI_{name}_FILE")) {
                let v = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading AIWEI_{name}_FILE ({path})"))?;
                return Ok(Some(v.trim().to_owned()));
            }
            Ok(None)
        };
        if let Some(v) = get("DATA_DIR")? {
            s.data_dir = v.into();
        }
        if let Some(v) = get("DATABASE_URL")? {
            s.database_url = v;
        }
        if let Some(v) = get("KEY_FILE")? {
            s.key_file = v;
        }
        if let Some(v) = get("BIND")? {
            s.bind = v;
        }
        if let Some(v) = get("ORG_NAME")? {
            s.org_name = v;
        }
        if let Some(v) = get("NUMBER_PREFIX")? {
            s.number_prefix = v;
        }
        if let Some(v) = get("SESSION_HOURS")? {
            s.session_hours = v
                .parse()
                .context("AIWEI_SESSION_HOURS must be a whole number")?;
        }
        if let Some(v) = get("SECURE_COOKIES")? {
            s.secure_cookies = parse_bool("AIWEI_SECURE_COOKIES", &v)?;
        }
        if let Some(v) = get("BEHIND_PROXY")? {
            s.behind_proxy = parse_bool("AIWEI_BEHIND_PROXY", &v)?;
        }
        if let Some(v) = get("LOG")? {
            s.log = v;
        }
        if let Some(v) = get("DISCLOSURE_DAYS")? {
            s.disclosure_days = v
                .parse()
                .context("AIWEI_DISCLOSURE_DAYS must be a whole number")?;
        }
        if let Some(v) = get("AGREEMENT_FILE")? {
            s.agreement_file = v;
        }
        if let Some(v) = get("EXPORT_CLEAR_ROLES")? {
            s.export_clear_roles = v
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| {
                    Role::parse(r).map_err(|_| {
                        anyhow::anyhow!("AIWEI_EXPORT_CLEAR_ROLES: {r:?} is not a role")
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("TOKEN_DAYS")? {
            s.token_days = v
                .parse()
                .context("AIWEI_TOKEN_DAYS must be a whole number")?;
        }
        if let Some(v) = get("COUNT_LIMIT")? {
            s.count_limit = v
                .parse()
                .context("AIWEI_COUNT_LIMIT must be a whole number")?;
        }
        if let Some(v) = &overrides.data_dir {
            s.data_dir = v.clone();
        }
        if let Some(v) = &overrides.database_url {
            s.database_url = v.clone();
        }
        if let Some(v) = &overrides.bind {
            s.bind = v.clone();
        }
        s.check()?;
        Ok(s)
    }

    fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn check(&self) -> anyhow::Result<()> {
        if !aiwei_core::ids::valid_prefix(&self.number_prefix) {
            bail!("number_prefix must be 1–8 capital letters A–Z");
        }
        if !(1..=24 * 30).contains(&self.session_hours) {
            bail!("session_hours must be between 1 and 720");
        }
        if !(1..=90).contains(&self.disclosure_days) {
            bail!("disclosure_days must be between 1 and 90");
        }
        if !(1..=aiwei_server::state::MAX_TOKEN_DAYS).contains(&self.token_days) {
            bail!(
                "token_days must be between 1 and {}",
                aiwei_server::state::MAX_TOKEN_DAYS
            );
        }
        let limits = aiwei_server::state::COUNT_LIMITS;
        if !limits.contains(&self.count_limit) {
            bail!(
                "count_limit must be between {} and {}",
                limits.start(),
                limits.end()
            );
        }
        self.agreement()?;
        self.bind_addr()?;
        self.database()?;
        Ok(())
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind
            .parse()
            .with_context(|| format!("bind address {:?} is not IP:PORT", self.bind))
    }

    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        if self.database_url.trim().is_empty() {
            Ok(DatabaseUrl::default_in(&self.data_dir))
        } else {
            Ok(DatabaseUrl::parse(&self.database_url)?)
        }
    }

    pub fn key_path(&self) -> PathBuf {
        if self.key_file.trim().is_empty() {
            self.data_dir.join("secret.key")
        } else {
            PathBuf::from(&self.key_file)
        }
    }

    /// The agreement text: the file's, or the built-in one.
    pub fn agreement(&self) -> anyhow::Result<String> {
        if self.agreement_file.trim().is_empty() {
            return Ok(aiwei_server::state::DEFAULT_AGREEMENT.to_owned());
        }
        let text = std::fs::read_to_string(&self.agreement_file)
            .with_context(|| format!("reading agreement_file {}", self.agreement_file))?;
        if text.trim().is_empty() {
            bail!("agreement_file {} is empty", self.agreement_file);
        }
        Ok(text.trim().to_owned())
    }

    pub fn app_config(&self) -> anyhow::Result<AppConfig> {
        Ok(AppConfig {
            org_name: self.org_name.clone(),
            number_prefix: self.number_prefix.clone(),
            session_hours: self.session_hours,
            secure_cookies: self.secure_cookies,
            behind_proxy: self.behind_proxy,
            attachments_dir: self.data_dir.join("attachments"),
            agreement_text: self.agreement()?,
            disclosure_days: self.disclosure_days,
            export_clear_roles: self.export_clear_roles.clone(),
            token_days: self.token_days,
            count_limit: self.count_limit,
            ..AppConfig::default()
        })
    }

    /// The effective settings as TOML, database password redacted.
    pub fn show(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = self.database()?.redacted();
        shown.key_file = self.key_path().display().to_string();
        Ok(toml::to_string_pretty(&shown)?)
    }
}

/// A boolean setting, strictly: `true/false`, `1/0`, `yes/no`, `on/off` in
/// any case. Anything else stops the program rather than silently meaning
/// false (a typo in `SECURE_COOKIES` must not serve cookies in clear).
fn parse_bool(name: &str, raw: &str) -> anyhow::Result<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true/false, 1/0, yes/no or on/off, not {raw:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn layers_apply_in_order() {
        let s = Settings::load(
            &Overrides {
                bind: Some("127.0.0.1:9000".into()),
                ..Default::default()
            },
            env(&[
                ("AIWEI_BIND", "127.0.0.1:7000"),
                ("AIWEI_NUMBER_PREFIX", "AWB"),
            ]),
        )
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:9000");
        assert_eq!(s.number_prefix, "AWB");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(
            Settings::load(&Overrides::default(), env(&[("AIWEI_NUMBER_PREFIX", "a1")])).is_err()
        );
        assert!(
            Settings::load(
                &Overrides::default(),
                env(&[("AIWEI_DATABASE_URL", "mysql://x")])
            )
            .is_err()
        );
        assert!(
            Settings::load(&Overrides::default(), env(&[("AIWEI_BIND", "localhost")])).is_err()
        );
    }

    #[test]
    fn booleans_are_parsed_strictly() {
        for (raw, want) in [
            ("TRUE", true),
            ("on", true),
            ("Yes", true),
            ("1", true),
            ("off", false),
            ("0", false),
        ] {
            let s = Settings::load(&Overrides::default(), env(&[("AIWEI_SECURE_COOKIES", raw)]))
                .unwrap();
            assert_eq!(s.secure_cookies, want, "{raw}");
        }
        for raw in ["ture", "", "2", "enabled"] {
            let e = Settings::load(&Overrides::default(), env(&[("AIWEI_BEHIND_PROXY", raw)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains("AIWEI_BEHIND_PROXY"), "{e}");
        }
    }

    #[test]
    fn export_roles_and_token_days_are_checked() {
        let s = Settings::load(
            &Overrides::default(),
            env(&[
                ("AIWEI_EXPORT_CLEAR_ROLES", "supervisor, intake"),
                ("AIWEI_TOKEN_DAYS", "30"),
            ]),
        )
        .unwrap();
        assert_eq!(s.export_clear_roles, [Role::Supervisor, Role::Intake]);
        assert_eq!(s.token_days, 30);
        assert!(
            Settings::load(
                &Overrides::default(),
                env(&[("AIWEI_EXPORT_CLEAR_ROLES", "boss")])
            )
            .is_err()
        );
        assert!(Settings::load(&Overrides::default(), env(&[("AIWEI_TOKEN_DAYS", "0")])).is_err());
    }

    #[test]
    fn the_count_limit_is_checked_and_reaches_the_app() {
        let s =
            Settings::load(&Overrides::default(), env(&[("AIWEI_COUNT_LIMIT", "500")])).unwrap();
        assert_eq!(s.app_config().unwrap().count_limit, 500);
        assert_eq!(Settings::default().count_limit, 10_000);
        for bad in ["0", "-1", "many", "10000001"] {
            assert!(
                Settings::load(&Overrides::default(), env(&[("AIWEI_COUNT_LIMIT", bad)])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn show_redacts_the_database_password() {
        let s = Settings::load(
            &Overrides::default(),
            env(&[("AIWEI_DATABASE_URL", "postgres://aiwei:hunter2@db/aiwei")]),
        )
        .unwrap();
        let shown = s.show().unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://aiwei:***@db/aiwei"));
    }
}
