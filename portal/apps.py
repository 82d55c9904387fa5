from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Runwell"

    def ready(self) -> None:
        # The admin discovered every app's admin.py in its own ready() (it comes first in
        # INSTALLED_APPS): bound the dates its forms take, as every other form's.
        from portal.admin_bounds import bound_admin_dates

        bound_admin_dates()
