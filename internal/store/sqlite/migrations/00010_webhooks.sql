-- Webhooks: endpoints, one delivery per (event, matching endpoint), and every
-- HTTP attempt. Deliveries are made by a trigger on events, in the
-- transaction that writes the event (the outbox), so none is lost across a
-- crash and no write path can forget them.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id                BLOB    NOT NULL PRIMARY KEY,
    account_id        BLOB    NOT NULL REFERENCES accounts (id),
    livemode          INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    url               TEXT    NOT NULL,
    format            TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    events            TEXT    NOT NULL,            -- the names as given, space-separated
    event_keys        TEXT    NOT NULL,            -- ' key key ' or '*': what the trigger matches
    secret            TEXT    NOT NULL,
    prev_secret       TEXT    NOT NULL DEFAULT '',
    prev_secret_until INTEGER,
    disabled_at       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, livemode, created_at, id);

CREATE TABLE webhook_deliveries (
    event_id         BLOB    NOT NULL REFERENCES events (id),
    endpoint_id      BLOB    NOT NULL REFERENCES webhook_endpoints (id),
    account_id       BLOB    NOT NULL,
    livemode         INTEGER NOT NULL,
    status           TEXT    NOT NULL,            -- pending, delivered, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    delivered_at     INTEGER,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

CREATE TABLE webhook_attempts (
    id          INTEGER NOT NULL PRIMARY KEY,
    event_id    BLOB    NOT NULL,
    endpoint_id BLOB    NOT NULL,
    url         TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    duration_us INTEGER NOT NULL,
    success     INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id);

-- +goose StatementBegin
CREATE TRIGGER events_webhook_deliveries AFTER INSERT ON events
WHEN NEW.key <> 'webhook_endpoint.test'
BEGIN
    INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status, next_attempt_at, created_at)
    SELECT NEW.id, e.id, NEW.account_id, NEW.livemode, 'pending', NEW.created_at, NEW.created_at
    FROM webhook_endpoints e
    WHERE e.account_id = NEW.account_id AND e.livemode = NEW.livemode AND e.disabled_at IS NULL
      AND (e.event_keys = '*' OR instr(e.event_keys, ' ' || NEW.key || ' ') > 0);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_webhook_deliveries;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
