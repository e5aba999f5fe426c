CREATE INDEX entries_by_date ON entries (created_at);
