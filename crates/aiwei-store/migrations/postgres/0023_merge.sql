-- Merging (并单) and linking matters (issue 10). A merged matter names its
-- lead; links are stored once per pair, the smaller id first.
ALTER TABLE matters ADD COLUMN merged_into UUID REFERENCES matters(id);
CREATE INDEX matters_merged_into ON matters (merged_into) WHERE merged_into IS NOT NULL;
CREATE TABLE matter_links (
    a           UUID NOT NULL REFERENCES matters(id),
    b           UUID NOT NULL REFERENCES matters(id),
    created_by  UUID NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX matter_links_b ON matter_links (b);
