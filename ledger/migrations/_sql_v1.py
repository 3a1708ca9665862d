"""The SQL that ledger migrations 0002, 0004, 0007 and 0008 install, frozen as it was when
they were written: a migration never imports live code, so changing `ledger/dbrules.py` or
the posting function cannot change what an old migration does. A change to the rules is a new
snapshot module and a new migration; `tests/ledger/test_frozen_sql.py` fails while the live
rules and the latest snapshot differ (docs/ledger.md, "Frozen in the migrations")."""

# fmt: off

RULES = {'postgresql': {'install': ['\n'
                            '    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger '
                            'AS $$\n'
                            '    BEGIN\n'
                            "        RAISE EXCEPTION 'ledger: % of %.% is refused: the ledger is "
                            "append-only, post a reversal',\n"
                            '            TG_OP, TG_TABLE_NAME, OLD.id\n'
                            "            USING ERRCODE = 'restrict_violation';\n"
                            '    END;\n'
                            '    $$ LANGUAGE plpgsql;\n'
                            '    ',
                            '\n'
                            '        CREATE TRIGGER ledger_journalentry_append_only\n'
                            '        BEFORE UPDATE OR DELETE ON ledger_journalentry\n'
                            '        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();\n'
                            '        ',
                            '\n'
                            '        CREATE TRIGGER ledger_journalline_append_only\n'
                            '        BEFORE UPDATE OR DELETE ON ledger_journalline\n'
                            '        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();\n'
                            '        ',
                            '\n'
                            '        CREATE TRIGGER ledger_auditevent_append_only\n'
                            '        BEFORE UPDATE OR DELETE ON ledger_auditevent\n'
                            '        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();\n'
                            '        ',
                            '\n'
                            '    CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS '
                            'trigger AS $$\n'
                            '    DECLARE\n'
                            '        checked_entry bigint;\n'
                            '        line_count bigint;\n'
                            '        off_currency text;\n'
                            '    BEGIN\n'
                            "        IF TG_TABLE_NAME = 'ledger_journalentry' THEN\n"
                            '            checked_entry := NEW.id;\n'
                            '        ELSE\n'
                            '            checked_entry := NEW.entry_id;\n'
                            '        END IF;\n'
                            '        SELECT coalesce(sum(n), 0), min(currency) FILTER (WHERE '
                            'debits <> credits)\n'
                            '            INTO line_count, off_currency\n'
                            '            FROM (\n'
                            '                SELECT currency, count(*) AS n, sum(debit) AS debits, '
                            'sum(credit) AS credits\n'
                            '                FROM ledger_journalline WHERE entry_id = '
                            'checked_entry GROUP BY currency\n'
                            '            ) AS per_currency;\n'
                            '        IF line_count < 2 THEN\n'
                            "            RAISE EXCEPTION 'ledger: entry % has % line(s); an entry "
                            "needs at least two',\n"
                            '                checked_entry, line_count USING ERRCODE = '
                            "'check_violation';\n"
                            '        END IF;\n'
                            '        IF off_currency IS NOT NULL THEN\n'
                            "            RAISE EXCEPTION 'ledger: entry % does not balance in %', "
                            'checked_entry, off_currency\n'
                            "                USING ERRCODE = 'check_violation';\n"
                            '        END IF;\n'
                            '        RETURN NULL;\n'
                            '    END;\n'
                            '    $$ LANGUAGE plpgsql;\n'
                            '    ',
                            '\n'
                            '    CREATE CONSTRAINT TRIGGER ledger_journalline_balanced\n'
                            '    AFTER INSERT ON ledger_journalline\n'
                            '    DEFERRABLE INITIALLY DEFERRED\n'
                            '    FOR EACH ROW\n'
                            "    WHEN (current_setting('ledger.posting', true) IS DISTINCT FROM "
                            "'on')\n"
                            '    EXECUTE FUNCTION ledger_check_entry_balanced();\n'
                            '    ',
                            '\n'
                            '    CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced\n'
                            '    AFTER INSERT ON ledger_journalentry\n'
                            '    DEFERRABLE INITIALLY DEFERRED\n'
                            '    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();\n'
                            '    ',
                            '\n'
                            'CREATE OR REPLACE FUNCTION ledger_post(\n'
                            '    p_book bigint, p_created_by integer, p_created_at timestamptz, '
                            'p_reversal_of bigint,\n'
                            '    p_entries jsonb, p_lines jsonb\n'
                            ') RETURNS TABLE (entry_position bigint, entry_id bigint, is_replay '
                            'boolean) AS $$\n'
                            'DECLARE\n'
                            '    written_positions bigint[];\n'
                            '    written_ids bigint[];\n'
                            '    skipped record;\n'
                            '    posted_before record;\n'
                            "    unexplained bigint[] := '{}';\n"
                            '    closed record;\n'
                            'BEGIN\n'
                            '    -- Under REPEATABLE READ or SERIALIZABLE the write below would '
                            'see the periods as they\n'
                            '    -- were when the transaction began, and could miss a close.\n'
                            "    IF current_setting('transaction_isolation') <> 'read committed' "
                            'THEN\n'
                            "        RAISE EXCEPTION 'ledger: posting needs READ COMMITTED, not "
                            "%',\n"
                            "            current_setting('transaction_isolation')\n"
                            "            USING ERRCODE = 'invalid_transaction_state';\n"
                            '    END IF;\n'
                            '    PERFORM 1 FROM ledger_book b WHERE b.id = p_book FOR KEY SHARE;\n'
                            '\n'
                            '    -- The service may have read the accounts from its cache: each '
                            'must still be of this\n'
                            '    -- book, active, and get the key of the sub-ledger it keeps.\n'
                            '    IF EXISTS (\n'
                            '        SELECT 1\n'
                            '        FROM jsonb_array_elements(p_lines) AS l(e)\n'
                            '        LEFT JOIN ledger_account a ON a.id = (l.e->>1)::bigint\n'
                            '        WHERE a.id IS NULL OR a.book_id <> p_book OR NOT a.is_active\n'
                            "           OR (a.subledger = 'contract' AND l.e->>5 = '')\n"
                            "           OR (a.subledger = 'party' AND l.e->>6 = '')\n"
                            '    ) THEN\n'
                            "        RAISE EXCEPTION USING ERRCODE = 'LG003',\n"
                            "            MESSAGE = 'ledger: an account changed since the posting "
                            "service read it';\n"
                            '    END IF;\n'
                            '\n'
                            '    -- The lines below belong to entries written by the same '
                            'statement, which their\n'
                            "    -- entries' deferred triggers check at commit: no check per line "
                            '(ledger.dbrules).\n'
                            "    PERFORM set_config('ledger.posting', 'on', true);\n"
                            '    WITH src AS MATERIALIZED (\n'
                            "        SELECT nextval('ledger_journalentry_id_seq'::regclass) AS id, "
                            's.position,\n'
                            '               (s.e->>0)::date AS date, s.e->>1 AS description, '
                            's.e->>2 AS source_type,\n'
                            '               s.e->>3 AS source_id, s.e->>4 AS source_ref, s.e->>5 '
                            'AS idempotency_key,\n'
                            '               s.e->>6 AS content_hash\n'
                            '        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS s(e, '
                            'position)\n'
                            '    ),\n'
                            '    params AS (\n'
                            '        SELECT p_book AS book_id, p_created_by AS created_by_id, '
                            'p_created_at AS created_at,\n'
                            '               p_reversal_of AS reversal_of_id\n'
                            '    ),\n'
                            '    entries AS (\n'
                            '        INSERT INTO ledger_journalentry (\n'
                            '            id, book_id, date, description, source_type, source_id, '
                            'source_ref,\n'
                            '            created_by_id, created_at, idempotency_key, content_hash, '
                            'reversal_of_id\n'
                            '        )\n'
                            '        SELECT src.id, params.book_id, src.date, src.description, '
                            'src.source_type,\n'
                            '               src.source_id, src.source_ref, params.created_by_id, '
                            'params.created_at,\n'
                            '               src.idempotency_key, src.content_hash, '
                            'params.reversal_of_id\n'
                            '        FROM src CROSS JOIN params\n'
                            '        WHERE NOT EXISTS (\n'
                            '            SELECT 1 FROM ledger_period p\n'
                            '            WHERE p.book_id = params.book_id AND p.closed_at IS NOT '
                            'NULL\n'
                            '              AND p.start <= src.date AND p."end" >= src.date\n'
                            '        )\n'
                            '        -- in key order: batches that share keys wait for each other '
                            'and cannot deadlock\n'
                            '        ORDER BY src.idempotency_key\n'
                            '        ON CONFLICT (book_id, idempotency_key) WHERE idempotency_key '
                            'IS NOT NULL DO NOTHING\n'
                            '        RETURNING id\n'
                            '    ),\n'
                            '    lines AS (\n'
                            '        INSERT INTO ledger_journalline (\n'
                            '            entry_id, account_id, date, debit, credit, currency, '
                            'contract, party, memo\n'
                            '        )\n'
                            '        SELECT src.id, (l.e->>1)::bigint, src.date, '
                            '(l.e->>2)::bigint, (l.e->>3)::bigint,\n'
                            '               l.e->>4, l.e->>5, l.e->>6, l.e->>7\n'
                            '        FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l(e, '
                            'n)\n'
                            '        JOIN src ON src.position = (l.e->>0)::bigint\n'
                            '        WHERE src.id IN (SELECT id FROM entries)\n'
                            '        ORDER BY l.n\n'
                            '        RETURNING account_id, currency, date, debit, credit, '
                            'contract, party\n'
                            '    ),\n'
                            '    balances AS (\n'
                            '        INSERT INTO ledger_balance (account_id, currency, kind, key, '
                            'debit, credit)\n'
                            '        SELECT account_id, currency, kind, key, sum(debit), '
                            'sum(credit)\n'
                            '        FROM (\n'
                            "            SELECT account_id, currency, '' AS kind, '' AS key, "
                            'debit, credit FROM lines\n'
                            '            UNION ALL\n'
                            "            SELECT account_id, currency, 'contract', contract, debit, "
                            'credit\n'
                            "            FROM lines WHERE contract <> ''\n"
                            '            UNION ALL\n'
                            "            SELECT account_id, currency, 'party', party, debit, "
                            'credit\n'
                            "            FROM lines WHERE party <> ''\n"
                            '        ) AS keyed\n'
                            '        GROUP BY account_id, currency, kind, key\n'
                            '        ORDER BY account_id, currency, kind, key\n'
                            '        ON CONFLICT (account_id, currency, kind, key) DO UPDATE\n'
                            '        SET debit = ledger_balance.debit + excluded.debit,\n'
                            '            credit = ledger_balance.credit + excluded.credit\n'
                            '    ),\n'
                            '    daily AS (\n'
                            '        INSERT INTO ledger_dailytotal (account_id, currency, date, '
                            'debit, credit, lines)\n'
                            '        SELECT account_id, currency, date, sum(debit), sum(credit), '
                            'count(*)\n'
                            '        FROM lines\n'
                            '        GROUP BY account_id, currency, date\n'
                            '        ORDER BY account_id, currency, date\n'
                            '        ON CONFLICT (account_id, currency, date) DO UPDATE\n'
                            '        SET debit = ledger_dailytotal.debit + excluded.debit,\n'
                            '            credit = ledger_dailytotal.credit + excluded.credit,\n'
                            '            lines = ledger_dailytotal.lines + excluded.lines\n'
                            '    )\n'
                            '    SELECT array_agg(src.position), array_agg(src.id) INTO '
                            'written_positions, written_ids\n'
                            '    FROM src WHERE src.id IN (SELECT id FROM entries);\n'
                            "    PERFORM set_config('ledger.posting', 'off', true);\n"
                            '\n'
                            '    RETURN QUERY SELECT w.position, w.id, false\n'
                            '        FROM unnest(written_positions, written_ids) AS w(position, '
                            'id);\n'
                            '    IF coalesce(cardinality(written_ids), 0) = '
                            'jsonb_array_length(p_entries) THEN\n'
                            '        RETURN;\n'
                            '    END IF;\n'
                            '    -- Left out: first the idempotency keys (a replay returns the '
                            'entry posted before,\n'
                            '    -- other content is refused), then, for what is left, the '
                            'earliest closed date.\n'
                            '    FOR skipped IN\n'
                            '        SELECT s.position, s.e->>5 AS idempotency_key, s.e->>6 AS '
                            'content_hash\n'
                            '        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS s(e, '
                            'position)\n'
                            "        WHERE s.position <> ALL(coalesce(written_positions, '{}'))\n"
                            '        ORDER BY s.position\n'
                            '    LOOP\n'
                            '        SELECT e.id, e.content_hash INTO posted_before FROM '
                            'ledger_journalentry e\n'
                            '            WHERE e.book_id = p_book AND e.idempotency_key = '
                            'skipped.idempotency_key;\n'
                            '        IF NOT FOUND THEN\n'
                            '            unexplained := unexplained || skipped.position;\n'
                            '        ELSIF posted_before.content_hash <> skipped.content_hash '
                            'THEN\n'
                            "            RAISE EXCEPTION USING ERRCODE = 'LG002', MESSAGE = "
                            'format(\n'
                            "                'idempotency key ''%s'' was used for entry #%s with "
                            "different content',\n"
                            '                skipped.idempotency_key, posted_before.id);\n'
                            '        ELSE\n'
                            '            entry_position := skipped.position;\n'
                            '            entry_id := posted_before.id;\n'
                            '            is_replay := true;\n'
                            '            RETURN NEXT;\n'
                            '        END IF;\n'
                            '    END LOOP;\n'
                            '    IF cardinality(unexplained) = 0 THEN\n'
                            '        RETURN;\n'
                            '    END IF;\n'
                            '    SELECT p.name, s.date INTO closed FROM (\n'
                            '        SELECT (e->>0)::date AS date\n'
                            '        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS t(e, '
                            'position)\n'
                            '        WHERE t.position = ANY(unexplained)\n'
                            '    ) AS s\n'
                            '    JOIN ledger_period p ON p.book_id = p_book AND p.closed_at IS NOT '
                            'NULL\n'
                            '        AND p.start <= s.date AND p."end" >= s.date\n'
                            '    ORDER BY s.date\n'
                            '    LIMIT 1;\n'
                            '    IF FOUND THEN\n'
                            "        RAISE EXCEPTION USING ERRCODE = 'LG001', MESSAGE = format(\n"
                            "            'period %s is closed; an entry dated %s is refused, '\n"
                            "            'book the correction in an open period',\n"
                            "            closed.name, to_char(closed.date, 'DD-MM-YYYY'));\n"
                            '    END IF;\n'
                            "    RAISE EXCEPTION 'ledger: entry % of the batch was not written', "
                            'unexplained[1]\n'
                            "        USING ERRCODE = 'unique_violation';\n"
                            'END;\n'
                            '$$ LANGUAGE plpgsql;\n'],
                'remove': ['DROP FUNCTION IF EXISTS ledger_post(bigint, integer, timestamptz, '
                           'bigint, jsonb, jsonb);',
                           'DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON '
                           'ledger_journalentry;',
                           'DROP TRIGGER IF EXISTS ledger_journalline_append_only ON '
                           'ledger_journalline;',
                           'DROP TRIGGER IF EXISTS ledger_auditevent_append_only ON '
                           'ledger_auditevent;',
                           'DROP TRIGGER IF EXISTS ledger_journalline_balanced ON '
                           'ledger_journalline;',
                           'DROP TRIGGER IF EXISTS ledger_journalentry_balanced ON '
                           'ledger_journalentry;',
                           'DROP FUNCTION IF EXISTS ledger_check_entry_balanced();',
                           'DROP FUNCTION IF EXISTS ledger_refuse_change();']},
 'sqlite': {'install': ['\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_journalentry_no_update\n'
                        '    BEFORE UPDATE ON ledger_journalentry\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: UPDATE of ledger_journalentry is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    ',
                        '\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_journalentry_no_delete\n'
                        '    BEFORE DELETE ON ledger_journalentry\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: DELETE of ledger_journalentry is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    ',
                        '\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_journalline_no_update\n'
                        '    BEFORE UPDATE ON ledger_journalline\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: UPDATE of ledger_journalline is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    ',
                        '\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_journalline_no_delete\n'
                        '    BEFORE DELETE ON ledger_journalline\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: DELETE of ledger_journalline is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    ',
                        '\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_auditevent_no_update\n'
                        '    BEFORE UPDATE ON ledger_auditevent\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: UPDATE of ledger_auditevent is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    ',
                        '\n'
                        '    CREATE TRIGGER IF NOT EXISTS ledger_auditevent_no_delete\n'
                        '    BEFORE DELETE ON ledger_auditevent\n'
                        '    BEGIN\n'
                        "        SELECT RAISE(ABORT, 'ledger: DELETE of ledger_auditevent is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '    END;\n'
                        '    '],
            'remove': ['DROP TRIGGER IF EXISTS ledger_journalentry_no_update;',
                       'DROP TRIGGER IF EXISTS ledger_journalentry_no_delete;',
                       'DROP TRIGGER IF EXISTS ledger_journalline_no_update;',
                       'DROP TRIGGER IF EXISTS ledger_journalline_no_delete;',
                       'DROP TRIGGER IF EXISTS ledger_auditevent_no_update;',
                       'DROP TRIGGER IF EXISTS ledger_auditevent_no_delete;']}}

