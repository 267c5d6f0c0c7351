package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
	"github.com/treaty-dev/treaty/examples/payment-service/payment"
	"github.com/treaty-dev/treaty/examples/user-service/users"
	"github.com/treaty-dev/treaty/verifier"
)

// cannotStartError means the story cannot be played: the broker does not answer or refuses
// the credentials, or the pacts to publish cannot be read.
type cannotStartError struct{ msg string }

func (e *cannotStartError) Error() string { return e.msg }

// contradiction is a step whose outcome is not the one the story tells.
type contradiction struct{ msg string }

func (e *contradiction) Error() string { return e.msg }

func contradict(format string, args ...any) error {
	return &contradiction{msg: fmt.Sprintf(format, args...)}
}

const (
	consumer = "order-service"
	branch   = "main"
)

// story is one play of the demo against a broker.
type story struct {
	cfg    config
	broker *client.Client
	out    io.Writer
	n      int // the step being told

	orderVersion, paymentVersion, userVersion, carelessVersion string
}

// provider is a provider running in this process, as its CI would run it for verification.
type provider struct {
	name, version, url string
	stop               func()
}

func (s *story) play(ctx context.Context) error {
	if err := s.checkBroker(ctx); err != nil {
		return err
	}
	s.orderVersion = "o" + s.cfg.runID
	s.paymentVersion = "p" + s.cfg.runID
	s.userVersion = "u" + s.cfg.runID
	s.carelessVersion = "p" + s.cfg.runID + "-careless"
	fmt.Fprintf(s.out, "The seed's story, played against the broker at %s.\n", s.cfg.brokerURL)
	fmt.Fprintf(s.out, "Every version number below ends in %s, so the story can be played again on the same broker.\n", s.cfg.runID)

	if err := s.publish(ctx); err != nil {
		return err
	}

	s.step("The providers start: payment-service and user-service, on loopback ports in this process.",
		"In a real pipeline each provider's CI starts the build it is about to release.")
	paymentServer, err := payment.New(payment.Options{})
	if err != nil {
		return err
	}
	pay, err := s.start(ctx, "payment-service", s.paymentVersion, paymentServer)
	if err != nil {
		return err
	}
	defer pay.stop()
	usr, err := s.start(ctx, "user-service", s.userVersion, users.New(nil))
	if err != nil {
		return err
	}
	defer usr.stop()

	s.step("Each provider verifies the pacts the broker selects for it, and publishes the results.",
		"The selectors are the usual ones: the consumer's main branch, and whatever is deployed or released.")
	for _, p := range []*provider{pay, usr} {
		if err := s.verify(ctx, p, true); err != nil {
			return err
		}
	}

	if err := s.environments(ctx); err != nil {
		return err
	}

	// Providers go first: a consumer can only deploy where its providers already honour its pact.
	for _, env := range []string{"staging", "production"} {
		s.step(fmt.Sprintf("Deploy to %s: the providers first, then the consumer. Each version asks can-i-deploy, then records its deployment.", env))
		for _, pv := range [][2]string{{"payment-service", s.paymentVersion}, {"user-service", s.userVersion}, {consumer, s.orderVersion}} {
			if err := s.deploy(ctx, pv[0], pv[1], env); err != nil {
				return err
			}
		}
	}

	s.step("A careless payment-service release: "+s.carelessVersion+" renames transaction_id to txn_id in its responses.",
		"Its CI verifies it like any other build, and publishes the result, failure included.")
	carelessServer, err := payment.New(payment.Options{Breaking: true})
	if err != nil {
		return err
	}
	careless, err := s.start(ctx, "payment-service", s.carelessVersion, carelessServer)
	if err != nil {
		return err
	}
	defer careless.stop()
	if err := s.verify(ctx, careless, false); err != nil {
		return err
	}

	s.step("Can the careless release go to production?")
	if _, err := s.canIDeploy(ctx, "payment-service", s.carelessVersion, "production", false); err != nil {
		return err
	}
	s.say("")
	s.say("It stays out: order-service %s runs in production and reads transaction_id.", s.orderVersion)
	fmt.Fprintf(s.out, "\nThe story went as told. See it in the broker: %s/matrix/provider/payment-service/consumer/%s\n",
		strings.TrimRight(s.cfg.brokerURL, "/"), consumer)
	return nil
}

func (s *story) step(title string, explain ...string) {
	s.n++
	fmt.Fprintf(s.out, "\n%d. %s\n", s.n, title)
	for _, e := range explain {
		s.say("%s", e)
	}
}

