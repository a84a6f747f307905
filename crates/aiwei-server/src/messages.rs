//! User-facing text, in Simplified Chinese, behind stable message keys.
//!
//! Error codes are message keys too: the API returns the code and its text,
//! and pages show the text. Adding a language means adding a table here.

/// The text for a message key; unknown keys fall back to the key itself so
/// a missing translation is visible rather than silent.
pub fn zh(key: &str) -> &str {
    match key {
        // Error codes.
        "required" => "此项必填",
        "too_long" => "内容过长",
        "invalid_characters" => "包含不允许的控制字符",
        "unknown_value" => "不是可选的值",
        "in_future" => "时间不能晚于当前时间",
        "too_old" => "时间过早",
        "not_for_channel" => "该受理渠道不填写此项",
        "out_of_range" => "数值超出范围",
        "after_received" => "到达时间不能晚于开始接待时间",
        "too_early" => "到达时间与接待时间相隔超过24小时",
        "before_received" => "约定回复时间须晚于受理时间",
        "not_with_answer" => "已当场答复的事项无需约定回复时间",
        "invalid_phone" => "电话号码格式不正确",
        "invalid_area_code" => "行政区划代码应为6位数字",
        "invalid_code" => "代码只能包含字母、数字、- 和 _",
        "invalid_username" => "用户名为2–64位小写字母、数字、. _ -",
        "invalid_number" => "事项编号格式不正确",
        "invalid_cursor" => "分页游标无效",
        "invalid_date" => "日期格式应为 YYYY-MM-DD",
        "invalid_value" => "取值无效",
        "unknown_field" => "不是可识别的字段",
        "too_short" => "长度不足",
        "cannot_disable_self" => "不能停用自己的账号",
        "unknown_department" => "部门不存在",
        "not_of_type" => "子类别与事项类型不符",
        "department_exists" => "部门代码已存在",
        "username_taken" => "用户名已被使用",
        "malformed_json" => "请求体不是有效的 JSON",
        "unsupported_media_type" => "请求的内容类型应为 application/json",
        "validation_failed" => "提交的内容有误",
        "unauthenticated" => "请先登录",
        "login_failed" => "用户名或密码错误",
        "too_many_attempts" => "登录失败次数过多，请稍后再试",
        "forbidden" => "无权执行此操作",
        "csrf_failed" => "页面已过期，请刷新后重试",
        "not_found" => "未找到",
        "conflict" => "当前状态不允许此操作",
        "invalid_transition" => "当前状态不允许此操作",
        "not_in_future" => "应晚于当前时间",
        "invalid_json" => "不是有效的 JSON",
        "invalid_calendar" => "节假日数据有误",
        "payload_too_large" => "提交的内容过大",
        "internal" => "系统内部错误，请稍后重试",
        "unavailable" => "服务暂不可用",
        // Field labels.
        "channel" => "受理渠道",
        "received_at" => "受理时间",
        "ring_seconds" => "响铃秒数",
        "arrived_at" => "到达时间",
        "caller.kind" => "来电来访人类别",
        "caller.name" => "姓名",
        "caller.organization" => "单位名称",
        "caller.phone" => "联系电话",
        "type" => "事项类型",
        "category" => "子类别",
        "content" => "来电来访事项",
        "location.address" => "地址",
        "location.area_code" => "行政区划代码",
        "location.latitude" => "纬度",
        "location.longitude" => "经度",
        "answer" => "当场答复",
        "agreed_reply_at" => "约定回复时间",
        "department" => "部门",
        "lead" => "主办部门",
        "co" => "协办部门",
        "departments" => "协办部门",
        "reason" => "原因",
        "note" => "备注",
        "question" => "需协办的问题",
        "text" => "内容",
        "who" => "到场人员",
        "findings" => "核查情况",
        "measures" => "整改措施",
        "planned_completion" => "计划完成时间",
        "result" => "结果",
        "words" => "来电人意见",
        "cause" => "不满意原因",
        "opinion" => "评估意见",
        "username" => "用户名",
        "password" => "密码",
        "display_name" => "姓名",
        "name" => "名称",
        "role" => "角色",
        "status" => "状态",
        "received_from" => "受理日期起",
        "received_to" => "受理日期止",
        "cursor" => "分页游标",
        "limit" => "每页条数",
        // Vocabularies.
        "phone" => "电话",
        "visit" => "来访",
        "consultation" => "咨询",
        "complaint" => "投诉",
        "suggestion" => "建议",
        "other" => "其他",
        "received" => "待处理",
        "coordinating" => "协调中",
        "dispatched" => "待签收",
        "signed" => "已签收",
        "on_site" => "已到场",
        "rectifying" => "整改中",
        "completed" => "已完成",
        "fed_back" => "已反馈",
        "evaluating" => "评估中",
        "implementing" => "实施中",
        "decided" => "已决定",
        "handling" => "办理中",
        "closed" => "已办结",
        "person" => "个人",
        "organization" => "单位",
        "intake" => "接听/接待人员",
        "handler" => "责任部门经办人",
        "dept_lead" => "部门负责人",
        "leading_group" => "爱卫领导小组",
        "supervisor" => "督办/管理人员",
        "auditor" => "审计",
        "admin" => "系统管理员",
        // Deadlines.
        "reply_due" => "约定回复",
        "sign_due" => "签收时限",
        "on_site_due" => "到场时限",
        "rectify_due" => "整改时限",
        "progress_due" => "进展汇报",
        "feedback_due" => "反馈时限",
        "revisit_due" => "回访时限",
        "evaluation_due" => "评估时限",
        "deadline.running" => "计时中",
        "deadline.due_soon" => "即将到期",
        "deadline.overdue" => "已超时",
        "deadline.met" => "按时完成",
        "deadline.late" => "超时完成",
        "event.deadline_due_soon" => "时限即将到期",
        "event.deadline_overdue" => "时限已超期",
        // Extensions.
        "no_running_deadline" => "该时限未在计时",
        "deadline_passed" => "时限已过，不能再申请延期",
        "extension_pending" => "已有待审批的延期申请",
        "already_decided" => "该申请已审批",
        "not_later" => "新时限须晚于原时限",
        "new_due_at" => "新时限",
        "extension.pending" => "待审批",
        "extension.approved" => "已批准",
        "extension.refused" => "未批准",
        "event.extension_requested" => "申请延期",
        "event.extension_approved" => "批准延期",
        "event.extension_refused" => "不批准延期",
        "event.caller_informed" => "已告知来电人",
        // Attachments.
        "file" => "附件",
        "stage" => "附件类别",
        "too_large" => "文件过大（不超过10MB）",
        "unsupported_file_type" => "只接受 JPEG、PNG 图片或 PDF 文件",
        "stage.before" => "整改前照片",
        "stage.after" => "整改后照片",
        "stage.document" => "文件",
        "event.attachment_added" => "上传附件",
        // Work queues.
        "queue.to_dispatch" => "待派单/待处理",
        "queue.to_feed_back" => "待反馈来电人",
        "queue.to_revisit" => "待回访",
        "queue.to_reply" => "待答复来电人",
        "queue.to_sign" => "待签收",
        "queue.to_visit" => "待到场核查",
        "queue.rectifying" => "整改中",
        "queue.to_advise" => "待提供意见/办理",
        "queue.to_evaluate" => "待评估建议",
        "queue.implementing" => "实施中的建议",
        // Notifications.
        "notify.dispatched" => "有新派单，请及时签收",
        "notify.redo_ordered" => "回访不满意，事项重办",
        "notify.coordination_requested" => "请提供协办意见",
        "notify.deadline_due_soon" => "时限即将到期",
        "notify.deadline_overdue" => "时限已超期",
        // Event kinds.
        "event.received" => "登记受理",
        "event.answered" => "当场答复并办结",
        "event.reclassified" => "更改分类",
        "event.dispatched" => "派单",
        "event.coordination_requested" => "请求协办",
        "event.input_provided" => "部门意见",
        "event.replied" => "答复来电人",
        "event.signed_for" => "签收",
        "event.returned" => "退回",
        "event.arrived_on_site" => "到场核查",
        "event.rectification_planned" => "制定整改措施",
        "event.progress_reported" => "汇报进展",
        "event.completed" => "整改完成",
        "event.result_recorded" => "办理结果",
        "event.feedback_given" => "反馈来电人",
        "event.revisited" => "回访满意并办结",
        "event.redo_ordered" => "回访不满意，重办",
        "event.submitted_to_leading_group" => "提交领导小组",
        "event.adopted" => "采纳",
        "event.not_adopted" => "不予采纳",
        "event.implemented" => "实施完成",
        "event.proposer_told" => "告知建议人",
        // The audit trail.
        "nav.audit" => "审计日志",
        "policy_changed" => "时限设置已被他人修改，请刷新后重试",
        "actor" => "操作人",
        "from" => "起始日期",
        "to" => "截止日期",
        "before" => "分页游标",
        "action" => "操作",
        "audit.login.success" => "登录",
        "audit.login.failure" => "登录失败",
        "audit.logout" => "退出登录",
        "audit.user.create" => "新增用户",
        "audit.user.disable" => "停用用户",
        "audit.user.enable" => "启用用户",
        "audit.department.create" => "新增部门",
        "audit.policy.update" => "修改时限设置",
        "audit.calendar.load" => "导入工作日历",
        "audit.calendar.update" => "更新工作日历",
        "audit.token.create" => "创建API令牌",
        "audit.group.login" => "登录与登录失败（全部）",
        "audit.group.user" => "用户管理（全部）",
        "audit.group.calendar" => "工作日历（全部）",
        "audit.via_cli" => "（命令行）",
        "audit.reason.unknown_user" => "用户不存在",
        "audit.reason.wrong_password" => "密码错误",
        "audit.reason.disabled" => "账号已停用",
        "audit.reason.throttled" => "失败次数过多，已限制登录",
        "audit.reason.malformed_username" => "用户名格式不正确",
        _ => key,
    }
}

