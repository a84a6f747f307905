//! Delivery of the outbox: e-mail over SMTP, WeCom and DingTalk
//! group robots, and a generic webhook signed with HMAC-SHA256.
//!
//! The store queues a message in the transaction of its cause; here a
//! worker claims due messages under a lease, writes each from its template
//! at the moment of sending (so no caller data waits in the queue in
//! clear), sends it, and records the outcome with a backoff
//! ([`aiwei_core::notify::after_failure`]). Addresses are checked against
//! the operator's allow-list when set and again when used; redirects are
//! never followed.

use std::time::Duration;

use aiwei_core::access::Clear;
use aiwei_core::notify::{self, Audience, ChannelKind, Placeholder, Template};
use aiwei_core::{AuditAction, ErrorCode, FieldError, NotificationKind, mask, time};
use aiwei_store::matters::Matter;
use aiwei_store::outbox::{DestinationSecret, OutboxItem};
use aiwei_store::trail::AuditEntry;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lettre::AsyncTransport as _;
use sha2::Sha256;

use crate::state::AppState;

/// How a connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on the same host or a trusted segment.
    None,
    /// STARTTLS on the submission port (587), required.
    Starttls,
    /// TLS from the first byte (465).
    Tls,
}

/// The mail server notifications are sent through.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `爱卫办 <aiwei@example.gov.cn>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// Where notifications may go and how.
#[derive(Debug, Clone, Default)]
pub struct OutboundConfig {
    /// The addresses destinations may post to: each `scheme://host[:port]`
    /// with an optional path prefix. Nothing else is accepted, private or
    /// public (intranet systems are normal here; the list is explicit).
    pub allow: AllowList,
    /// No SMTP server: e-mail rules are accepted but their messages fail
    /// with a clear error until one is configured.
    pub smtp: Option<SmtpConfig>,
    /// The desk's address as staff reach it, for links in messages.
    pub public_url: Option<String>,
    /// How long one delivery may take.
    pub timeout: Duration,
}

/// The operator's list of addresses notifications may be posted to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<reqwest::Url>);

impl AllowList {
    /// Parses the entries; a bad one is an error naming it.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| {
                let url = reqwest::Url::parse(e.trim())
                    .map_err(|_| format!("outbound_allow entry {e:?} is not a URL"))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(format!(
                        "outbound_allow entry {e:?} must be http(s)://host[:port][/path]"
                    ));
                }
                Ok(url)
            })
            .collect::<Result<_, _>>()
            .map(AllowList)
    }

    /// Whether `url` may be posted to: same scheme, host and port as an
    /// entry, and its path under the entry's.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        self.0.iter().any(|a| {
            a.scheme() == url.scheme()
                && a.host_str() == url.host_str()
                && a.port_or_known_default() == url.port_or_known_default()
                && url.path().starts_with(a.path().trim_end_matches('/'))
                && url.username().is_empty()
                && url.password().is_none()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries as the operator wrote them, for the pages.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(|u| u.to_string()).collect()
    }
}

/// An address an administrator typed for a destination: a URL the
/// allow-list admits, and the form of it the pages show (query masked:
/// robot keys travel there).
pub fn check_destination_url(
    allow: &AllowList,
    raw: &str,
) -> Result<(reqwest::Url, String), FieldError> {
    let url = reqwest::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| FieldError::new("url", ErrorCode::InvalidUrl))?;
    if !allow.allows(&url) {
        return Err(FieldError::new("url", ErrorCode::DestinationNotAllowed));
    }
    let mut shown = url.clone();
    shown.set_fragment(None);
    if url.query().is_some() {
        shown.set_query(Some("***"));
    }
    Ok((url, shown.to_string()))
}

/// An e-mail address as typed: one mailbox, no display name.
pub fn check_email(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    t.parse::<lettre::Address>()
        .ok()
        .filter(|_| t.len() <= aiwei_store::outbox::MAX_EMAIL)
        .map(|_| t.to_owned())
        .ok_or_else(|| FieldError::new("email", ErrorCode::InvalidEmail))
}

/// The parts of the sender that outlive one delivery: the HTTP client and
/// the SMTP transport (its pool of connections).
#[derive(Clone)]
pub struct Outbound {
    pub config: OutboundConfig,
    http: reqwest::Client,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    /// This instance's name in the outbox's leases.
    owner: String,
}

