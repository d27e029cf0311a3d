"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from models.agreement import Agreement, AgreementDay
from models.base import Base
from models.calendar import AwayPeriod, DutyRun, Holiday, Snooze
from models.delivery import Delivery
from models.digest import Digest
from models.event import ProcessedEvent
from models.feedback import FeedbackItem, FeedbackReporter, FeedbackTag
from models.kpi import Kpi, KpiPull, KpiValue
from models.launch import Launch, LaunchAudit, LaunchItem, LaunchRisk, LaunchTemplate
from models.person import Person
from models.schedule import Schedule
from models.standup import Standup, StandupAnswer, StandupBlocker, StandupDay, StandupMember
from models.workspace import OpsAdmin, Workspace

__all__ = ["Agreement", "AgreementDay", "AwayPeriod", "Base", "Delivery", "Digest", "DutyRun", "Holiday", "Snooze", "FeedbackItem", "FeedbackReporter", "FeedbackTag", "Kpi", "KpiPull", "KpiValue",
    "Launch", "LaunchAudit", "LaunchItem", "LaunchRisk", "LaunchTemplate", "OpsAdmin", "Person", "ProcessedEvent", "Schedule", "Standup", "StandupAnswer",
    "StandupBlocker", "StandupDay", "StandupMember", "Workspace"]
