"""Admin of the fund side.

The admin is for looking things up and for giving people access (fund managers, contact
users of collectives, users of investors). Everything that moves money or changes a state
goes through :mod:`fund.services` in the app, which posts to the ledger and writes the audit
event, so those models are read-only here and no fund objects are created here.
"""

from django.contrib import admin

from .models import (
    Application,
    Attachment,
    BudgetLine,
    Collective,
    Commitment,
    Compartment,
    Contribution,
    Fund,
    Grant,
    GrantPayment,
    Investor,
    NumberSequence,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted: only the services change these."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AccessAdmin(admin.ModelAdmin):
    """Only the access field (a list of users) can be changed; the rest is read-only.

    Objects are created in the app (their service makes books, numbers and audit events),
    and never deleted (ledger lines and audit events point at them).
    """

    access_field = ""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [
            f.name
            for f in self.model._meta.get_fields()
            if f.concrete and not f.auto_created and f.name != self.access_field
        ]


class CompartmentInline(ReadOnlyInline):
    model = Compartment
    fields = ("kind", "iban")
    readonly_fields = fields


@admin.register(Fund)
class FundAdmin(AccessAdmin):
    access_field = "managers"
    list_display = ("name", "slug", "book", "created_at")
    search_fields = ("name", "slug")
    filter_horizontal = ("managers",)
    inlines = [CompartmentInline]


@admin.register(Compartment)
class CompartmentAdmin(AccessAdmin):
    """Only the bank account can be set here (collectives repay to the revolving one)."""

    access_field = "iban"
    list_display = ("fund", "kind", "iban")
    list_filter = ("fund", "kind")


@admin.register(Investor)
class InvestorAdmin(AccessAdmin):
    access_field = "users"
    list_display = ("name", "code", "kind", "contact_name", "email", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "code", "contact_name", "email")
    filter_horizontal = ("users",)


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ("investor", "compartment", "amount", "date", "reference")
    list_filter = ("compartment__fund", "compartment__kind")
    list_select_related = ("investor", "compartment__fund")
    search_fields = ("investor__name", "investor__code", "reference")
    date_hierarchy = "date"


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("commitment", "amount", "date", "entry", "created_by")
    list_filter = ("commitment__compartment__fund",)
    list_select_related = ("commitment__investor", "commitment__compartment__fund", "created_by")
    search_fields = ("commitment__investor__name", "commitment__investor__code")
    date_hierarchy = "date"


@admin.register(Collective)
class CollectiveAdmin(AccessAdmin):
    access_field = "members"
    list_display = (
        "name",
        "code",
        "kind",
        "legal_form",
        "kvk_number",
        "municipality",
        "verified_at",
    )
    list_filter = ("kind", "legal_form", "municipality")
    search_fields = ("name", "code", "kvk_number", "city", "municipality")
    filter_horizontal = ("members",)


class BudgetLineInline(ReadOnlyInline):
    model = BudgetLine
    fields = ("description", "amount")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("description", "file", "uploaded_by", "uploaded_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "title",
        "collective",
        "fund",
        "kind",
        "state",
        "amount_requested",
        "approved_amount",
        "submitted_at",
    )
    list_filter = ("state", "kind", "fund")
    list_select_related = ("collective", "fund")
    search_fields = ("number", "title", "collective__name")
    inlines = [BudgetLineInline, AttachmentInline]


class GrantPaymentInline(ReadOnlyInline):
    model = GrantPayment
    fields = ("date", "amount", "description", "entry", "created_by")
    readonly_fields = fields


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "collective",
        "fund",
        "state",
        "amount",
        "paid",
        "returned",
        "released",
        "awarded_at",
        "settled_at",
    )
    list_filter = ("state", "fund")
    list_select_related = ("collective", "fund")
    search_fields = ("number", "collective__name", "application__number")
    inlines = [GrantPaymentInline]


@admin.register(GrantPayment)
class GrantPaymentAdmin(ReadOnlyAdmin):
    list_display = ("grant", "date", "amount", "description", "created_by")
    list_filter = ("grant__fund",)
    list_select_related = ("grant", "created_by")
    search_fields = ("grant__number", "description")
    date_hierarchy = "date"


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "year", "last")
