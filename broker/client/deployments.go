package client

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Link relations the deployment and release flows follow.
const (
	relRecordDeployment   = "pb:record-deployment"
	relRecordRelease      = "pb:record-release"
	relCurrentlyDeployed  = "pb:currently-deployed-deployed-versions"
	relCurrentlySupported = "pb:currently-supported-released-versions"
)

// DeployedVersion records that a version runs in an environment, optionally as one
// application instance among several.
type DeployedVersion struct {
	Resource
	UUID                string     `json:"uuid"`
	CurrentlyDeployed   bool       `json:"currentlyDeployed"`
	ApplicationInstance *string    `json:"applicationInstance"`
	Target              *string    `json:"target"` // the older name of applicationInstance
	CreatedAt           time.Time  `json:"createdAt,omitzero"`
	UndeployedAt        *time.Time `json:"undeployedAt"`
	Embedded            struct {
		Pacticipant PacticipantRef `json:"pacticipant"`
		Version     VersionRef     `json:"version"`
		Environment *Environment   `json:"environment,omitempty"`
	} `json:"_embedded"`
}

// Instance is the application instance, or "" when the deployment has none.
func (d *DeployedVersion) Instance() string {
	switch {
	case d.ApplicationInstance != nil:
		return *d.ApplicationInstance
	case d.Target != nil:
		return *d.Target
	}
	return ""
}

// ReleasedVersion records that a version was released to an environment and is supported
// there until its support ends.
type ReleasedVersion struct {
	Resource
	UUID               string     `json:"uuid"`
	CurrentlySupported bool       `json:"currentlySupported"`
	CreatedAt          time.Time  `json:"createdAt,omitzero"`
	SupportEndedAt     *time.Time `json:"supportEndedAt"`
	Embedded           struct {
		Pacticipant PacticipantRef `json:"pacticipant"`
		Version     VersionRef     `json:"version"`
		Environment *Environment   `json:"environment,omitempty"`
	} `json:"_embedded"`
}

// RecordDeployment records that a version of a pacticipant is deployed to an environment,
// replacing what was deployed there to the same application instance (instance may be "").
// It follows the version's pb:record-deployment link named after the environment.
func (c *Client) RecordDeployment(ctx context.Context, pacticipant, version, environment, instance string) (*DeployedVersion, error) {
	wrap := func(err error) error {
		return fmt.Errorf("record deployment of %s %s to %s: %w", pacticipant, version, environment, err)
	}
	link, err := c.versionLink(ctx, pacticipant, version, relRecordDeployment, environment)
	if err != nil {
		return nil, wrap(err)
	}
	// The Pact CLI sends both names of the instance; older brokers know only "target".
	body := map[string]string{}
	if instance != "" {
		body["applicationInstance"] = instance
		body["target"] = instance
	}
	var d DeployedVersion
	if err := c.do(ctx, http.MethodPost, link.Href, body, &d); err != nil {
		return nil, wrap(err)
	}
	return &d, nil
}

// RecordUndeployment records that the pacticipant no longer runs in the environment as the
// given application instance ("" for none), and returns what it undeployed. Nothing deployed
// there is ErrNotFound.
func (c *Client) RecordUndeployment(ctx context.Context, pacticipant, environment, instance string) ([]DeployedVersion, error) {
	wrap := func(err error) error {
		return fmt.Errorf("record undeployment of %s from %s: %w", pacticipant, environment, err)
	}
	link, err := c.environmentLink(ctx, environment, relCurrentlyDeployed)
	if err != nil {
		return nil, wrap(err)
	}
	var list struct {
		Embedded struct {
			DeployedVersions []DeployedVersion `json:"deployedVersions"`
		} `json:"_embedded"`
	}
	if err := c.get(ctx, withQuery(link.Href, "pacticipant", pacticipant), &list); err != nil {
		return nil, wrap(err)
	}
	var undeployed []DeployedVersion
	for _, d := range list.Embedded.DeployedVersions {
		// Filter here too: the query only narrows the list on brokers that support it.
		if d.Embedded.Pacticipant.Name != pacticipant || d.Instance() != instance {
			continue
		}
		var out DeployedVersion
		patch := map[string]bool{"currentlyDeployed": false}
		if err := c.do(ctx, http.MethodPatch, c.selfHref(d.Resource, "deployed-versions", d.UUID), patch, &out); err != nil {
			return nil, wrap(err)
		}
		undeployed = append(undeployed, out)
	}
	if len(undeployed) == 0 {
		if instance != "" {
			return nil, wrap(notFound("%s is not currently deployed to %s as application instance %q", pacticipant, environment, instance))
		}
		return nil, wrap(notFound("%s is not currently deployed to %s without an application instance", pacticipant, environment))
	}
	return undeployed, nil
}

