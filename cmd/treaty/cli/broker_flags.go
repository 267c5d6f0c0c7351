package cli

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

const defaultBrokerURL = "http://127.0.0.1:9292"

// brokerTimeout bounds each request, so that a broker that stops answering fails a pipeline
// step instead of hanging it.
const brokerTimeout = time.Minute

// brokerOptions are the flags of every command that talks to a broker, named as in the Pact
// CLI and read from the same environment variables.
type brokerOptions struct {
	baseURL  string
	token    string
	username string
	password string
}

func (o *brokerOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.baseURL, "broker-base-url", "b", envOr(defaultBrokerURL, "PACT_BROKER_BASE_URL"),
		"base URL of the broker (env PACT_BROKER_BASE_URL)")
	f.StringVarP(&o.username, "broker-username", "u", envOr("", "PACT_BROKER_USERNAME"),
		"user name for basic auth (env PACT_BROKER_USERNAME)")
	// The secrets are read from the environment when the command runs rather than used as
	// flag defaults, so that --help never prints them.
	f.StringVarP(&o.token, "broker-token", "k", "", "bearer token, used instead of basic auth (env PACT_BROKER_TOKEN)")
	f.StringVarP(&o.password, "broker-password", "p", "", "password for basic auth (env PACT_BROKER_PASSWORD)")
}

// client returns a client of the broker the flags name.
func (o *brokerOptions) client() (*client.Client, error) {
	opts := []client.Option{
		client.WithUserAgent("treaty/" + Version),
		client.WithHTTPClient(&http.Client{Timeout: brokerTimeout}),
	}
	token := o.token
	if token == "" {
		token = envOr("", "PACT_BROKER_TOKEN")
	}
	password := o.password
	if password == "" {
		password = envOr("", "PACT_BROKER_PASSWORD")
	}
	switch {
	case token != "":
		opts = append(opts, client.WithToken(token))
	case o.username != "":
		opts = append(opts, client.WithBasicAuth(o.username, password))
	}
	c, err := client.New(o.baseURL, opts...)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("--broker-base-url: %w", err))
	}
	return c, nil
}

// brokerFailure gives an error from the client its exit code: the broker refusing or not
// knowing something is a failure (1); not reaching it at all is like bad input (2). Notices
// that explain a refusal, such as the diff of a changed pact, go to stderr first.
func brokerFailure(cmd *cobra.Command, err error) error {
	var be *client.Error
	if errors.As(err, &be) {
		for _, n := range be.Notices {
			// The error line repeats the error notices; print only what it does not say.
			if !strings.Contains(err.Error(), strings.TrimSpace(n.Text)) {
				fmt.Fprintln(cmd.ErrOrStderr(), n.Text)
			}
		}
		return withCode(ExitNo, err)
	}
	if errors.Is(err, client.ErrNotFound) {
		return withCode(ExitNo, err)
	}
	return withCode(ExitUsage, err)
}

// credentials are the user name, password and token the flags and environment give.
func (o *brokerOptions) credentials() (username, password, token string) {
	token = o.token
	if token == "" {
		token = envOr("", "PACT_BROKER_TOKEN")
	}
	password = o.password
	if password == "" {
		password = envOr("", "PACT_BROKER_PASSWORD")
	}
	return o.username, password, token
}
