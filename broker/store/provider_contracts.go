package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/openapi"
)

// Provider contracts are stored as pacts are: the content once per (provider, SHA) in
// provider_contract_versions, and one publication per provider version pointing at it, with
// the self-verification the provider sent.

var _ broker.ProviderContracts = (*Store)(nil)

type contractVersionRow struct {
	ID            int64 `gorm:"primaryKey"`
	ProviderID    int64
	SHA           string `gorm:"column:sha"`
	Content       string
	ContentType   string
	Specification string
	CreatedAt     time.Time
}

func (contractVersionRow) TableName() string { return "provider_contract_versions" }

type contractPublicationRow struct {
	ID                int64 `gorm:"primaryKey"`
	ProviderID        int64
	ProviderVersionID int64
	ContractVersionID int64
	SelfVerified      *bool
	SelfVerification  *string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (contractPublicationRow) TableName() string { return "provider_contract_publications" }

// PublishProviderContract stores a provider version's OpenAPI document, its branch, tags and
// build URL, and its self-verification, in one transaction; then compares the pacts that
// matter with the document (a comparison that fails is logged: it is computed again when the
// matrix needs it).
func (s *Store) PublishProviderContract(ctx context.Context, req broker.ProviderContractRequest) (broker.ProviderContractResult, error) {
	if err := req.Validate(); err != nil {
		return broker.ProviderContractResult{}, err
	}
	if !utf8.Valid(req.Content) || bytes.IndexByte(req.Content, 0) >= 0 {
		return broker.ProviderContractResult{}, broker.Invalid("contract", "content is not an OpenAPI document: it is not UTF-8 text")
	}
	doc, err := openapi.Load(req.Content)
	if err != nil {
		return broker.ProviderContractResult{}, broker.Invalid("contract", "content is not a valid OpenAPI document: %v", err)
	}
	var selfVerification *string
	if sv := req.SelfVerification; sv != nil {
		raw := string(sv.Raw)
		if len(sv.Raw) == 0 {
			raw = string(selfVerificationJSON(sv))
		}
		selfVerification = &raw
	}
	out := broker.ProviderContractResult{Warnings: doc.Warnings()}
	err = s.write(ctx, func(tx *gorm.DB) error {
		provider, _, err := s.ensurePacticipant(tx, req.Provider)
		if err != nil {
			return err
		}
		v, created, err := s.ensureVersion(tx, provider, req.Version, req.BuildURL)
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
			if _, err := s.addBranchVersion(tx, &provider, v, req.Branch); err != nil {
				return err
			}
		}
		for _, t := range req.Tags {
			if _, err := s.addTag(tx, provider, v, t); err != nil {
				return err
			}
		}
		out.VersionCreated = created
		cv, err := s.ensureContractVersion(tx, provider.ID, doc.SHA(), req)
		if err != nil {
			return err
		}
		now := s.now()
		var pub contractPublicationRow
		err = tx.Where("provider_version_id = ?", v.ID).Take(&pub).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			pub = contractPublicationRow{ProviderID: provider.ID, ProviderVersionID: v.ID, ContractVersionID: cv.ID,
				SelfVerification: selfVerification, CreatedAt: now, UpdatedAt: now}
			if req.SelfVerification != nil {
				pub.SelfVerified = &req.SelfVerification.Success
			}
			if err := tx.Create(&pub).Error; err != nil {
				return err
			}
			out.Created = true
		case err != nil:
			return err
		case pub.ContractVersionID != cv.ID:
			return contractChanged(provider.Name, v.Number)
		case req.SelfVerification != nil:
			if err := tx.Model(&pub).Updates(map[string]any{"self_verified": req.SelfVerification.Success,
				"self_verification": *selfVerification, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		if out.Contract, err = contractOf(tx, "pcp.provider_version_id = ?", v.ID); err != nil {
			return err
		}
		loaded, err := s.loadVersions(tx, provider.Name, []versionRow{v})
		if err != nil {
			return err
		}
		out.Version = loaded[0]
		return nil
	})
	if err != nil {
		return broker.ProviderContractResult{}, err
	}
	documents.put(doc)
	out.Comparisons, err = s.ContractComparisons(ctx, broker.ComparisonQuery{Provider: req.Provider, ProviderVersion: req.Version})
	if err != nil {
		s.log.WarnContext(ctx, "comparing pacts with a new provider contract", "provider", req.Provider, "version", req.Version, "error", err)
	}
	return out, nil
}

func (s *Store) ensureContractVersion(tx *gorm.DB, providerID int64, sha string, req broker.ProviderContractRequest) (contractVersionRow, error) {
	cv := contractVersionRow{ProviderID: providerID, SHA: sha, Content: string(req.Content), ContentType: req.ContentType,
		Specification: broker.SpecificationOAS, CreatedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&cv)
	if res.Error != nil || res.RowsAffected == 1 {
		return cv, res.Error
	}
	err := tx.Select("id, provider_id, sha, content_type, specification, created_at").
		Where("provider_id = ? AND sha = ?", providerID, sha).Take(&cv).Error
	return cv, err
}

// contractChanged refuses a new document for a version that has one: can-i-deploy's answers
// for that version would otherwise depend on when they were asked.
func contractChanged(provider, version string) error {
	msg := fmt.Sprintf("Cannot change the content of the provider contract for %s version %s, as race conditions will cause unreliable results for can-i-deploy. Each provider contract must be published with a unique provider version number.", provider, version)
	return &broker.ConflictError{Field: "contract", Message: msg, Notices: []broker.Notice{{Type: broker.NoticeError, Text: msg}}}
}

// selfVerificationJSON is the wire form of results that did not come as JSON.
func selfVerificationJSON(sv *broker.SelfVerification) []byte {
	data, _ := json.Marshal(struct {
		Success         bool   `json:"success"`
		Content         string `json:"content,omitempty"`
		ContentType     string `json:"contentType,omitempty"`
		Format          string `json:"format,omitempty"`
		Verifier        string `json:"verifier,omitempty"`
		VerifierVersion string `json:"verifierVersion,omitempty"`
	}{sv.Success, sv.Content, sv.ContentType, sv.Format, sv.Verifier, sv.VerifierVersion})
	return data
}

// ProviderContract is a provider version's contract, or the latest version's with one.
func (s *Store) ProviderContract(ctx context.Context, providerName, number string) (broker.ProviderContract, error) {
	db := s.read(ctx)
	p, err := pacticipantByName(db, providerName)
	if err != nil {
		return broker.ProviderContract{}, err
	}
	var c broker.ProviderContract
	if number == "" {
		c, err = contractOf(db, `pcp.provider_version_id = (SELECT MAX(provider_version_id) FROM provider_contract_publications WHERE provider_id = ?)`, p.ID)
	} else {
		c, err = contractOf(db, "pcp.provider_id = ? AND v.number = ?", p.ID, number)
	}
	if errors.Is(err, broker.ErrNotFound) {
		if number == "" {
			return c, broker.NotFound("provider contract of %q", providerName)
		}
		return c, broker.NotFound("provider contract for version %q of %q", number, providerName)
	}
	return c, translate(err)
}

func contractOf(db *gorm.DB, where string, args ...any) (broker.ProviderContract, error) {
	var row struct {
		Pub           contractPublicationRow `gorm:"embedded"`
		Provider      string
		Number        string
		SHA           string `gorm:"column:sha"`
		Content       string
		ContentType   string
		Specification string
	}
	res := db.Raw(`SELECT pcp.*, p.name AS provider, v.number, pcv.sha, pcv.content, pcv.content_type, pcv.specification
		FROM provider_contract_publications pcp JOIN provider_contract_versions pcv ON pcv.id = pcp.contract_version_id
		JOIN versions v ON v.id = pcp.provider_version_id JOIN pacticipants p ON p.id = pcp.provider_id
		WHERE `+where, args...).Scan(&row)
	if res.Error != nil {
		return broker.ProviderContract{}, res.Error
	}
	if res.RowsAffected == 0 {
		return broker.ProviderContract{}, broker.ErrNotFound
	}
	c := broker.ProviderContract{Provider: row.Provider, ProviderVersion: row.Number, SHA: row.SHA, Content: []byte(row.Content),
		ContentType: row.ContentType, Specification: row.Specification, CreatedAt: row.Pub.CreatedAt, UpdatedAt: row.Pub.UpdatedAt}
	if row.Pub.SelfVerification != nil {
		c.SelfVerification = readSelfVerification(*row.Pub.SelfVerification)
	}
	return c, nil
}

func readSelfVerification(raw string) *broker.SelfVerification {
	var wire struct {
		Success         bool   `json:"success"`
		Content         string `json:"content"`
		ContentType     string `json:"contentType"`
		Format          string `json:"format"`
		Verifier        string `json:"verifier"`
		VerifierVersion string `json:"verifierVersion"`
	}
	_ = json.Unmarshal([]byte(raw), &wire) // stored after the API decoded it
	return &broker.SelfVerification{Success: wire.Success, Content: wire.Content, ContentType: wire.ContentType, Format: wire.Format,
		Verifier: wire.Verifier, VerifierVersion: wire.VerifierVersion, Raw: json.RawMessage(raw)}
}
