package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/treaty-dev/treaty/broker"
)

type webhookRow struct {
	ID          int64  `gorm:"primaryKey"`
	UUID        string `gorm:"column:uuid"`
	Description string
	Enabled     bool
	ConsumerID  *int64
	ProviderID  *int64
	Events      string // JSON array of event names
	Request     string // JSON of broker.WebhookRequest
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

type webhookEventRow struct {
	ID                int64 `gorm:"primaryKey"`
	Name              string
	ConsumerID        int64
	ProviderID        int64
	ConsumerVersionID *int64
	VerificationID    *int64
	Facts             string // JSON of broker.WebhookEvent
	CreatedAt         time.Time
}

func (webhookEventRow) TableName() string { return "webhook_events" }

// triggeredWebhookRow is one delivery. next_attempt_at is set while it is due or waiting for
// a retry and cleared once it has succeeded or failed for good; claimed_until and claim_token
// mark it in flight with a worker.
type triggeredWebhookRow struct {
	ID            int64  `gorm:"primaryKey"`
	UUID          string `gorm:"column:uuid"`
	WebhookID     int64
	EventID       int64
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	ClaimedUntil  *time.Time
	ClaimToken    *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (triggeredWebhookRow) TableName() string { return "triggered_webhooks" }

type webhookExecutionRow struct {
	ID                 int64 `gorm:"primaryKey"`
	TriggeredWebhookID int64
	Success            bool
	Attempt            string // JSON of broker.WebhookAttempt
	CreatedAt          time.Time
}

func (webhookExecutionRow) TableName() string { return "webhook_executions" }

// webhookJoined is a webhook with the names of its consumer and provider.
type webhookJoined struct {
	Row      webhookRow `gorm:"embedded"`
	Consumer *string
	Provider *string
}

const webhookSelect = `SELECT w.*, c.name AS consumer, p.name AS provider FROM webhooks w
	LEFT JOIN pacticipants c ON c.id = w.consumer_id LEFT JOIN pacticipants p ON p.id = w.provider_id `

func (j webhookJoined) webhook() (broker.Webhook, error) {
	w := broker.Webhook{UUID: j.Row.UUID, Description: j.Row.Description, Enabled: j.Row.Enabled,
		CreatedAt: j.Row.CreatedAt, UpdatedAt: j.Row.UpdatedAt}
	if j.Consumer != nil {
		w.Consumer = *j.Consumer
	}
	if j.Provider != nil {
		w.Provider = *j.Provider
	}
	if err := json.Unmarshal([]byte(j.Row.Events), &w.Events); err != nil {
		return w, fmt.Errorf("read events of webhook %s: %w", w.UUID, err)
	}
	if err := json.Unmarshal([]byte(j.Row.Request), &w.Request); err != nil {
		return w, fmt.Errorf("read request of webhook %s: %w", w.UUID, err)
	}
	return w, nil
}

func webhooksWhere(db *gorm.DB, where string, args ...any) ([]broker.Webhook, error) {
	var rows []webhookJoined
	if err := db.Raw(webhookSelect+"WHERE "+where+" ORDER BY w.id", args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]broker.Webhook, len(rows))
	for i, r := range rows {
		w, err := r.webhook()
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}

func webhookByUUID(db *gorm.DB, id string) (broker.Webhook, error) {
	found, err := webhooksWhere(db, "w.uuid = ?", id)
	if err != nil {
		return broker.Webhook{}, err
	}
	if len(found) == 0 {
		return broker.Webhook{}, broker.NotFound("webhook %q", id)
	}
	return found[0], nil
}

func (s *Store) CreateWebhook(ctx context.Context, w broker.Webhook) (broker.Webhook, error) {
	if w.UUID == "" {
		w.UUID = uuid.NewString()
	}
	if err := w.Validate(); err != nil {
		return broker.Webhook{}, err
	}
	var out broker.Webhook
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, err := webhookToRow(tx, w)
		if err != nil {
			return err
		}
		row.CreatedAt, row.UpdatedAt = s.now(), s.now()
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("create webhook %s: %w", w.UUID, err)
		}
		out, err = webhookByUUID(tx, w.UUID)
		return err
	})
	return out, err
}

