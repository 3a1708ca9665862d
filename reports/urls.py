from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("home/", views.home, name="home"),
    path("boeken/", views.book_list, name="book_list"),
    path("boeken/<slug:slug>/proefbalans/", views.trial_balance, name="trial_balance"),
    path(
        "boeken/<slug:slug>/rekeningen/<str:code>/",
        views.account_statement,
        name="account_statement",
    ),
    path("boeken/<slug:slug>/journaal/", views.journal, name="journal"),
    path("boeken/<slug:slug>/journaal/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("audit/", views.audit_trail, name="audit_trail"),
    # investor statements
    # pool forecast
    # collectives' loan statements
]