impl Outbound {
    pub fn new(config: OutboundConfig) -> anyhow::Result<Self> {
        let timeout = if config.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            config.timeout
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("aiwei-desk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let smtp = match &config.smtp {
            None => None,
            Some(c) => {
                use lettre::transport::smtp::authentication::Credentials;
                use lettre::transport::smtp::client::{Tls, TlsParameters};
                type T = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;
                let mut b = T::builder_dangerous(&c.host).port(c.port);
                match c.security {
                    SmtpSecurity::None => {}
                    SmtpSecurity::Starttls => {
                        b = b.tls(Tls::Required(TlsParameters::new(c.host.clone())?));
                    }
                    SmtpSecurity::Tls => {
                        b = b.tls(Tls::Wrapper(TlsParameters::new(c.host.clone())?));
                    }
                }
                if let (Some(u), Some(p)) = (&c.username, &c.password) {
                    b = b.credentials(Credentials::new(u.clone(), p.clone()));
                }
                Some(b.timeout(Some(timeout)).build())
            }
        };
        Ok(Self {
            config: OutboundConfig { timeout, ..config },
            http,
            smtp,
            owner: format!("aiwei-{}", uuid::Uuid::now_v7().simple()),
        })
    }
}

/// Why one delivery failed. The text is for the administrator's list:
/// never personal data, never a robot key.
#[derive(Debug)]
enum Failure {
    /// Worth trying again (the receiver is down, a timeout, a 5xx).
    Transient(String),
    /// Trying again cannot help until an administrator changes something.
    Permanent(String),
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// How long a claim holds: longer than any one delivery may take.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Sends what is due, up to `limit` messages.
pub async fn deliver_due(state: &AppState, limit: i64) -> anyhow::Result<Delivered> {
    let out = &state.outbound;
    let now = state.clock.now();
    let items = state
        .store
        .claim_outbox(&out.owner, now, LEASE, limit)
        .await?;
    let mut done = Delivered::default();
    for item in items {
        let result = deliver(state, &item).await;
        let now = state.clock.now();
        match result {
            Ok(()) => {
                if state.store.outbox_sent(item.id, &out.owner, now).await? {
                    done.sent += 1;
                }
            }
            Err(f) => {
                let (text, retry_at) = match f {
                    Failure::Transient(t) => {
                        let retry = notify::after_failure(item.attempts + 1).map(|d| now + d);
                        (t, retry)
                    }
                    Failure::Permanent(t) => (t, None),
                };
                tracing::warn!(
                    message = %item.id,
                    channel = item.channel.as_str(),
                    error = %text,
                    "notification not delivered"
                );
                state
                    .store
                    .outbox_failed(item.id, &out.owner, &text, retry_at, now)
                    .await?;
                if retry_at.is_some() {
                    done.retrying += 1;
                } else {
                    done.failed += 1;
                }
            }
        }
    }
    Ok(done)
}

/// Runs [`deliver_due`] every `every` until `stop` resolves. Several
/// instances may run it on one database: each message is claimed once.
pub async fn run(
    state: AppState,
    every: Duration,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    crate::every(every, stop, || drain(&state)).await
}

/// Sends everything due, a hundred at a time, so one pass does not wait a
/// whole tick per hundred messages.
async fn drain(state: &AppState) {
    loop {
        match deliver_due(state, 100).await {
            Ok(d) if d.sent + d.retrying + d.failed == 100 => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::error!(error = %e, "delivering notifications failed");
                break;
            }
        }
    }
}

