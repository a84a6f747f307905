-- The ledger's tally: how many ordinary (not sensitive) matters there are
-- for each month of receipt (China time, YYYYMM) and each combination of
-- the ledger's plain filters. A filtered ledger's total is a sum over the
-- few rows that match here instead of a count over years of matters
-- (issue 13: reads that do not grow with history). Absent values are ''.
-- Sensitive matters are left out: who may see them differs by person, so
-- they are counted one by one through `matters_sensitive`.
--
-- Kept by triggers, so every write path (intake, steps, merges, imports,
-- bulk loads) keeps it true without knowing of it. Here, unlike SQLite,
-- many transactions write at once and most intakes of a day would add into
-- the same row, each holding its lock until commit; so a trigger only
-- appends to `matter_tally_delta`, readers add both tables, and the
-- sweeper folds the deltas into the tally (`Store::fold_tally`), in key
-- order so that two folds never deadlock.
CREATE TABLE matter_tally (
    month            INTEGER NOT NULL,
    matter_type      TEXT NOT NULL,
    status           TEXT NOT NULL,
    channel          TEXT NOT NULL,
    department       TEXT NOT NULL,
    lead_department  TEXT NOT NULL,
    category         TEXT NOT NULL,
    satisfaction     TEXT NOT NULL,
    urgent           BOOLEAN NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (month, matter_type, status, channel, department,
                 lead_department, category, satisfaction, urgent)
);

CREATE TABLE matter_tally_delta (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    LIKE matter_tally
);

CREATE FUNCTION matter_tally_month(received_at BIGINT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CAST(to_char(to_timestamp(received_at / 1000) AT TIME ZONE 'UTC'
                        + INTERVAL '8 hours', 'YYYYMM') AS INTEGER)
$$;

INSERT INTO matter_tally
SELECT matter_tally_month(received_at), matter_type, status, channel,
       COALESCE(department, ''), COALESCE(lead_department, ''),
       COALESCE(category, ''), COALESCE(satisfaction, ''), urgent, COUNT(*)
FROM matters WHERE NOT sensitive
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

CREATE FUNCTION matter_tally_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND NOT OLD.sensitive THEN
        INSERT INTO matter_tally_delta (month, matter_type, status, channel,
            department, lead_department, category, satisfaction, urgent, n)
        VALUES (matter_tally_month(OLD.received_at), OLD.matter_type, OLD.status,
            OLD.channel, COALESCE(OLD.department, ''),
            COALESCE(OLD.lead_department, ''), COALESCE(OLD.category, ''),
            COALESCE(OLD.satisfaction, ''), OLD.urgent, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NOT NEW.sensitive THEN
        INSERT INTO matter_tally_delta (month, matter_type, status, channel,
            department, lead_department, category, satisfaction, urgent, n)
        VALUES (matter_tally_month(NEW.received_at), NEW.matter_type, NEW.status,
            NEW.channel, COALESCE(NEW.department, ''),
            COALESCE(NEW.lead_department, ''), COALESCE(NEW.category, ''),
            COALESCE(NEW.satisfaction, ''), NEW.urgent, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER matter_tally_insert_delete AFTER INSERT OR DELETE ON matters
FOR EACH ROW EXECUTE FUNCTION matter_tally_track();

-- The event heads and other columns written at every step do not fire it.
CREATE TRIGGER matter_tally_update AFTER UPDATE OF
    received_at, matter_type, status, channel, department, lead_department,
    category, satisfaction, urgent, sensitive ON matters
FOR EACH ROW WHEN (
    (OLD.received_at, OLD.matter_type, OLD.status, OLD.channel, OLD.department,
     OLD.lead_department, OLD.category, OLD.satisfaction, OLD.urgent, OLD.sensitive)
    IS DISTINCT FROM
    (NEW.received_at, NEW.matter_type, NEW.status, NEW.channel, NEW.department,
     NEW.lead_department, NEW.category, NEW.satisfaction, NEW.urgent, NEW.sensitive))
EXECUTE FUNCTION matter_tally_track();
