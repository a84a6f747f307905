-- The knowledge base (知识库, R-3.2): an article is a series of versions,
-- every one kept; `published` is the version in force, `latest` the newest.
CREATE TABLE articles (
    id             UUID PRIMARY KEY,
    latest         INTEGER NOT NULL,
    published      INTEGER,
    retired_at     BIGINT,
    retired_by     UUID REFERENCES users(id),
    retire_reason  TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX articles_updated ON articles (updated_at DESC, id DESC);
-- Dates are 'YYYY-MM-DD' text: they compare as they sort on both backends.
CREATE TABLE article_versions (
    article_id      UUID NOT NULL REFERENCES articles(id),
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    category        TEXT REFERENCES categories(code),
    tags            TEXT NOT NULL,
    source          TEXT,
    doc_number      TEXT,
    effective_from  TEXT,
    expires_on      TEXT,
    body            TEXT,
    answer          TEXT NOT NULL,
    note            TEXT,
    based_on        INTEGER,
    created_by      UUID NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    published_by    UUID REFERENCES users(id),
    published_at    BIGINT,
    PRIMARY KEY (article_id, version)
);
-- One row per tag of each version, for the list's tag filter.
CREATE TABLE article_tags (
    article_id  UUID NOT NULL,
    version     INTEGER NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (article_id, version, tag),
    FOREIGN KEY (article_id, version) REFERENCES article_versions(article_id, version)
);
CREATE INDEX article_tags_tag ON article_tags (tag);
-- The search document of each article's shown version (the one in force,
-- else the newest), title tokens weighted A.
CREATE TABLE article_search (
    article_id  UUID PRIMARY KEY REFERENCES articles(id),
    doc         TSVECTOR NOT NULL
);
CREATE INDEX article_search_doc ON article_search USING GIN (doc);
-- Which article and version a matter was answered from.
ALTER TABLE matters ADD COLUMN answered_article UUID REFERENCES articles(id);
ALTER TABLE matters ADD COLUMN answered_version INTEGER;
CREATE INDEX matters_answered_article ON matters (answered_article, answered_version);
