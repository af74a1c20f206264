"""Project lifecycle (DOMAIN.md step 8, 全过程管理), one table:

application → feasibility → approval → procurement → build → rollout → acceptance → operation,
each step only to the next stage; `terminated` from any stage before operation, with a reason.

Who opens each gate, and which stages must have a document before they are left, live here too,
so the whole rule is read in one place.
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class ProjectStage(LabeledEnum):
    application = "application", "申报"
    feasibility = "feasibility", "可研"
    approval = "approval", "立项"
    procurement = "procurement", "招标"
    build = "build", "建设"
    rollout = "rollout", "实施"
    acceptance = "acceptance", "验收"
    operation = "operation", "运营"
    terminated = "terminated", "已终止"


S = ProjectStage
ORDER = (S.application, S.feasibility, S.approval, S.procurement, S.build, S.rollout, S.acceptance, S.operation)

ACTIONS = {"advance": "进入下一阶段", "terminate": "终止项目"}

PROJECT_MACHINE = StateMachine(
    "project",
    states=set(ProjectStage),
    actions=ACTIONS,
    transitions={
        **{(stage, "advance"): ORDER[i + 1] for i, stage in enumerate(ORDER[:-1])},
        **{(stage, "terminate"): S.terminated for stage in ORDER[:-1]},
    },
)

# The roles whose approval opens the gate that leaves a stage. Every listed role must approve;
# the last approval moves the project on. 立项 (leaving `approval`) needs the platform admin as
# well as the department. Leaving 验收 is not an `advance`: the acceptance panel's conclusion
# (pass) moves the project on, recorded by the department or the admin.
GATE_ROLES = {
    S.application: ("department",),
    S.feasibility: ("department",),
    S.approval: ("department", "admin"),
    S.procurement: ("department",),
    S.build: ("department",),
    S.rollout: ("department",),
}
ACCEPTANCE_ROLES = ("department", "admin")

# Stages that cannot be left without at least one document of that stage.
DOCUMENT_REQUIRED = {
    S.feasibility: "可行性研究报告",
    S.approval: "立项批复文件",
    S.procurement: "招标（采购）结果文件",
    S.acceptance: "验收报告",
}

# Stages in which milestones run and providers report progress.
ACTIVE_STAGES = (S.procurement, S.build, S.rollout, S.acceptance)
# Payments are made once the project is approved (立项) and before it is closed.
PAYMENT_STAGES = (S.procurement, S.build, S.rollout, S.acceptance, S.operation)
# Stages a document may be attached to.
DOCUMENT_STAGES = ORDER


def next_stage(stage):
    return PROJECT_MACHINE.transitions.get((stage, "advance"))


class ProjectKind(LabeledEnum):
    """A pilot (试点项目) is a racer's project during a horse race; the winner's pilot becomes the
    main project (same row), every project entered or awarded without a race is main."""
    pilot = "pilot", "试点项目"
    main = "main", "正式项目"


class MilestoneStatus(LabeledEnum):
    open = "open", "进行中"
    completed = "completed", "已完成"


class ReportStatus(LabeledEnum):
    submitted = "submitted", "待确认"
    confirmed = "confirmed", "已确认"
    returned = "returned", "已退回"


class Conclusion(LabeledEnum):
    passed = "pass", "通过"
    conditional = "conditional", "有条件通过（整改）"
    failed = "fail", "不通过"


# The strictest signature decides the panel's conclusion: a project passes only when every member
# signs pass; one fail fails it.
SEVERITY = {Conclusion.passed: 0, Conclusion.conditional: 1, Conclusion.failed: 2}


class AcceptanceStatus(LabeledEnum):
    open = "open", "验收中"
    concluded = "concluded", "已出结论"


class GateRequestStatus(LabeledEnum):
    pending = "pending", "待审批"
    approved = "approved", "已通过"
    returned = "returned", "已退回"


# A gate request (申请进入下一阶段) is decided once: approved when the project moves on through the
# gate, or returned with a reason (the requester may ask again).
GATE_REQUEST_MACHINE = StateMachine(
    "gate_request",
    states=set(GateRequestStatus),
    actions={"approve": "通过关口申请", "return": "退回关口申请"},
    transitions={
        (GateRequestStatus.pending, "approve"): GateRequestStatus.approved,
        (GateRequestStatus.pending, "return"): GateRequestStatus.returned,
    },
)


# A milestone is open until a confirmed 100% report completes it.
MILESTONE_MACHINE = StateMachine(
    "milestone",
    states=set(MilestoneStatus),
    actions={"complete": "完成里程碑"},
    transitions={(MilestoneStatus.open, "complete"): MilestoneStatus.completed},
)

# A progress report is decided once: confirmed, or returned (the provider then reports again).
REPORT_MACHINE = StateMachine(
    "progress_report",
    states=set(ReportStatus),
    actions={"confirm": "确认进度报告", "return": "退回进度报告"},
    transitions={
        (ReportStatus.submitted, "confirm"): ReportStatus.confirmed,
        (ReportStatus.submitted, "return"): ReportStatus.returned,
    },
)

# An acceptance (验收) is open until its panel concludes it.
ACCEPTANCE_MACHINE = StateMachine(
    "acceptance",
    states=set(AcceptanceStatus),
    actions={"conclude": "出具验收结论"},
    transitions={(AcceptanceStatus.open, "conclude"): AcceptanceStatus.concluded},
)


# A pilot (试点项目) becomes the main project once, when its racer wins the race (same row).
KIND_MACHINE = StateMachine(
    "project_kind",
    states=set(ProjectKind),
    actions={"promote": "试点转为正式项目"},
    transitions={(ProjectKind.pilot, "promote"): ProjectKind.main},
)
