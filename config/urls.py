from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += [
    path("admin/", admin.site.urls),
    # The reset mail names the app, not the host ("Het 127.0.0.1:8000-team").
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(extra_email_context={"site_name": "Burgerfonds"}),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Two-factor sign-in for fund managers and auditors (fund.two_factor).
    path("account/tweestapsverificatie/", include("fund.two_factor")),
    path("", include("fund.urls")),
    path("", include("loans.urls")),
    path("", include("reports.urls")),
]