/// The text of `prefix.key` (e.g. `event.dispatched`), or `key` itself when
/// there is none.
pub fn zh_in(prefix: &str, key: &str) -> String {
    let full = format!("{prefix}.{key}");
    match zh(&full) {
        text if text == full => key.to_owned(),
        text => text.to_owned(),
    }
}

/// `label：text` for a refused field, e.g. `联系电话：此项必填`.
pub fn field_message(field: &str, code: &str) -> String {
    format!("{}：{}", zh(field), zh(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiwei_core::{CallerKind, Channel, MatterStatus, MatterType, Role};

    #[test]
    fn every_vocabulary_value_has_chinese_text() {
        let codes = Role::ALL
            .iter()
            .map(|r| r.as_str())
            .chain(Channel::ALL.iter().map(|c| c.as_str()))
            .chain(MatterType::ALL.iter().map(|c| c.as_str()))
            .chain(MatterStatus::ALL.iter().map(|c| c.as_str()))
            .chain(CallerKind::ALL.iter().map(|c| c.as_str()));
        for code in codes {
            assert_ne!(zh(code), code, "{code} has no text");
        }
    }

    #[test]
    fn field_messages_name_the_field_in_chinese() {
        assert_eq!(
            field_message("caller.phone", "required"),
            "联系电话：此项必填"
        );
    }
}
