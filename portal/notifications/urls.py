from django.urls import path

from portal.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("methods/add/", views.method_add, name="method_add"),
    path("methods/<int:pk>/", views.method_row, name="method_row"),
    path("methods/<int:pk>/edit/", views.method_edit, name="method_edit"),
    path("methods/<int:pk>/delete/", views.method_delete, name="method_delete"),
    path("methods/<int:pk>/test/", views.method_test, name="method_test"),
    path("preferences/", views.preferences, name="preferences"),
]
