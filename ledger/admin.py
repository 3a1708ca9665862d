"""Read-only admin views of the books: nothing is added, changed or deleted here."""

from django.contrib import admin

from .models import Account, AuditEvent, Book, JournalEntry, JournalLine, Period


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccountInline(admin.TabularInline):
    model = Account
    fields = ("code", "name", "type", "subledger", "compartment", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Book)
class BookAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "currency", "created_at")
    inlines = [AccountInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("book", "code", "name", "type", "subledger", "is_active")
    list_filter = ("book", "type")
    search_fields = ("code", "name")


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit", "currency", "contract", "party", "memo")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "book", "date", "description", "source_type", "source_ref", "created_by")
    list_filter = ("book", "source_type")
    date_hierarchy = "date"
    search_fields = ("description", "source_ref", "source_id")
    list_select_related = ("book", "created_by")
    inlines = [JournalLineInline]


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ("book", "name", "start", "end", "closed_at", "closed_by")
    list_filter = ("book",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id")
