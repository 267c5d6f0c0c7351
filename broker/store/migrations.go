package store

// migrations, oldest first. Never edit one that has shipped: add another.
var migrations = []migration{
	{1, "broker core", `
CREATE TABLE pacticipants (
	id {{pk}},
	name TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	main_branch TEXT NOT NULL DEFAULT '',
	repository_url TEXT NOT NULL DEFAULT '',
	repository_name TEXT NOT NULL DEFAULT '',
	repository_namespace TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE TABLE versions (
	id {{pk}},
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	number TEXT NOT NULL,
	build_url TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (pacticipant_id, number)
);
CREATE INDEX versions_latest ON versions (pacticipant_id, id);
CREATE TABLE branches (
	id {{pk}},
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	head_version_id {{id}} REFERENCES versions(id) ON DELETE SET NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (pacticipant_id, name)
);
CREATE INDEX branches_head ON branches (head_version_id);
CREATE TABLE branch_versions (
	id {{pk}},
	branch_id {{id}} NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	created_at {{ts}} NOT NULL,
	UNIQUE (branch_id, version_id)
);
CREATE INDEX branch_versions_version ON branch_versions (version_id);
CREATE TABLE tags (
	id {{pk}},
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (version_id, name)
);
CREATE INDEX tags_latest ON tags (pacticipant_id, name, version_id);
CREATE TABLE environments (
	id {{pk}},
	uuid TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	production BOOLEAN NOT NULL DEFAULT FALSE,
	contacts TEXT NOT NULL DEFAULT '[]',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE TABLE deployed_versions (
	id {{pk}},
	uuid TEXT NOT NULL UNIQUE,
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	environment_id {{id}} NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	target TEXT,
	created_at {{ts}} NOT NULL,
	undeployed_at {{ts}}
);
CREATE INDEX deployed_versions_current ON deployed_versions (environment_id, pacticipant_id) WHERE undeployed_at IS NULL;
CREATE INDEX deployed_versions_version ON deployed_versions (version_id);
CREATE TABLE released_versions (
	id {{pk}},
	uuid TEXT NOT NULL UNIQUE,
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	pacticipant_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	environment_id {{id}} NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	created_at {{ts}} NOT NULL,
	support_ended_at {{ts}},
	UNIQUE (version_id, environment_id)
);
CREATE INDEX released_versions_current ON released_versions (environment_id, pacticipant_id) WHERE support_ended_at IS NULL;
CREATE TABLE integrations (
	id {{pk}},
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	created_at {{ts}} NOT NULL,
	contract_data_updated_at {{ts}} NOT NULL,
	UNIQUE (consumer_id, provider_id)
);
CREATE INDEX integrations_provider ON integrations (provider_id);
CREATE TABLE pact_versions (
	id {{pk}},
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	sha TEXT NOT NULL,
	content TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (consumer_id, provider_id, sha)
);
CREATE TABLE pact_publications (
	id {{pk}},
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	consumer_version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	pact_version_id {{id}} NOT NULL REFERENCES pact_versions(id) ON DELETE CASCADE,
	revision INTEGER NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (consumer_version_id, provider_id, revision)
);
CREATE INDEX pact_publications_provider ON pact_publications (provider_id, created_at);
CREATE INDEX pact_publications_pact_version ON pact_publications (pact_version_id);
CREATE TABLE latest_pact_publications (
	consumer_version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	publication_id {{id}} NOT NULL REFERENCES pact_publications(id) ON DELETE CASCADE,
	pact_version_id {{id}} NOT NULL REFERENCES pact_versions(id) ON DELETE CASCADE,
	PRIMARY KEY (consumer_version_id, provider_id)
);
CREATE INDEX latest_pact_publications_integration ON latest_pact_publications (provider_id, consumer_id, consumer_version_id);
CREATE INDEX latest_pact_publications_pact_version ON latest_pact_publications (pact_version_id)
`}, {2, "verification results", `
CREATE TABLE verifications (
	id {{pk}},
	pact_version_id {{id}} NOT NULL REFERENCES pact_versions(id) ON DELETE CASCADE,
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	success BOOLEAN NOT NULL,
	build_url TEXT NOT NULL DEFAULT '',
	test_results TEXT NOT NULL DEFAULT 'null',
	verified_by TEXT NOT NULL DEFAULT 'null',
	wip BOOLEAN NOT NULL DEFAULT FALSE,
	pact_pending BOOLEAN NOT NULL DEFAULT FALSE,
	execution_date {{ts}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX verifications_pact_version ON verifications (pact_version_id, provider_version_id);
CREATE INDEX verifications_provider ON verifications (provider_id, provider_version_id, success, wip, pact_version_id);
CREATE TABLE latest_verifications (
	pact_version_id {{id}} NOT NULL REFERENCES pact_versions(id) ON DELETE CASCADE,
	provider_version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	verification_id {{id}} NOT NULL REFERENCES verifications(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	success BOOLEAN NOT NULL,
	PRIMARY KEY (pact_version_id, provider_version_id)
);
CREATE INDEX latest_verifications_provider_version ON latest_verifications (provider_version_id, pact_version_id)
`}, {3, "webhooks", `
CREATE TABLE webhooks (
	id {{pk}},
	uuid TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	consumer_id {{id}} REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} REFERENCES pacticipants(id) ON DELETE CASCADE,
	events TEXT NOT NULL,
	request TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX webhooks_consumer ON webhooks (consumer_id);
CREATE INDEX webhooks_provider ON webhooks (provider_id);
CREATE TABLE webhook_events (
	id {{pk}},
	name TEXT NOT NULL,
	consumer_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	consumer_version_id {{id}} REFERENCES versions(id) ON DELETE CASCADE,
	verification_id {{id}} REFERENCES verifications(id) ON DELETE CASCADE,
	facts TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX webhook_events_pact ON webhook_events (consumer_version_id, provider_id);
CREATE INDEX webhook_events_verification ON webhook_events (verification_id);
CREATE TABLE triggered_webhooks (
	id {{pk}},
	uuid TEXT NOT NULL UNIQUE,
	webhook_id {{id}} NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id {{id}} NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at {{ts}},
	claimed_until {{ts}},
	claim_token TEXT,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX triggered_webhooks_due ON triggered_webhooks (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX triggered_webhooks_webhook ON triggered_webhooks (webhook_id, id);
CREATE INDEX triggered_webhooks_event ON triggered_webhooks (event_id);
CREATE TABLE webhook_executions (
	id {{pk}},
	triggered_webhook_id {{id}} NOT NULL REFERENCES triggered_webhooks(id) ON DELETE CASCADE,
	success BOOLEAN NOT NULL,
	attempt TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX webhook_executions_triggered ON webhook_executions (triggered_webhook_id, id)
`},
}
