package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
)

// PublishVerification stores a provider version's result for a pact's content and makes it
// the latest result for that (content, provider version) pair.
func (s *Store) PublishVerification(ctx context.Context, req broker.VerificationRequest) (broker.Verification, error) {
	if err := req.Validate(); err != nil {
		return broker.Verification{}, err
	}
	var out broker.Verification
	err := s.write(ctx, func(tx *gorm.DB) error {
		pv, consumer, provider, err := pactVersionBySHA(tx, req.Consumer, req.Provider, req.SHA)
		if err != nil {
			return err
		}
		v, _, err := s.ensureVersion(tx, provider, req.ProviderVersion, "")
		if err != nil {
			return err
		}
		now := s.now()
		row := verificationRow{PactVersionID: pv.ID, ConsumerID: consumer.ID, ProviderID: provider.ID, ProviderVersionID: v.ID,
			Success: *req.Success, BuildURL: req.BuildURL, TestResults: rawOrNull(req.TestResults), VerifiedBy: rawOrNull(req.VerifiedBy),
			WIP: req.WIP, PactPending: req.Pending, ExecutionDate: now, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		head := latestVerificationRow{PactVersionID: pv.ID, ProviderVersionID: v.ID, VerificationID: row.ID, ProviderID: provider.ID, Success: row.Success}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "pact_version_id"}, {Name: "provider_version_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"verification_id", "success"}),
		}).Create(&head).Error; err != nil {
			return err
		}
		if err := s.emitVerificationEvents(tx, row, consumer, provider, v, req.SHA); err != nil {
			return fmt.Errorf("verification of %s→%s: %w", req.Consumer, req.Provider, err)
		}
		found, err := verificationsWhere(tx, "vf.id = ?", row.ID)
		if err != nil {
			return err
		}
		out = found[0]
		return nil
	})
	return out, err
}

// Verification finds one result of a pact's content by its number, or the latest (id 0).
func (s *Store) Verification(ctx context.Context, consumer, provider, sha string, id int64) (broker.Verification, error) {
	db := s.read(ctx)
	pv, _, _, err := pactVersionBySHA(db, consumer, provider, sha)
	if err != nil {
		return broker.Verification{}, err
	}
	var found []broker.Verification
	if id == 0 {
		found, err = verificationsWhere(db, "vf.id = (SELECT MAX(id) FROM verifications WHERE pact_version_id = ?)", pv.ID)
	} else {
		found, err = verificationsWhere(db, "vf.id = ? AND vf.pact_version_id = ?", id, pv.ID)
	}
	if err != nil {
		return broker.Verification{}, translate(err)
	}
	if len(found) == 0 {
		return broker.Verification{}, broker.NotFound("verification result for the pact between %q and %q with content %s", consumer, provider, sha)
	}
	return found[0], nil
}

// LatestVerificationsForConsumerVersion is the latest result of each pact the consumer
// version published, one per provider.
func (s *Store) LatestVerificationsForConsumerVersion(ctx context.Context, consumer, number string) ([]broker.Verification, error) {
	db := s.read(ctx)
	c, err := pacticipantByName(db, consumer)
	if err != nil {
		return nil, err
	}
	v, err := versionByNumber(db, c, number)
	if err != nil {
		return nil, err
	}
	found, err := verificationsWhere(db, `vf.id IN (SELECT MAX(v2.id) FROM verifications v2
		JOIN latest_pact_publications lp ON lp.pact_version_id = v2.pact_version_id AND lp.consumer_version_id = ?
		GROUP BY v2.provider_id)`, v.ID)
	return found, translate(err)
}

func pactVersionBySHA(db *gorm.DB, consumerName, providerName, sha string) (pactVersionRow, pacticipantRow, pacticipantRow, error) {
	var pv pactVersionRow
	consumer, err := pacticipantByName(db, consumerName)
	if err != nil {
		return pv, consumer, pacticipantRow{}, err
	}
	provider, err := pacticipantByName(db, providerName)
	if err != nil {
		return pv, consumer, provider, err
	}
	err = db.Select("id, consumer_id, provider_id, sha, created_at").Where("consumer_id = ? AND provider_id = ? AND sha = ?", consumer.ID, provider.ID, sha).Take(&pv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return pv, consumer, provider, broker.NotFound("pact between %q and %q with content %s", consumerName, providerName, sha)
	}
	return pv, consumer, provider, err
}

func verificationsWhere(db *gorm.DB, where string, args ...any) ([]broker.Verification, error) {
	var rows []struct {
		Row             verificationRow `gorm:"embedded"`
		Consumer        string
		Provider        string
		ProviderVersion string
		SHA             string `gorm:"column:sha"`
		ConsumerVersion *string
	}
	err := db.Raw(`SELECT vf.*, c.name AS consumer, p.name AS provider, pver.number AS provider_version, pv.sha,
		(SELECT cv.number FROM latest_pact_publications lp JOIN versions cv ON cv.id = lp.consumer_version_id
			WHERE lp.pact_version_id = vf.pact_version_id ORDER BY lp.consumer_version_id DESC LIMIT 1) AS consumer_version
		FROM verifications vf JOIN pacticipants c ON c.id = vf.consumer_id JOIN pacticipants p ON p.id = vf.provider_id
		JOIN versions pver ON pver.id = vf.provider_version_id JOIN pact_versions pv ON pv.id = vf.pact_version_id
		WHERE `+where+` ORDER BY vf.id`, args...).Scan(&rows).Error
	out := make([]broker.Verification, len(rows))
	for i, r := range rows {
		out[i] = broker.Verification{ID: r.Row.ID, Consumer: r.Consumer, Provider: r.Provider, ProviderVersion: r.ProviderVersion,
			PactSHA: r.SHA, Success: r.Row.Success, BuildURL: r.Row.BuildURL, TestResults: json.RawMessage(r.Row.TestResults),
			VerifiedBy: json.RawMessage(r.Row.VerifiedBy), WIP: r.Row.WIP, Pending: r.Row.PactPending,
			ExecutionDate: r.Row.ExecutionDate, CreatedAt: r.Row.CreatedAt}
		if r.ConsumerVersion != nil {
			out[i].ConsumerVersion = *r.ConsumerVersion
		}
	}
	return out, err
}

func rawOrNull(m json.RawMessage) string {
	if len(m) == 0 {
		return "null"
	}
	return string(m)
}