/// One message, composed and sent.
async fn deliver(state: &AppState, item: &OutboxItem) -> Result<(), Failure> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, message = %item.id, "composing a notification failed");
        Failure::Transient("系统内部错误，稍后重试".into())
    };
    let matter = match item.matter {
        Some(m) => Some(state.store.matter(m).await.map_err(|e| internal(&e))?),
        None => None,
    };
    let template = state
        .store
        .template(item.kind)
        .await
        .map_err(|e| internal(&e))?;
    match item.channel {
        ChannelKind::Email => {
            let person = match item.user {
                Some(u) => Some(state.store.user(u).await.map_err(|e| internal(&e))?),
                None => None,
            };
            let clear = match (&person, &matter) {
                (Some(p), Some(m)) => {
                    notify::outgoing_clear(Audience::Person(&p.actor()), &m.facts())
                }
                _ => Clear::NONE,
            };
            let (subject, body) = compose(state, &template, item, matter.as_ref(), clear);
            let to = item
                .email
                .as_deref()
                .ok_or_else(|| Failure::Permanent("规则未设置收件邮箱".into()))?;
            send_mail(&state.outbound, item, to, &subject, &body).await?;
            if clear.any()
                && let (Some(p), Some(m)) = (&person, &matter)
            {
                // A caller in clear has left the building: on the record
                // like any other read of unmasked caller data.
                let target = m.id.0.to_string();
                let entry = AuditEntry {
                    actor: Some(p.id),
                    actor_name: Some(&p.username),
                    ip: None,
                    action: AuditAction::CallerView,
                    target: Some(&target),
                    detail: serde_json::json!({ "via": "email", "message": item.id }),
                };
                if let Err(e) = state.store.audit(&entry, state.clock.now()).await {
                    tracing::error!(error = %e, "recording a mailed caller failed");
                }
            }
            Ok(())
        }
        ChannelKind::WeCom | ChannelKind::DingTalk | ChannelKind::Webhook => {
            let id = item
                .destination
                .ok_or_else(|| Failure::Permanent("规则未设置推送地址".into()))?;
            let (dest, secret) = state
                .store
                .destination_secret(id)
                .await
                .map_err(|e| internal(&e))?;
            if !dest.active {
                return Err(Failure::Permanent("推送地址已停用".into()));
            }
            let (subject, body) = compose(state, &template, item, matter.as_ref(), Clear::NONE);
            post(
                &state.outbound,
                state.clock.now(),
                item,
                dest.channel,
                &secret,
                &subject,
                &body,
            )
            .await
        }
    }
}

/// The message's subject and body from its template, with the caller's
/// fields in clear only as `clear` allows.
fn compose(
    state: &AppState,
    template: &Template,
    item: &OutboxItem,
    matter: Option<&Matter>,
    clear: Clear,
) -> (String, String) {
    let link = state
        .outbound
        .config
        .public_url
        .as_deref()
        .zip(matter)
        .map(|(base, m)| format!("{}/matters/{}", base.trim_end_matches('/'), m.number))
        .unwrap_or_default();
    let values = |p: Placeholder| -> String {
        let Some(m) = matter else {
            return match p {
                Placeholder::Notice => item.kind.label().to_owned(),
                _ => String::new(),
            };
        };
        match p {
            Placeholder::Notice => item.kind.label().to_owned(),
            Placeholder::Number => m.number.clone(),
            Placeholder::Type => m.matter_type.label().to_owned(),
            Placeholder::Category => m.category_name.clone().unwrap_or_default(),
            Placeholder::Summary => summary(m),
            Placeholder::Place => {
                if m.sensitive {
                    String::new()
                } else {
                    m.location.address.clone().unwrap_or_default()
                }
            }
            Placeholder::Department => m
                .lead_department_name
                .clone()
                .or_else(|| m.department_name.clone())
                .unwrap_or_default(),
            Placeholder::Deadline => item
                .clock
                .map(|(k, _)| k.label().to_owned())
                .unwrap_or_default(),
            Placeholder::DueAt => item
                .clock
                .map(|(_, d)| time::local_minute(d))
                .unwrap_or_default(),
            Placeholder::Caller => caller_name(m, clear),
            Placeholder::Phone => {
                if m.caller.anonymised || m.caller.phone.is_empty() {
                    String::new()
                } else if clear.phone {
                    m.caller.phone.clone()
                } else {
                    mask::phone(&m.caller.phone)
                }
            }
            Placeholder::Link => link.clone(),
        }
    };
    template.render(&values)
}

/// The start of the matter's content; nothing of a sensitive matter.
fn summary(m: &Matter) -> String {
    if m.sensitive {
        return "（敏感事项，请登录系统查看）".into();
    }
    let text: String = m.content.chars().take(80).collect();
    if m.content.chars().count() > 80 {
        format!("{text}…")
    } else {
        text
    }
}

fn caller_name(m: &Matter, clear: Clear) -> String {
    if m.caller.anonymised {
        return "（已匿名化）".into();
    }
    match (&m.caller.name, &m.caller.organization) {
        (Some(n), _) if clear.name => n.clone(),
        (Some(n), _) => mask::name(n),
        (None, Some(o)) if clear.organization => o.clone(),
        (None, Some(o)) => mask::organization(o),
        (None, None) => String::new(),
    }
}

