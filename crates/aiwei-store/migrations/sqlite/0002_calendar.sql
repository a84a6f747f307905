-- Holiday data loaded by an administrator for years the program does not
-- ship (or to correct a shipped year). The text is the holiday-cn JSON.
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    data       TEXT NOT NULL,
    loaded_at  BIGINT NOT NULL,
    loaded_by  TEXT NOT NULL
);
