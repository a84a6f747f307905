//! Notifications that leave the building (R-3.3: the responsible department
//! is told 第一时间): the kinds of destination, the states of an outbox
//! message, the retry schedule, the message templates an administrator
//! edits, and what an outgoing message may say about the caller.
//!
//! Pure: the store writes outbox rows in the transaction of their cause and
//! the server's worker delivers them; both ask this module what to do.

use std::fmt::Write as _;

use chrono::Duration;

use crate::access::{self, Actor, Clear, MatterFacts};
use crate::kinds::code_enum;
use crate::{ErrorCode, FieldError, NotificationKind};

code_enum!(
    /// Where an outgoing notification goes.
    ChannelKind, "channel" {
        Email => ("email", "电子邮件"),
        WeCom => ("wecom", "企业微信群机器人"),
        DingTalk => ("dingtalk", "钉钉群机器人"),
        Webhook => ("webhook", "通用Webhook（HMAC签名）"),
    }
);

impl ChannelKind {
    /// The channels that post to an administrator-set address (the others
    /// write to a mailbox).
    pub const DESTINATIONS: &'static [ChannelKind] = &[
        ChannelKind::WeCom,
        ChannelKind::DingTalk,
        ChannelKind::Webhook,
    ];

    /// Whether a destination of this kind signs with a shared secret: always
    /// for the generic webhook, optionally for DingTalk's 加签 mode.
    pub fn secret(self) -> SecretUse {
        match self {
            ChannelKind::Webhook => SecretUse::Required,
            ChannelKind::DingTalk => SecretUse::Optional,
            ChannelKind::Email | ChannelKind::WeCom => SecretUse::None,
        }
    }
}

/// Whether a destination kind takes a signing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    None,
    Optional,
    Required,
}

code_enum!(
    /// Where an outbox message stands.
    DeliveryState, "state" {
        Pending => ("pending", "待发送"),
        Sent => ("sent", "已发送"),
        Failed => ("failed", "发送失败"),
    }
);

/// Attempts before a message is given up as failed (an administrator may
/// send it again). With [`retry_delay`] that is about seven hours.
pub const MAX_ATTEMPTS: i32 = 12;

/// How long to wait after the `attempts`-th failed attempt: 30 s, doubling,
/// at most an hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    (Duration::seconds(30) * 2i32.pow(doublings as u32)).min(Duration::hours(1))
}

/// What to do after a failed attempt: try again at `now + delay`, or give
/// up.
pub fn after_failure(attempts: i32) -> Option<Duration> {
    (attempts < MAX_ATTEMPTS).then(|| retry_delay(attempts))
}

/// Who an outgoing message is for.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// One staff member's own mailbox or webhook.
    Person(&'a Actor<'a>),
    /// A department's mailbox or a group (robots, other systems): readers
    /// the desk does not know.
    Group,
}

/// The caller fields an outgoing message shows in clear: only to a person
/// who sees them in the desk by their part in the matter (R-5.2, least
/// privilege; disclosures are for reading in the desk, not for mail);
/// never to a group.
pub fn outgoing_clear(audience: Audience<'_>, m: &MatterFacts) -> Clear {
    match audience {
        Audience::Person(a) if access::sees_caller(a, m).is_some() => Clear::ALL,
        _ => Clear::NONE,
    }
}

code_enum!(
    /// The fields a message template may name, written `{名称}`.
    Placeholder, "placeholder" {
        Notice => ("通知", "通知事由，如“有新派单，请及时签收”"),
        Number => ("编号", "事项编号"),
        Type => ("类型", "事项类型"),
        Category => ("子类", "问题子类"),
        Summary => ("事由", "事项内容的开头（敏感事项不显示）"),
        Place => ("地点", "问题发生地点"),
        Department => ("责任部门", "责任部门"),
        Deadline => ("时限", "相关时限名称"),
        DueAt => ("到期时间", "时限到期时间"),
        Caller => ("来电人", "来电来访人（无权查看者见脱敏）"),
        Phone => ("联系电话", "联系电话（无权查看者见脱敏）"),
        Link => ("链接", "系统中该事项的地址"),
    }
);

/// A message template: a subject (e-mail subject, robot title) and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The longest subject and body an administrator may save.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 4000;

impl Template {
    /// The text every kind uses until an administrator writes its own.
    pub fn default_for(_kind: NotificationKind) -> Template {
        Template {
            subject: "【{通知}】{编号}".into(),
            body: "{通知}\n事项编号：{编号}\n类型：{类型} {子类}\n事由：{事由}\n地点：{地点}\n\
                   责任部门：{责任部门}\n时限：{时限} {到期时间}\n来电人：{来电人} {联系电话}\n\
                   办理：{链接}"
                .into(),
        }
    }

