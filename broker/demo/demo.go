package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"path"

	"github.com/treaty-dev/treaty/broker"
)

//go:embed pacts/*.json
var pactFiles embed.FS

// IsEmpty reports whether the broker holds no pacticipants yet.
func IsEmpty(ctx context.Context, s broker.Store) (bool, error) {
	list, _, err := s.Pacticipants(ctx, broker.ListQuery{Size: 1})
	return len(list) == 0, err
}

// Load writes the seed's story: the three services, two releases of order-service with
// their pacts, the environments, and what is deployed where.
func Load(ctx context.Context, s broker.Store) error {
	services := []struct{ name, display, repo string }{
		{"order-service", "Order Service", "https://git.example.com/shop/order-service"},
		{"payment-service", "Payment Service", "https://git.example.com/shop/payment-service"},
		{"user-service", "User Service", "https://git.example.com/shop/user-service"},
	}
	main := "main"
	for _, svc := range services {
		display, repo := svc.display, svc.repo
		if _, _, err := s.PatchPacticipant(ctx, svc.name, broker.PacticipantPatch{DisplayName: &display, MainBranch: &main, RepositoryURL: &repo}); err != nil {
			return fmt.Errorf("demo pacticipant %s: %w", svc.name, err)
		}
	}
	envs := map[string]broker.Environment{}
	for _, e := range []broker.Environment{
		{Name: "staging", DisplayName: "Staging", Contacts: []broker.Contact{{Name: "Platform team", Details: map[string]any{"emailAddress": "platform@example.com"}}}},
		{Name: "production", DisplayName: "Production", Production: true, Contacts: []broker.Contact{{Name: "On-call", Details: map[string]any{"slack": "#oncall"}}}},
	} {
		created, err := s.CreateEnvironment(ctx, e)
		if err != nil {
			return fmt.Errorf("demo environment %s: %w", e.Name, err)
		}
		envs[e.Name] = created
	}
	contracts, err := demoContracts()
	if err != nil {
		return err
	}
	for _, release := range []struct{ version, build string }{
		{"a3f9c21", "https://ci.example.com/order-service/41"},
		{"b71e0d4", "https://ci.example.com/order-service/42"},
	} {
		if _, err := s.Publish(ctx, broker.PublishRequest{Pacticipant: "order-service", Version: release.version, Branch: "main",
			BuildURL: release.build, Contracts: contracts}); err != nil {
			return fmt.Errorf("demo publish order-service %s: %w", release.version, err)
		}
	}
	for _, v := range []struct{ pacticipant, number string }{
		{"payment-service", "p1c0ffe"}, {"payment-service", "p2d00d5"}, {"user-service", "u9a8b7c"}, {"payment-service", "p3bad00"},
	} {
		if _, _, err := s.AddBranchVersion(ctx, v.pacticipant, "main", v.number); err != nil {
			return fmt.Errorf("demo version %s %s: %w", v.pacticipant, v.number, err)
		}
	}
	// The providers verified order-service's pacts; the careless payment-service release
	// p3bad00 renamed transaction_id and failed.
	for _, v := range []struct {
		provider, version string
		success           bool
	}{
		{"payment-service", "p1c0ffe", true}, {"payment-service", "p2d00d5", true}, {"user-service", "u9a8b7c", true}, {"payment-service", "p3bad00", false},
	} {
		pact, err := s.Pact(ctx, broker.PactQuery{Consumer: "order-service", Provider: v.provider, Version: "a3f9c21"})
		if err != nil {
			return fmt.Errorf("demo pact with %s: %w", v.provider, err)
		}
		success := v.success
		results := `[{"interactionId":"demo","success":true}]`
		if !success {
			results = `[{"interactionDescription":"a charge for an order","success":false,"mismatches":[{"attribute":"body","identifier":"$.transaction_id","description":"Actual map is missing the following keys: transaction_id"}]}]`
		}
		if _, err := s.PublishVerification(ctx, broker.VerificationRequest{Consumer: "order-service", Provider: v.provider, SHA: pact.SHA,
			ProviderVersion: v.version, Success: &success, BuildURL: "https://ci.example.com/" + v.provider + "/" + v.version,
			TestResults: json.RawMessage(results)}); err != nil {
			return fmt.Errorf("demo verification by %s %s: %w", v.provider, v.version, err)
		}
	}
	for _, d := range []struct{ pacticipant, number, env string }{
		{"payment-service", "p1c0ffe", "production"}, {"user-service", "u9a8b7c", "production"}, {"order-service", "a3f9c21", "production"},
		{"payment-service", "p2d00d5", "staging"}, {"user-service", "u9a8b7c", "staging"}, {"order-service", "b71e0d4", "staging"},
	} {
		if _, err := s.RecordDeployment(ctx, d.pacticipant, d.number, envs[d.env].UUID, nil); err != nil {
			return fmt.Errorf("demo deployment %s %s to %s: %w", d.pacticipant, d.number, d.env, err)
		}
	}
	return nil
}

func demoContracts() ([]broker.ContractToPublish, error) {
	entries, err := pactFiles.ReadDir("pacts")
	if err != nil {
		return nil, err
	}
	var out []broker.ContractToPublish
	for _, e := range entries {
		data, err := pactFiles.ReadFile(path.Join("pacts", e.Name()))
		if err != nil {
			return nil, err
		}
		doc, err := broker.ParsePact(data)
		if err != nil {
			return nil, fmt.Errorf("demo pact %s: %w", e.Name(), err)
		}
		out = append(out, broker.ContractToPublish{Consumer: doc.ConsumerName(), Provider: doc.ProviderName(), Content: data})
	}
	return out, nil
}
