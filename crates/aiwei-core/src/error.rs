//! Error codes and validation failures that name the offending field.
//!
//! Every refusal the program gives carries an [`ErrorCode`]: a stable
//! snake_case code (the API's `code`, also the UI's message key) with its
//! Simplified Chinese text. A [`FieldError`] pairs a code with the dotted
//! path of the field as the API spells it, so a client can point at the
//! exact input that was refused.

use std::fmt;

use crate::kinds::code_enum;

code_enum!(
    /// Why a request was refused. The HTTP status belongs to the edge; the
    /// code and its text are the same wherever the refusal is shown.
    ErrorCode, "code" {
        // Input that does not pass the rules of a field (422).
        Required => ("required", "此项必填"),
        TooLong => ("too_long", "内容过长"),
        TooShort => ("too_short", "长度不足"),
        Mismatch => ("mismatch", "两次输入不一致"),
        WeakPassword => ("weak_password", "密码强度不足：须同时包含字母和数字或符号，不能含用户名，不能是常见密码"),
        InvalidCharacters => ("invalid_characters", "包含不允许的控制字符"),
        UnknownValue => ("unknown_value", "不是可选的值"),
        UnknownField => ("unknown_field", "不是可识别的字段"),
        InvalidValue => ("invalid_value", "取值无效"),
        OutOfRange => ("out_of_range", "数值超出范围"),
        InFuture => ("in_future", "时间不能晚于当前时间"),
        NotInFuture => ("not_in_future", "应晚于当前时间"),
        TooFar => ("too_far", "时间过远，请检查年份"),
        TooOld => ("too_old", "时间过早"),
        NotForChannel => ("not_for_channel", "该受理渠道不填写此项"),
        AfterReceived => ("after_received", "到达时间不能晚于开始接待时间"),
        TooEarly => ("too_early", "到达时间与接待时间相隔超过24小时"),
        BeforeReceived => ("before_received", "约定回复时间须晚于受理时间"),
        NotWithAnswer => ("not_with_answer", "已当场答复的事项无需约定回复时间"),
        InvalidPhone => ("invalid_phone", "电话号码格式不正确"),
        InvalidAreaCode => ("invalid_area_code", "行政区划代码应为6位数字"),
        InvalidCode => ("invalid_code", "代码只能包含字母、数字、- 和 _"),
        InvalidUsername => ("invalid_username", "用户名为2–64位小写字母、数字、. _ -"),
        InvalidNumber => ("invalid_number", "事项编号格式不正确"),
        InvalidPrefix => ("invalid_prefix", "编号前缀应为1–8个大写字母"),
        InvalidCursor => ("invalid_cursor", "分页游标无效"),
        InvalidDate => ("invalid_date", "日期格式应为 YYYY-MM-DD"),
        InvalidDateTime => ("invalid_datetime", "请填写完整的日期和时间"),
        InvalidPeriod => ("invalid_period", "统计期间应写作 2026-10（月）、2026-Q4（季度）或 2026（年度）"),
        InvalidJson => ("invalid_json", "不是有效的 JSON"),
        DuplicateRow => ("duplicate_row", "与本文件中前面的一行是同一事项"),
        InvalidCalendar => ("invalid_calendar", "节假日数据有误"),
        InvalidIdempotencyKey => ("invalid_idempotency_key", "幂等键应为1–255个可见ASCII字符"),
        UnknownDepartment => ("unknown_department", "部门不存在"),
        UnknownUser => ("unknown_user", "用户不存在或已停用"),
        NotOfType => ("not_of_type", "子类别与事项类型不符"),
        NotLater => ("not_later", "新时限须晚于原时限"),
        NotSensitive => ("not_sensitive", "该事项不是敏感事项，无需申请查阅内容"),
        NotInDepartment => ("not_in_department", "该用户不属于本事项的办理部门"),
        TooLarge => ("too_large", "文件过大（不超过10MB）"),
        UnsupportedFileType => ("unsupported_file_type", "只接受 JPEG、PNG 图片或 PDF 文件"),
        TooManyTags => ("too_many_tags", "标签最多10个，每个不超过20字"),
        ExpiresBeforeEffective => ("expires_before_effective", "失效日期不能早于生效日期"),
        NeedsAnswer => ("needs_answer", "引用知识库条目时须填写当场答复内容"),
        NotOfferable => ("not_offerable", "该知识库条目未发布、已停用、已过期或该版本不是发布版本"),
        ValidationFailed => ("validation_failed", "提交的内容有误"),
        IdempotencyKeyReused => ("idempotency_key_reused", "该幂等键已用于另一请求"),
        // Malformed requests (400, 405, 413, 415).
        MalformedJson => ("malformed_json", "请求体不是有效的 JSON"),
        MalformedRequest => ("malformed_request", "请求格式不正确"),
        MethodNotAllowed => ("method_not_allowed", "不支持此请求方法"),
        PayloadTooLarge => ("payload_too_large", "提交的内容过大"),
        UnsupportedMediaType => ("unsupported_media_type", "请求的内容类型应为 application/json"),
        // Who may act (401, 403, 429).
        Unauthenticated => ("unauthenticated", "请先登录"),
        LoginFailed => ("login_failed", "用户名或密码错误"),
        TooManyAttempts => ("too_many_attempts", "登录失败次数过多，请稍后再试"),
        Forbidden => ("forbidden", "无权执行此操作"),
        CsrfFailed => ("csrf_failed", "页面已过期，请刷新后重试"),
        WrongPassword => ("wrong_password", "当前密码不正确"),
        PasswordChangeRequired => ("password_change_required", "请先修改管理员设置的临时密码"),
        OwnRequest => ("own_request", "不能审批本人提交或为本人申请的事项"),
        RevealNotAllowed => ("reveal_not_allowed", "无权直接查看，请提交查阅申请"),
        // What does not exist, or may not be seen (404).
        NotFound => ("not_found", "未找到"),
        // What the current state forbids (409).
        InvalidTransition => ("invalid_transition", "当前状态不允许此操作"),
        CannotDisableSelf => ("cannot_disable_self", "不能停用自己的账号"),
        CannotResetSelf => ("cannot_reset_self", "不能重置自己的密码，请在“账号设置”中修改"),
        DepartmentExists => ("department_exists", "部门代码已存在"),
        UsernameTaken => ("username_taken", "用户名已被使用"),
        NumberTaken => ("number_taken", "事项编号已被占用，请重试"),
        NoRunningDeadline => ("no_running_deadline", "该时限未在计时"),
        DeadlinePassed => ("deadline_passed", "时限已过，不能再申请延期"),
        ExtensionPending => ("extension_pending", "已有待审批的延期申请"),
        AlreadyDecided => ("already_decided", "该申请已审批"),
        AlreadyVisible => ("already_visible", "您已可查看该来电人信息，无需申请"),
        DisclosureOpen => ("disclosure_open", "该接收人对该事项已有未结束的查阅申请"),
        DisclosureNotApproved => ("disclosure_not_approved", "该申请未获批准或已到期"),
        AlreadyAnonymised => ("already_anonymised", "该来电人信息已匿名化"),
        NotSensitiveMatter => ("not_sensitive_matter", "只有敏感事项需要指定经办人"),
        ExportTooLarge => ("export_too_large", "导出的事项超过上限（CSV 5万条，Excel 104万条），请缩小筛选范围"),
        PolicyChanged => ("policy_changed", "时限设置已被他人修改，请刷新后重试"),
        IdempotencyInProgress => ("idempotency_in_progress", "相同幂等键的请求正在处理，请稍后重试"),
        ArticleChanged => ("article_changed", "该条目已有更新的版本，请基于最新版本重新修改"),
        AlreadyPublished => ("already_published", "该版本已是发布版本"),
        AlreadyRetired => ("already_retired", "该条目已停用"),
        NothingChanged => ("nothing_changed", "内容没有变化，无需保存新版本"),
        NotMergeable => ("not_mergeable", "只能合并同类型、未办结的投诉或其他事项"),
        AlreadyMerged => ("already_merged", "该事项已并入其他事项"),
        MergeChain => ("merge_chain", "不能层层并单：主事项不能是已并入的事项，已有并单的事项也不能再并入他项"),
        NotMerged => ("not_merged", "该事项未并单"),
        MergedStep => ("merged_step", "该事项已并入主事项办理，请在主事项上操作"),
        SameMatter => ("same_matter", "不能与事项自身合并或关联"),
        AlreadyLinked => ("already_linked", "两个事项已关联"),
        NotLinked => ("not_linked", "两个事项未关联"),
        NotAHotspot => ("not_a_hotspot", "该地点和子类别当前不是热点问题"),
        TokenRevoked => ("token_revoked", "该令牌已吊销"),
        UnknownPlaceholder => ("unknown_placeholder", "模板中有无法识别的占位符，请使用列出的名称"),
        DestinationNotAllowed => ("destination_not_allowed", "该地址不在系统配置允许的推送地址范围内"),
        InvalidUrl => ("invalid_url", "地址格式不正确，应以 http:// 或 https:// 开头"),
        InvalidEmail => ("invalid_email", "电子邮箱格式不正确"),
        NameTaken => ("name_taken", "名称已被使用"),
        UnknownDestination => ("unknown_destination", "推送地址不存在或已停用"),
        AlreadySent => ("already_sent", "该通知已发送成功，无需重发"),
        InvalidExtension => ("invalid_extension", "分机号应为1至16位数字"),
        UnknownExtension => ("unknown_extension", "该分机号未分配给任何登记人员"),
        ExtensionTaken => ("extension_taken", "该分机号已分配给其他人员"),
        UnknownCall => ("unknown_call", "交换机未报告过该通话的振铃"),
        CallFinished => ("call_finished", "该通话已结束，不能再变更"),
        CallTaken => ("call_taken", "该通话已登记为其他事项"),
        AlreadyCalledBack => ("already_called_back", "该漏接来电已处理"),
        RateLimited => ("rate_limited", "提交过于频繁，请稍后再试"),
        NoSuchFiling => ("no_such_filing", "未找到该事项，或查询码不正确，请核对后重试"),
        FormExpired => ("form_expired", "页面已过期或提交过快，请重新填写后提交"),
        NotAnImage => ("not_an_image", "照片只能是 JPG 或 PNG 图片，每张不超过5MB"),
        TooManyPhotos => ("too_many_photos", "最多上传3张照片"),
        // Our fault (500, 503).
        Internal => ("internal", "系统内部错误，请稍后重试"),
        Unavailable => ("unavailable", "服务暂不可用"),
    }
);

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path as in the API request, e.g. `caller.phone`.
    pub field: String,
    /// Why, e.g. `required`, `too_long`, `in_future`.
    pub code: ErrorCode,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.code)
    }
}

