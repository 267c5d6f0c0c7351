package broker

import (
	"context"
	"time"
)

// Store is everything the broker remembers. Every method takes a context, every write is one
// transaction, and errors are the vocabulary of errors.go.
type Store interface {
	Ping(ctx context.Context) error

	CreatePacticipant(ctx context.Context, name string, patch PacticipantPatch) (Pacticipant, error)
	// PatchPacticipant merges patch into the named pacticipant, creating it when missing.
	PatchPacticipant(ctx context.Context, name string, patch PacticipantPatch) (p Pacticipant, created bool, err error)
	// ReplacePacticipant overwrites an existing pacticipant's fields (unset fields are cleared).
	ReplacePacticipant(ctx context.Context, name string, patch PacticipantPatch) (Pacticipant, error)
	Pacticipant(ctx context.Context, name string) (Pacticipant, error)
	Pacticipants(ctx context.Context, q ListQuery) ([]Pacticipant, int, error)
	DeletePacticipant(ctx context.Context, name string) error

	Version(ctx context.Context, pacticipant, number string) (Version, error)
	// LatestVersion is the latest version overall, with a tag, or on a branch.
	LatestVersion(ctx context.Context, pacticipant string, sel VersionSelector) (Version, error)
	Versions(ctx context.Context, pacticipant string, q ListQuery) ([]Version, int, error)
	// PutVersion creates a version or updates its build URL and adds tags.
	PutVersion(ctx context.Context, pacticipant, number string, patch VersionPatch) (v Version, created bool, err error)
	DeleteVersion(ctx context.Context, pacticipant, number string) error

	AddBranchVersion(ctx context.Context, pacticipant, branch, number string) (bv BranchVersion, created bool, err error)
	BranchVersion(ctx context.Context, pacticipant, branch, number string) (BranchVersion, error)
	DeleteBranchVersion(ctx context.Context, pacticipant, branch, number string) error
	Branch(ctx context.Context, pacticipant, branch string) (Branch, error)
	Branches(ctx context.Context, pacticipant string, q ListQuery) ([]Branch, int, error)
	DeleteBranch(ctx context.Context, pacticipant, branch string) error

	AddTag(ctx context.Context, pacticipant, number, tag string) (t Tag, created bool, err error)
	Tag(ctx context.Context, pacticipant, number, tag string) (Tag, error)
	DeleteTag(ctx context.Context, pacticipant, number, tag string) error

	CreateEnvironment(ctx context.Context, env Environment) (Environment, error)
	Environment(ctx context.Context, uuid string) (Environment, error)
	// Environments lists environments by name, all of them when name is "".
	Environments(ctx context.Context, name string) ([]Environment, error)
	ReplaceEnvironment(ctx context.Context, uuid string, env Environment) (Environment, error)
	DeleteEnvironment(ctx context.Context, uuid string) error

	RecordDeployment(ctx context.Context, pacticipant, number, envUUID string, instance *string) (DeployedVersion, error)
	CurrentlyDeployed(ctx context.Context, envUUID string, f DeploymentFilter) ([]DeployedVersion, error)
	DeployedVersion(ctx context.Context, uuid string) (DeployedVersion, error)
	DeployedVersionsOf(ctx context.Context, pacticipant, number, envUUID string) ([]DeployedVersion, error)
	RecordUndeployment(ctx context.Context, uuid string) (DeployedVersion, error)
	RecordRelease(ctx context.Context, pacticipant, number, envUUID string) (rv ReleasedVersion, created bool, err error)
	CurrentlySupported(ctx context.Context, envUUID string, f ReleaseFilter) ([]ReleasedVersion, error)
	ReleasedVersion(ctx context.Context, uuid string) (ReleasedVersion, error)
	ReleasedVersionsOf(ctx context.Context, pacticipant, number, envUUID string) ([]ReleasedVersion, error)
	RecordSupportEnded(ctx context.Context, uuid string) (ReleasedVersion, error)

	Publish(ctx context.Context, req PublishRequest) (PublishResult, error)
	// PutPact publishes one pact the legacy way; merge adds its interactions to an existing pact.
	PutPact(ctx context.Context, consumer, provider, number string, content []byte, merge bool) (p Pact, created bool, err error)
	Pact(ctx context.Context, q PactQuery) (Pact, error)
	DeletePact(ctx context.Context, consumer, provider, number string) error
	// PactVersions lists the latest publication of every consumer version of an integration,
	// newest first.
	PactVersions(ctx context.Context, consumer, provider string) ([]Pact, error)
	// LatestPacts is the latest pact of every integration.
	LatestPacts(ctx context.Context) ([]Pact, error)
	// ProviderPacts lists the pacts a provider has, per consumer, as the query selects.
	ProviderPacts(ctx context.Context, provider string, q ProviderPactsQuery) ([]Pact, error)
	ProviderStates(ctx context.Context, provider string) ([]ProviderState, error)
	Integrations(ctx context.Context) ([]Integration, error)
	DeleteIntegration(ctx context.Context, consumer, provider string) error

	PublishVerification(ctx context.Context, req VerificationRequest) (Verification, error)
	// Verification is one result for a pact's content by number, or the latest when id is 0.
	Verification(ctx context.Context, consumer, provider, sha string, id int64) (Verification, error)
	LatestVerificationsForConsumerVersion(ctx context.Context, consumer, number string) ([]Verification, error)

	CreateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	// PutWebhook replaces the webhook with this UUID, creating it when missing.
	PutWebhook(ctx context.Context, uuid string, w Webhook) (wh Webhook, created bool, err error)
	Webhook(ctx context.Context, uuid string) (Webhook, error)
	// Webhooks lists every webhook, or with a consumer and a provider those that apply to
	// their pacts (the pair's, the consumer's, the provider's and the global ones).
	Webhooks(ctx context.Context, consumer, provider string) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, uuid string) error
	// WebhookTestEvent is example data for a test execution: the latest pact the webhook
	// applies to and its latest verification, or placeholders when there is none.
	WebhookTestEvent(ctx context.Context, w Webhook) (WebhookEvent, error)
	TriggeredWebhooks(ctx context.Context, q TriggeredWebhookQuery) ([]TriggeredWebhook, error)
	// TriggeredWebhook is one delivery with the logs of its attempts.
	TriggeredWebhook(ctx context.Context, uuid string) (TriggeredWebhook, error)
	// ClaimWebhookDeliveries takes up to limit due deliveries for lease: no other worker
	// gets them until the outcome is recorded or the lease runs out.
	ClaimWebhookDeliveries(ctx context.Context, limit int, lease time.Duration) ([]WebhookDelivery, error)
	// RecordWebhookAttempt logs an attempt and moves the delivery on; a claim whose lease
	// was lost to another worker logs the attempt but changes nothing else.
	RecordWebhookAttempt(ctx context.Context, d WebhookDelivery, out WebhookOutcome) error

	MatrixData
	ForVerificationData
	ProviderContracts
}

