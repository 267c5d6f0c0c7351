package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/gates/github"
)

// gateServeOptions are serve's flags for the release gates: the GitHub deployment protection
// rule adapter, and how often waiting requests are looked at.
type gateServeOptions struct {
	githubSecret       string
	githubToken        string
	githubAPIURL       string
	githubRepositories []string
	githubEnvironments []string
	pollInterval       time.Duration
}

func (o *gateServeOptions) addFlags(f *pflag.FlagSet) {
	// The secrets are read from the environment when serve runs, so --help never shows them.
	f.StringVar(&o.githubSecret, "github-webhook-secret", "", "secret of GitHub's deployment_protection_rule webhook; turns on POST /gates/github (TREATY_GITHUB_WEBHOOK_SECRET)")
	f.StringVar(&o.githubToken, "github-token", "", "token for GitHub's deployment callbacks (TREATY_GITHUB_TOKEN)")
	f.StringVar(&o.githubAPIURL, "github-api-url", envOr(github.DefaultAPIURL, "TREATY_GITHUB_API_URL"), "GitHub's API; callbacks go nowhere else (TREATY_GITHUB_API_URL)")
	f.StringSliceVar(&o.githubRepositories, "github-repository", envList("TREATY_GITHUB_REPOSITORIES", nil),
		"OWNER/REPO=PACTICIPANT for a repository whose pacticipant's repository URL does not name it, repeatable (TREATY_GITHUB_REPOSITORIES, comma-separated)")
	f.StringSliceVar(&o.githubEnvironments, "github-environment", envList("TREATY_GITHUB_ENVIRONMENTS", nil),
		"GITHUB_ENV=ENVIRONMENT where GitHub names an environment differently, repeatable (TREATY_GITHUB_ENVIRONMENTS, comma-separated)")
	f.DurationVar(&o.pollInterval, "gate-poll-interval", envDuration("TREATY_GATE_POLL_INTERVAL", 5*time.Second),
		"how often pending GitHub deployments are looked at, besides when a fact arrives (TREATY_GATE_POLL_INTERVAL)")
}

// config builds the gates' API configuration and, when the GitHub adapter is on, its waiter.
func (o *gateServeOptions) config(st *store.Store, log *slog.Logger, baseURL string) (api.GatesConfig, *github.Waiter, error) {
	secret := o.githubSecret
	if secret == "" {
		secret = os.Getenv("TREATY_GITHUB_WEBHOOK_SECRET")
	}
	token := o.githubToken
	if token == "" {
		token = os.Getenv("TREATY_GITHUB_TOKEN")
	}
	if secret == "" {
		if token != "" || len(o.githubRepositories) > 0 {
			return api.GatesConfig{}, nil, fmt.Errorf("--github-token and --github-repository need --github-webhook-secret")
		}
		return api.GatesConfig{}, nil, nil
	}
	repos, err := pairs("--github-repository", o.githubRepositories)
	if err != nil {
		return api.GatesConfig{}, nil, err
	}
	envs, err := pairs("--github-environment", o.githubEnvironments)
	if err != nil {
		return api.GatesConfig{}, nil, err
	}
	cfg := github.Config{Secret: secret, Token: token, APIURL: o.githubAPIURL, Repositories: repos, Environments: envs}
	waiter := github.NewWaiter(github.Options{Config: cfg, Store: st, PollInterval: o.pollInterval, BaseURL: baseURL, Logger: log,
		Engine: &gates.Engine{Store: st, Contracts: gates.MatrixContracts{Data: st}}})
	return api.GatesConfig{GitHub: &cfg, Notify: waiter.Nudge}, waiter, nil
}

// run starts the waiter, if any; the channel closes when it has stopped.
func (o *gateServeOptions) run(ctx context.Context, w *github.Waiter) <-chan struct{} {
	done := make(chan struct{})
	if w == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return done
}

// pairs reads KEY=VALUE items.
func pairs(flag string, items []string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range items {
		k, v, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%s %q is not KEY=VALUE", flag, item)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}
