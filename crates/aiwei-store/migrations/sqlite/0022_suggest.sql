-- Suggestions learned from history (issue 10): the trained classifiers of
-- sub-category and lead department, as JSON (aiwei_core::suggest::Model),
-- one row each, replaced when retrained.
CREATE TABLE suggest_models (
    name        TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    examples    BIGINT NOT NULL,
    trained_at  BIGINT NOT NULL
);
-- What the desk suggested when the matter was recorded, so that how often
-- the clerk and the dispatcher took the suggestion can be measured.
ALTER TABLE matters ADD COLUMN suggested_category TEXT;
ALTER TABLE matters ADD COLUMN suggested_department TEXT;
