package steps

import (
	"errors"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

// Deps are what the steps need to talk to the broker. A registry built without them (nil)
// validates specs but cannot run the steps that publish or verify.
type Deps struct {
	Client *client.Client
	// The broker's URL and credentials, for the verifier's own requests.
	BrokerURL, BrokerToken, BrokerUsername, BrokerPassword string
}

func (d *Deps) client() (*client.Client, error) {
	if d == nil || d.Client == nil {
		return nil, pipelines.Permanent(errors.New("this step needs a broker"))
	}
	return d.Client, nil
}

// Registry returns a registry with every step and deployer Treaty ships.
func Registry(d *Deps) *pipelines.Registry {
	reg := pipelines.NewRegistry()
	for _, def := range []pipelines.Definition{
		commandStep(),
		imageBuildStep(),
		d.imagePushStep(),
		d.contractTestStep(),
		d.verifyStep(),
		securityScanStep(),
		environmentTest("smoke-test", gates.ResultSmokeTests, "runs smoke tests against the environment the stage deployed to"),
		environmentTest("e2e-test", gates.ResultE2ETests, "runs end-to-end tests against the environment the stage deployed to"),
		d.canIDeployStep(),
	} {
		reg.Register(def)
	}
	registerDeployers(reg)
	return reg
}