async fn send_mail(
    out: &Outbound,
    item: &OutboxItem,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), Failure> {
    let (Some(smtp), Some(config)) = (&out.smtp, &out.config.smtp) else {
        return Err(Failure::Permanent("未配置发信服务器（SMTP）".into()));
    };
    let from = config
        .from
        .parse::<lettre::message::Mailbox>()
        .map_err(|_| Failure::Permanent("发件人地址配置不正确".into()))?;
    let to = to
        .parse::<lettre::message::Mailbox>()
        .map_err(|_| Failure::Permanent("收件邮箱格式不正确".into()))?;
    let domain = from.email.domain().to_owned();
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        // The outbox id: a receiver (or its filter) can tell a repeat.
        .message_id(Some(format!("<{}@{}>", item.id, domain)))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| Failure::Permanent(format!("邮件无法生成：{e}")))?;
    smtp.send(message).await.map(|_| ()).map_err(|e| {
        if e.is_permanent() {
            Failure::Permanent(format!("发信服务器拒绝：{e}"))
        } else {
            Failure::Transient(format!("发信失败：{e}"))
        }
    })
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; the error arm cannot happen.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The generic webhook's signature of `body` sent at `timestamp` (Unix
/// seconds): hex HMAC-SHA256 of `"{timestamp}.{body}"` under the shared
/// secret, sent as `X-Aiwei-Signature: sha256=…`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    hex::encode(hmac(secret.as_bytes(), &signed))
}

/// DingTalk's 加签: Base64 of HMAC-SHA256 of `"{timestamp}\n{secret}"` under
/// the secret, `timestamp` in milliseconds.
pub fn dingtalk_signature(secret: &str, timestamp_ms: i64) -> String {
    let text = format!("{timestamp_ms}\n{secret}");
    base64::engine::general_purpose::STANDARD.encode(hmac(secret.as_bytes(), text.as_bytes()))
}

async fn post(
    out: &Outbound,
    now: DateTime<Utc>,
    item: &OutboxItem,
    channel: ChannelKind,
    secret: &DestinationSecret,
    subject: &str,
    body: &str,
) -> Result<(), Failure> {
    let mut url = reqwest::Url::parse(&secret.url)
        .map_err(|_| Failure::Permanent("推送地址格式不正确".into()))?;
    if !out.config.allow.allows(&url) {
        return Err(Failure::Permanent("推送地址已不在允许范围内".into()));
    }
    let request = match channel {
        ChannelKind::WeCom => out.http.post(url).json(&serde_json::json!({
            "msgtype": "text",
            "text": { "content": format!("{subject}\n{body}") },
        })),
        ChannelKind::DingTalk => {
            if let Some(s) = secret.secret.as_deref().filter(|s| !s.is_empty()) {
                let ts = now.timestamp_millis();
                url.query_pairs_mut()
                    .append_pair("timestamp", &ts.to_string())
                    .append_pair("sign", &dingtalk_signature(s, ts));
            }
            out.http.post(url).json(&serde_json::json!({
                "msgtype": "text",
                "text": { "content": format!("{subject}\n{body}") },
            }))
        }
        ChannelKind::Webhook | ChannelKind::Email => {
            let payload = serde_json::to_vec(&webhook_payload(item, subject, body, now))
                .map_err(|e| Failure::Permanent(format!("消息无法生成：{e}")))?;
            let ts = now.timestamp();
            let sig = webhook_signature(secret.secret.as_deref().unwrap_or_default(), ts, &payload);
            out.http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Aiwei-Delivery", item.id.to_string())
                .header("X-Aiwei-Event", item.kind.as_str())
                .header("X-Aiwei-Timestamp", ts.to_string())
                .header("X-Aiwei-Signature", format!("sha256={sig}"))
                .body(payload)
        }
    };
    let response = request.send().await.map_err(|e| {
        // Without the URL: robot keys travel in it.
        Failure::Transient(format!("无法连接推送地址：{}", e.without_url()))
    })?;
    let status = response.status();
    if status.is_redirection() {
        return Err(Failure::Permanent(format!(
            "推送地址要求跳转（{status}），系统不跟随跳转"
        )));
    }
    if !status.is_success() {
        let text = format!("推送地址返回 {status}");
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            Failure::Transient(text)
        } else {
            Failure::Permanent(text)
        });
    }
    if matches!(channel, ChannelKind::WeCom | ChannelKind::DingTalk) {
        // The robots answer 200 with an error code in the body.
        let answer: serde_json::Value = response
            .json()
            .await
            .map_err(|_| Failure::Transient("群机器人的回复无法识别".into()))?;
        let code = answer.get("errcode").and_then(|c| c.as_i64()).unwrap_or(-1);
        if code != 0 {
            let msg = answer
                .get("errmsg")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect::<String>();
            return Err(Failure::Permanent(format!(
                "群机器人返回错误 {code}：{msg}"
            )));
        }
    }
    Ok(())
}