func (s *Store) PutWebhook(ctx context.Context, id string, w broker.Webhook) (broker.Webhook, bool, error) {
	w.UUID = id
	if err := w.Validate(); err != nil {
		return broker.Webhook{}, false, err
	}
	var out broker.Webhook
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		existing, err := webhookByUUID(tx, id)
		created = errors.Is(err, broker.ErrNotFound)
		if err != nil && !created {
			return err
		}
		if !created {
			w.Request = w.Request.KeepSecrets(existing.Request)
		}
		row, err := webhookToRow(tx, w)
		if err != nil {
			return err
		}
		now := s.now()
		if created {
			row.CreatedAt, row.UpdatedAt = now, now
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("create webhook %s: %w", id, err)
			}
		} else {
			err := tx.Model(&webhookRow{}).Where("uuid = ?", id).Updates(map[string]any{
				"description": row.Description, "enabled": row.Enabled, "consumer_id": row.ConsumerID, "provider_id": row.ProviderID,
				"events": row.Events, "request": row.Request, "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("update webhook %s: %w", id, err)
			}
		}
		out, err = webhookByUUID(tx, id)
		return err
	})
	return out, created, err
}

// webhookToRow resolves the webhook's pacticipants: a webhook may only name existing ones.
func webhookToRow(tx *gorm.DB, w broker.Webhook) (webhookRow, error) {
	row := webhookRow{UUID: w.UUID, Description: w.Description, Enabled: w.Enabled}
	v := &broker.ValidationError{}
	for _, side := range []struct {
		field, name string
		id          **int64
	}{{"consumer.name", w.Consumer, &row.ConsumerID}, {"provider.name", w.Provider, &row.ProviderID}} {
		if side.name == "" {
			continue
		}
		p, err := pacticipantByName(tx, side.name)
		switch {
		case errors.Is(err, broker.ErrNotFound):
			v.Add(side.field, "does not match an existing pacticipant")
		case err != nil:
			return row, err
		default:
			*side.id = &p.ID
		}
	}
	if err := v.Err(); err != nil {
		return row, err
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return row, err
	}
	req, err := json.Marshal(w.Request)
	if err != nil {
		return row, err
	}
	row.Events, row.Request = string(events), string(req)
	return row, nil
}

func (s *Store) Webhook(ctx context.Context, id string) (broker.Webhook, error) {
	w, err := webhookByUUID(s.read(ctx), id)
	return w, translate(err)
}

func (s *Store) Webhooks(ctx context.Context, consumer, provider string) ([]broker.Webhook, error) {
	db := s.read(ctx)
	if consumer == "" && provider == "" {
		list, err := webhooksWhere(db, "1 = 1")
		return list, translate(err)
	}
	c, err := pacticipantByName(db, consumer)
	if err != nil {
		return nil, err
	}
	p, err := pacticipantByName(db, provider)
	if err != nil {
		return nil, err
	}
	list, err := webhooksWhere(db, "(w.consumer_id IS NULL OR w.consumer_id = ?) AND (w.provider_id IS NULL OR w.provider_id = ?)", c.ID, p.ID)
	return list, translate(err)
}

func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("uuid = ?", id).Delete(&webhookRow{})
		if res.Error != nil {
			return fmt.Errorf("delete webhook %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return broker.NotFound("webhook %q", id)
		}
		return nil
	})
}

// hook is an enabled webhook an event may trigger.
type hook struct {
	id      int64
	webhook broker.Webhook
}

// enabledWebhooksFor lists the enabled webhooks that apply to an integration. providerID 0
// is a provider that does not exist yet, which only global and consumer webhooks match.
func enabledWebhooksFor(tx *gorm.DB, consumerID, providerID int64) ([]hook, error) {
	var rows []webhookJoined
	err := tx.Raw(webhookSelect+`WHERE w.enabled = ? AND (w.consumer_id IS NULL OR w.consumer_id = ?)
		AND (w.provider_id IS NULL OR w.provider_id = ?) ORDER BY w.id`, true, consumerID, providerID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find webhooks to trigger: %w", err)
	}
	out := make([]hook, len(rows))
	for i, r := range rows {
		w, err := r.webhook()
		if err != nil {
			return nil, err
		}
		out[i] = hook{id: r.Row.ID, webhook: w}
	}
	return out, nil
}

