from django.urls import path

from portal.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("new/", views.service_create, name="service_create"),
    path("<slug:slug>/", views.service_detail, name="service_detail"),
    path("<slug:slug>/edit/", views.service_edit, name="service_edit"),
    path("<slug:slug>/transfer/", views.service_transfer, name="service_transfer"),
    path("<slug:slug>/archive/", views.service_archive, name="service_archive"),
]
