-- Pushed authorization requests (RFC 9126): the request's parameters kept under the hash of the
-- request_uri handed to the client, taken once by the authorization endpoint before expires_at.
CREATE TABLE pushed_requests (
    request_uri_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    params TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pushed_requests_client_id ON pushed_requests(client_id);
CREATE INDEX pushed_requests_expires_at ON pushed_requests(expires_at);
