from django.urls import path

from oncall.swaps import views

app_name = "swaps"
urlpatterns = [
    path("", views.page, name="page"),
    path("new/", views.new, name="new"),
    path("quick/", views.quick, name="quick"),
    path("schedules/<int:pk>/card/", views.schedule_card, name="schedule_card"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/revert/", views.revert, name="revert"),
    path("time-off/", views.time_off, name="time_off"),
    path("time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
]