SEALS = {'postgresql': {'install': ['DROP TRIGGER IF EXISTS ledger_seal_append_only ON ledger_seal;',
                            '\n'
                            '            CREATE TRIGGER ledger_seal_append_only\n'
                            '            BEFORE UPDATE OR DELETE ON ledger_seal\n'
                            '            FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();\n'
                            '            '],
                'remove': ['DROP TRIGGER IF EXISTS ledger_seal_append_only ON ledger_seal;']},
 'sqlite': {'install': ['\n'
                        '            CREATE TRIGGER IF NOT EXISTS ledger_seal_no_update\n'
                        '            BEFORE UPDATE ON ledger_seal\n'
                        '            BEGIN\n'
                        "                SELECT RAISE(ABORT, 'ledger: UPDATE of ledger_seal is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '            END;\n'
                        '            ',
                        '\n'
                        '            CREATE TRIGGER IF NOT EXISTS ledger_seal_no_delete\n'
                        '            BEFORE DELETE ON ledger_seal\n'
                        '            BEGIN\n'
                        "                SELECT RAISE(ABORT, 'ledger: DELETE of ledger_seal is "
                        "refused: the ledger is append-only, post a reversal');\n"
                        '            END;\n'
                        '            '],
            'remove': ['DROP TRIGGER IF EXISTS ledger_seal_no_update;',
                       'DROP TRIGGER IF EXISTS ledger_seal_no_delete;']}}

