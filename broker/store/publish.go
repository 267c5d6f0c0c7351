package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

// Publish stores a consumer version's pacts with its branch, tags and build URL, all or
// nothing. A pact whose content differs from what the same consumer version already published
// for that provider is refused (409) unless it is merged.
func (s *Store) Publish(ctx context.Context, req broker.PublishRequest) (broker.PublishResult, error) {
	if err := req.Validate(); err != nil {
		return broker.PublishResult{}, err
	}
	var out broker.PublishResult
	err := s.write(ctx, func(tx *gorm.DB) error {
		consumer, _, err := s.ensurePacticipant(tx, req.Pacticipant)
		if err != nil {
			return err
		}
		v, created, err := s.ensureVersion(tx, consumer, req.Version, req.BuildURL)
		if err != nil {
			return err
		}
		if !created && req.BuildURL != "" && req.BuildURL != v.BuildURL {
			v.BuildURL, v.UpdatedAt = req.BuildURL, s.now()
			if err := tx.Save(&v).Error; err != nil {
				return err
			}
		}
		if req.Branch != "" {
			if _, err := s.addBranchVersion(tx, &consumer, v, req.Branch); err != nil {
				return err
			}
		}
		for _, t := range req.Tags {
			if _, err := s.addTag(tx, consumer, v, t); err != nil {
				return err
			}
		}
		out.VersionCreated = created
		var conflicts []error
		for i, c := range req.Contracts {
			events, err := s.prepareContractEvents(tx, consumer, v, c.Provider)
			if err != nil {
				return fmt.Errorf("publish pact %s→%s: %w", req.Pacticipant, c.Provider, err)
			}
			doc, err := req.Contracts[i].Document()
			if err != nil {
				return broker.Invalid("content", "%v", err)
			}
			pact, outcome, err := s.publishPact(tx, consumer, v, c.Provider, doc, c.OnConflict == broker.OnConflictMerge)
			var ce *broker.ConflictError
			if errors.As(err, &ce) {
				conflicts = append(conflicts, err)
				continue
			}
			if err != nil {
				return fmt.Errorf("publish pact %s→%s: %w", req.Pacticipant, c.Provider, err)
			}
			triggered, err := s.emitContractEvents(tx, events, v, pact)
			if err != nil {
				return fmt.Errorf("publish pact %s→%s: %w", req.Pacticipant, c.Provider, err)
			}
			out.Pacts = append(out.Pacts, broker.PublishedPact{Pact: pact, Outcome: outcome, Triggered: triggered})
		}
		if len(conflicts) > 0 {
			return joinConflicts(conflicts)
		}
		out.Pacticipant = toPacticipant(consumer, v.Number)
		loaded, err := s.loadVersions(tx, consumer.Name, []versionRow{v})
		if err != nil {
			return err
		}
		out.Version = loaded[0]
		return nil
	})
	if err == nil {
		pacts := make([]broker.Pact, len(out.Pacts))
		for i, p := range out.Pacts {
			pacts[i] = p.Pact
		}
		s.comparePublishedPacts(ctx, pacts)
	}
	return out, err
}

// joinConflicts reports every refused pact of a publication at once.
func joinConflicts(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	joined := &broker.ConflictError{Field: "contracts"}
	for i, err := range errs {
		var ce *broker.ConflictError
		errors.As(err, &ce)
		if i > 0 {
			joined.Message += "\n"
		}
		joined.Message += ce.Message
		joined.Notices = append(joined.Notices, ce.Notices...)
	}
	return joined
}

func (s *Store) PutPact(ctx context.Context, consumerName, providerName, number string, content []byte, merge bool) (broker.Pact, bool, error) {
	v := &broker.ValidationError{}
	for field, val := range map[string]string{"consumer": consumerName, "provider": providerName, "consumerVersionNumber": number} {
		if err := broker.CheckName(field, val); err != nil {
			var ve *broker.ValidationError
			errors.As(err, &ve)
			for k, msgs := range ve.Fields {
				v.Fields = mergeFields(v.Fields, k, msgs)
			}
		}
	}
	if err := v.Err(); err != nil {
		return broker.Pact{}, false, err
	}
	doc, err := broker.ParsePact(content)
	if err != nil {
		return broker.Pact{}, false, broker.Invalid("pact", "%v", err)
	}
	if err := broker.CheckPactNames(doc, consumerName, providerName); err != nil {
		return broker.Pact{}, false, broker.Invalid("pact", "%v", err)
	}
	var out broker.Pact
	var created bool
	err = s.write(ctx, func(tx *gorm.DB) error {
		consumer, _, err := s.ensurePacticipant(tx, consumerName)
		if err != nil {
			return err
		}
		ver, _, err := s.ensureVersion(tx, consumer, number, "")
		if err != nil {
			return err
		}
		events, err := s.prepareContractEvents(tx, consumer, ver, providerName)
		if err != nil {
			return err
		}
		pact, outcome, err := s.publishPact(tx, consumer, ver, providerName, doc, merge)
		if err != nil {
			return err
		}
		if _, err := s.emitContractEvents(tx, events, ver, pact); err != nil {
			return fmt.Errorf("publish pact %s→%s: %w", consumerName, providerName, err)
		}
		out, created = pact, outcome == broker.PactCreated
		return nil
	})
	if err == nil {
		s.comparePublishedPacts(ctx, []broker.Pact{out})
	}
	return out, created, err
}

func mergeFields(m map[string][]string, k string, msgs []string) map[string][]string {
	if m == nil {
		m = map[string][]string{}
	}
	m[k] = append(m[k], msgs...)
	return m
}