func subscribed(hooks []hook, event string) bool {
	for _, h := range hooks {
		if h.webhook.Subscribes(event) {
			return true
		}
	}
	return false
}

// contractEvents is what the webhook events of one pact's publication need to know from
// before it was stored.
type contractEvents struct {
	hooks []hook
	// previousSHA is the integration's content before the publication: the consumer
	// version's own when it had published one, else the newest older consumer version's.
	previousSHA string
}

// prepareContractEvents runs before a pact is published, in its transaction. With no
// webhook to trigger it costs one query and the publication records no event.
func (s *Store) prepareContractEvents(tx *gorm.DB, consumer pacticipantRow, v versionRow, providerName string) (contractEvents, error) {
	var providers []pacticipantRow
	if err := tx.Where("name = ?", providerName).Limit(1).Find(&providers).Error; err != nil {
		return contractEvents{}, err
	}
	var providerID int64
	if len(providers) > 0 {
		providerID = providers[0].ID
	}
	hooks, err := enabledWebhooksFor(tx, consumer.ID, providerID)
	if err != nil || len(hooks) == 0 || providerID == 0 {
		return contractEvents{hooks: hooks}, err
	}
	var shas []string
	err = tx.Raw(`SELECT pv.sha FROM latest_pact_publications lp JOIN pact_versions pv ON pv.id = lp.pact_version_id
		WHERE lp.consumer_id = ? AND lp.provider_id = ? AND lp.consumer_version_id <= ?
		ORDER BY lp.consumer_version_id DESC LIMIT 1`, consumer.ID, providerID, v.ID).Scan(&shas).Error
	if err != nil {
		return contractEvents{}, fmt.Errorf("find the previous pact content: %w", err)
	}
	out := contractEvents{hooks: hooks}
	if len(shas) > 0 {
		out.previousSHA = shas[0]
	}
	return out, nil
}

// emitContractEvents records the events of a pact's publication and triggers the webhooks
// subscribed to them, in the publication's transaction.
func (s *Store) emitContractEvents(tx *gorm.DB, ce contractEvents, v versionRow, pact broker.Pact) ([]broker.TriggeredWebhook, error) {
	if len(ce.hooks) == 0 {
		return nil, nil
	}
	var pub pactPublicationRow
	if err := tx.Take(&pub, pact.ID).Error; err != nil {
		return nil, fmt.Errorf("read pact publication %d: %w", pact.ID, err)
	}
	base := broker.WebhookEvent{Consumer: pact.Consumer, Provider: pact.Provider, ConsumerVersion: pact.ConsumerVersion,
		PactSHA: pact.SHA, BuildURL: v.BuildURL}
	var err error
	if base.ConsumerVersionBranch, base.ConsumerVersionTags, err = versionFacts(tx, v.ID); err != nil {
		return nil, err
	}
	// As in the reference broker, contract events report the content's latest verification
	// by the provider's main branch, for the commit-status parameters.
	if err := mainBranchVerification(tx, pub.PactVersionID, &base); err != nil {
		return nil, err
	}
	events := []broker.WebhookEvent{withName(base, broker.EventContractPublished)}
	if pact.SHA != ce.previousSHA {
		events = append(events, withName(base, broker.EventContractContentChanged))
	}
	if subscribed(ce.hooks, broker.EventContractRequiringVerificationPublished) {
		required, err := requiredVerifications(tx, pub.ProviderID, pub.PactVersionID)
		if err != nil {
			return nil, err
		}
		for _, r := range required {
			ev := withName(base, broker.EventContractRequiringVerificationPublished)
			ev.ProviderVersion, ev.ProviderVersionBranch, ev.ProviderVersionDescriptions = r.number, r.branch, r.descriptions
			ev.ProviderVersionTags, ev.VerificationID, ev.VerificationSuccess = nil, 0, false
			events = append(events, ev)
		}
	}
	var out []broker.TriggeredWebhook
	for _, ev := range events {
		triggered, err := s.recordEvent(tx, ev, ce.hooks, pub.ConsumerID, pub.ProviderID, &pub.ConsumerVersionID, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, triggered...)
	}
	return out, nil
}

