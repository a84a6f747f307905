-- Hotspots (R-3.1.2) are detected from the complaints of the window; what
-- supervisors do about them is kept here, one row per place and
-- sub-category: the acknowledgement of the current one with its note, and
-- the last closing (complaints before it do not count again).
CREATE TABLE hotspots (
    place            TEXT NOT NULL,
    category         TEXT NOT NULL REFERENCES categories(code),
    acknowledged_at  BIGINT,
    acknowledged_by  UUID REFERENCES users(id),
    note             TEXT,
    closed_at        BIGINT,
    closed_by        UUID REFERENCES users(id),
    close_note       TEXT,
    PRIMARY KEY (place, category)
);