// publishPact stores one pact for a consumer version: a first publication, an unchanged
// republication, a merge, or a refused change.
func (s *Store) publishPact(tx *gorm.DB, consumer pacticipantRow, v versionRow, providerName string, doc *broker.PactDocument, merge bool) (broker.Pact, broker.PublishOutcome, error) {
	provider, _, err := s.ensurePacticipant(tx, providerName)
	if err != nil {
		return broker.Pact{}, "", err
	}
	var head latestPactPublicationRow
	err = tx.Where("consumer_version_id = ? AND provider_id = ?", v.ID, provider.ID).Take(&head).Error
	hasHead := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return broker.Pact{}, "", err
	}
	outcome := broker.PactCreated
	revision := 1
	sha := doc.SHA()
	if hasHead {
		var existing pactVersionRow
		if err := tx.Take(&existing, head.PactVersionID).Error; err != nil {
			return broker.Pact{}, "", err
		}
		if merge {
			merged, err := broker.ParsePact([]byte(existing.Content))
			if err != nil {
				return broker.Pact{}, "", err
			}
			if err := merged.Merge(doc); err != nil {
				return broker.Pact{}, "", &broker.ConflictError{Field: "contracts",
					Message: fmt.Sprintf("Cannot merge the pact for %s version %s and provider %s: %v", consumer.Name, v.Number, provider.Name, err)}
			}
			doc, sha = merged, merged.SHA()
			outcome = broker.PactMerged
		}
		if sha == existing.SHA {
			p, err := s.pactByPublication(tx, head.PublicationID)
			if outcome != broker.PactMerged {
				outcome = broker.PactUnchanged
			}
			return p, outcome, err
		}
		if !merge {
			before, _ := broker.ParsePact([]byte(existing.Content))
			return broker.Pact{}, "", pactChanged(consumer.Name, v.Number, provider.Name, before, doc)
		}
		var last pactPublicationRow
		if err := tx.Where("consumer_version_id = ? AND provider_id = ?", v.ID, provider.ID).Order("revision DESC").Take(&last).Error; err != nil {
			return broker.Pact{}, "", err
		}
		revision = last.Revision + 1
	}
	pv, err := s.ensurePactVersion(tx, consumer.ID, provider.ID, doc, sha)
	if err != nil {
		return broker.Pact{}, "", err
	}
	pub := pactPublicationRow{ConsumerID: consumer.ID, ProviderID: provider.ID, ConsumerVersionID: v.ID, PactVersionID: pv.ID, Revision: revision, CreatedAt: s.now()}
	if err := tx.Create(&pub).Error; err != nil {
		return broker.Pact{}, "", err
	}
	newHead := latestPactPublicationRow{ConsumerVersionID: v.ID, ProviderID: provider.ID, ConsumerID: consumer.ID, PublicationID: pub.ID, PactVersionID: pv.ID}
	if err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "consumer_version_id"}, {Name: "provider_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"publication_id", "pact_version_id"}),
	}).Create(&newHead).Error; err != nil {
		return broker.Pact{}, "", err
	}
	if err := s.touchIntegration(tx, consumer.ID, provider.ID); err != nil {
		return broker.Pact{}, "", err
	}
	p, err := s.pactByPublication(tx, pub.ID)
	return p, outcome, err
}

// ensurePactVersion stores doc's content once per (consumer, provider, sha); sha is doc.SHA(),
// which the caller has already computed.
func (s *Store) ensurePactVersion(tx *gorm.DB, consumerID, providerID int64, doc *broker.PactDocument, sha string) (pactVersionRow, error) {
	pv := pactVersionRow{ConsumerID: consumerID, ProviderID: providerID, SHA: sha, Content: string(doc.WithInteractionIDs()), CreatedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&pv)
	if res.Error != nil || res.RowsAffected == 1 {
		return pv, res.Error
	}
	err := tx.Where("consumer_id = ? AND provider_id = ? AND sha = ?", consumerID, providerID, sha).Take(&pv).Error
	return pv, err
}

func (s *Store) touchIntegration(tx *gorm.DB, consumerID, providerID int64) error {
	row := integrationRow{ConsumerID: consumerID, ProviderID: providerID, CreatedAt: s.now(), ContractDataUpdatedAt: s.now()}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "consumer_id"}, {Name: "provider_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"contract_data_updated_at"}),
	}).Create(&row).Error
}

func (s *Store) pactByPublication(tx *gorm.DB, publicationID int64) (broker.Pact, error) {
	var rows []pactRow
	if err := tx.Raw(pactSelect(true)+"WHERE lp.publication_id = ?", publicationID).Scan(&rows).Error; err != nil {
		return broker.Pact{}, err
	}
	if len(rows) == 0 {
		return broker.Pact{}, broker.NotFound("pact publication %d", publicationID)
	}
	return rows[0].pact(), nil
}

// pactChanged is the refusal to change a published pact, with a summary of what changed.
func pactChanged(consumer, version, provider string, before, after *broker.PactDocument) error {
	msg := fmt.Sprintf("Cannot change the content of the pact for %s version %s and provider %s, as race conditions will cause unreliable results for can-i-deploy. Each pact must be published with a unique consumer version number. Some Pact libraries generate random data when a concrete value for a type matcher is not specified, and this can cause the contract to mutate - ensure you have given example values for all type matchers. For more information see https://docs.pact.io/go/versioning", consumer, version, provider)
	notices := []broker.Notice{{Type: broker.NoticeError, Text: msg}}
	if before != nil {
		notices = append(notices, broker.Notice{Type: broker.NoticeInfo, Text: broker.DiffInteractions(before, after)})
	}
	return &broker.ConflictError{Field: "contracts", Message: msg, Notices: notices}
}
