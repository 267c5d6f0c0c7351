package broker

import (
	"strings"
	"time"
)

// Pacticipant is a service that takes part in contracts, as consumer, provider or both.
type Pacticipant struct {
	ID                  int64
	Name                string
	DisplayName         string
	MainBranch          string
	RepositoryURL       string
	RepositoryName      string
	RepositoryNamespace string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// LatestVersion is the number of the most recently created version, "" when none.
	LatestVersion string
}

// PacticipantPatch changes the fields that are set; nil leaves a field as it is.
type PacticipantPatch struct {
	Name                *string
	DisplayName         *string
	MainBranch          *string
	RepositoryURL       *string
	RepositoryName      *string
	RepositoryNamespace *string
}

// Apply copies the set fields onto p.
func (patch PacticipantPatch) Apply(p *Pacticipant) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.Name, patch.Name)
	set(&p.DisplayName, patch.DisplayName)
	set(&p.MainBranch, patch.MainBranch)
	set(&p.RepositoryURL, patch.RepositoryURL)
	set(&p.RepositoryName, patch.RepositoryName)
	set(&p.RepositoryNamespace, patch.RepositoryNamespace)
}

// Validate checks the fields that are set.
func (patch PacticipantPatch) Validate() error {
	v := &ValidationError{}
	if patch.Name != nil {
		checkName(v, "name", *patch.Name)
	}
	if patch.MainBranch != nil && *patch.MainBranch != "" {
		checkName(v, "mainBranch", *patch.MainBranch)
	}
	for field, val := range map[string]*string{"displayName": patch.DisplayName, "repositoryUrl": patch.RepositoryURL,
		"repositoryName": patch.RepositoryName, "repositoryNamespace": patch.RepositoryNamespace} {
		if val != nil && len(*val) > MaxFieldLength {
			v.Add(field, "must be at most %d characters", MaxFieldLength)
		}
	}
	return v.Err()
}

// MaxNameLength bounds names and version numbers; MaxFieldLength bounds free text such as URLs.
const (
	MaxNameLength  = 255
	MaxFieldLength = 2048
)

// checkName validates a name-like value: required, one line, not only spaces, bounded.
func checkName(v *ValidationError, field, value string) {
	switch {
	case strings.TrimSpace(value) == "":
		v.Add(field, "cannot be blank")
	case strings.ContainsAny(value, "\r\n"):
		v.Add(field, "cannot contain multiple lines")
	case len(value) > MaxNameLength:
		v.Add(field, "must be at most %d characters", MaxNameLength)
	}
}

// CheckName validates one name-like field and returns a ValidationError for it, or nil.
func CheckName(field, value string) error {
	v := &ValidationError{}
	checkName(v, field, value)
	return v.Err()
}

// mainBranchCandidates are the branch names that become a pacticipant's main branch when a
// version is first recorded on one of them and no main branch was set.
var mainBranchCandidates = map[string]bool{"main": true, "master": true, "develop": true}

// IsMainBranchCandidate reports whether branch is auto-detected as a main branch.
func IsMainBranchCandidate(branch string) bool { return mainBranchCandidates[branch] }
