package store

import "time"

// Rows as stored. They stay inside this package; callers get broker types.

type pacticipantRow struct {
	ID                  int64 `gorm:"primaryKey"`
	Name                string
	DisplayName         string
	MainBranch          string
	RepositoryURL       string `gorm:"column:repository_url"`
	RepositoryName      string
	RepositoryNamespace string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (pacticipantRow) TableName() string { return "pacticipants" }

type versionRow struct {
	ID            int64 `gorm:"primaryKey"`
	PacticipantID int64
	Number        string
	BuildURL      string `gorm:"column:build_url"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (versionRow) TableName() string { return "versions" }

type branchRow struct {
	ID            int64 `gorm:"primaryKey"`
	PacticipantID int64
	Name          string
	HeadVersionID *int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (branchRow) TableName() string { return "branches" }

type branchVersionRow struct {
	ID            int64 `gorm:"primaryKey"`
	BranchID      int64
	VersionID     int64
	PacticipantID int64
	CreatedAt     time.Time
}

func (branchVersionRow) TableName() string { return "branch_versions" }

type tagRow struct {
	ID            int64 `gorm:"primaryKey"`
	VersionID     int64
	PacticipantID int64
	Name          string
	CreatedAt     time.Time
}

func (tagRow) TableName() string { return "tags" }

type environmentRow struct {
	ID          int64  `gorm:"primaryKey"`
	UUID        string `gorm:"column:uuid"`
	Name        string
	DisplayName string
	Production  bool
	Contacts    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (environmentRow) TableName() string { return "environments" }

type deployedVersionRow struct {
	ID            int64  `gorm:"primaryKey"`
	UUID          string `gorm:"column:uuid"`
	VersionID     int64
	PacticipantID int64
	EnvironmentID int64
	Target        *string
	CreatedAt     time.Time
	UndeployedAt  *time.Time
}

func (deployedVersionRow) TableName() string { return "deployed_versions" }

type releasedVersionRow struct {
	ID             int64  `gorm:"primaryKey"`
	UUID           string `gorm:"column:uuid"`
	VersionID      int64
	PacticipantID  int64
	EnvironmentID  int64
	CreatedAt      time.Time
	SupportEndedAt *time.Time
}

func (releasedVersionRow) TableName() string { return "released_versions" }

type integrationRow struct {
	ID                    int64 `gorm:"primaryKey"`
	ConsumerID            int64
	ProviderID            int64
	CreatedAt             time.Time
	ContractDataUpdatedAt time.Time
}

func (integrationRow) TableName() string { return "integrations" }

type pactVersionRow struct {
	ID         int64 `gorm:"primaryKey"`
	ConsumerID int64
	ProviderID int64
	SHA        string `gorm:"column:sha"`
	Content    string
	CreatedAt  time.Time
}

func (pactVersionRow) TableName() string { return "pact_versions" }

type pactPublicationRow struct {
	ID                int64 `gorm:"primaryKey"`
	ConsumerID        int64
	ProviderID        int64
	ConsumerVersionID int64
	PactVersionID     int64
	Revision          int
	CreatedAt         time.Time
}

func (pactPublicationRow) TableName() string { return "pact_publications" }

type latestPactPublicationRow struct {
	ConsumerVersionID int64 `gorm:"primaryKey;autoIncrement:false"`
	ProviderID        int64 `gorm:"primaryKey;autoIncrement:false"`
	ConsumerID        int64
	PublicationID     int64
	PactVersionID     int64
}

func (latestPactPublicationRow) TableName() string { return "latest_pact_publications" }

type verificationRow struct {
	ID                int64 `gorm:"primaryKey"`
	PactVersionID     int64
	ConsumerID        int64
	ProviderID        int64
	ProviderVersionID int64
	Success           bool
	BuildURL          string `gorm:"column:build_url"`
	TestResults       string
	VerifiedBy        string
	WIP               bool `gorm:"column:wip"`
	PactPending       bool
	ExecutionDate     time.Time
	CreatedAt         time.Time
}

func (verificationRow) TableName() string { return "verifications" }

type latestVerificationRow struct {
	PactVersionID     int64 `gorm:"primaryKey;autoIncrement:false"`
	ProviderVersionID int64 `gorm:"primaryKey;autoIncrement:false"`
	VerificationID    int64
	ProviderID        int64
	Success           bool
}

func (latestVerificationRow) TableName() string { return "latest_verifications" }
