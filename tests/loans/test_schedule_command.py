"""``manage.py schedule``: fixed flags and JSON shape, one-line errors. No database.

The worked example is FINERACT_UNIT / FINERACT_EMI C3155 (see test_schedule.py): 100.00 at
9.4822 % over 6 monthly periods, 30/360, two decimals: 17.13 and 0.79, 0.66, 0.53, 0.40, 0.27,
0.13.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]

EXAMPLE = [
    "--principal",
    "100",
    "--rate",
    "9.4822",
    "--periods",
    "6",
    "--frequency",
    "monthly",
    "--method",
    "annuity",
    "--start",
    "2023-12-01",
    "--first-due",
    "2024-01-01",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("schedule", *args, stdout=out)
    return out.getvalue()


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "schedule", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_shape_is_the_documented_one():
    payload = json.loads(run(*EXAMPLE, "--format", "json"))
    assert payload["instalment"] == "17.13"
    assert payload["total_interest"] == "2.78"
    assert payload["rows"][0] == {
        "n": 1,
        "due_date": "2024-01-01",
        "days": 31,
        "principal": "16.34",
        "interest": "0.79",
        "payment": "17.13",
        "balance": "83.66",
    }
    assert [row["interest"] for row in payload["rows"]] == [
        "0.79",
        "0.66",
        "0.53",
        "0.40",
        "0.27",
        "0.13",
    ]
    assert [row["due_date"] for row in payload["rows"]][-1] == "2024-06-01"
    assert payload["rows"][-1]["balance"] == "0.00"
    assert list(payload) == ["instalment", "total_interest", "rows"]


def test_table_is_the_default():
    text = run(*EXAMPLE)
    lines = text.splitlines()
    assert "instalment 17.13, total interest 2.78, total paid 102.78" in text
    header = next(line for line in lines if "due date" in line)
    assert header.split() == [
        "n",
        "due",
        "date",
        "days",
        "principal",
        "interest",
        "payment",
        "balance",
    ]
    assert lines[-1].split() == ["6", "2024-06-01", "31", "17.00", "0.13", "17.13", "0.00"]


def test_csv():
    rows = list(csv.DictReader(io.StringIO(run(*EXAMPLE, "--format", "csv"))))
    assert len(rows) == 6
    assert rows[0] == {
        "n": "1",
        "due_date": "2024-01-01",
        "days": "31",
        "principal": "16.34",
        "interest": "0.79",
        "payment": "17.13",
        "balance": "83.66",
    }


def test_all_options():
    payload = json.loads(
        run(
            "--principal",
            "1000",
            "--rate",
            "12",
            "--periods",
            "8",
            "--frequency",
            "quarterly",
            "--method",
            "linear",
            "--start",
            "2024-01-31",
            "--first-due",
            "2024-04-30",
            "--interest",
            "daily",
            "--day-count",
            "ACT/ACT",
            "--grace-principal",
            "1",
            "--grace-full",
            "1",
            "--grace-interest",
            "capitalise",
            "--decimals",
            "0",
            "--rounding",
            "half-even",
            "--instalment-multiple",
            "10",
            "--format",
            "json",
        )
    )
    rows = payload["rows"]
    assert [row["due_date"] for row in rows[:3]] == ["2024-04-30", "2024-07-31", "2024-10-31"]
    assert rows[0]["payment"] == "0" and rows[0]["principal"] == "-" + rows[0]["interest"]
    assert rows[1]["principal"] == "0"
    assert payload["instalment"] == "170"  # (1000 + capitalised) / 6, to the nearest 10
    assert sum(int(row["principal"]) for row in rows) == 1000


def test_options_may_be_passed_as_python_values():
    out = io.StringIO()
    call_command(
        "schedule",
        principal=Decimal("100"),
        rate=Decimal("9.4822"),
        periods=6,
        frequency="monthly",
        method="annuity",
        start=date(2023, 12, 1),
        first_due=date(2024, 1, 1),
        format="json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["instalment"] == "17.13"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--principal", "-100"), "principal must be positive, got -100"),
        (("--periods", "0"), "periods must be between 1 and 1200, got 0"),
        (("--rate", "150"), "annual rate must be between 0 and 100 percent, got 150"),
        (("--rate", "abc"), "--rate 'abc' is not a number"),
        (("--day-count", "ACT/364"), "unknown day count 'ACT/364'"),
        (("--frequency", "weekly"), "unknown frequency 'weekly'"),
        (("--method", "balloon"), "unknown method 'balloon'"),
        (("--rounding", "up"), "unknown rounding 'up'"),
        (("--interest", "flat"), "unknown interest method 'flat'"),
        (("--format", "xml"), "unknown format 'xml'"),
        (("--first-due", "2023-11-01"), "first due date 2023-11-01 is before the start date"),
        (("--start", "2023-13-01"), "--start '2023-13-01' is not a date YYYY-MM-DD"),
        (("--periods", "six"), "--periods 'six' is not a whole number"),
        (("--grace-full", "2"), "full grace needs a grace interest treatment"),
        (("--instalment-multiple", "100"), "rounds the annuity amount 17.13 down to zero"),
    ],
)
def test_wrong_input_raises_command_error(change, message):
    flag, value = change
    args = list(EXAMPLE)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_missing_flags_are_named():
    with pytest.raises(CommandError, match="missing --rate, --start"):
        run(*[a for a in EXAMPLE if a not in ("--rate", "9.4822", "--start", "2023-12-01")])


def test_command_line_success():
    result = manage(*EXAMPLE, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instalment"] == "17.13"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--principal", "-100"), "principal must be positive, got -100"),
        (("--periods", "0"), "periods must be between 1 and 1200, got 0"),
        (("--rate", "101"), "annual rate must be between 0 and 100 percent, got 101"),
        (("--day-count", "30/365"), "unknown day count '30/365'"),
        (("--first-due", "2023-11-30"), "first due date 2023-11-30 is before the start date"),
        (("--bogus", "1"), "unrecognized arguments: --bogus 1"),
    ],
)
def test_command_line_errors_exit_non_zero_with_one_line(change, message):
    flag, value = change
    args = list(EXAMPLE)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    result = manage(*args)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: ")
    assert message in lines[0]
