"""The pages' words in Chinese and English (``?lang=zh|en``, else the browser's Accept-Language)."""

from __future__ import annotations

__all__ = ["LANGS", "pick_lang", "texts"]

LANGS = ("zh", "en")

_TEXTS: dict[str, dict[str, str]] = {
    "title": {"zh": "药品追溯码查询", "en": "Drug traceability code check"},
    "prompt": {"zh": "请输入或扫描药盒上的20位追溯码", "en": "Enter or scan the 20-digit code on the box"},
    "check": {"zh": "查询", "en": "Check"},
    "scan": {"zh": "扫码", "en": "Scan"},
    "scan_unavailable": {"zh": "此服务器未安装扫码组件，请手动输入", "en": "Camera scanning is not installed on this server: type the code"},
    "verdict_genuine": {"zh": "正品：链上记录可查", "en": "Genuine: recorded on chain"},
    "verdict_counterfeit": {"zh": "疑似假冒：链上无此追溯码", "en": "Counterfeit: the chain proves this code was never issued"},
    "verdict_unknown": {"zh": "无法在此判定", "en": "Cannot tell here"},
    "product": {"zh": "药品名称", "en": "Product name"},
    "dosage_form": {"zh": "剂型", "en": "Dosage form"},
    "strength": {"zh": "制剂规格", "en": "Strength"},
    "details_checked": {"zh": "已与链上登记信息核对", "en": "checked against the chain's product record"},
    "details_missing": {"zh": "本服务器未持有经链上核对的药品名称资料，请以批准文号和药盒上的名称为准",
                        "en": "This server holds no product details checked against the chain: go by the approval number and the name on the box"},
    "approval": {"zh": "批准文号", "en": "Approval number"},
    "spec": {"zh": "规格", "en": "Specification"},
    "mah": {"zh": "上市许可持有人", "en": "Marketing-authorisation holder"},
    "batch": {"zh": "生产批号", "en": "Batch (lot)"},
    "production": {"zh": "生产日期", "en": "Production date"},
    "expiry": {"zh": "有效期至", "en": "Expiry date"},
    "state": {"zh": "当前状态", "en": "Current state"},
    "dispensed": {"zh": "销售情况", "en": "Sale"},
    "dispensed_yes": {"zh": "该盒已售出（一码一售）：如您刚购买，请向药店核实", "en": "Already sold once (one sale per code): if you just bought it, ask the pharmacy"},
    "dispensed_no": {"zh": "尚未售出", "en": "Not sold yet"},
    "do_not_use": {"zh": "请勿使用此药：请联系药店、医院或持有人", "en": "Do not use this box: contact the pharmacy, hospital or the manufacturer"},
    "recall_notice": {"zh": "召回公告", "en": "Recall notice"},
    "evidence": {"zh": "链上证据", "en": "Evidence on chain"},
    "history": {"zh": "流通记录", "en": "Circulation"},
    "scans": {"zh": "本码查询次数", "en": "Times this code was checked"},
    "state_LISTED": {"zh": "在售（正常）", "en": "Listed (normal)"},
    "state_STOPPED": {"zh": "紧急停售", "en": "Emergency stop: do not use"},
    "state_RECALLED": {"zh": "召回中", "en": "Recalled"},
    "state_DESTROYED": {"zh": "已销毁", "en": "Destroyed"},
    "state_VOIDED": {"zh": "已作废", "en": "Voided"},
    "state_DEREGISTERED": {"zh": "已注销", "en": "Deregistered"},
    "state_NONE": {"zh": "尚未放行", "en": "Not yet released"},
    "state_EXPIRED": {"zh": "已过有效期", "en": "Expired"},
    "recall_level_1": {"zh": "一级召回", "en": "level I recall"},
    "recall_level_2": {"zh": "二级召回", "en": "level II recall"},
    "recall_level_3": {"zh": "三级召回", "en": "level III recall"},
    "recall_level_0": {"zh": "召回", "en": "recall"},
    "lang_other": {"zh": "English", "en": "中文"},
    "board": {"zh": "监管看板", "en": "Supervision board"},
    "recalls": {"zh": "召回", "en": "Recalls"},
    "alerts": {"zh": "预警", "en": "Alerts"},
    "login": {"zh": "登录", "en": "Sign in"},
    "logout": {"zh": "退出登录", "en": "Sign out"},
    "token": {"zh": "访问令牌", "en": "Access token"},
    "bad_token": {"zh": "令牌无效或已吊销", "en": "Unknown or revoked token"},
    "as_of": {"zh": "以上结果依据审计索引，截至区块", "en": "As of block"},
    "as_of_head": {"zh": "以上结果直接读自链上最新区块", "en": "Read from the chain's latest block"},
    # the recall board
    "board_as_of": {"zh": "截至区块 {block}，共 {events} 个链上事件", "en": "As of block {block} · {events} events"},
    "board_rules": {"zh": "时限（2022年《药品召回管理办法》）：召回决定后发出召回通知，一级1日、二级3日、三级7日内；"
                          "执行期间按同一间隔报告进展（一级每日、二级每3日、三级每7日，自通知或上次报告起算）。",
                    "en": "Deadlines (2022 drug recall measures): the recall notice within 1 day (level I), 3 days (II) "
                          "or 7 days (III) of the decision; progress reports at the same interval (daily, every 3 "
                          "days, every 7 days), each counted from the notice or the previous report."},
    "times_zone": {"zh": "时间均为北京时间（UTC+8）", "en": "Times are China Standard Time (UTC+8)"},
    "col_level": {"zh": "级别", "en": "level"},
    "col_kind": {"zh": "类型", "en": "kind"},
    "col_batch": {"zh": "批次", "en": "batch"},
    "col_decided": {"zh": "召回决定", "en": "decided"},
    "col_notice_deadline": {"zh": "通知期限", "en": "notice deadline"},
    "col_notice": {"zh": "召回通知", "en": "notice"},
    "col_reports": {"zh": "进展报告", "en": "progress reports"},
    "col_next_report": {"zh": "下次进展报告期限", "en": "next report due"},
    "col_completion": {"zh": "完成情况（链上数据）", "en": "completion (chain figures)"},
    "col_status": {"zh": "状态", "en": "status"},
    "level_I": {"zh": "一级", "en": "I"},
    "level_II": {"zh": "二级", "en": "II"},
    "level_III": {"zh": "三级", "en": "III"},
    "kind_VOLUNTARY": {"zh": "主动召回", "en": "voluntary"},
    "kind_ORDERED": {"zh": "责令召回", "en": "ordered"},
    "status_OPEN": {"zh": "已决定，未通知", "en": "OPEN"},
    "status_NOTIFIED": {"zh": "已通知，执行中", "en": "NOTIFIED"},
    "status_COMPLETED": {"zh": "已完成，待评估", "en": "COMPLETED"},
    "status_CLOSED": {"zh": "已结案", "en": "CLOSED"},
    "product_wide": {"zh": "整个品种", "en": "product-wide"},
    "pending": {"zh": "待发出", "en": "pending"},
    "overdue": {"zh": "已逾期", "en": "overdue"},
    "late": {"zh": "逾期发出", "en": "late"},
    "reports_filed": {"zh": "已报告 {n} 次", "en": "{n} filed"},
    "reports_late": {"zh": "其中 {n} 次逾期", "en": "{n} late"},
    "report_due": {"zh": "应于 {when} 前", "en": "due {when}"},
    "report_overdue": {"zh": "已逾期（应于 {when} 前）", "en": "overdue since {when}"},
    "report_after_notice": {"zh": "通知发出后开始", "en": "from the notice on"},
    "report_none_due": {"zh": "无需再报", "en": "none due"},
    "nothing_outside_mah": {"zh": "召回时持有人以外无在市产品", "en": "nothing outside the MAH when the case opened"},
    "no_recalls": {"zh": "暂无召回", "en": "no recall cases"},
    # the alerts feed: headers, and each on-chain alert kind in Chinese (English shows the library's words)
    "col_alert_kind": {"zh": "类别", "en": "kind"},
    "col_when": {"zh": "时间 (UTC+8)", "en": "when (UTC+8)"},
    "col_block": {"zh": "区块", "en": "block"},
    "col_description": {"zh": "说明", "en": "description"},
    "no_alerts": {"zh": "暂无链上预警", "en": "no on-chain alerts"},
    "consumer_scans": {"zh": "消费者扫码预警", "en": "Consumer scans"},
    "col_code": {"zh": "追溯码", "en": "code"},
    "col_scans": {"zh": "已售药盒被查询次数", "en": "scans of the dispensed box"},
    "col_first_scan": {"zh": "首次查询 (UTC+8)", "en": "first (UTC+8)"},
    "col_raised": {"zh": "预警时间 (UTC+8)", "en": "raised (UTC+8)"},
    "none": {"zh": "无", "en": "none"},
    "alert_DuplicateDispense": {"zh": "重复销售：疑似假冒或串货"},
    "alert_ShipmentDiscrepancy": {"zh": "收货数量少于发货数量"},
    "alert_TemperatureExcursion": {"zh": "温度超出该药品储存范围"},
    "alert_ShipmentExcursionFlagged": {"zh": "运输单据被标记温度偏离"},
    "alert_HoldingQuarantined": {"zh": "库存已隔离"},
    "alert_SeriousAdverseReactionReported": {"zh": "收到严重不良反应报告"},
    "alert_AdverseReactionThresholdReached": {"zh": "严重不良反应达到该药品的预警阈值"},
    "alert_ObservationVoided": {"zh": "观察记录已作废（更正）"},
    "alert_DestructionVoided": {"zh": "销毁记录已作废（更正）"},
    "alert_BatchVoided": {"zh": "批次记录已作废（误提交更正）"},
    "alert_ShipmentVoided": {"zh": "发货被监管部门作废：药品退回发货方并隔离"},
    "alert_SettlementOverdue": {"zh": "货款结算逾期"},
    "alert_ObservationRecorded": {"zh": "检查或观察结果异常"},
    "sync_ok": {"zh": "索引已同步至区块", "en": "Index in step with the chain up to block"},
    "sync_bad": {"zh": "链节点不可用，以下内容来自本地索引", "en": "The chain is unreachable: shown from the local index"},
    # why a code is not genuine, in plain words for patients (drugtrace.verification.Cause values);
    # the library's technical reason stays in the API's "reason"
    "cause_malformed": {"zh": "这不是有效的药品追溯码（应为药盒上的20位数字）：请核对后重新输入；如确认无误，此药可能为假冒，请勿使用",
                        "en": "This is not a valid drug traceability code (it should be the 20 digits on the box): check it and try again; if it is right, the box may be counterfeit — do not use it"},
    "cause_proven_absent": {"zh": "链上登记的该药品所有批次都不包含此追溯码：疑似假冒，请勿使用，并向购买的药店或当地药品监管部门报告",
                            "en": "None of the batches recorded on chain for this product contains this code: probably counterfeit — do not use it, and report it to the pharmacy or the local drug regulator"},
    "cause_no_product_bound": {"zh": "本服务器尚无法核实此追溯码：它所属药品的资料尚未在此登记。这并不说明药品是假的，请向药店或生产企业咨询",
                               "en": "This server cannot check this code yet: the product it belongs to is not on record here. This does not mean the box is fake — ask the pharmacy or the manufacturer"},
    "cause_batches_not_held": {"zh": "本服务器尚未收到该药品全部批次的追溯码清单，暂无法核实。这并不说明药品是假的，请稍后再查，或向药店咨询",
                               "en": "This server does not yet hold the code lists of every batch of this product, so it cannot check this code. This does not mean the box is fake — try again later or ask the pharmacy"},
    "cause_list_mismatch": {"zh": "本服务器保存的该批次追溯码清单与链上记录不一致，暂无法核实（服务器方面的问题，不说明药品是假的）",
                            "en": "The code list this server holds for the batch does not match the chain's record, so it cannot check this code (a problem on the server's side, not a sign the box is fake)"},
    "cause_index_behind": {"zh": "该批次刚刚登记，本服务器尚未同步，且暂时无法连接区块链：请稍后再查",
                           "en": "This batch was recorded very recently and this server has not caught up, and the blockchain cannot be reached right now: please try again later"},
    "cause_chain_unreachable": {"zh": "本服务器没有此追溯码的清单，且暂时无法连接区块链核实：请稍后再查。这并不说明药品是假的",
                                "en": "This server holds no list with this code and cannot reach the blockchain to check it right now: please try again later. This does not mean the box is fake"},
    "cause_unavailable": {"zh": "查询服务暂时不可用，请稍后再查", "en": "The check is not available right now: please try again later"},
    # a genuine unit's advice by its state (drugtrace.verification.UnitState values); English pages
    # show the library's own words (Verification.reason), so these are Chinese only
    "advice_listed": {"zh": "正品，在售且尚未售出：可以使用"},
    "advice_already_dispensed": {"zh": "正品，但此盒已经售出：请勿接收（追溯码可能被复制）"},
    "advice_unit_destroyed": {"zh": "正品，但此盒已登记销毁：请勿接收，并请举报"},
    "advice_stolen": {"zh": "正品，但此盒已报失窃：请勿接收，并请向药品监管部门报告"},
    "advice_lost": {"zh": "正品，但此盒已报丢失：请勿接收，并请报告"},
    "advice_sampled": {"zh": "正品，但此盒已被抽样：不得销售，请报告"},
    "advice_destroyed": {"zh": "正品，但该批次已销毁：请勿使用"},
    "advice_deregistered": {"zh": "正品，但该药品批准文号已注销：请勿使用"},
    "advice_recalled": {"zh": "正品，但该批次正在召回：请勿使用，请退回"},
    "advice_stopped": {"zh": "正品，但该批次已紧急停售：请勿使用"},
    "advice_not_released": {"zh": "正品，但该批次从未放行销售：请勿使用"},
    "advice_voided": {"zh": "该批次记录已作废（误提交）：请勿使用，并请报告"},
    "advice_expired": {"zh": "正品，但已过有效期：请勿使用"},
}


def pick_lang(query_lang: str | None, accept_language: str | None) -> str:
    if query_lang in LANGS:
        return str(query_lang)
    header = (accept_language or "").lower()
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def texts(lang: str) -> dict[str, str]:
    """The word table for one language (falls back to English for a missing entry)."""
    lang = lang if lang in LANGS else "zh"
    return {key: text for key, value in _TEXTS.items() if (text := value.get(lang) or value.get("en"))}
