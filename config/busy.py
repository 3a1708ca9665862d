"""The busy page: a request that waited too long for a lock gets a 503 that says so.

Nothing was written: the service's transaction rolled back when the wait ran out
(ledger/locks.py). The page tells the user to try again in a moment; a form sent again
carries the same one-time key, so a retry books once.
"""

from __future__ import annotations

from django.shortcuts import render

from ledger.locks import is_busy

RETRY_AFTER_SECONDS = 10


class BusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy(exception):
            return None
        response = render(request, "busy.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