// ListQuery pages and filters a list. Page numbers start at 1; Size 0 means everything.
type ListQuery struct {
	Page int
	Size int
	Q    string // a name filter
}

// VersionSelector picks the latest version overall (zero value), with a tag, or on a branch.
type VersionSelector struct {
	Tag    string
	Branch string
}

// PactQuery finds one pact of an integration: of a consumer version, the latest (optionally
// with a tag or on a branch), or by content SHA.
type PactQuery struct {
	Consumer string
	Provider string
	Version  string
	Latest   bool
	Tag      string
	Branch   string
	SHA      string
}

// ProviderPactsQuery selects a provider's pacts: every consumer version's (zero value), or
// only the latest per consumer; optionally those with a tag, on a branch, on each consumer's
// main branch, or of one consumer.
type ProviderPactsQuery struct {
	Latest     bool
	Tag        string
	Branch     string
	MainBranch bool
	Consumer   string
}

// ProviderState is a state some consumer's pact expects the provider to be in.
type ProviderState struct {
	Name      string         `json:"name"`
	Params    map[string]any `json:"params,omitempty"`
	Consumers []string       `json:"consumers"`
}

// Integration is a consumer-provider pair with at least one pact between them.
type Integration struct {
	Consumer              string
	Provider              string
	CreatedAt             time.Time
	ContractDataUpdatedAt time.Time
}
