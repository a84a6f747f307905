-- Who is named on a matter (R-5.1.2): everyone who took a step on it, and
-- the recipients of an approved disclosure. A sensitive matter is visible
-- to its intake staff, its departments' leads, supervisors and these
-- people only.
CREATE TABLE matter_people (
    matter_id  BLOB NOT NULL REFERENCES matters(id),
    user_id    BLOB NOT NULL REFERENCES users(id),
    PRIMARY KEY (matter_id, user_id)
);
CREATE INDEX matter_people_by_user ON matter_people (user_id, matter_id);
INSERT INTO matter_people (matter_id, user_id)
    SELECT DISTINCT matter_id, actor FROM matter_events WHERE actor IS NOT NULL;

-- Disclosure of a matter's caller data or sensitive content to another
-- department or person (R-5.2.3): requested with a purpose and the fields,
-- approved or refused by a supervisor with a reason, opened only once the
-- recipient signed the confidentiality agreement, and closed at expiry.
CREATE TABLE disclosures (
    id                BLOB PRIMARY KEY,
    matter_id         BLOB NOT NULL REFERENCES matters(id),
    requester         BLOB NOT NULL REFERENCES users(id),
    purpose           TEXT NOT NULL,
    -- Comma-separated: name, organization, phone, content.
    fields            TEXT NOT NULL,
    -- requested, approved, refused, signed, expired.
    status            TEXT NOT NULL,
    requested_at      BIGINT NOT NULL,
    decided_by        BLOB REFERENCES users(id),
    decided_at        BIGINT,
    decision_reason   TEXT,
    -- The agreement as shown when signed, and its digest.
    agreement_text    TEXT,
    agreement_sha256  TEXT,
    signed_at         BIGINT,
    -- An optional scan of the paper agreement (attachments.id).
    scan_attachment   BLOB,
    expires_at        BIGINT
);
CREATE INDEX disclosures_by_matter ON disclosures (matter_id, requester);
CREATE INDEX disclosures_by_status ON disclosures (status, requested_at);
CREATE INDEX disclosures_by_requester ON disclosures (requester, requested_at);
