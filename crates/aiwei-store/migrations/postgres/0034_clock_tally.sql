-- The clocks' tally: how many deadline clocks ended on each local (China)
-- day, by kind, final state and the owners of their matter (the recording
-- staff member, the receiving office, the lead department). The figures
-- of a period read its days here instead of every clock that ended in it:
-- a month at city scale ends over 100,000 clocks (issue 13: pre-aggregated
-- counters). The day is `(ended_at + 28800000) / 86400000`, days since
-- 1970-01-01 in China time (`aiwei_core::time::day_key`). Absent owners
-- are ''.
--
-- Kept by triggers, like the ledger's tally (0033): a clock that ends,
-- changes or goes moves its count, and a matter whose owners change moves
-- the counts of its ended clocks. As there, a trigger only appends to
-- `clock_tally_delta`, readers add both tables, and the sweeper folds the
-- deltas into the tally (`Store::fold_tally`).
CREATE TABLE clock_tally (
    day              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    intake_user      UUID NOT NULL,
    department       TEXT NOT NULL,
    lead_department  TEXT NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (day, kind, state, intake_user, department, lead_department)
);

CREATE TABLE clock_tally_delta (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    LIKE clock_tally
);

INSERT INTO clock_tally
SELECT CAST((d.ended_at + 28800000) / 86400000 AS INTEGER), d.kind, d.state,
       m.intake_user, COALESCE(m.department, ''), COALESCE(m.lead_department, ''),
       COUNT(*)
FROM deadlines d JOIN matters m ON m.id = d.matter_id
WHERE d.ended_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE FUNCTION clock_tally_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.ended_at IS NOT NULL THEN
        INSERT INTO clock_tally_delta (day, kind, state, intake_user, department,
            lead_department, n)
        SELECT CAST((OLD.ended_at + 28800000) / 86400000 AS INTEGER), OLD.kind,
            OLD.state, m.intake_user, COALESCE(m.department, ''),
            COALESCE(m.lead_department, ''), -1
        FROM matters m WHERE m.id = OLD.matter_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.ended_at IS NOT NULL THEN
        INSERT INTO clock_tally_delta (day, kind, state, intake_user, department,
            lead_department, n)
        SELECT CAST((NEW.ended_at + 28800000) / 86400000 AS INTEGER), NEW.kind,
            NEW.state, m.intake_user, COALESCE(m.department, ''),
            COALESCE(m.lead_department, ''), 1
        FROM matters m WHERE m.id = NEW.matter_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER clock_tally_insert_delete AFTER INSERT OR DELETE ON deadlines
FOR EACH ROW EXECUTE FUNCTION clock_tally_track();

-- Open clocks do not count: the sweeper's moves between running, due soon
-- and overdue do not fire it.
CREATE TRIGGER clock_tally_update AFTER UPDATE OF matter_id, kind, state, ended_at
ON deadlines
FOR EACH ROW WHEN (
    (OLD.ended_at IS NOT NULL OR NEW.ended_at IS NOT NULL)
    AND (OLD.matter_id, OLD.kind, OLD.state, OLD.ended_at)
        IS DISTINCT FROM (NEW.matter_id, NEW.kind, NEW.state, NEW.ended_at))
EXECUTE FUNCTION clock_tally_track();

CREATE FUNCTION clock_tally_owners() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO clock_tally_delta (day, kind, state, intake_user, department,
        lead_department, n)
    SELECT CAST((d.ended_at + 28800000) / 86400000 AS INTEGER), d.kind, d.state,
        o.intake_user, COALESCE(o.department, ''), COALESCE(o.lead_department, ''),
        o.n
    FROM deadlines d
    CROSS JOIN (VALUES (OLD.intake_user, OLD.department, OLD.lead_department, -1),
                       (NEW.intake_user, NEW.department, NEW.lead_department, 1))
        AS o (intake_user, department, lead_department, n)
    WHERE d.matter_id = NEW.id AND d.ended_at IS NOT NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER clock_tally_owners AFTER UPDATE OF intake_user, department, lead_department
ON matters
FOR EACH ROW WHEN (
    (OLD.intake_user, OLD.department, OLD.lead_department)
    IS DISTINCT FROM (NEW.intake_user, NEW.department, NEW.lead_department))
EXECUTE FUNCTION clock_tally_owners();

-- A clock open and past due at a period's end that ended after it ended
-- late or was cancelled (a clock met ends by its due time). The figures
-- find such clocks among these few instead of every clock ended since.
CREATE INDEX deadlines_overran ON deadlines (ended_at, due_at, started_at)
WHERE state IN ('late', 'cancelled');
