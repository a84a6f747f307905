-- Routing defaults: the department a sub-category's matters usually go to,
-- and the departments that usually help (codes joined by commas). Dispatch
-- preselects them; intake sees them before saving.
ALTER TABLE categories ADD COLUMN default_lead TEXT REFERENCES departments(code);
ALTER TABLE categories ADD COLUMN default_co TEXT NOT NULL DEFAULT '';
