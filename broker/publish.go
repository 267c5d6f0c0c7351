package broker

import (
	"fmt"
	"strings"
	"time"
)

// Pact is one publication of a contract: the pact content a consumer version holds for a
// provider. The content is stored once per (consumer, provider, SHA) and shared by every
// publication with the same expectations.
type Pact struct {
	ID              int64 // the publication
	Consumer        string
	Provider        string
	ConsumerVersion string
	Revision        int
	SHA             string
	Content         []byte // the pact JSON with interaction _ids
	CreatedAt       time.Time
	// ConsumerVersionBranches and ConsumerVersionTags describe the consumer version, for links.
	ConsumerVersionBranches []string
	ConsumerVersionTags     []string
}

// Conflict policies for publishing to a consumer version that already has a pact.
const (
	OnConflictOverwrite = "overwrite"
	OnConflictMerge     = "merge"
)

// ContractToPublish is one pact in a publication.
type ContractToPublish struct {
	Consumer   string
	Provider   string
	Content    []byte
	OnConflict string

	doc *PactDocument // Content parsed, once: validation and storage share it
}

// Document is the contract's content parsed. It is parsed once, however often it is asked
// for, so validating and storing a large pact do not parse it twice.
func (c *ContractToPublish) Document() (*PactDocument, error) {
	if c.doc != nil {
		return c.doc, nil
	}
	doc, err := ParsePact(c.Content)
	if err != nil {
		return nil, err
	}
	c.doc = doc
	return doc, nil
}

// PublishRequest publishes the pacts of one consumer version, with the version's branch,
// tags and build URL, as one transaction.
type PublishRequest struct {
	Pacticipant string
	Version     string
	Branch      string
	BuildURL    string
	Tags        []string
	Contracts   []ContractToPublish
}

// Validate checks everything that can be checked without the store. Errors are keyed as the
// reference broker keys them, contract errors by index: "contracts.0".
func (r *PublishRequest) Validate() error {
	v := &ValidationError{}
	checkName(v, "pacticipantName", r.Pacticipant)
	checkName(v, "pacticipantVersionNumber", r.Version)
	if r.Branch != "" {
		checkName(v, "branch", r.Branch)
	}
	if strings.ContainsAny(r.BuildURL, "\r\n") {
		v.Add("buildUrl", "cannot contain multiple lines")
	}
	if len(r.BuildURL) > MaxFieldLength {
		v.Add("buildUrl", "must be at most %d characters", MaxFieldLength)
	}
	for i, t := range r.Tags {
		checkName(v, fmt.Sprintf("tags.%d", i), t)
	}
	if len(r.Contracts) == 0 {
		v.Add("contracts", "at least one contract is required")
	}
	for i := range r.Contracts {
		field := fmt.Sprintf("contracts.%d", i)
		if err := r.Contracts[i].validate(r.Pacticipant); err != nil {
			for _, msg := range err {
				v.Add(field, "%s", msg)
			}
		}
	}
	return v.Err()
}

func (c *ContractToPublish) validate(pacticipant string) []string {
	var errs []string
	if strings.TrimSpace(c.Consumer) == "" {
		errs = append(errs, "consumerName is missing")
	}
	if strings.TrimSpace(c.Provider) == "" {
		errs = append(errs, "providerName is missing")
	}
	if c.Consumer != "" && c.Consumer != pacticipant {
		errs = append(errs, fmt.Sprintf("consumerName (%s) must match pacticipantName (%s)", c.Consumer, pacticipant))
	}
	switch c.OnConflict {
	case "", OnConflictOverwrite, OnConflictMerge:
	default:
		errs = append(errs, fmt.Sprintf("onConflict must be one of %s, %s", OnConflictOverwrite, OnConflictMerge))
	}
	if len(errs) > 0 {
		return errs
	}
	doc, err := c.Document()
	if err != nil {
		return []string{err.Error()}
	}
	if err := CheckPactNames(doc, c.Consumer, c.Provider); err != nil {
		errs = append(errs, err.Error())
	}
	return errs
}

// CheckPactNames checks that the pact names the consumer and provider it is published for.
func CheckPactNames(doc *PactDocument, consumer, provider string) error {
	var problems []string
	if got := doc.ConsumerName(); got != consumer {
		problems = append(problems, fmt.Sprintf("the consumer name in the pact (%q) does not match the consumer name %q", got, consumer))
	}
	if got := doc.ProviderName(); got != provider {
		problems = append(problems, fmt.Sprintf("the provider name in the pact (%q) does not match the provider name %q", got, provider))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Outcome of publishing one pact.
type PublishOutcome string

const (
	PactCreated   PublishOutcome = "created"   // first pact for this consumer version and provider
	PactUnchanged PublishOutcome = "unchanged" // republished with the same content
	PactMerged    PublishOutcome = "merged"    // interactions merged into the existing pact
)

// PublishedPact is one pact of a publication and what became of it.
type PublishedPact struct {
	Pact    Pact
	Outcome PublishOutcome
	// Triggered lists the webhooks the publication triggered, to be delivered.
	Triggered []TriggeredWebhook
}

// PublishResult is what a publication did.
type PublishResult struct {
	Pacticipant    Pacticipant
	Version        Version
	VersionCreated bool
	Pacts          []PublishedPact
}
