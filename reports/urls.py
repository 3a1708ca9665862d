from django.urls import path

from . import forecast_views, loan_statement_views, statement_views, views

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
    path("overzichten/", statement_views.statement_list, name="statement_list"),
    path(
        "overzichten/<int:pk>/pdf/",
        statement_views.statement_download,
        name="statement_download",
    ),
    path(
        "fondsen/<slug:slug>/investeerdersoverzichten/",
        statement_views.statement_run,
        name="statement_run",
    ),
    # pool forecast
    path(
        "fondsen/<slug:slug>/poolprognose/",
        forecast_views.pool_forecast_page,
        name="pool_forecast",
    ),
    # collectives' loan statements
    path(
        "leningen/<str:number>/rekeningoverzicht/",
        loan_statement_views.loan_statement_pdf,
        name="loan_statement_pdf",
    ),
    path(
        "leningen/<str:number>/jaaropgave/<int:year>/",
        loan_statement_views.interest_statement_pdf,
        name="interest_statement_pdf",
    ),
]
