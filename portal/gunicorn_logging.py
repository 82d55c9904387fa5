"""gunicorn's logger without webhook tokens: the access log writes ``POST
/hooks/alertmanager/<redacted>/``, and error lines ("Error handling request /hooks/…") are
redacted too. ``gunicorn.conf.py`` (read by gunicorn from the project folder) selects it."""

from gunicorn import glogging

from portal.logging import RedactTokens, redact


class Logger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactTokens) for f in log.filters):
                log.addFilter(RedactTokens())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