    /// A template as typed: both parts trimmed, present, within their
    /// lengths, and naming only known placeholders.
    pub fn parse(subject: &str, body: &str) -> Result<Template, Vec<FieldError>> {
        let mut errs = Vec::new();
        for (field, text, max) in [("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)] {
            let t = text.trim();
            if t.is_empty() {
                errs.push(FieldError::new(field, ErrorCode::Required));
            } else if t.chars().count() > max {
                errs.push(FieldError::new(field, ErrorCode::TooLong));
            } else if placeholders(t).any(|p| p.is_err()) {
                errs.push(FieldError::new(field, ErrorCode::UnknownPlaceholder));
            }
        }
        if errs.is_empty() {
            Ok(Template {
                subject: subject.trim().into(),
                body: body.trim().replace("\r\n", "\n"),
            })
        } else {
            Err(errs)
        }
    }

    /// Fills in the template. Values are plain text; a subject is one line.
    pub fn render(&self, values: &dyn Fn(Placeholder) -> String) -> (String, String) {
        let subject = fill(&self.subject, values).replace(['\r', '\n'], " ");
        (subject, fill(&self.body, values))
    }
}

/// The `{…}` names in `text`, each known or not.
fn placeholders(text: &str) -> impl Iterator<Item = Result<Placeholder, &str>> {
    text.split('{').skip(1).filter_map(|rest| {
        let (name, _) = rest.split_once('}')?;
        Some(Placeholder::from_code(name).ok_or(name))
    })
}

fn fill(text: &str, values: &dyn Fn(Placeholder) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .split_once('}')
            .and_then(|(name, tail)| Some((Placeholder::from_code(name)?, tail)))
        {
            Some((p, tail)) => {
                let _ = write!(out, "{}", values(p));
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;
    use crate::kinds::Role;
    use crate::testing::Who;

    #[test]
    fn retries_back_off_to_an_hour_then_give_up() {
        assert_eq!(retry_delay(1), Duration::seconds(30));
        assert_eq!(retry_delay(2), Duration::seconds(60));
        assert_eq!(retry_delay(4), Duration::seconds(240));
        assert_eq!(retry_delay(8), Duration::hours(1));
        assert_eq!(retry_delay(11), Duration::hours(1));
        assert_eq!(after_failure(1), Some(Duration::seconds(30)));
        assert_eq!(after_failure(MAX_ATTEMPTS), None);
    }

    #[test]
    fn templates_fill_known_placeholders_and_refuse_unknown_ones() {
        let t = Template::parse("【{通知}】{编号}\n", "编号{编号}，{未知}").unwrap_err();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].field, "body");
        assert_eq!(t[0].code, ErrorCode::UnknownPlaceholder);
        let t = Template::parse(" 【{通知}】{编号} ", "{编号}：{事由} {不完整").unwrap();
        let (s, b) = t.render(&|p| match p {
            Placeholder::Notice => "有新派单".into(),
            Placeholder::Number => "AW2026000001".into(),
            Placeholder::Summary => "垃圾{编号}堆积\n".into(),
            _ => String::new(),
        });
        assert_eq!(s, "【有新派单】AW2026000001");
        // A value is never read as a template itself.
        assert_eq!(b, "AW2026000001：垃圾{编号}堆积\n {不完整");
        assert!(Template::parse("", "x").is_err());
        let d = Template::default_for(NotificationKind::Dispatched);
        assert!(Template::parse(&d.subject, &d.body).is_ok());
    }

    #[test]
    fn only_a_person_who_sees_the_caller_gets_them_in_clear() {
        let m = MatterFacts {
            flow: crate::flow::MatterState {
                matter_type: crate::MatterType::Complaint,
                status: crate::MatterStatus::Dispatched,
                lead: Some("HJWS".into()),
                co: Vec::new(),
                caller_to_be_told: false,
                merged: false,
            },
            received_by: Some("AWB".into()),
            recorded_by: UserId::new(),
            sensitive: false,
            anonymised: false,
        };
        let sup = Who::new(&[Role::Supervisor], &[]);
        assert_eq!(
            outgoing_clear(Audience::Person(&sup.actor()), &m),
            Clear::ALL
        );
        assert_eq!(outgoing_clear(Audience::Group, &m), Clear::NONE);
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        assert_eq!(
            outgoing_clear(Audience::Person(&handler.actor()), &m),
            Clear::NONE
        );
        let recorder = Who {
            id: m.recorded_by,
            ..Who::new(&[Role::Intake], &["AWB"])
        };
        assert_eq!(
            outgoing_clear(Audience::Person(&recorder.actor()), &m),
            Clear::ALL
        );
    }
}
