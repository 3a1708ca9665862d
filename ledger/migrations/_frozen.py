"""Run a frozen SQL snapshot (``_sql_v<N>.py``) in a migration."""


def run(schema_editor, snapshot: dict, part: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in snapshot:
        raise NotImplementedError(f"ledger database rules are not written for {vendor}")
    with schema_editor.connection.cursor() as cursor:
        for sql in snapshot[vendor][part]:
            cursor.execute(sql)