GUARDS = {'postgresql': {'install': ['DROP TRIGGER IF EXISTS ledger_period_closed_guard ON ledger_period;',
                            '\n'
                            '            CREATE OR REPLACE FUNCTION ledger_guard_closed_period() '
                            'RETURNS trigger AS $$\n'
                            '            BEGIN\n'
                            '                IF OLD.closed_at IS NOT NULL THEN\n'
                            "                    RAISE EXCEPTION 'ledger: a closed period cannot "
                            "be changed, reopened or deleted (% %)', TG_OP, OLD.name\n"
                            "                        USING ERRCODE = 'restrict_violation';\n"
                            '                END IF;\n'
                            "                IF TG_OP = 'DELETE' THEN\n"
                            '                    RETURN OLD;\n'
                            '                END IF;\n'
                            '                RETURN NEW;\n'
                            '            END;\n'
                            '            $$ LANGUAGE plpgsql;\n'
                            '            ',
                            '\n'
                            '            CREATE TRIGGER ledger_period_closed_guard\n'
                            '            BEFORE UPDATE OR DELETE ON ledger_period\n'
                            '            FOR EACH ROW EXECUTE FUNCTION '
                            'ledger_guard_closed_period();\n'
                            '            ',
                            'DROP TRIGGER IF EXISTS ledger_journalentry_no_truncate ON '
                            'ledger_journalentry;',
                            'DROP TRIGGER IF EXISTS ledger_journalline_no_truncate ON '
                            'ledger_journalline;',
                            'DROP TRIGGER IF EXISTS ledger_auditevent_no_truncate ON '
                            'ledger_auditevent;',
                            'DROP TRIGGER IF EXISTS ledger_seal_no_truncate ON ledger_seal;',
                            'DROP TRIGGER IF EXISTS ledger_period_no_truncate ON ledger_period;',
                            '\n'
                            '            CREATE OR REPLACE FUNCTION ledger_refuse_truncate() '
                            'RETURNS trigger AS $$\n'
                            '            BEGIN\n'
                            "                RAISE EXCEPTION 'ledger: TRUNCATE of % is refused: "
                            "the ledger is append-only',\n"
                            '                    TG_TABLE_NAME USING ERRCODE = '
                            "'restrict_violation';\n"
                            '            END;\n'
                            '            $$ LANGUAGE plpgsql;\n'
                            '            ',
                            '\n'
                            '                CREATE TRIGGER ledger_journalentry_no_truncate\n'
                            '                BEFORE TRUNCATE ON ledger_journalentry\n'
                            '                FOR EACH STATEMENT EXECUTE FUNCTION '
                            'ledger_refuse_truncate();\n'
                            '                ',
                            '\n'
                            '                CREATE TRIGGER ledger_journalline_no_truncate\n'
                            '                BEFORE TRUNCATE ON ledger_journalline\n'
                            '                FOR EACH STATEMENT EXECUTE FUNCTION '
                            'ledger_refuse_truncate();\n'
                            '                ',
                            '\n'
                            '                CREATE TRIGGER ledger_auditevent_no_truncate\n'
                            '                BEFORE TRUNCATE ON ledger_auditevent\n'
                            '                FOR EACH STATEMENT EXECUTE FUNCTION '
                            'ledger_refuse_truncate();\n'
                            '                ',
                            '\n'
                            '                CREATE TRIGGER ledger_seal_no_truncate\n'
                            '                BEFORE TRUNCATE ON ledger_seal\n'
                            '                FOR EACH STATEMENT EXECUTE FUNCTION '
                            'ledger_refuse_truncate();\n'
                            '                ',
                            '\n'
                            '                CREATE TRIGGER ledger_period_no_truncate\n'
                            '                BEFORE TRUNCATE ON ledger_period\n'
                            '                FOR EACH STATEMENT EXECUTE FUNCTION '
                            'ledger_refuse_truncate();\n'
                            '                '],
                'remove': ['DROP TRIGGER IF EXISTS ledger_journalentry_no_truncate ON '
                           'ledger_journalentry;',
                           'DROP TRIGGER IF EXISTS ledger_journalline_no_truncate ON '
                           'ledger_journalline;',
                           'DROP TRIGGER IF EXISTS ledger_auditevent_no_truncate ON '
                           'ledger_auditevent;',
                           'DROP TRIGGER IF EXISTS ledger_seal_no_truncate ON ledger_seal;',
                           'DROP TRIGGER IF EXISTS ledger_period_no_truncate ON ledger_period;',
                           'DROP TRIGGER IF EXISTS ledger_period_closed_guard ON ledger_period;']},
 'sqlite': {'install': ['\n'
                        '            CREATE TRIGGER IF NOT EXISTS ledger_period_closed_no_update\n'
                        '            BEFORE UPDATE ON ledger_period\n'
                        '            WHEN OLD.closed_at IS NOT NULL\n'
                        '            BEGIN\n'
                        "                SELECT RAISE(ABORT, 'ledger: a closed period cannot be "
                        "changed, reopened or deleted');\n"
                        '            END;\n'
                        '            ',
                        '\n'
                        '            CREATE TRIGGER IF NOT EXISTS ledger_period_closed_no_delete\n'
                        '            BEFORE DELETE ON ledger_period\n'
                        '            WHEN OLD.closed_at IS NOT NULL\n'
                        '            BEGIN\n'
                        "                SELECT RAISE(ABORT, 'ledger: a closed period cannot be "
                        "changed, reopened or deleted');\n"
                        '            END;\n'
                        '            '],
            'remove': ['DROP TRIGGER IF EXISTS ledger_period_closed_no_update;',
                       'DROP TRIGGER IF EXISTS ledger_period_closed_no_delete;']}}

# fmt: on
