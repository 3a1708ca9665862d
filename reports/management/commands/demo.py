"""``manage.py demo``: migrate, seed the demo data, print the logins, serve the app."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from reports import demo


class Command(BaseCommand):
    help = (
        "Migrate the database, seed realistic demo data (once), print the logins and serve "
        "the app on http://127.0.0.1:8000. --no-serve seeds and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="seed and exit")
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, no_serve=False, addrport="127.0.0.1:8000", **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if demo.is_seeded():
            self.stdout.write("Demo data is present already; not seeding again.")
        else:
            try:
                demo.seed(progress=self.stdout.write)
            except Exception as error:
                raise CommandError(
                    f"Seeding the demo stopped halfway ({error}). Start from an empty "
                    "database (remove db.sqlite3) and run demo again."
                ) from error
        for book in demo.demo_books():
            call_command("trial_balance", book=book.slug, stdout=self.stdout)
            self.stdout.write("")
        self.stdout.write(demo.logins_text())
        if no_serve:
            return
        if not settings.DEBUG:
            raise CommandError("demo serves with the development server; run it with DEBUG on")
        self.stdout.write(f"Burgerfonds runs on http://{addrport}/  (Ctrl-C stops it)")
        call_command("runserver", addrport, use_reloader=False)
