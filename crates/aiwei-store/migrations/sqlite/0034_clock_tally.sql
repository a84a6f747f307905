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
-- the counts of its ended clocks. On SQLite the one writer adds into the
-- row directly; PostgreSQL appends to `clock_tally_delta` and both
-- backends read the sum of the two tables.
CREATE TABLE clock_tally (
    day              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    intake_user      BLOB NOT NULL,
    department       TEXT NOT NULL,
    lead_department  TEXT NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (day, kind, state, intake_user, department, lead_department)
);

-- Empty on SQLite; present so that both backends read the same shape.
CREATE TABLE clock_tally_delta AS SELECT * FROM clock_tally WHERE FALSE;

INSERT INTO clock_tally
SELECT (d.ended_at + 28800000) / 86400000, d.kind, d.state, m.intake_user,
       COALESCE(m.department, ''), COALESCE(m.lead_department, ''), COUNT(*)
FROM deadlines d JOIN matters m ON m.id = d.matter_id
WHERE d.ended_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

-- One place turns an ended clock and its owners into a tally row and adds
-- `n` to it: inserting into this view.
CREATE VIEW clock_tally_change AS
SELECT d.ended_at, d.kind, d.state, m.intake_user, m.department,
       m.lead_department, 0 AS n
FROM deadlines d JOIN matters m ON m.id = d.matter_id WHERE FALSE;

CREATE TRIGGER clock_tally_change INSTEAD OF INSERT ON clock_tally_change
WHEN NEW.ended_at IS NOT NULL
BEGIN
    INSERT INTO clock_tally VALUES (
        (NEW.ended_at + 28800000) / 86400000, NEW.kind, NEW.state,
        NEW.intake_user, COALESCE(NEW.department, ''),
        COALESCE(NEW.lead_department, ''), NEW.n)
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER clock_tally_insert AFTER INSERT ON deadlines
WHEN NEW.ended_at IS NOT NULL
BEGIN
    INSERT INTO clock_tally_change
    SELECT NEW.ended_at, NEW.kind, NEW.state, m.intake_user, m.department,
           m.lead_department, 1
    FROM matters m WHERE m.id = NEW.matter_id;
END;

CREATE TRIGGER clock_tally_delete AFTER DELETE ON deadlines
WHEN OLD.ended_at IS NOT NULL
BEGIN
    INSERT INTO clock_tally_change
    SELECT OLD.ended_at, OLD.kind, OLD.state, m.intake_user, m.department,
           m.lead_department, -1
    FROM matters m WHERE m.id = OLD.matter_id;
END;

-- Open clocks do not count: the sweeper's moves between running, due soon
-- and overdue do not fire it.
CREATE TRIGGER clock_tally_update AFTER UPDATE OF matter_id, kind, state, ended_at
ON deadlines
WHEN (OLD.ended_at IS NOT NULL OR NEW.ended_at IS NOT NULL)
    AND (OLD.matter_id IS NOT NEW.matter_id OR OLD.kind IS NOT NEW.kind
         OR OLD.state IS NOT NEW.state OR OLD.ended_at IS NOT NEW.ended_at)
BEGIN
    INSERT INTO clock_tally_change
    SELECT OLD.ended_at, OLD.kind, OLD.state, m.intake_user, m.department,
           m.lead_department, -1
    FROM matters m WHERE m.id = OLD.matter_id;
    INSERT INTO clock_tally_change
    SELECT NEW.ended_at, NEW.kind, NEW.state, m.intake_user, m.department,
           m.lead_department, 1
    FROM matters m WHERE m.id = NEW.matter_id;
END;

CREATE TRIGGER clock_tally_owners AFTER UPDATE OF intake_user, department, lead_department
ON matters
WHEN OLD.intake_user IS NOT NEW.intake_user OR OLD.department IS NOT NEW.department
    OR OLD.lead_department IS NOT NEW.lead_department
BEGIN
    INSERT INTO clock_tally_change
    SELECT d.ended_at, d.kind, d.state, OLD.intake_user, OLD.department,
           OLD.lead_department, -1
    FROM deadlines d WHERE d.matter_id = OLD.id AND d.ended_at IS NOT NULL;
    INSERT INTO clock_tally_change
    SELECT d.ended_at, d.kind, d.state, NEW.intake_user, NEW.department,
           NEW.lead_department, 1
    FROM deadlines d WHERE d.matter_id = NEW.id AND d.ended_at IS NOT NULL;
END;

-- A clock open and past due at a period's end that ended after it ended
-- late or was cancelled (a clock met ends by its due time). The figures
-- find such clocks among these few instead of every clock ended since.
CREATE INDEX deadlines_overran ON deadlines (ended_at, due_at, started_at)
WHERE state IN ('late', 'cancelled');
