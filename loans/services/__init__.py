"""Use cases of the loans side. Each public function is one transaction: it locks, checks its
preconditions inside the lock, changes state, posts through :mod:`ledger.services` and writes an
audit event.

Locks are taken in the fixed order of the fund side: the fund's revolving ``Compartment`` row,
then the ``Application``, then the ``Loan`` (then its repayment or proposal). Every loan service
takes the compartment lock first, so loan operations of one fund are serialised and cannot
deadlock with the posting service's share lock on the book.

Ledger (every line on 1200/1210/1220/1230/4000/4100/5100 carries ``contract=<loan number>`` and
``party=<collective code>``):

* tranche disbursed: Dr 1200 / Cr 1000
* instalment falls due: Dr 1210 / Cr 4000 (key ``due:<loan>:<version>:<n>``); open month-end
  accruals (Dr 1230 / Cr 4000) are reversed then
* repayment: Dr 1000 (or 1900 for a matched suspense receipt) / Cr 1220, 1210, 1200
* penalty interest and success premium: Dr 1220 / Cr 4100
* arrears capitalised: Dr 1200 / Cr 1210 (the interest part; the principal stays on 1200)
* write-off and conversion to grant: Dr 5100 / Cr 1200, 1210 (and 1220)

Schedule versions: a tranche, a prepayment, an early settlement, a restructuring and a partial
write-off each add a version. Rows due on or before the version's effective date are carried
over unchanged (with the idempotency keys of the version they were first computed in); later
rows are rebuilt with :func:`loans.schedule.build_schedule` from the scheduled balance. The
first rebuilt row also carries the interest the old balance earned from the previous due date
to the effective date (broken period), both parts computed daily with the loan's day count
(30E/360 under period interest), so no interest is lost or counted twice.
"""

# One module per use case; the public names are re-exported here, so ``from loans import
# services`` and ``services.repayment_record(...)`` read the same as before the split.
from ._common import (  # noqa: F401
    CENT,
    OVERPAYMENT_CHOICES,
)
from .bank_import import (  # noqa: F401
    CSV_COLUMNS,
    IMPORT_BATCH,
    LOAN_NUMBER,
    MAX_BANK_REFERENCE,
    BankLine,
    ImportResult,
    bank_csv_lines,
    repayments_import,
)
from .changes import (  # noqa: F401
    loan_change_decide,
    loan_change_propose,
    loan_change_withdraw,
)
from .contracts import (  # noqa: F401
    TERM_FIELDS,
    loan_contract,
    loan_product_create,
)
from .day_end import (  # noqa: F401
    DAY_BATCH,
    loan_day_process,
    loans_run_days,
)
from .disbursements import (  # noqa: F401
    tranche_propose,
)
from .position import (  # noqa: F401
    Position,
    current_rows,
    current_version,
    loan_status,
    loan_statuses,
)
from .receipts import (  # noqa: F401
    receipt_disposal_decide,
    receipt_disposal_propose,
    receipt_match,
    receipt_record_unmatched,
)
from .repayments import (  # noqa: F401
    SettlementQuote,
    loan_settlement_quote,
    repayment_record,
    repayment_reverse,
    repayments_after,
    reversal_blocker,
)
