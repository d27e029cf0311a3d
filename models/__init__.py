"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from models.base import Base
from models.delivery import Delivery
from models.event import ProcessedEvent
from models.feedback import FeedbackItem, FeedbackReporter, FeedbackTag
from models.schedule import Schedule
from models.workspace import OpsAdmin, Workspace

__all__ = ["Base", "Delivery", "FeedbackItem", "FeedbackReporter", "FeedbackTag", "OpsAdmin", "ProcessedEvent", "Schedule", "Workspace"]