// emitVerificationEvents records the events of a verification and triggers the webhooks
// subscribed to them, in the verification's transaction.
func (s *Store) emitVerificationEvents(tx *gorm.DB, vf verificationRow, consumer, provider pacticipantRow, providerVersion versionRow, sha string) error {
	hooks, err := enabledWebhooksFor(tx, consumer.ID, provider.ID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	ev := broker.WebhookEvent{Consumer: consumer.Name, Provider: provider.Name, PactSHA: sha, ProviderVersion: providerVersion.Number,
		VerificationID: vf.ID, VerificationSuccess: vf.Success, BuildURL: vf.BuildURL}
	if ev.ProviderVersionBranch, ev.ProviderVersionTags, err = versionFacts(tx, providerVersion.ID); err != nil {
		return err
	}
	// The verification is of content; the consumer version it reports is the newest that
	// published that content.
	var cvs []versionRow
	err = tx.Raw(`SELECT v.* FROM latest_pact_publications lp JOIN versions v ON v.id = lp.consumer_version_id
		WHERE lp.pact_version_id = ? ORDER BY lp.consumer_version_id DESC LIMIT 1`, vf.PactVersionID).Scan(&cvs).Error
	if err != nil {
		return fmt.Errorf("find the verified consumer version: %w", err)
	}
	var consumerVersionID *int64
	if len(cvs) > 0 {
		consumerVersionID = &cvs[0].ID
		ev.ConsumerVersion = cvs[0].Number
		if ev.ConsumerVersionBranch, ev.ConsumerVersionTags, err = versionFacts(tx, cvs[0].ID); err != nil {
			return err
		}
	}
	verdict := broker.EventProviderVerificationFailed
	if vf.Success {
		verdict = broker.EventProviderVerificationSucceeded
	}
	for _, name := range []string{broker.EventProviderVerificationPublished, verdict} {
		if _, err := s.recordEvent(tx, withName(ev, name), hooks, consumer.ID, provider.ID, consumerVersionID, &vf.ID); err != nil {
			return err
		}
	}
	return nil
}

func withName(ev broker.WebhookEvent, name string) broker.WebhookEvent {
	ev.Name = name
	return ev
}

// recordEvent stores an event with one pending delivery per webhook subscribed to it. An
// event no webhook wants is not stored: it would only grow the table.
func (s *Store) recordEvent(tx *gorm.DB, ev broker.WebhookEvent, hooks []hook, consumerID, providerID int64, consumerVersionID, verificationID *int64) ([]broker.TriggeredWebhook, error) {
	var targets []hook
	for _, h := range hooks {
		if h.webhook.Subscribes(ev.Name) {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	facts, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	now := s.now()
	row := webhookEventRow{Name: ev.Name, ConsumerID: consumerID, ProviderID: providerID, ConsumerVersionID: consumerVersionID,
		VerificationID: verificationID, Facts: string(facts), CreatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("record event %s: %w", ev.Name, err)
	}
	out := make([]broker.TriggeredWebhook, 0, len(targets))
	for _, h := range targets {
		t := triggeredWebhookRow{UUID: uuid.NewString(), WebhookID: h.id, EventID: row.ID, Status: broker.DeliveryNotRun,
			NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&t).Error; err != nil {
			return nil, fmt.Errorf("trigger webhook %s for %s: %w", h.webhook.UUID, ev.Name, err)
		}
		out = append(out, broker.TriggeredWebhook{UUID: t.UUID, WebhookUUID: h.webhook.UUID, WebhookDescription: h.webhook.DisplayDescription(),
			Event: ev, Status: t.Status, NextAttemptAt: t.NextAttemptAt, CreatedAt: now, UpdatedAt: now})
	}
	return out, nil
}

// versionFacts is a version's newest branch and its tags.
func versionFacts(db *gorm.DB, versionID int64) (string, []string, error) {
	var branches []string
	if err := db.Raw(`SELECT b.name FROM branch_versions bv JOIN branches b ON b.id = bv.branch_id
		WHERE bv.version_id = ? ORDER BY bv.id DESC LIMIT 1`, versionID).Scan(&branches).Error; err != nil {
		return "", nil, fmt.Errorf("read branches of version %d: %w", versionID, err)
	}
	var tags []string
	if err := db.Raw(`SELECT name FROM tags WHERE version_id = ? ORDER BY id`, versionID).Scan(&tags).Error; err != nil {
		return "", nil, fmt.Errorf("read tags of version %d: %w", versionID, err)
	}
	if len(branches) == 0 {
		return "", tags, nil
	}
	return branches[0], tags, nil
}

// verificationFact is a verification with its provider version.
type verificationFact struct {
	ID                int64
	Success           bool
	ProviderVersionID int64
	Number            string
}

// mainBranchVerification fills in ev's verification with the content's latest verification
// by a version on the provider's main branch, when there is one.
func mainBranchVerification(tx *gorm.DB, pactVersionID int64, ev *broker.WebhookEvent) error {
	var found []verificationFact
	err := tx.Raw(`SELECT vf.id, vf.success, vf.provider_version_id, pver.number FROM verifications vf
		JOIN versions pver ON pver.id = vf.provider_version_id
		JOIN branch_versions bv ON bv.version_id = vf.provider_version_id
		JOIN branches b ON b.id = bv.branch_id
		JOIN pacticipants p ON p.id = b.pacticipant_id AND b.name = p.main_branch
		WHERE vf.pact_version_id = ? ORDER BY vf.id DESC LIMIT 1`, pactVersionID).Scan(&found).Error
	if err != nil {
		return fmt.Errorf("find the main branch verification: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	return fillVerification(tx, found[0], ev)
}

func fillVerification(db *gorm.DB, f verificationFact, ev *broker.WebhookEvent) error {
	ev.VerificationID, ev.VerificationSuccess, ev.ProviderVersion = f.ID, f.Success, f.Number
	var err error
	ev.ProviderVersionBranch, ev.ProviderVersionTags, err = versionFacts(db, f.ProviderVersionID)
	return err
}

// requiredVerification is a provider version that should verify published content.
type requiredVerification struct {
	id           int64
	number       string
	branch       string
	descriptions []string
}

// requiredVerifications lists the provider versions that should verify the content and have
// not yet done so successfully: the head of the provider's main branch, and every version
// currently deployed or released. Each version appears once, with every reason it is there.
func requiredVerifications(tx *gorm.DB, providerID, pactVersionID int64) ([]requiredVerification, error) {
	var candidates []struct {
		ID          int64
		Number      string
		Branch      string
		Description string
	}
	err := tx.Raw(`SELECT v.id, v.number, b.name AS branch, 'latest from main branch' AS description, 0 AS kind, 0 AS ord
			FROM pacticipants p JOIN branches b ON b.pacticipant_id = p.id AND b.name = p.main_branch
			JOIN versions v ON v.id = b.head_version_id WHERE p.id = ?
		UNION ALL
		SELECT v.id, v.number, '' AS branch, 'deployed in ' || e.name AS description, 1 AS kind, d.id AS ord
			FROM deployed_versions d JOIN versions v ON v.id = d.version_id JOIN environments e ON e.id = d.environment_id
			WHERE d.pacticipant_id = ? AND d.undeployed_at IS NULL
		UNION ALL
		SELECT v.id, v.number, '' AS branch, 'released in ' || e.name AS description, 2 AS kind, r.id AS ord
			FROM released_versions r JOIN versions v ON v.id = r.version_id JOIN environments e ON e.id = r.environment_id
			WHERE r.pacticipant_id = ? AND r.support_ended_at IS NULL
		ORDER BY kind, ord`, providerID, providerID, providerID).Scan(&candidates).Error
	if err != nil {
		return nil, fmt.Errorf("find the provider versions that must verify: %w", err)
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(candidates))
	for i, c := range candidates {
		ids[i] = c.ID
	}
	var verified []int64
	if err := tx.Raw(`SELECT provider_version_id FROM latest_verifications WHERE pact_version_id = ? AND success = ? AND provider_version_id IN ?`,
		pactVersionID, true, ids).Scan(&verified).Error; err != nil {
		return nil, fmt.Errorf("find successful verifications: %w", err)
	}
	done := map[int64]bool{}
	for _, id := range verified {
		done[id] = true
	}
	var out []requiredVerification
	index := map[int64]int{}
	for _, c := range candidates {
		if done[c.ID] {
			continue
		}
		if i, ok := index[c.ID]; ok {
			out[i].descriptions = append(out[i].descriptions, c.Description)
			continue
		}
		branch := c.Branch
		if branch == "" {
			var err error
			if branch, _, err = versionFacts(tx, c.ID); err != nil {
				return nil, err
			}
		}
		index[c.ID] = len(out)
		out = append(out, requiredVerification{id: c.ID, number: c.Number, branch: branch, descriptions: []string{c.Description}})
	}
	return out, nil
}

func (s *Store) WebhookTestEvent(ctx context.Context, w broker.Webhook) (broker.WebhookEvent, error) {
	db := s.read(ctx)
	ev := broker.WebhookEvent{Name: broker.EventTest, Consumer: orPlaceholder(w.Consumer, "placeholder-consumer"),
		Provider: orPlaceholder(w.Provider, "placeholder-provider")}
	where, args := "1 = 1", []any{}
	for _, side := range []struct{ column, name string }{{"lp.consumer_id", w.Consumer}, {"lp.provider_id", w.Provider}} {
		if side.name == "" {
			continue
		}
		p, err := pacticipantByName(db, side.name)
		if errors.Is(err, broker.ErrNotFound) {
			return ev, nil
		}
		if err != nil {
			return ev, translate(err)
		}
		where += " AND " + side.column + " = ?"
		args = append(args, p.ID)
	}
	var pubs []int64
	if err := db.Raw("SELECT lp.publication_id FROM latest_pact_publications lp WHERE "+where+" ORDER BY lp.publication_id DESC LIMIT 1", args...).
		Scan(&pubs).Error; err != nil {
		return ev, translate(err)
	}
	if len(pubs) == 0 {
		return ev, nil
	}
	p, err := s.pactByPublication(db, pubs[0])
	if err != nil {
		return ev, translate(err)
	}
	var pub pactPublicationRow
	if err := db.Take(&pub, pubs[0]).Error; err != nil {
		return ev, translate(err)
	}
	var cv versionRow
	if err := db.Take(&cv, pub.ConsumerVersionID).Error; err != nil {
		return ev, translate(err)
	}
	ev.Consumer, ev.Provider, ev.ConsumerVersion, ev.PactSHA, ev.BuildURL = p.Consumer, p.Provider, p.ConsumerVersion, p.SHA, cv.BuildURL
	if ev.ConsumerVersionBranch, ev.ConsumerVersionTags, err = versionFacts(db, cv.ID); err != nil {
		return ev, translate(err)
	}
	var latest []verificationFact
	if err := db.Raw(`SELECT vf.id, vf.success, vf.provider_version_id, pver.number FROM verifications vf
		JOIN versions pver ON pver.id = vf.provider_version_id WHERE vf.pact_version_id = ? ORDER BY vf.id DESC LIMIT 1`, pub.PactVersionID).
		Scan(&latest).Error; err != nil {
		return ev, translate(err)
	}
	if len(latest) > 0 {
		if err := fillVerification(db, latest[0], &ev); err != nil {
			return ev, translate(err)
		}
	}
	return ev, nil
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// triggeredJoined is a delivery with its webhook and event.
type triggeredJoined struct {
	Row                triggeredWebhookRow `gorm:"embedded"`
	WebhookUUID        string
	WebhookDescription string
	WebhookRequest     string
	Facts              string
}

func (j triggeredJoined) triggered() (broker.TriggeredWebhook, error) {
	t := broker.TriggeredWebhook{UUID: j.Row.UUID, WebhookUUID: j.WebhookUUID, Status: j.Row.Status, AttemptsMade: j.Row.Attempts,
		NextAttemptAt: j.Row.NextAttemptAt, CreatedAt: j.Row.CreatedAt, UpdatedAt: j.Row.UpdatedAt}
	if err := json.Unmarshal([]byte(j.Facts), &t.Event); err != nil {
		return t, fmt.Errorf("read event of triggered webhook %s: %w", j.Row.UUID, err)
	}
	w := broker.Webhook{Description: j.WebhookDescription}
	if err := json.Unmarshal([]byte(j.WebhookRequest), &w.Request); err != nil {
		return t, fmt.Errorf("read request of webhook %s: %w", j.WebhookUUID, err)
	}
	t.WebhookDescription = w.DisplayDescription()
	return t, nil
}

const triggeredSelect = `SELECT t.*, w.uuid AS webhook_uuid, w.description AS webhook_description, w.request AS webhook_request, e.facts
	FROM triggered_webhooks t JOIN webhooks w ON w.id = t.webhook_id JOIN webhook_events e ON e.id = t.event_id `

func (s *Store) TriggeredWebhooks(ctx context.Context, q broker.TriggeredWebhookQuery) ([]broker.TriggeredWebhook, error) {
	db := s.read(ctx)
	where, args := "1 = 1", []any{}
	if q.WebhookUUID != "" {
		if _, err := webhookByUUID(db, q.WebhookUUID); err != nil {
			return nil, translate(err)
		}
		where += " AND w.uuid = ?"
		args = append(args, q.WebhookUUID)
	}
	if q.Consumer != "" || q.Provider != "" {
		c, err := pacticipantByName(db, q.Consumer)
		if err != nil {
			return nil, err
		}
		p, err := pacticipantByName(db, q.Provider)
		if err != nil {
			return nil, err
		}
		where += " AND e.consumer_id = ? AND e.provider_id = ?"
		args = append(args, c.ID, p.ID)
		if q.ConsumerVersion != "" {
			v, err := versionByNumber(db, c, q.ConsumerVersion)
			if err != nil {
				return nil, err
			}
			where += " AND e.consumer_version_id = ?"
			args = append(args, v.ID)
		}
	}
	if q.VerificationID != 0 {
		where += " AND e.verification_id = ?"
		args = append(args, q.VerificationID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var rows []triggeredJoined
	if err := db.Raw(triggeredSelect+"WHERE "+where+" ORDER BY t.id DESC LIMIT ?", append(args, limit)...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]broker.TriggeredWebhook, len(rows))
	for i, r := range rows {
		t, err := r.triggered()
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func (s *Store) TriggeredWebhook(ctx context.Context, id string) (broker.TriggeredWebhook, error) {
	db := s.read(ctx)
	var rows []triggeredJoined
	if err := db.Raw(triggeredSelect+"WHERE t.uuid = ?", id).Scan(&rows).Error; err != nil {
		return broker.TriggeredWebhook{}, translate(err)
	}
	if len(rows) == 0 {
		return broker.TriggeredWebhook{}, broker.NotFound("triggered webhook %q", id)
	}
	t, err := rows[0].triggered()
	if err != nil {
		return t, err
	}
	var execs []webhookExecutionRow
	if err := db.Where("triggered_webhook_id = ?", rows[0].Row.ID).Order("id").Find(&execs).Error; err != nil {
		return t, translate(err)
	}
	for _, e := range execs {
		var a broker.WebhookAttempt
		if err := json.Unmarshal([]byte(e.Attempt), &a); err != nil {
			return t, fmt.Errorf("read attempt %d of triggered webhook %s: %w", e.ID, id, err)
		}
		a.Success, a.CreatedAt = e.Success, e.CreatedAt
		t.Attempts = append(t.Attempts, a)
	}
	return t, nil
}

// dueDeliveries selects deliveries whose attempt is due and that no live claim holds.
const dueDeliveries = `FROM triggered_webhooks WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
	AND (claimed_until IS NULL OR claimed_until < ?)`

func (s *Store) ClaimWebhookDeliveries(ctx context.Context, limit int, lease time.Duration) ([]broker.WebhookDelivery, error) {
	now := s.now()
	// A read first, so that polling an idle queue never takes the write lock.
	var due []int64
	if err := s.read(ctx).Raw("SELECT id "+dueDeliveries+" LIMIT 1", now, now).Scan(&due).Error; err != nil {
		return nil, fmt.Errorf("poll webhook deliveries: %w", translate(err))
	}
	if len(due) == 0 {
		return nil, nil
	}
	token := uuid.NewString()
	var claimed []triggeredWebhookRow
	err := s.write(ctx, func(tx *gorm.DB) error {
		q := "SELECT id " + dueDeliveries + " ORDER BY next_attempt_at, id LIMIT ?"
		if s.dialect == "postgres" {
			// Replicas claim concurrently: each skips the rows another is claiming rather
			// than waiting for it and then claiming them again.
			q += " FOR UPDATE SKIP LOCKED"
		}
		var ids []int64
		if err := tx.Raw(q, now, now, limit).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&triggeredWebhookRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"claimed_until": now.Add(lease), "claim_token": token}).Error; err != nil {
			return err
		}
		return tx.Where("id IN ?", ids).Order("id").Find(&claimed).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return s.loadDeliveries(ctx, claimed, token)
}

func (s *Store) loadDeliveries(ctx context.Context, claimed []triggeredWebhookRow, token string) ([]broker.WebhookDelivery, error) {
	if len(claimed) == 0 {
		return nil, nil
	}
	db := s.read(ctx)
	webhookIDs, eventIDs := make([]int64, len(claimed)), make([]int64, len(claimed))
	for i, t := range claimed {
		webhookIDs[i], eventIDs[i] = t.WebhookID, t.EventID
	}
	var hooks []webhookJoined
	if err := db.Raw(webhookSelect+"WHERE w.id IN ?", webhookIDs).Scan(&hooks).Error; err != nil {
		return nil, fmt.Errorf("load claimed webhooks: %w", err)
	}
	byID := map[int64]broker.Webhook{}
	for _, h := range hooks {
		w, err := h.webhook()
		if err != nil {
			return nil, err
		}
		byID[h.Row.ID] = w
	}
	var events []webhookEventRow
	if err := db.Where("id IN ?", eventIDs).Find(&events).Error; err != nil {
		return nil, fmt.Errorf("load claimed events: %w", err)
	}
	facts := map[int64]broker.WebhookEvent{}
	for _, e := range events {
		var ev broker.WebhookEvent
		if err := json.Unmarshal([]byte(e.Facts), &ev); err != nil {
			return nil, fmt.Errorf("read event %d: %w", e.ID, err)
		}
		facts[e.ID] = ev
	}
	var out []broker.WebhookDelivery
	for _, t := range claimed {
		w, ok := byID[t.WebhookID]
		if !ok {
			continue // deleted since it was claimed, with its deliveries
		}
		out = append(out, broker.WebhookDelivery{ID: t.ID, UUID: t.UUID, ClaimToken: token, Attempts: t.Attempts, Webhook: w, Event: facts[t.EventID]})
	}
	return out, nil
}

func (s *Store) RecordWebhookAttempt(ctx context.Context, d broker.WebhookDelivery, out broker.WebhookOutcome) error {
	attempt, err := json.Marshal(out.Attempt)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		var next *time.Time
		if out.Status == broker.DeliveryRetrying {
			at := now.Add(out.RetryAfter)
			next = &at
		}
		res := tx.Model(&triggeredWebhookRow{}).Where("id = ? AND claim_token = ?", d.ID, d.ClaimToken).Updates(map[string]any{
			"status": out.Status, "attempts": gorm.Expr("attempts + 1"), "next_attempt_at": next,
			"claimed_until": nil, "claim_token": nil, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			// The lease ran out and another worker holds the delivery now, or its webhook was
			// deleted. The attempt happened all the same: log it if the delivery still exists.
			var n int64
			if err := tx.Model(&triggeredWebhookRow{}).Where("id = ?", d.ID).Count(&n).Error; err != nil || n == 0 {
				return err
			}
			s.log.WarnContext(ctx, "webhook delivery claim lost before its outcome was recorded", "triggered_webhook", d.UUID)
		}
		return tx.Create(&webhookExecutionRow{TriggeredWebhookID: d.ID, Success: out.Attempt.Success, Attempt: string(attempt), CreatedAt: now}).Error
	})
	if err != nil {
		return fmt.Errorf("record attempt of triggered webhook %s: %w", d.UUID, err)
	}
	return nil
}
