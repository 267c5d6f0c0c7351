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
`}, {4, "release gates", `
CREATE TABLE gate_candidates (
	version_id {{id}} PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
	author TEXT NOT NULL DEFAULT '',
	build_url TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE TABLE gate_artifacts (
	id {{pk}},
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	tag TEXT NOT NULL DEFAULT '',
	digest TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (version_id, name)
);
CREATE TABLE gate_facts (
	id {{pk}},
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	environment_id {{id}} REFERENCES environments(id) ON DELETE CASCADE,
	status TEXT NOT NULL,
	counts TEXT,
	format TEXT NOT NULL DEFAULT '',
	digest TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE INDEX gate_facts_version ON gate_facts (version_id, id);
CREATE INDEX gate_facts_environment ON gate_facts (environment_id);
CREATE TABLE gate_reviews (
	id {{pk}},
	version_id {{id}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	environment_id {{id}} NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	decision TEXT NOT NULL,
	reviewer TEXT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	digest TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE INDEX gate_reviews_version ON gate_reviews (version_id, id);
CREATE INDEX gate_reviews_environment ON gate_reviews (environment_id);
CREATE TABLE gate_holds (
	id {{pk}},
	environment_id {{id}} NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	pacticipant_id {{id}} REFERENCES pacticipants(id) ON DELETE CASCADE,
	held_by TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	released_by TEXT,
	released_at {{ts}}
);
CREATE UNIQUE INDEX gate_holds_active ON gate_holds (environment_id, COALESCE(pacticipant_id, 0)) WHERE released_at IS NULL;
CREATE INDEX gate_holds_pacticipant ON gate_holds (pacticipant_id);
CREATE TABLE gate_policies (
	version INTEGER PRIMARY KEY,
	document TEXT NOT NULL,
	digest TEXT NOT NULL,
	applied_by TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE TABLE gate_decisions (
	id {{id}} PRIMARY KEY,
	pacticipant TEXT NOT NULL,
	version TEXT NOT NULL,
	environment TEXT NOT NULL DEFAULT '',
	transition TEXT NOT NULL,
	result TEXT NOT NULL,
	policy_version INTEGER NOT NULL,
	body TEXT NOT NULL,
	prev_hash TEXT NOT NULL UNIQUE,
	hash TEXT NOT NULL UNIQUE,
	created_at {{ts}} NOT NULL
);
CREATE INDEX gate_decisions_candidate ON gate_decisions (pacticipant, version, id);
CREATE INDEX gate_decisions_environment ON gate_decisions (environment, id);
CREATE TABLE gate_waits (
	id {{pk}},
	kind TEXT NOT NULL,
	wait_key TEXT NOT NULL,
	pacticipant TEXT NOT NULL,
	version TEXT NOT NULL,
	environment TEXT NOT NULL,
	payload TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_check_at {{ts}},
	claimed_until {{ts}},
	nudges INTEGER NOT NULL DEFAULT 0,
	claimed_nudges INTEGER NOT NULL DEFAULT 0,
	last_decision {{id}},
	message TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (kind, wait_key)
);
CREATE INDEX gate_waits_due ON gate_waits (kind, next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX gate_waits_candidate ON gate_waits (pacticipant, version) WHERE next_check_at IS NOT NULL
`}, {5, "indexes for pacts for verification", `
CREATE INDEX deployed_versions_current_pacticipant ON deployed_versions (pacticipant_id, environment_id) WHERE undeployed_at IS NULL;
CREATE INDEX released_versions_current_pacticipant ON released_versions (pacticipant_id, environment_id) WHERE support_ended_at IS NULL;
CREATE INDEX verifications_success ON verifications (pact_version_id, success, wip, created_at)
`}, {6, "provider contracts", `
CREATE TABLE provider_contract_versions (
	id {{pk}},
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	sha TEXT NOT NULL,
	content TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	specification TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (provider_id, sha)
);
CREATE TABLE provider_contract_publications (
	id {{pk}},
	provider_id {{id}} NOT NULL REFERENCES pacticipants(id) ON DELETE CASCADE,
	provider_version_id {{id}} NOT NULL UNIQUE REFERENCES versions(id) ON DELETE CASCADE,
	contract_version_id {{id}} NOT NULL REFERENCES provider_contract_versions(id) ON DELETE CASCADE,
	self_verified BOOLEAN,
	self_verification TEXT,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX provider_contract_publications_provider ON provider_contract_publications (provider_id, provider_version_id);
CREATE INDEX provider_contract_publications_contract ON provider_contract_publications (contract_version_id);
CREATE TABLE contract_comparisons (
	id {{pk}},
	pact_version_id {{id}} NOT NULL REFERENCES pact_versions(id) ON DELETE CASCADE,
	contract_version_id {{id}} NOT NULL REFERENCES provider_contract_versions(id) ON DELETE CASCADE,
	profile TEXT NOT NULL,
	success BOOLEAN NOT NULL,
	errors INTEGER NOT NULL,
	warnings INTEGER NOT NULL,
	summary TEXT NOT NULL,
	results TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (contract_version_id, pact_version_id, profile)
);
CREATE INDEX contract_comparisons_pact_version ON contract_comparisons (pact_version_id)
`},
	{7, "pipeline runs and deploy locks", `
CREATE TABLE pipeline_runs (
	id {{pk}},
	service TEXT NOT NULL,
	version TEXT NOT NULL,
	commit_id TEXT NOT NULL DEFAULT '',
	branch TEXT NOT NULL DEFAULT '',
	from_stage TEXT NOT NULL DEFAULT '',
	until_stage TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	stage TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL DEFAULT '',
	author TEXT NOT NULL DEFAULT '',
	started_at {{ts}} NOT NULL,
	finished_at {{ts}},
	duration_ms {{id}}
);
CREATE INDEX pipeline_runs_service ON pipeline_runs (service, id);
CREATE INDEX pipeline_runs_status ON pipeline_runs (status, id);
CREATE TABLE pipeline_steps (
	id {{pk}},
	run_id {{id}} NOT NULL REFERENCES pipeline_runs(id) ON DELETE CASCADE,
	stage TEXT NOT NULL,
	name TEXT NOT NULL,
	uses TEXT NOT NULL DEFAULT '',
	environment TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	message TEXT NOT NULL DEFAULT '',
	log_tail TEXT NOT NULL DEFAULT '',
	started_at {{ts}} NOT NULL,
	finished_at {{ts}},
	duration_ms {{id}},
	UNIQUE (run_id, stage, name)
);
CREATE TABLE pipeline_locks (
	service TEXT NOT NULL,
	environment TEXT NOT NULL,
	holder TEXT NOT NULL,
	acquired_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL,
	PRIMARY KEY (service, environment)
)
`},
}
