from django.urls import path

from . import views

app_name = "loans"

urlpatterns = [
    # Loans ("import" and "portefeuille" before the number pattern, which would match them)
    path("leningen/", views.loan_list, name="loan_list"),
    path("leningen/import/", views.repayments_import, name="repayments_import"),
    path("leningen/portefeuille/<slug:slug>/", views.portfolio, name="portfolio"),
    path("leningen/producten/<slug:slug>/", views.product_list, name="product_list"),
    path("leningen/producten/<slug:slug>/nieuw/", views.product_create, name="product_create"),
    path("leningen/<str:number>/", views.loan_detail, name="loan_detail"),
    path("leningen/<str:number>/uitbetalen/", views.loan_disburse, name="loan_disburse"),
    path("leningen/<str:number>/aflossing/", views.repayment_create, name="repayment_create"),
    path("leningen/<str:number>/wijziging/", views.loan_change_propose, name="loan_change_propose"),
    path("aanvragen/<str:number>/lening/", views.loan_contract, name="loan_contract"),
    path("aflossingen/<int:pk>/terugdraaien/", views.repayment_reverse, name="repayment_reverse"),
    path("wijzigingen/<int:pk>/besluiten/", views.loan_change_decide, name="loan_change_decide"),
    # Receipts that matched no loan (suspense, account 1900)
    path("ontvangsten/", views.receipt_list, name="receipt_list"),
    path("ontvangsten/<int:pk>/koppelen/", views.receipt_match, name="receipt_match"),
    path("ontvangsten/<int:pk>/afhandelen/", views.receipt_dispose, name="receipt_dispose"),
    path(
        "ontvangsten/afhandelingen/<int:pk>/besluiten/",
        views.receipt_disposal_decide,
        name="receipt_disposal_decide",
    ),
]
