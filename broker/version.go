package broker

import "time"

// Version is one build of a pacticipant, named by its version number (usually the commit id).
// Versions are ordered by creation: the latest version is the one created last.
type Version struct {
	ID          int64
	Pacticipant string
	Number      string
	BuildURL    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Branches    []BranchVersion
	Tags        []Tag
	Deployments []DeployedVersion
	Releases    []ReleasedVersion
}

// BranchVersion records that a version was built from a branch. Latest is true when the
// version is the branch's head, the version most recently added to it.
type BranchVersion struct {
	Branch    string
	Version   string
	Latest    bool
	CreatedAt time.Time
}

// Branch is a pacticipant's branch and its head.
type Branch struct {
	Pacticipant string
	Name        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Head        string // the head version's number
}

// Tag is a label on a version (the legacy way to mark branches and environments).
type Tag struct {
	Pacticipant string
	Version     string
	Name        string
	CreatedAt   time.Time
}

// VersionPatch changes a version's writeable fields.
type VersionPatch struct {
	BuildURL *string
	Tags     []string // tags to add
}

// CheckVersionNumber validates a version number: required, one line, bounded.
func CheckVersionNumber(field, number string) error { return CheckName(field, number) }
