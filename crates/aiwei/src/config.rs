//! Layered configuration: built-in defaults, then `aiwei.toml`, then `AIWEI_*`
//! environment variables, then the command line. Secrets can come from
//! files (`AIWEI_DATABASE_URL_FILE`), and `aiwei config show` prints the
//! result with secrets redacted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiwei_core::Role;
use aiwei_server::AppConfig;
use aiwei_server::services::outbound::{AllowList, OutboundConfig, SmtpConfig, SmtpSecurity};
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
    /// Addresses group robots and webhooks may be posted to, each
    /// `scheme://host[:port][/path]`; nothing else is accepted.
    pub outbound_allow: Vec<String>,
    /// The desk's address as staff reach it (`https://aiwei.example.gov.cn`),
    /// for links in notification messages; empty: no links.
    pub public_url: String,
    /// The mail server for e-mail notifications; empty: no e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls` (587), `tls` (465) or `none` (a relay on a trusted segment).
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    /// Better given as `AIWEI_SMTP_PASSWORD_FILE`.
    pub smtp_password: String,
    /// The sender, e.g. `爱卫办 <aiwei@example.gov.cn>`.
    pub smtp_from: String,
    /// The key the telephone exchange sends with its call events (at least
    /// 16 characters; better given as `AIWEI_TELEPHONY_KEY_FILE`); empty:
    /// the telephony endpoint is closed. See docs/CTI.md.
    pub telephony_key: String,
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
            outbound_allow: Vec::new(),
            public_url: String::new(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_from: String::new(),
            telephony_key: String::new(),
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
        if let Some(v) = get("OUTBOUND_ALLOW")? {
            s.outbound_allow = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = get("PUBLIC_URL")? {
            s.public_url = v;
        }
        if let Some(v) = get("SMTP_HOST")? {
            s.smtp_host = v;
        }
        if let Some(v) = get("SMTP_PORT")? {
            s.smtp_port = v.parse().context("AIWEI_SMTP_PORT must be a port number")?;
        }
        if let Some(v) = get("SMTP_SECURITY")? {
            s.smtp_security = match v.trim().to_ascii_lowercase().as_str() {
                "none" => SmtpSecurity::None,
                "starttls" => SmtpSecurity::Starttls,
                "tls" => SmtpSecurity::Tls,
                _ => bail!("AIWEI_SMTP_SECURITY must be starttls, tls or none, not {v:?}"),
            };
        }
        if let Some(v) = get("SMTP_USERNAME")? {
            s.smtp_username = v;
        }
        if let Some(v) = get("SMTP_PASSWORD")? {
            s.smtp_password = v;
        }
        if let Some(v) = get("SMTP_FROM")? {
            s.smtp_from = v;
        }
        if let Some(v) = get("TELEPHONY_KEY")? {
            s.telephony_key = v;
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
        self.outbound()?;
        let key = self.telephony_key.trim();
        if !key.is_empty() && (key.len() < 16 || !key.bytes().all(|b| b.is_ascii_graphic())) {
            bail!("telephony_key must be at least 16 visible ASCII characters");
        }
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

    /// Where notifications may go: the allow-list and the mail server.
    pub fn outbound(&self) -> anyhow::Result<OutboundConfig> {
        let allow = AllowList::parse(&self.outbound_allow).map_err(anyhow::Error::msg)?;
        let public_url = self.public_url.trim();
        let web = ["http://", "https://"];
        if !public_url.is_empty() && !web.iter().any(|p| public_url.starts_with(p)) {
            bail!("public_url must start with http:// or https://");
        }
        let smtp = if self.smtp_host.trim().is_empty() {
            None
        } else {
            if self.smtp_from.parse::<lettre::message::Mailbox>().is_err() {
                bail!("smtp_from must be a mailbox such as 爱卫办 <aiwei@example.gov.cn>");
            }
            let given = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
            Some(SmtpConfig {
                host: self.smtp_host.trim().to_owned(),
                port: self.smtp_port,
                security: self.smtp_security,
                username: given(&self.smtp_username),
                password: given(&self.smtp_password),
                from: self.smtp_from.trim().to_owned(),
            })
        };
        Ok(OutboundConfig {
            allow,
            smtp,
            public_url: (!public_url.is_empty()).then(|| public_url.to_owned()),
            timeout: std::time::Duration::from_secs(10),
        })
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
            outbound: self.outbound()?,
            telephony_key: Some(self.telephony_key.trim().to_owned()).filter(|k| !k.is_empty()),
            ..AppConfig::default()
        })
    }

    /// The effective settings as TOML, database password redacted.
    pub fn show(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = self.database()?.redacted();
        shown.key_file = self.key_path().display().to_string();
        for secret in [&mut shown.smtp_password, &mut shown.telephony_key] {
            if !secret.is_empty() {
                *secret = "***".into();
            }
        }
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
    fn outbound_settings_are_checked_and_the_smtp_password_hidden() {
        let s = Settings::load(
            &Overrides::default(),
            env(&[
                (
                    "AIWEI_OUTBOUND_ALLOW",
                    "https://qyapi.weixin.qq.com, http://10.0.0.8:8080/oa",
                ),
                ("AIWEI_SMTP_HOST", "mail.example.gov.cn"),
                ("AIWEI_SMTP_FROM", "爱卫办 <aiwei@example.gov.cn>"),
                ("AIWEI_SMTP_PASSWORD", "hunter2"),
                ("AIWEI_SMTP_USERNAME", "aiwei"),
            ]),
        )
        .unwrap();
        let out = s.outbound().unwrap();
        assert_eq!(out.allow.entries().len(), 2);
        assert_eq!(out.smtp.as_ref().unwrap().security, SmtpSecurity::Starttls);
        assert!(!s.show().unwrap().contains("hunter2"));
        for (k, v) in [
            ("AIWEI_OUTBOUND_ALLOW", "ftp://x"),
            ("AIWEI_SMTP_SECURITY", "ssl3"),
            ("AIWEI_PUBLIC_URL", "aiwei.example.gov.cn"),
        ] {
            assert!(
                Settings::load(&Overrides::default(), env(&[(k, v)])).is_err(),
                "{k}"
            );
        }
        assert!(
            Settings::load(
                &Overrides::default(),
                env(&[("AIWEI_SMTP_HOST", "mail"), ("AIWEI_SMTP_FROM", "nobody")])
            )
            .is_err()
        );
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
