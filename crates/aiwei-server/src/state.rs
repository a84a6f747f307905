//! The application's shared state and configuration.

use std::sync::Arc;

use aiwei_core::Role;
use aiwei_store::Store;
use aiwei_store::throttle::ThrottleRule;

pub use aiwei_core::time::Clock;

/// What the HTTP layer needs to know about the installation.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The organisation's name, shown in the header and on printed forms
    /// staff announce the department's name).
    pub org_name: String,
    /// Prefix of matter numbers, e.g. `AW`.
    pub number_prefix: String,
    /// How long a login session lives.
    pub session_hours: i64,
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// Failed logins of one account before it is throttled.
    pub login_max_failures: u32,
    /// How long a throttled account waits, in seconds.
    pub login_lockout_secs: u64,
    /// Where evidence files are kept.
    pub attachments_dir: std::path::PathBuf,
    /// The confidentiality agreement a disclosure's recipient signs
    ///
    pub agreement_text: String,
    /// Days an approved disclosure stays open.
    pub disclosure_days: i64,
    /// The server sits behind a reverse proxy that appends the client's
    /// address to `X-Forwarded-For`; only then is that header believed
    /// (for the audit trail's source addresses). Off by default.
    pub behind_proxy: bool,
    /// The roles whose exports of the ledger show callers in clear (R-5.2:
    /// least privilege); everyone else gets masked exports.
    pub export_clear_roles: Vec<Role>,
    /// Days an API token created without an explicit validity lasts.
    pub token_days: i64,
    /// Ledger and search pages count their matches up to this many and
    /// then say "more than": an exact count of a common word costs time
    /// in proportion to its matches, the page itself does not.
    pub count_limit: i64,
    /// Where notifications may leave the building, and the mail server.
    pub outbound: crate::services::outbound::OutboundConfig,
    /// The key the telephone exchange sends (`Authorization: Bearer`);
    /// `None`: the telephony endpoint is closed.
    pub telephony_key: Option<String>,
}

impl AppConfig {
    /// The login throttle's rule.
    pub fn throttle(&self) -> ThrottleRule {
        ThrottleRule {
            max_failures: self.login_max_failures,
            lockout: chrono::Duration::seconds(
                i64::try_from(self.login_lockout_secs).unwrap_or(i64::MAX / 1000),
            ),
        }
    }
}

/// The agreement shipped with the program; operators may supply their own.
pub const DEFAULT_AGREEMENT: &str = "保密协议\n\n\
本人因工作需要查阅来电来访人的个人信息（姓名、联系电话、单位名称等）或涉及敏感内容的来电来访事项，\
现郑重承诺：\n\
一、所获信息仅用于本次申请载明的用途，不用于其他任何目的；\n\
二、不以任何形式向无关部门或人员泄露、复制、转发、公开所获信息；\n\
三、妥善保管载有相关信息的文件和记录，用毕按规定销毁或交回；\n\
四、查阅权限到期后不再使用所获信息；\n\
五、如有违反，愿承担相应的纪律责任和法律责任。";

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            org_name: "爱国卫生运动委员会办公室".into(),
            number_prefix: "AW".into(),
            session_hours: 12,
            secure_cookies: false,
            login_max_failures: 5,
            login_lockout_secs: 900,
            attachments_dir: std::path::PathBuf::from("data/attachments"),
            agreement_text: DEFAULT_AGREEMENT.into(),
            disclosure_days: 7,
            behind_proxy: false,
            export_clear_roles: vec![Role::Supervisor],
            token_days: 365,
            count_limit: 10_000,
            outbound: Default::default(),
            telephony_key: None,
        }
    }
}

/// The range of [`AppConfig::count_limit`].
pub const COUNT_LIMITS: std::ops::RangeInclusive<i64> = 1..=10_000_000;

/// The longest validity of an API token, in days (ten years).
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<AppConfig>,
    pub clock: Clock,
    /// A real argon2 hash checked when a login names no account, so the
    /// answer takes as long as for a wrong password.
    pub dummy_hash: Arc<String>,
    /// The suggestion models in memory (see `services::suggest`).
    pub suggest: crate::services::suggest::SuggestCache,
    /// The sender of outgoing notifications (HTTP client, SMTP pool).
    pub outbound: Arc<crate::services::outbound::Outbound>,
}
