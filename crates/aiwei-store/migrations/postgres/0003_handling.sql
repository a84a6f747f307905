-- Handling flows (R-3.2 to R-3.5): the departments a matter is dispatched
-- to, counters of returns and redos, and the free texts each step records
-- (kept beside the event; the chained payload holds their digests).

ALTER TABLE matters ADD COLUMN lead_department TEXT REFERENCES departments(code);
ALTER TABLE matters ADD COLUMN return_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN redo_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX matters_lead_ledger ON matters (lead_department, received_at DESC, id DESC);

CREATE TABLE matter_departments (
    matter_id        UUID NOT NULL REFERENCES matters(id),
    department_code  TEXT NOT NULL REFERENCES departments(code),
    PRIMARY KEY (matter_id, department_code)
);
CREATE INDEX matter_departments_by_department ON matter_departments (department_code, matter_id);

CREATE TABLE matter_texts (
    matter_id  UUID NOT NULL REFERENCES matters(id),
    seq        BIGINT NOT NULL,
    field      TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (matter_id, seq, field)
);