// RecordRelease records that a version of a pacticipant is released to an environment. It
// follows the version's pb:record-release link named after the environment.
func (c *Client) RecordRelease(ctx context.Context, pacticipant, version, environment string) (*ReleasedVersion, error) {
	wrap := func(err error) error {
		return fmt.Errorf("record release of %s %s to %s: %w", pacticipant, version, environment, err)
	}
	link, err := c.versionLink(ctx, pacticipant, version, relRecordRelease, environment)
	if err != nil {
		return nil, wrap(err)
	}
	var r ReleasedVersion
	if err := c.do(ctx, http.MethodPost, link.Href, struct{}{}, &r); err != nil {
		return nil, wrap(err)
	}
	return &r, nil
}

// RecordSupportEnded records that a released version is no longer supported in an
// environment. A version not currently supported there is ErrNotFound.
func (c *Client) RecordSupportEnded(ctx context.Context, pacticipant, version, environment string) (*ReleasedVersion, error) {
	wrap := func(err error) error {
		return fmt.Errorf("record support ended for %s %s in %s: %w", pacticipant, version, environment, err)
	}
	link, err := c.environmentLink(ctx, environment, relCurrentlySupported)
	if err != nil {
		return nil, wrap(err)
	}
	var list struct {
		Embedded struct {
			ReleasedVersions []ReleasedVersion `json:"releasedVersions"`
		} `json:"_embedded"`
	}
	if err := c.get(ctx, withQuery(link.Href, "pacticipant", pacticipant), &list); err != nil {
		return nil, wrap(err)
	}
	for _, r := range list.Embedded.ReleasedVersions {
		if r.Embedded.Pacticipant.Name != pacticipant || r.Embedded.Version.Number != version {
			continue
		}
		var out ReleasedVersion
		patch := map[string]bool{"currentlySupported": false}
		if err := c.do(ctx, http.MethodPatch, c.selfHref(r.Resource, "released-versions", r.UUID), patch, &out); err != nil {
			return nil, wrap(err)
		}
		return &out, nil
	}
	return nil, wrap(notFound("%s %s is not currently supported in %s", pacticipant, version, environment))
}

// versionLink finds the link of rel named after an environment on a version, the way the
// Pact CLI finds where to record a deployment or release.
func (c *Client) versionLink(ctx context.Context, pacticipant, version, rel, environment string) (Link, error) {
	v, err := c.Version(ctx, pacticipant, version)
	if err != nil {
		return Link{}, err
	}
	link, ok := v.Links.Named(rel, environment)
	if !ok {
		return Link{}, notFound("environment %q does not exist", environment)
	}
	return link, nil
}

// environmentLink finds an environment by name and returns its link of rel. Environments in
// a list may come without their links, so a missing link is looked for again on the
// environment itself.
func (c *Client) environmentLink(ctx context.Context, name, rel string) (Link, error) {
	env, err := c.EnvironmentByName(ctx, name)
	if err != nil {
		return Link{}, err
	}
	if link, ok := env.Links.Get(rel); ok {
		return link, nil
	}
	if env, err = c.Environment(ctx, env.UUID); err != nil {
		return Link{}, err
	}
	if link, ok := env.Links.Get(rel); ok {
		return link, nil
	}
	return Link{}, fmt.Errorf("the broker's environment %s has no %s link", name, rel)
}

// selfHref is a resource's self link, or the broker's well-known path for it.
func (c *Client) selfHref(r Resource, collection, uuid string) string {
	if link, ok := r.Links.Get("self"); ok {
		return link.Href
	}
	return c.endpoint(collection, uuid)
}
