-- An administrator's password reset leaves a temporary password that must
-- be replaced at the next login.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
