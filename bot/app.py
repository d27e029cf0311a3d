"""build_app: the Bolt app with the request edge and every feature's listeners."""
from __future__ import annotations

import logging

from bot.duties import TICK_JOB, TICK_SECONDS, Duties, tick
from bot.edge import ProdOpsApp, dedupe_events, make_context_injector, make_error_handler, make_workspace_injector
from bot.feature import Feature
from bot.runtime import Runtime
from handlers import agreements, digests, feedback, home, kpis, launches, notify, people, prodops, standups

# Every feature the bot serves, in the order help lists them. The one list: add a feature here.
FEATURES: tuple[Feature, ...] = (prodops.FEATURE, feedback.FEATURE, launches.FEATURE, standups.FEATURE, kpis.FEATURE, digests.FEATURE,
                                 home.FEATURE,
                                 people.FEATURE, notify.FEATURE, agreements.FEATURE)


def build_app(rt: Runtime) -> ProdOpsApp:
    settings = rt.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = ProdOpsApp(
        rt,
        client=rt.client,
        signing_secret=secret,
        # HTTP requests are verified on their raw bytes in bot/ingress.py before Bolt sees them;
        # Socket Mode requests are authenticated by the socket itself.
        request_verification_enabled=False,
        # Listeners finish (quickly: validate and write) before the response; slow work is
        # deferred until after the commit, so nothing Slack sent is acked before it is stored.
        process_before_response=True,
        logger=logging.getLogger("bot.bolt"),
    )
    app.use(dedupe_events)
    app.use(make_workspace_injector(rt))
    app.use(make_context_injector(rt))
    app.error(make_error_handler(rt))
    rt.features = FEATURES
    for feature in FEATURES:
        feature.listeners(app)
        feature.jobs(rt)
    rt.duties = Duties(tuple(duty for feature in FEATURES for duty in feature.duties))
    rt.notices = {kind.kind: kind for feature in FEATURES for kind in feature.notices}
    rt.event_filters = {}
    for feature in FEATURES:
        for event_type, wants in feature.event_filters:
            rt.event_filters.setdefault(event_type, []).append(wants)
    # One job runs every feature's due work (bot/duties.py), not one job per feature or person.
    rt.scheduler.register_interval(TICK_JOB, "duties tick", lambda: tick(rt), TICK_SECONDS)
    return app


COMMANDS = [f.help for f in FEATURES if f.help is not None]  # what the manifest must declare
