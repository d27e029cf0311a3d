"""build_app: the Bolt app with the request edge and every feature's listeners."""
from __future__ import annotations

import logging

from bot.edge import ProdOpsApp, dedupe_events, make_error_handler, make_workspace_injector
from bot.runtime import Runtime
from handlers import feedback, feedback_triage, home, launch_checklist, launches, prodops

FEATURES = (prodops, feedback, feedback_triage, launches, launch_checklist, home)


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
    app.error(make_error_handler(rt))
    for feature in FEATURES:
        feature.register(app, rt)
    return app