func (s *story) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if line == "" {
		fmt.Fprintln(s.out)
		return
	}
	fmt.Fprintf(s.out, "   %s\n", line)
}

// command shows the Treaty command that does what the step does, for the reader to try.
func (s *story) command(args ...string) { s.say("$ treaty %s", strings.Join(args, " ")) }

// checkBroker asks for the broker's index: that tells whether it answers, and whether it
// takes the credentials.
func (s *story) checkBroker(ctx context.Context) error {
	_, err := s.broker.Index(ctx)
	var be *client.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be) && (be.Status == http.StatusUnauthorized || be.Status == http.StatusForbidden):
		return &cannotStartError{msg: fmt.Sprintf("the broker at %s refused the credentials (%d): set PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD",
			s.cfg.brokerURL, be.Status)}
	case errors.As(err, &be):
		return &cannotStartError{msg: fmt.Sprintf("the broker at %s answered %d: %v", s.cfg.brokerURL, be.Status, err)}
	default:
		// The client's error names the broker's URL already.
		return &cannotStartError{msg: fmt.Sprintf("%v\nstart the broker with make run first (or point PACT_BROKER_BASE_URL at one)", err)}
	}
}

// publish is order-service's CI publishing the pacts its contract tests wrote.
func (s *story) publish(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(s.cfg.pactDir, "*.json"))
	if err != nil || len(files) == 0 {
		return &cannotStartError{msg: fmt.Sprintf("no pact files in %s (run the demo from the repository's root, or give --pact-dir)", s.cfg.pactDir)}
	}
	s.step("order-service, the consumer, publishes its pacts.",
		fmt.Sprintf("Its contract tests wrote them to %s; its CI publishes them as version %s on branch %s:", s.cfg.pactDir, s.orderVersion, branch))
	req := client.PublishRequest{Pacticipant: consumer, Version: s.orderVersion, Branch: branch}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			return &cannotStartError{msg: err.Error()}
		}
		doc, err := broker.ParsePact(content)
		if err != nil {
			return &cannotStartError{msg: fmt.Sprintf("%s: %v", f, err)}
		}
		n := len(doc.Interactions())
		s.say("  %s → %s: %d %s", doc.ConsumerName(), doc.ProviderName(), n, plural(n, "interaction"))
		req.Contracts = append(req.Contracts, client.Contract{Consumer: doc.ConsumerName(), Provider: doc.ProviderName(), Content: content})
	}
	s.command("publish", s.cfg.pactDir, "--consumer-app-version", s.orderVersion, "--branch", branch)
	res, err := s.broker.Publish(ctx, req)
	if err != nil {
		return contradict("the broker refused the pacts: %v", err)
	}
	s.say("The broker says:")
	for _, n := range res.Notices {
		for _, line := range strings.Split(strings.TrimSpace(n.Text), "\n") {
			s.say("  %s", line)
		}
	}
	return nil
}

// start serves a provider's handler on a free loopback port.
func (s *story) start(ctx context.Context, name, version string, h http.Handler) (*provider, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	p := &provider{name: name, version: version, url: "http://" + ln.Addr().String(), stop: func() { _ = srv.Close() }}
	s.say("%s %s listening on %s", name, version, p.url)
	return p, nil
}

