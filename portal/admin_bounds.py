"""The Django admin's forms take dates in 1970-2199 too, like every other form and the API
(``portal/bounds.py``): staff typing year 9999 into an override, time off or maintenance
window would otherwise break the pages that show it for everyone.

``bound_admin_dates`` is called once the admin has discovered every app's ``admin.py``
(``PortalConfig.ready``): each registered ``ModelAdmin``'s form gains a check of every date
and time it cleaned."""

from datetime import date

from django.contrib import admin

from portal.bounds import DATE_MESSAGE, TIME_MESSAGE, in_range


def _bounded(form_class):
    class Bounded(form_class):
        def clean(self):
            cleaned = super().clean()
            for name, value in list((cleaned or {}).items()):
                if isinstance(value, date) and not in_range(value):
                    self.add_error(name, TIME_MESSAGE if hasattr(value, "hour") else DATE_MESSAGE)
            return cleaned

    Bounded.__name__ = form_class.__name__
    return Bounded


def bound_admin_dates(site: admin.AdminSite = admin.site) -> None:
    for model_admin in site._registry.values():
        if getattr(model_admin, "_dates_bounded", False):
            continue
        get_form = model_admin.get_form

        def bounded_get_form(request, obj=None, change=False, _get_form=get_form, **kwargs):
            return _bounded(_get_form(request, obj, change=change, **kwargs))

        model_admin.get_form = bounded_get_form
        model_admin._dates_bounded = True