impl std::error::Error for FieldError {}

/// Every refused field of one input, in the order they were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, code: ErrorCode) {
        self.0.push(FieldError::new(field, code));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` was already refused.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// The first refused field: the one an API error names.
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    /// Records the error of a parse and yields its value, so a validator can
    /// keep checking the other fields and report them all at once.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// The control characters no text may hold, as a regular-expression class
/// body: all but tab, line feed and carriage return (`char::is_control`).
pub const REFUSED_CONTROLS: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";

fn refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The shortest reason a request or decision may give, in characters.
pub const MIN_REASON: usize = 2;
/// The longest.
pub const MAX_REASON: usize = 500;

/// Checks `raw` is at most `max` characters long and holds no control
/// character, then trims it; a text of blanks is absent, which is refused
/// when `required`. Counting is in characters, not bytes, because Chinese
/// text is three bytes a character in UTF-8.
pub fn bounded_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
    required: bool,
) -> Result<Option<String>, FieldError> {
    // The length counts what was sent, as a form's `maxlength` and the API
    // document's `maxLength` do; surrounding blanks are then dropped.
    if raw.is_some_and(|s| s.chars().count() > max) {
        return Err(FieldError::new(field, ErrorCode::TooLong));
    }
    if raw.is_some_and(|s| s.chars().any(refused_control)) {
        return Err(FieldError::new(field, ErrorCode::InvalidCharacters));
    }
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None if required => Err(FieldError::new(field, ErrorCode::Required)),
        None => Ok(None),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// A reason: a required text of [`MIN_REASON`] to [`MAX_REASON`]
/// characters.
pub fn reason_text(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = bounded_text(field, Some(raw), MAX_REASON, true)?.unwrap_or_default();
    if text.chars().count() < MIN_REASON {
        return Err(FieldError::new(field, ErrorCode::TooShort));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        let ten_chinese = "爱国卫生爱国卫生爱国";
        assert_eq!(ten_chinese.len(), 30);
        assert_eq!(
            bounded_text("f", Some(ten_chinese), 10, true),
            Ok(Some(ten_chinese.to_owned()))
        );
        assert_eq!(
            bounded_text("f", Some("爱国卫生爱国卫生爱国卫"), 10, true),
            Err(FieldError::new("f", ErrorCode::TooLong))
        );
    }

    #[test]
    fn bounded_text_treats_blank_as_missing() {
        assert_eq!(
            bounded_text("f", Some("   "), 10, true),
            Err(FieldError::new("f", ErrorCode::Required))
        );
        assert_eq!(bounded_text("f", Some("  "), 10, false), Ok(None));
        assert_eq!(bounded_text("f", None, 10, false), Ok(None));
    }

    #[test]
    fn bounded_text_refuses_control_characters_but_keeps_newlines() {
        assert!(bounded_text("f", Some("a\u{1b}[31m"), 10, true).is_err());
        assert_eq!(
            bounded_text("f", Some("第一行\n第二行"), 10, true),
            Ok(Some("第一行\n第二行".to_owned()))
        );
    }
}
