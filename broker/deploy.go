package broker

import "time"

// DeployedVersion records that a version runs in an environment. A deployment replaces the
// version previously deployed to the same environment and application instance (the
// target); undeploying ends it. Several instances may run different versions at once.
type DeployedVersion struct {
	ID                  int64
	UUID                string
	Pacticipant         string
	Version             string
	Environment         Environment
	ApplicationInstance *string
	CurrentlyDeployed   bool
	CreatedAt           time.Time
	UndeployedAt        *time.Time
}

// ReleasedVersion records that a version was released to an environment (a mobile app, a
// library): any number of released versions are supported there at once until their
// support ends.
type ReleasedVersion struct {
	ID                 int64
	UUID               string
	Pacticipant        string
	Version            string
	Environment        Environment
	CurrentlySupported bool
	CreatedAt          time.Time
	SupportEndedAt     *time.Time
}

// DeploymentFilter narrows a list of currently deployed versions. An empty Pacticipant means
// all; InstanceSet with a nil Instance means "no application instance".
type DeploymentFilter struct {
	Pacticipant string
	InstanceSet bool
	Instance    *string
}

// ReleaseFilter narrows a list of currently supported released versions.
type ReleaseFilter struct {
	Pacticipant string
	Version     string
}