/// What the generic webhook receives.
#[derive(serde::Serialize)]
struct WebhookPayload<'a> {
    /// The message's id, the same on every attempt: a receiver drops
    /// repeats by it.
    id: uuid::Uuid,
    event: NotificationKind,
    event_label: &'static str,
    subject: &'a str,
    text: &'a str,
    deadline: Option<&'static str>,
    due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    sent_at: DateTime<Utc>,
}

fn webhook_payload<'a>(
    item: &OutboxItem,
    subject: &'a str,
    text: &'a str,
    now: DateTime<Utc>,
) -> WebhookPayload<'a> {
    WebhookPayload {
        id: item.id,
        event: item.kind,
        event_label: item.kind.label(),
        subject,
        text,
        deadline: item.clock.map(|(k, _)| k.as_str()),
        due_at: item.clock.map(|(_, d)| d),
        created_at: item.created_at,
        sent_at: now,
    }
}

/// A template filled in with a made-up matter, for the preview: caller
/// masked as a group would see it.
pub fn preview(template: &Template, kind: NotificationKind) -> (String, String) {
    template.render(&|p| {
        match p {
            Placeholder::Notice => kind.label(),
            Placeholder::Number => "AW2026-000123",
            Placeholder::Type => "投诉",
            Placeholder::Category => "垃圾清运",
            Placeholder::Summary => "小区门口垃圾多日未清运，气味很大，请尽快处理。",
            Placeholder::Place => "幸福路12号幸福小区东门",
            Placeholder::Department => "环境卫生科",
            Placeholder::Deadline => "签收",
            Placeholder::DueAt => "2026-11-30 17:30",
            Placeholder::Caller => "张*",
            Placeholder::Phone => "138****5678",
            Placeholder::Link => "https://aiwei.example.gov.cn/matters/AW2026-000123",
        }
        .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_matches_scheme_host_port_and_path() {
        let allow = AllowList::parse(&[
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/".into(),
            "http://10.1.2.3:8080".into(),
        ])
        .unwrap();
        let ok = |u: &str| allow.allows(&reqwest::Url::parse(u).unwrap());
        assert!(ok(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
        ));
        assert!(!ok(
            "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
        ));
        assert!(!ok("https://qyapi.weixin.qq.com/other"));
        assert!(!ok(
            "https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send"
        ));
        assert!(ok("http://10.1.2.3:8080/oa/notify"));
        assert!(!ok("http://10.1.2.3:8081/oa/notify"));
        assert!(!ok("http://user:pw@10.1.2.3:8080/oa/notify"));
        assert!(!ok("http://127.0.0.1/"));
        assert!(AllowList::parse(&["ftp://x".into()]).is_err());
        assert!(AllowList::parse(&["not a url".into()]).is_err());
    }

    #[test]
    fn destination_urls_are_checked_and_shown_without_their_keys() {
        let allow = AllowList::parse(&["https://oapi.dingtalk.com".into()]).unwrap();
        let (_, shown) = check_destination_url(
            &allow,
            " https://oapi.dingtalk.com/robot/send?access_token=s3cr3t ",
        )
        .unwrap();
        assert_eq!(shown, "https://oapi.dingtalk.com/robot/send?***");
        assert_eq!(
            check_destination_url(&allow, "https://example.com/x")
                .unwrap_err()
                .code,
            ErrorCode::DestinationNotAllowed
        );
        assert_eq!(
            check_destination_url(&allow, "javascript:alert(1)")
                .unwrap_err()
                .code,
            ErrorCode::InvalidUrl
        );
    }

    #[test]
    fn signatures_follow_the_documented_recipes() {
        // Expected values computed with Python's hmac module.
        assert_eq!(
            dingtalk_signature("SEC000", 1_700_000_000_000),
            "ltBBey5eZrWKh1cPzFIdz3v3xpkc4Tjx4lLsPSHqdtA="
        );
        assert_eq!(
            webhook_signature("k", 1, b"{}"),
            "3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158"
        );
        assert!(check_email("wang@example.gov.cn").is_ok());
        assert!(check_email("王科长 <wang@example.gov.cn>").is_err());
        assert!(check_email("nobody").is_err());
    }
}
