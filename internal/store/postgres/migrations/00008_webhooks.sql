-- Webhooks: endpoints, one delivery per (event, matching endpoint), and every
-- HTTP attempt. Deliveries are made by a trigger on events, in the
-- transaction that writes the event (the outbox), so none is lost across a
-- crash and no write path can forget them.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL REFERENCES accounts (id),
    livemode          boolean NOT NULL,
    url               text NOT NULL,
    format            text NOT NULL,
    description       text NOT NULL DEFAULT '',
    events            text NOT NULL,
    event_keys        text NOT NULL,
    secret            text NOT NULL,
    prev_secret       text NOT NULL DEFAULT '',
    prev_secret_until timestamptz,
    disabled_at       timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, livemode, created_at, id);

CREATE TABLE webhook_deliveries (
    event_id         uuid NOT NULL REFERENCES events (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
    account_id       uuid NOT NULL,
    livemode         boolean NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_owner      text,
    lease_until      timestamptz,
    last_status_code integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id);

CREATE TABLE webhook_attempts (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    url         text NOT NULL,
    owner       text NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer NOT NULL,
    error       text NOT NULL,
    duration_us bigint NOT NULL,
    success     boolean NOT NULL
);
CREATE INDEX webhook_attempts_event_idx ON webhook_attempts (event_id, id);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id);

-- +goose StatementBegin
CREATE FUNCTION events_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status, next_attempt_at, created_at)
    SELECT NEW.id, e.id, NEW.account_id, NEW.livemode, 'pending', NEW.created_at, NEW.created_at
    FROM webhook_endpoints e
    WHERE e.account_id = NEW.account_id AND e.livemode = NEW.livemode AND e.disabled_at IS NULL
      AND (e.event_keys = '*' OR strpos(e.event_keys, ' ' || NEW.key || ' ') > 0);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER events_webhook_deliveries AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.key <> 'webhook_endpoint.test') EXECUTE FUNCTION events_webhook_deliveries();

-- +goose Down
DROP TRIGGER events_webhook_deliveries ON events;
DROP FUNCTION events_webhook_deliveries();
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
