"""Read-only admin for the loans: every change goes through loans.services."""

from django.contrib import admin

from .models import (
    Allocation,
    Disbursement,
    Instalment,
    Loan,
    LoanChange,
    LoanProduct,
    Repayment,
    ScheduleVersion,
    UnmatchedReceipt,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    fields = ["n", "due_date", "opening_balance", "principal", "interest", "payment", "balance"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LoanProduct)
class LoanProductAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "fund", "annual_rate", "method", "frequency", "is_active"]
    list_filter = ["fund", "is_active"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "collective",
        "fund",
        "state",
        "principal",
        "disbursed",
        "days_past_due",
        "arrears_bucket",
    ]
    list_filter = ["fund", "state", "arrears_bucket"]
    search_fields = ["number", "collective__name", "collective__code"]
    list_select_related = ["collective", "fund"]


@admin.register(ScheduleVersion)
class ScheduleVersionAdmin(ReadOnlyAdmin):
    list_display = ["loan", "number", "reason", "effective_date", "principal", "is_current"]
    list_select_related = ["loan"]
    inlines = [InstalmentInline]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = ["loan", "date", "amount", "milestone", "invoice_reference"]
    list_select_related = ["loan"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ["loan", "value_date", "amount", "prepayment", "reversed_at"]
    list_select_related = ["loan"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["loan", "kind", "component", "n", "amount", "date", "undone"]
    list_select_related = ["loan"]


@admin.register(UnmatchedReceipt)
class UnmatchedReceiptAdmin(ReadOnlyAdmin):
    list_display = ["fund", "value_date", "amount", "payer_reference", "repayment"]


@admin.register(LoanChange)
class LoanChangeAdmin(ReadOnlyAdmin):
    list_display = ["loan", "kind", "state", "effective_date", "proposed_by", "decided_by"]
    list_select_related = ["loan", "proposed_by", "decided_by"]
