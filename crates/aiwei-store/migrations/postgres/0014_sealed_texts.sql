-- The free texts of a sensitive matter (R-5.1.2) are sealed at rest like its
-- content and its caller: `body` is then empty and the text is in
-- `body_sealed`, under key `body_key`.
ALTER TABLE matter_texts ADD COLUMN body_key TEXT;
ALTER TABLE matter_texts ADD COLUMN body_sealed BYTEA;
