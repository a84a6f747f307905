-- A notification about a deadline names the clock and its due time, so its
-- text can say which deadline and what to do.
ALTER TABLE notifications ADD COLUMN deadline TEXT;
ALTER TABLE notifications ADD COLUMN due_at BIGINT;
-- Filtering by kind pages by time like the list itself.
CREATE INDEX notifications_user_kind ON notifications (user_id, kind, created_at);
