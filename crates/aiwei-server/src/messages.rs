//! User-facing text that is not a vocabulary of the core: the Chinese
//! labels of request fields, and the few fixed texts of the pages.
//!
//! Vocabularies (roles, statuses, event kinds, error codes, …) carry their
//! labels in `aiwei_core` beside their codes, so every value has one by
//! construction. Adding a language means adding a table here and a label
//! set there.

use aiwei_core::ErrorCode;

/// The Chinese label of a request field, by its dotted path as the API
/// spells it; an unknown path is shown as it is, so a missing label is
/// visible rather than silent.
pub fn field_label(field: &str) -> &str {
    match field {
        "channel" => "受理渠道",
        "received_at" => "受理时间",
        "ring_seconds" => "响铃秒数",
        "arrived_at" => "到达时间",
        "caller.kind" => "来电来访人类别",
        "caller.name" => "姓名",
        "caller.organization" => "单位名称",
        "caller.phone" | "phone" | "caller_phone" => "联系电话",
        "type" => "事项类型",
        "category" => "子类别",
        "content" => "内容",
        "location.address" => "地址",
        "location.area_code" => "行政区划代码",
        "location.latitude" => "纬度",
        "location.longitude" => "经度",
        "answer" => "答复内容",
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
        "satisfaction" => "满意度",
        "adopted" => "结论",
        "username" => "用户名",
        "password" => "密码",
        "current" => "当前密码",
        "new" => "新密码",
        "new_again" => "再次输入新密码",
        "lead_department" => "主办部门",
        "co_department" => "协办部门",
        "overdue" => "仅看已超时",
        "urgent" => "紧急程度",
        "intake_user" => "登记人",
        "display_name" => "姓名",
        "name" => "名称",
        "code" => "代码",
        "role" => "角色",
        "status" => "状态",
        "state" => "状态",
        "received_from" => "受理日期起",
        "received_to" => "受理日期止",
        "cursor" => "分页游标",
        "limit" => "每页条数",
        "deadline" => "时限",
        "new_due_at" => "申请延至",
        "file" => "附件",
        "stage" => "附件类别",
        "recipient" => "接收人",
        "purpose" => "用途",
        "fields" => "查阅项目",
        "agree" => "保密协议",
        "confirm" => "确认",
        "days" => "有效天数",
        "which" => "范围",
        "actor" => "操作人",
        "from" => "起始日期",
        "to" => "截止日期",
        "before" => "分页游标",
        "action" => "操作",
        "calendar" => "节假日数据",
        "warn_fraction" => "预警比例",
        "label" => "令牌用途",
        "idempotency_key" | "Idempotency-Key" => "幂等键",
        "body" => "请求内容",
        "kind" => "类别",
        "title" => "标题",
        "tags" => "标签",
        "source" => "来源文件",
        "doc_number" => "文号",
        "effective_from" => "生效日期",
        "expires_on" => "失效日期",
        "full_text" => "正文",
        "base_version" => "所依据的版本",
        "version" => "版本",
        "answered_from" => "引用的知识库条目",
        "in_force" => "仅看有效条目",
        "publishers" => "知识库发布角色",
        "duplicate_days" => "重复事项比对天数",
        "hotspot_days" => "热点统计天数",
        "hotspot_min" => "热点最少投诉件数",
        "other" => "事项编号",
        "q" => "检索词",
        "sort" => "排序",
        "address" => "地点",
        "photos" => "照片",
        "url" => "地址",
        "secret" => "签名密钥",
        "email" => "电子邮箱",
        "extension" => "分机号",
        "call_id" => "通话",
        "kinds" => "通知事项",
        "subject" => "标题",
        "destination" => "推送地址",
        "user" => "人员",
        "outcome" => "回拨结果",
        "event" => "通话事件",
        "caller" => "来电号码",
        "at" => "时间",
        _ => field,
    }
}

/// `label：text` for a refused field, e.g. `联系电话：此项必填`.
pub fn field_message(field: &str, code: ErrorCode) -> String {
    match field {
        // The form as a whole (a stale or robotic submission): no field
        // to name.
        "form" => code.label().to_owned(),
        _ => format!("{}：{}", field_label(field), code.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_name_the_field_in_chinese() {
        assert_eq!(
            field_message("caller.phone", ErrorCode::Required),
            "联系电话：此项必填"
        );
    }
}
