from django.urls import path

from . import user_views, views

app_name = "fund"

urlpatterns = [
    # Funds and capital
    path("fondsen/", views.fund_list, name="fund_list"),
    path("fondsen/<slug:slug>/", views.fund_detail, name="fund_detail"),
    path("fondsen/<slug:slug>/toezegging/", views.commitment_create, name="commitment_create"),
    path("toezeggingen/<int:pk>/storting/", views.contribution_create, name="contribution_create"),
    path("investeerders/", views.investor_list, name="investor_list"),
    path("investeerders/nieuw/", views.investor_create, name="investor_create"),
    path("investeerders/<int:pk>/", views.investor_detail, name="investor_detail"),
    # Collectives ("aanmelden" before the code pattern, which would match it too)
    path("collectieven/", views.collective_list, name="collective_list"),
    path("collectieven/aanmelden/", views.collective_register, name="collective_register"),
    path("collectieven/<str:code>/", views.collective_detail, name="collective_detail"),
    path("collectieven/<str:code>/wijzigen/", views.collective_edit, name="collective_edit"),
    path("collectieven/<str:code>/verifieren/", views.collective_verify, name="collective_verify"),
    # Applications
    path("aanvragen/", views.application_list, name="application_list"),
    path("aanvragen/nieuw/", views.application_create, name="application_create"),
    path("aanvragen/<str:number>/", views.application_detail, name="application_detail"),
    path("aanvragen/<str:number>/wijzigen/", views.application_edit, name="application_edit"),
    path("aanvragen/<str:number>/indienen/", views.application_submit, name="application_submit"),
    path(
        "aanvragen/<str:number>/intrekken/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "aanvragen/<str:number>/in-behandeling/",
        views.application_start_review,
        name="application_start_review",
    ),
    path("aanvragen/<str:number>/beoordelen/", views.application_assess, name="application_assess"),
    path("aanvragen/<str:number>/besluiten/", views.application_decide, name="application_decide"),
    path("aanvragen/<str:number>/toekennen/", views.grant_award, name="grant_award"),
    path(
        "aanvragen/<str:number>/bijlagen/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    # Grants
    path("subsidies/", views.grant_list, name="grant_list"),
    path("subsidies/<str:number>/", views.grant_detail, name="grant_detail"),
    path("subsidies/<str:number>/betalen/", views.grant_pay, name="grant_pay"),
    path(
        "subsidies/<str:number>/betalingen/<int:pk>/besluiten/",
        views.grant_payment_decide,
        name="grant_payment_decide",
    ),
    path("subsidies/<str:number>/afrekenen/", views.grant_settle, name="grant_settle"),
    path(
        "collectieven/<str:code>/wijzigingen/<int:pk>/besluiten/",
        views.collective_change_decide,
        name="collective_change_decide",
    ),
    # Accounts locked after failed sign-ins
    path("gebruikers/vergrendeld/", views.locked_accounts, name="locked_accounts"),
    # Contacts of collectives and users of investors (fund.user_views)
    path("gebruikers/", user_views.user_list, name="user_list"),
    path("gebruikers/uitnodigen/", user_views.user_invite, name="user_invite"),
    path(
        "gebruikers/<int:pk>/collectieven/<str:code>/ontkoppelen/",
        user_views.user_unlink,
        name="user_unlink_collective",
    ),
    path(
        "gebruikers/<int:pk>/investeerders/<int:investor>/ontkoppelen/",
        user_views.user_unlink,
        name="user_unlink_investor",
    ),
    path("gebruikers/<int:pk>/deactiveren/", user_views.user_deactivate, name="user_deactivate"),
    path("gebruikers/<int:pk>/activeren/", user_views.user_activate, name="user_activate"),
]