// verify is a provider's CI verifying the pacts the broker selects, and publishing the
// results; wantSuccess is what the story expects.
func (s *story) verify(ctx context.Context, p *provider, wantSuccess bool) error {
	s.say("")
	s.say("%s %s:", p.name, p.version)
	s.command("verify", "--provider", p.name, "--provider-base-url", p.url, "--state-change-url", p.url+httpsvc.StatesPath,
		"--main-branch", "--deployed-or-released", "--enable-pending", "--publish", "--provider-version", p.version, "--provider-branch", branch)
	rep, err := verifier.Verify(ctx, verifier.Options{
		Provider: p.name, ProviderBaseURL: p.url, StateChangeURL: p.url + httpsvc.StatesPath,
		BrokerURL: s.cfg.brokerURL, BrokerToken: s.cfg.token, BrokerUsername: s.cfg.username, BrokerPassword: s.cfg.password,
		Selectors:     []json.RawMessage{json.RawMessage(`{"mainBranch":true}`), json.RawMessage(`{"deployedOrReleased":true}`)},
		EnablePending: true,
		Publish:       true, ProviderVersion: p.version, ProviderBranch: branch,
	}, nil)
	var ue *verifier.UnreachableError
	if errors.As(err, &ue) && ue.What == "broker" {
		return &cannotStartError{msg: err.Error()}
	}
	if err != nil {
		return contradict("verification of %s %s could not run: %v", p.name, p.version, err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, line := range strings.Split(strings.TrimRight(text.String(), "\n"), "\n") {
		if line != "" {
			s.say("  %s", line)
		}
	}
	switch {
	case rep.Success && wantSuccess:
		s.say("Verified; the results are published to the broker as %s %s on %s.", p.name, p.version, branch)
	case !rep.Success && !wantSuccess:
		s.say("Verification FAILED, as it should: the consumer reads a field this release no longer sends.")
		s.say("The failure is published to the broker as %s %s on %s.", p.name, p.version, branch)
	case wantSuccess:
		return contradict("%s %s failed the verification of pacts it honours", p.name, p.version)
	default:
		return contradict("%s %s passed the verification, though it breaks the contract", p.name, p.version)
	}
	return nil
}

// environments makes sure staging and production exist.
func (s *story) environments(ctx context.Context) error {
	s.step("The environments: staging, and production.")
	for _, e := range []client.EnvironmentRequest{
		{Name: "staging", DisplayName: "Staging"},
		{Name: "production", DisplayName: "Production", Production: true},
	} {
		_, err := s.broker.EnvironmentByName(ctx, e.Name)
		switch {
		case err == nil:
			s.say("%s exists already.", e.Name)
		case errors.Is(err, client.ErrNotFound):
			args := []string{"environment", "create", "--name", e.Name}
			if e.Production {
				args = append(args, "--production")
			}
			s.command(args...)
			if _, err := s.broker.CreateEnvironment(ctx, e); err != nil {
				return contradict("create environment %s: %v", e.Name, err)
			}
			s.say("Created %s.", e.Name)
		default:
			return contradict("look up environment %s: %v", e.Name, err)
		}
	}
	return nil
}

// deploy asks can-i-deploy, expecting yes, and records the deployment.
func (s *story) deploy(ctx context.Context, pacticipant, version, env string) error {
	s.say("")
	if _, err := s.canIDeploy(ctx, pacticipant, version, env, true); err != nil {
		return err
	}
	s.command("record-deployment", "--pacticipant", pacticipant, "--version", version, "--environment", env)
	d, err := s.broker.RecordDeployment(ctx, pacticipant, version, env, "")
	if err != nil {
		return contradict("record the deployment of %s %s to %s: %v", pacticipant, version, env, err)
	}
	if !d.CurrentlyDeployed {
		return contradict("the broker does not show %s %s as deployed to %s", pacticipant, version, env)
	}
	s.say("Recorded: %s %s is deployed to %s (it replaces the version that ran there).", pacticipant, version, env)
	return nil
}

// canIDeploy asks the broker whether a version can go to an environment and prints its
// answer: the verdict, the reason, and the pacts it judged from.
func (s *story) canIDeploy(ctx context.Context, pacticipant, version, env string, want bool) (*client.Matrix, error) {
	s.command("can-i-deploy", "--pacticipant", pacticipant, "--version", version, "--to-environment", env)
	m, err := s.broker.Matrix(ctx, client.CanIDeployQuery([]client.MatrixSelector{{Pacticipant: pacticipant, Version: version}}, nil,
		client.DeployTarget{Environment: env}))
	if err != nil {
		return nil, contradict("can-i-deploy %s %s to %s: %v", pacticipant, version, env, err)
	}
	for _, r := range m.Rows {
		result := "not verified"
		if ok := r.Success(); ok != nil && *ok {
			result = "verified"
		} else if ok != nil {
			result = "FAILED"
		}
		s.say("  %s %s ⇄ %s %s: %s", r.Consumer.Name, orNone(r.Consumer.VersionNumber()), r.Provider.Name, orNone(r.Provider.VersionNumber()), result)
	}
	yes := m.Summary.Deployable != nil && *m.Summary.Deployable
	if yes {
		s.say("Computer says yes \\o/")
	} else {
		s.say("Computer says no ¯\\_(ツ)_/¯")
	}
	for _, line := range strings.Split(strings.TrimSpace(m.Summary.Reason), "\n") {
		if line != "" {
			s.say("  the broker: %s", line)
		}
	}
	if yes != want {
		return m, contradict("can-i-deploy %s %s to %s answered %s: %s", pacticipant, version, env, yesNo(yes), m.Summary.Reason)
	}
	return m, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
