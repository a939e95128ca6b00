{{-- Feed tokens.
}{-- SQLite dialect of migrations/postgresql/0009_feed_tokens.sql (the same statement).
}}-- Calendar feeds: a token of purpose 'feed' opens only GET /api/v1/deadlines.ics
-- (read-only, for Outlook or Google Calendar to subscribe to); it is never a
-- bearer token for the API, and a bearer token never opens a feed.

ALTER TABLE api_tokens ADD COLUMN purpose TEXT NOT NULL DEFAULT 'api' CHECK (purpose IN ('api', 'feed'));
