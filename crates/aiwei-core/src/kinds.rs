//! The closed vocabularies of the program: roles, channels, matter types
//! and statuses, caller kinds, event kinds, deadline-clock states,
//! extension and disclosure states, notification kinds, audit actions and
//! attachment stages.
//!
//! Each value has a stable snake_case code (its database and wire spelling,
//! also the UI's message key) and its Simplified Chinese label. Both are
//! written once, beside the variant, so a misspelt code fails to compile
//! wherever it is used and every value has a label by construction.

/// Declares an enum whose variants map one-to-one onto stable codes and
/// Chinese labels: `Variant => ("code", "标签")`. The second argument names
/// the API field a refused code is reported on.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal {
        $($(#[$vdoc:meta])* $variant:ident => ($code:literal, $label:literal)),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The Simplified Chinese label.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            /// The value of a stable code, if it is one: exactly the code, so
            /// the API accepts what its document lists and nothing else.
            pub fn from_code(raw: &str) -> Option<Self> {
                match raw {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Parses a stable code; the error names the API field.
            pub fn parse(raw: &str) -> Result<Self, $crate::error::FieldError> {
                Self::from_code(raw).ok_or_else(|| {
                    $crate::error::FieldError::new($field, $crate::error::ErrorCode::UnknownValue)
                })
            }
        }

        // Written out rather than derived: the derive does not see the
        // `rename`s through this macro and would publish the Rust names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                let labels: Vec<String> = Self::ALL
                    .iter()
                    .map(|v| format!("`{}` {}", v.as_str(), v.label()))
                    .collect();
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .description(Some(labels.join("; ")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        #[cfg(feature = "openapi")]
        impl $name {
            /// The schema of a list filter on this vocabulary: a code, or
            /// empty for any.
            pub fn filter_schema() -> utoipa::openapi::schema::Object {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(
                        std::iter::once("").chain(Self::ALL.iter().map(|v| v.as_str())),
                    ))
                    .description(Some("Empty for any"))
                    .build()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(
    /// What a staff member may do (DESIGN.md "Who uses it"). A user may hold
    /// several roles.
    Role, "role" {
        Intake => ("intake", "接听/接待人员"),
        Handler => ("handler", "责任部门经办人"),
        DeptLead => ("dept_lead", "部门负责人"),
        LeadingGroup => ("leading_group", "爱卫领导小组"),
        Supervisor => ("supervisor", "督办/管理人员"),
        Auditor => ("auditor", "审计"),
        Admin => ("admin", "系统管理员"),
    }
);

code_enum!(
    /// How a matter reached the organisation.
    Channel, "channel" {
        Phone => ("phone", "电话"),
        Visit => ("visit", "来访"),
        Web => ("web", "网上反映"),
        Open311 => ("open311", "Open311接口"),
    }
);

code_enum!(
    /// The classification of.
    MatterType, "type" {
        Consultation => ("consultation", "咨询"),
        Complaint => ("complaint", "投诉"),
        Suggestion => ("suggestion", "建议"),
        Other => ("other", "其他"),
    }
);

code_enum!(
    /// Where a matter stands in its flow (see `flow`). `received` matters
    /// wait at intake (for an answer, dispatch or submission); `closed` ones
    /// are finished.
    MatterStatus, "status" {
        Received => ("received", "待处理"),
        Coordinating => ("coordinating", "协调中"),
        Dispatched => ("dispatched", "待签收"),
        Signed => ("signed", "已签收"),
        OnSite => ("on_site", "已到场"),
        Rectifying => ("rectifying", "整改中"),
        Completed => ("completed", "已完成"),
        FedBack => ("fed_back", "已反馈"),
        Evaluating => ("evaluating", "评估中"),
        Implementing => ("implementing", "实施中"),
        Decided => ("decided", "已决定"),
        Handling => ("handling", "办理中"),
        Closed => ("closed", "已办结"),
    }
);

code_enum!(
    /// Who called or visited (R-1.2: people and organisations alike).
    CallerKind, "caller.kind" {
        Person => ("person", "个人"),
        Organization => ("organization", "单位"),
    }
);

code_enum!(
    /// What may be disclosed: a caller field, or `content`,
    /// a sensitive matter itself, seen while the grant is open.
    DisclosedField, "fields" {
        Name => ("name", "姓名"),
        Organization => ("organization", "单位名称"),
        Phone => ("phone", "联系电话"),
        Content => ("content", "敏感事项内容"),
    }
);

code_enum!(
    /// Where a disclosure of caller data stands; the transitions
    /// are in `access::disclosure`.
    DisclosureStatus, "status" {
        Requested => ("requested", "待审批"),
        Approved => ("approved", "已批准，待签署保密协议"),
        Refused => ("refused", "未批准"),
        Signed => ("signed", "已签署，可查阅"),
        Expired => ("expired", "已到期"),
    }
);

code_enum!(
    /// Where an extension request (延期) stands.
    ExtensionStatus, "state" {
        Pending => ("pending", "待审批"),
        Approved => ("approved", "已批准"),
        Refused => ("refused", "未批准"),
    }
);

code_enum!(
    /// Where a deadline clock stands: running, due soon or overdue while
    /// open; met or late once ended.
    ClockState, "state" {
        Running => ("running", "计时中"),
        DueSoon => ("due_soon", "即将到期"),
        Overdue => ("overdue", "已超时"),
        Met => ("met", "按时完成"),
        Late => ("late", "超时完成"),
        /// Ended because its work no longer falls due (the matter was
        /// returned, or the clock was replaced): neither met nor late.
        Cancelled => ("cancelled", "已取消"),
    }
);

code_enum!(
    /// What happened to a matter: the kind of each event of its chain.
    EventKind, "kind" {
        Received => ("received", "登记受理"),
        Answered => ("answered", "当场答复并办结"),
        Reclassified => ("reclassified", "更改分类"),
        Dispatched => ("dispatched", "派单"),
        CoordinationRequested => ("coordination_requested", "请求协办"),
        InputProvided => ("input_provided", "部门意见"),
        Replied => ("replied", "答复来电人"),
        SignedFor => ("signed_for", "签收"),
        ReturnAsked => ("return_asked", "申请退回"),
        Returned => ("returned", "退回"),
        ArrivedOnSite => ("arrived_on_site", "到场核查"),
        RectificationPlanned => ("rectification_planned", "制定整改措施"),
        ProgressReported => ("progress_reported", "汇报进展"),
        Completed => ("completed", "整改完成"),
        ResultRecorded => ("result_recorded", "办理结果"),
        FeedbackGiven => ("feedback_given", "反馈来电人"),
        Revisited => ("revisited", "回访满意并办结"),
        RedoOrdered => ("redo_ordered", "回访不满意，重办"),
        SubmittedToLeadingGroup => ("submitted_to_leading_group", "提交领导小组"),
        Adopted => ("adopted", "采纳"),
        NotAdopted => ("not_adopted", "不予采纳"),
        Implemented => ("implemented", "实施完成"),
        ProposerTold => ("proposer_told", "告知建议人"),
        CallerInformed => ("caller_informed", "已告知来电人"),
        DeadlineDueSoon => ("deadline_due_soon", "时限即将到期"),
        DeadlineOverdue => ("deadline_overdue", "时限已超期"),
        ExtensionRequested => ("extension_requested", "申请延期"),
        ExtensionApproved => ("extension_approved", "批准延期"),
        ExtensionRefused => ("extension_refused", "不批准延期"),
        AttachmentAdded => ("attachment_added", "上传附件"),
        CallerRevealed => ("caller_revealed", "查看来电人完整信息"),
        CallerAnonymised => ("caller_anonymised", "来电人信息已匿名化"),
        DisclosureRequested => ("disclosure_requested", "申请查阅来电人信息"),
        DisclosureApproved => ("disclosure_approved", "批准查阅申请"),
        DisclosureRefused => ("disclosure_refused", "不批准查阅申请"),
        DisclosureSigned => ("disclosure_signed", "签署保密协议"),
        DisclosureExpired => ("disclosure_expired", "查阅权限到期"),
        PersonNamed => ("person_named", "指定经办人"),
        Urged => ("urged", "督办催办"),
        MergedInto => ("merged_into", "并单：并入主事项办理"),
        MergeReceived => ("merge_received", "并单：并入相同事项"),
        Unmerged => ("unmerged", "撤销并单"),
        Linked => ("linked", "关联事项"),
        Unlinked => ("unlinked", "取消关联"),
        Imported => ("imported", "从原台账导入"),
        AnswerCorrected => ("answer_corrected", "更正答复"),
    }
);

code_enum!(
    /// Why someone is told about a matter in the app.
    NotificationKind, "kind" {
        Dispatched => ("dispatched", "有新派单，请及时签收"),
        RedoOrdered => ("redo_ordered", "回访不满意，事项重办"),
        ReturnAsked => ("return_asked", "经办人申请退回，请审核是否退回"),
        Returned => ("returned", "事项被部门退回，请重新派单或处理"),
        ExtensionRequested => ("extension_requested", "有延期申请待审批"),
        ExtensionDecided => ("extension_decided", "延期申请已审批"),
        Urged => ("urged", "督办催办，请尽快办理"),
        CoordinationRequested => ("coordination_requested", "请提供协办意见"),
        DeadlineDueSoon => ("deadline_due_soon", "时限即将到期"),
        DeadlineOverdue => ("deadline_overdue", "时限已超期"),
        DisclosureDecided => ("disclosure_decided", "查阅来电人信息的申请已审批"),
    }
);

code_enum!(
    /// What an audit record records, in the order the auditor's page offers
    /// them. Stored, filtered on, and the record's label.
    AuditAction, "action" {
        LoginSuccess => ("login.success", "登录"),
        LoginFailure => ("login.failure", "登录失败"),
        Logout => ("logout", "退出登录"),
        UserCreate => ("user.create", "新增用户"),
        UserDisable => ("user.disable", "停用用户"),
        UserEnable => ("user.enable", "启用用户"),
        UserUpdate => ("user.update", "修改用户信息"),
        CategoryRouting => ("category.routing", "修改默认派单部门"),
        PasswordChange => ("user.password_change", "修改本人密码"),
        PasswordReset => ("user.password_reset", "重置用户密码"),
        DepartmentCreate => ("department.create", "新增部门"),
        PolicyUpdate => ("policy.update", "修改时限设置"),
        CalendarLoad => ("calendar.load", "导入工作日历"),
        CalendarUpdate => ("calendar.update", "更新工作日历"),
        TokenCreate => ("token.create", "创建API令牌"),
        TokenRevoke => ("token.revoke", "吊销API令牌"),
        CallerView => ("caller.view", "查看来电人信息"),
        CallerReveal => ("caller.reveal", "查看来电人完整信息（说明原因）"),
        CallerAnonymise => ("caller.anonymise", "来电人信息匿名化"),
        DisclosureRequest => ("disclosure.request", "申请查阅来电人信息"),
        DisclosureApprove => ("disclosure.approve", "批准查阅申请"),
        DisclosureRefuse => ("disclosure.refuse", "不批准查阅申请"),
        DisclosureSign => ("disclosure.sign", "签署保密协议"),
        DisclosureExpire => ("disclosure.expire", "查阅权限到期"),
        KeysRotate => ("keys.rotate", "更换加密密钥"),
        LedgerExport => ("ledger.export", "导出台账"),
        LedgerImport => ("ledger.import", "导入原台账"),
        StaffAssess => ("staff.assess", "考核评定"),
        TrainingRecord => ("training.record", "登记培训"),
        PersonName => ("person.name", "指定敏感事项经办人"),
        ArticleCreate => ("article.create", "新增知识库条目"),
        ArticlePropose => ("article.propose", "提交知识库条目修改"),
        ArticlePublish => ("article.publish", "发布知识库条目"),
        ArticleRetire => ("article.retire", "停用知识库条目"),
        HotspotAcknowledge => ("hotspot.acknowledge", "确认热点问题"),
        HotspotClose => ("hotspot.close", "关闭热点问题"),
        DestinationSave => ("outbound.destination", "设置推送地址"),
        RuleSave => ("outbound.rule", "设置通知规则"),
        TemplateSave => ("outbound.template", "修改消息模板"),
        OutboxRetry => ("outbox.retry", "重新发送通知"),
    }
);

code_enum!(
    /// Where an API token stands.
    TokenState, "state" {
        Valid => ("valid", "有效"),
        Revoked => ("revoked", "已吊销"),
        Expired => ("expired", "已过期"),
    }
);

code_enum!(
    /// Why a login was refused, as the audit trail records it.
    LoginFailureReason, "reason" {
        UnknownUser => ("unknown_user", "用户不存在"),
        WrongPassword => ("wrong_password", "密码错误"),
        Disabled => ("disabled", "账号已停用"),
        Throttled => ("throttled", "失败次数过多，已限制登录"),
        MalformedUsername => ("malformed_username", "用户名格式不正确"),
    }
);

code_enum!(
    /// When a piece of evidence was taken, or what it is.
    AttachmentStage, "stage" {
        Before => ("before", "整改前照片"),
        After => ("after", "整改后照片"),
        Document => ("document", "文件"),
        Agreement => ("agreement", "保密协议扫描件"),
    }
);

code_enum!(
    /// Five-level satisfaction of a revisit (R-4.2 "是否满意").
    Satisfaction, "satisfaction" {
        VerySatisfied => ("very_satisfied", "非常满意"),
        Satisfied => ("satisfied", "满意"),
        FairlySatisfied => ("fairly_satisfied", "基本满意"),
        Dissatisfied => ("dissatisfied", "不满意"),
        VeryDissatisfied => ("very_dissatisfied", "非常不满意"),
    }
);

impl EventKind {
    /// Events that record who looked at the caller's data (a reveal, the
    /// steps of a disclosure): the audit of access, not the handling of the
    /// matter; the printed form leaves them out.
    pub fn records_access(self) -> bool {
        matches!(
            self,
            EventKind::CallerRevealed
                | EventKind::DisclosureRequested
                | EventKind::DisclosureApproved
                | EventKind::DisclosureRefused
                | EventKind::DisclosureSigned
                | EventKind::DisclosureExpired
        )
    }
}

impl Satisfaction {
    /// Whether the matter may close: the three upper levels.
    pub fn accepts(self) -> bool {
        matches!(
            self,
            Self::VerySatisfied | Self::Satisfied | Self::FairlySatisfied
        )
    }
}

code_enum!(
    /// What a knowledge-base article (知识库条目) is (R-3.2: policies,
    /// regulations, standards and knowledge).
    ArticleKind, "kind" {
        Policy => ("policy", "政策"),
        Regulation => ("regulation", "法规"),
        Standard => ("standard", "标准"),
        Faq => ("faq", "常见问答"),
        Script => ("script", "话术"),
    }
);

code_enum!(
    /// Where an article stands in its review (see `knowledge`): drafted,
    /// published (a version is in force), or retired.
    ArticleStatus, "status" {
        Draft => ("draft", "草稿"),
        Published => ("published", "已发布"),
        Retired => ("retired", "已停用"),
    }
);

code_enum!(
    /// How the caller was told.
    ReplyChannel, "channel" {
        Phone => ("phone", "电话回复"),
        Written => ("written", "书面回复"),
        InPerson => ("in_person", "当面沟通"),
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, FieldError};

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), *r);
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        for t in MatterType::ALL {
            assert_eq!(MatterType::parse(t.as_str()).unwrap(), *t);
        }
        for a in AuditAction::ALL {
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(serde_json::from_str::<AuditAction>(&json).unwrap(), *a);
        }
    }

    #[test]
    fn unknown_codes_name_the_field() {
        assert_eq!(
            MatterType::parse("praise").unwrap_err(),
            FieldError::new("type", ErrorCode::UnknownValue)
        );
        assert_eq!(CallerKind::parse("robot").unwrap_err().field, "caller.kind");
    }

    /// Codes are unique within each vocabulary, and so are labels where a
    /// person chooses between them.
    #[test]
    fn codes_and_labels_are_distinct() {
        fn distinct<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> bool {
            let mut v: Vec<&str> = all.iter().map(|x| f(*x)).collect();
            v.sort_unstable();
            let n = v.len();
            v.dedup();
            v.len() == n
        }
        assert!(distinct(EventKind::ALL, EventKind::as_str));
        assert!(distinct(AuditAction::ALL, AuditAction::as_str));
        assert!(distinct(MatterStatus::ALL, MatterStatus::as_str));
        assert!(distinct(MatterStatus::ALL, MatterStatus::label));
        assert!(distinct(Role::ALL, Role::label));
        assert!(distinct(Satisfaction::ALL, Satisfaction::label));
    }
}
