# Read by gunicorn when started from the project folder (Procfile, compose.yaml, tests):
# its access and error logs never show webhook tokens (portal/gunicorn_logging.py).
logger_class = "portal.gunicorn_logging.Logger"
