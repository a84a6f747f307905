-- Training of the staff (R-6.1): sessions, who attended and how they
-- scored, and the materials handed out.
CREATE TABLE training_sessions (
    id          BLOB PRIMARY KEY,
    held_on     TEXT NOT NULL,
    topic       TEXT NOT NULL,
    title       TEXT NOT NULL,
    trainer     TEXT NOT NULL,
    hours       REAL,
    notes       TEXT,
    created_by  BLOB NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX training_sessions_held ON training_sessions (held_on DESC);
CREATE TABLE training_attendance (
    session_id  BLOB NOT NULL REFERENCES training_sessions(id),
    user_id     BLOB NOT NULL REFERENCES users(id),
    attended    INTEGER NOT NULL,
    score       REAL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX training_attendance_user ON training_attendance (user_id);
CREATE TABLE training_materials (
    id            BLOB PRIMARY KEY,
    session_id    BLOB NOT NULL REFERENCES training_sessions(id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_by   BLOB NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX training_materials_session ON training_materials (session_id);

-- Assessments (R-6.2): one per staff member and period, with the
-- indicators as computed when assessed, the supervisor's items, comment,
-- score and rating; and what followed (表彰, 奖励, 批评教育, 处罚).
CREATE TABLE assessments (
    id           BLOB PRIMARY KEY,
    staff_id     BLOB NOT NULL REFERENCES users(id),
    period_key   TEXT NOT NULL,
    first_day    TEXT NOT NULL,
    last_day     TEXT NOT NULL,
    indicators   TEXT NOT NULL,
    items        TEXT NOT NULL,
    comment      TEXT,
    score        REAL,
    rating       TEXT,
    assessed_by  BLOB NOT NULL REFERENCES users(id),
    assessed_at  BIGINT NOT NULL,
    UNIQUE (staff_id, period_key)
);
CREATE INDEX assessments_period ON assessments (period_key);
CREATE TABLE assessment_consequences (
    id             BLOB PRIMARY KEY,
    assessment_id  BLOB NOT NULL REFERENCES assessments(id),
    kind           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    recorded_by    BLOB NOT NULL REFERENCES users(id),
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX assessment_consequences_of ON assessment_consequences (assessment_id);
