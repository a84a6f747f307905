-- The ledger's tally: how many ordinary (not sensitive) matters there are
-- for each month of receipt (China time, YYYYMM) and each combination of
-- the ledger's plain filters. A filtered ledger's total is a sum over the
-- few rows that match here instead of a count over years of matters
-- (issue 13: reads that do not grow with history). Absent values are ''.
-- Sensitive matters are left out: who may see them differs by person, so
-- they are counted one by one through `matters_sensitive`.
--
-- Kept by triggers, so every write path (intake, steps, merges, imports,
-- bulk loads) keeps it true without knowing of it. On SQLite the one
-- writer adds into the row directly; PostgreSQL appends to
-- `matter_tally_delta` instead (see its migration) and both backends read
-- the sum of the two tables.
CREATE TABLE matter_tally (
    month            INTEGER NOT NULL,
    matter_type      TEXT NOT NULL,
    status           TEXT NOT NULL,
    channel          TEXT NOT NULL,
    department       TEXT NOT NULL,
    lead_department  TEXT NOT NULL,
    category         TEXT NOT NULL,
    satisfaction     TEXT NOT NULL,
    urgent           INTEGER NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (month, matter_type, status, channel, department,
                 lead_department, category, satisfaction, urgent)
);

-- Empty on SQLite; present so that both backends read the same shape.
CREATE TABLE matter_tally_delta AS SELECT * FROM matter_tally WHERE FALSE;

INSERT INTO matter_tally
SELECT CAST(strftime('%Y%m', received_at / 1000, 'unixepoch', '+8 hours') AS INTEGER),
       matter_type, status, channel, COALESCE(department, ''),
       COALESCE(lead_department, ''), COALESCE(category, ''),
       COALESCE(satisfaction, ''), urgent, COUNT(*)
FROM matters WHERE NOT sensitive
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

-- One place turns a matter's columns into its tally row and adds `n` to
-- it: inserting into this view (SQLite's triggers cannot call functions).
CREATE VIEW matter_tally_change AS
SELECT received_at, matter_type, status, channel, department, lead_department,
       category, satisfaction, urgent, 0 AS n
FROM matters WHERE FALSE;

CREATE TRIGGER matter_tally_change INSTEAD OF INSERT ON matter_tally_change
BEGIN
    INSERT INTO matter_tally VALUES (
        CAST(strftime('%Y%m', NEW.received_at / 1000, 'unixepoch', '+8 hours') AS INTEGER),
        NEW.matter_type, NEW.status, NEW.channel, COALESCE(NEW.department, ''),
        COALESCE(NEW.lead_department, ''), COALESCE(NEW.category, ''),
        COALESCE(NEW.satisfaction, ''), NEW.urgent, NEW.n)
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER matter_tally_insert AFTER INSERT ON matters
WHEN NOT NEW.sensitive
BEGIN
    INSERT INTO matter_tally_change VALUES (NEW.received_at, NEW.matter_type,
        NEW.status, NEW.channel, NEW.department, NEW.lead_department,
        NEW.category, NEW.satisfaction, NEW.urgent, 1);
END;

CREATE TRIGGER matter_tally_delete AFTER DELETE ON matters
WHEN NOT OLD.sensitive
BEGIN
    INSERT INTO matter_tally_change VALUES (OLD.received_at, OLD.matter_type,
        OLD.status, OLD.channel, OLD.department, OLD.lead_department,
        OLD.category, OLD.satisfaction, OLD.urgent, -1);
END;

-- An update moves the matter from its old row to its new one; the event
-- heads and other columns written at every step do not fire it.
CREATE TRIGGER matter_tally_update AFTER UPDATE OF
    received_at, matter_type, status, channel, department, lead_department,
    category, satisfaction, urgent, sensitive ON matters
WHEN OLD.received_at IS NOT NEW.received_at OR OLD.matter_type IS NOT NEW.matter_type
    OR OLD.status IS NOT NEW.status OR OLD.channel IS NOT NEW.channel
    OR OLD.department IS NOT NEW.department
    OR OLD.lead_department IS NOT NEW.lead_department
    OR OLD.category IS NOT NEW.category OR OLD.satisfaction IS NOT NEW.satisfaction
    OR OLD.urgent IS NOT NEW.urgent OR OLD.sensitive IS NOT NEW.sensitive
BEGIN
    INSERT INTO matter_tally_change SELECT OLD.received_at, OLD.matter_type,
        OLD.status, OLD.channel, OLD.department, OLD.lead_department,
        OLD.category, OLD.satisfaction, OLD.urgent, -1
    WHERE NOT OLD.sensitive;
    INSERT INTO matter_tally_change SELECT NEW.received_at, NEW.matter_type,
        NEW.status, NEW.channel, NEW.department, NEW.lead_department,
        NEW.category, NEW.satisfaction, NEW.urgent, 1
    WHERE NOT NEW.sensitive;
END;
