-- Up Migration
-- Journal intake in fewer round trips (issue 10): the statements of a batch that only read and
-- write the kiosk's intake state run inside the server as two functions, so a batch costs
-- BEGIN, journal_intake_lock, the one INSERT of its records (pg-store.ts), journal_intake_finish,
-- COMMIT: five round trips instead of nine. What is accepted (chain, HMAC, intake rules) is still
-- decided in pg-store.ts from what journal_intake_lock returns; these functions decide nothing.
--
-- VOLATILE plpgsql: every statement inside takes a fresh snapshot (READ COMMITTED), so the records
-- read after the kiosk_state row lock are everything committed before that lock was granted,
-- exactly as the separate statements did.

-- Takes the kiosk's intake lock (its kiosk_state row, created on first sight) and returns its state
-- and the stored records at the given seqs: {"contiguous": n, "max": n, "known": [[seq, hash, prev_hash], …]}.
CREATE FUNCTION journal_intake_lock(p_kiosk text, p_seqs bigint[]) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  st record;
  known jsonb;
BEGIN
  INSERT INTO kiosk_state (kiosk_id) VALUES (p_kiosk) ON CONFLICT (kiosk_id) DO NOTHING;
  SELECT k.contiguous_seq, k.max_seq INTO st FROM kiosk_state k WHERE k.kiosk_id = p_kiosk FOR UPDATE;
  SELECT coalesce(jsonb_agg(jsonb_build_array(j.seq, j.hash, j.prev_hash)), '[]'::jsonb) INTO known
    FROM journal_records j WHERE j.kiosk_id = p_kiosk AND j.seq = ANY (p_seqs);
  RETURN jsonb_build_object('contiguous', st.contiguous_seq, 'max', st.max_seq, 'known', known);
END $$;

-- After the batch's records are inserted (same transaction, lock held): how far the journal is now
-- complete (walking up from p_contiguous over what is stored), the kiosk's new state, and the
-- missing ranges above it (at most 100): {"contiguous": n, "gaps": [{"from": a, "to": b}, …]}.
CREATE FUNCTION journal_intake_finish(p_kiosk text, p_contiguous bigint, p_max bigint, p_at timestamptz) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  c bigint := p_contiguous;
  gaps jsonb := '[]'::jsonb;
BEGIN
  IF p_max > c THEN
    SELECT coalesce(max(s.seq), p_contiguous) INTO c FROM (
      SELECT j.seq, j.seq - row_number() OVER (ORDER BY j.seq) AS grp
      FROM journal_records j WHERE j.kiosk_id = p_kiosk AND j.seq > p_contiguous
    ) s WHERE s.grp = p_contiguous;
  END IF;
  UPDATE kiosk_state SET contiguous_seq = c, max_seq = p_max, updated_at = p_at WHERE kiosk_id = p_kiosk;
  IF p_max > c THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('from', g.prev + 1, 'to', g.seq - 1) ORDER BY g.seq), '[]'::jsonb) INTO gaps FROM (
      SELECT s.seq, s.prev FROM (
        SELECT j.seq, coalesce(lag(j.seq) OVER (ORDER BY j.seq), c) AS prev
        FROM journal_records j WHERE j.kiosk_id = p_kiosk AND j.seq > c
      ) s WHERE s.seq > s.prev + 1 ORDER BY s.seq LIMIT 100
    ) g;
  END IF;
  RETURN jsonb_build_object('contiguous', c, 'gaps', gaps);
END $$;

-- Down Migration
DROP FUNCTION journal_intake_finish(text, bigint, bigint, timestamptz);
DROP FUNCTION journal_intake_lock(text, bigint[]);
