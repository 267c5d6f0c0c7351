package storebench_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storebench"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

var smallConfig = storebench.Config{Pacticipants: 12, Integrations: 20, Versions: 800, Verifications: 5000, Environments: 3, RandSeed: 7}

// headChecks count the rows where a head table disagrees with the rows it summarises, the
// way the store maintains it; every count must be zero.
var headChecks = []struct{ name, query string }{
	{"latest pact publication is not the latest revision", `SELECT COUNT(*) FROM latest_pact_publications lp
		JOIN pact_publications pp ON pp.id = lp.publication_id
		WHERE pp.consumer_version_id <> lp.consumer_version_id OR pp.provider_id <> lp.provider_id OR pp.consumer_id <> lp.consumer_id
		OR pp.pact_version_id <> lp.pact_version_id
		OR pp.revision <> (SELECT MAX(revision) FROM pact_publications p2 WHERE p2.consumer_version_id = pp.consumer_version_id AND p2.provider_id = pp.provider_id)`},
	{"published pact without a latest publication", `SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT consumer_version_id, provider_id FROM pact_publications) x)
		- (SELECT COUNT(*) FROM latest_pact_publications)`},
	{"branch head is not its newest version", `SELECT COUNT(*) FROM branches b
		WHERE b.head_version_id IS DISTINCT FROM (SELECT MAX(version_id) FROM branch_versions bv WHERE bv.branch_id = b.id)`},
	{"latest verification is not the newest result", `SELECT COUNT(*) FROM latest_verifications lv JOIN verifications v ON v.id = lv.verification_id
		WHERE v.pact_version_id <> lv.pact_version_id OR v.provider_version_id <> lv.provider_version_id OR v.provider_id <> lv.provider_id
		OR v.success <> lv.success
		OR v.id <> (SELECT MAX(id) FROM verifications v2 WHERE v2.pact_version_id = lv.pact_version_id AND v2.provider_version_id = lv.provider_version_id)`},
	{"verified pair without a latest verification", `SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT pact_version_id, provider_version_id FROM verifications) x)
		- (SELECT COUNT(*) FROM latest_verifications)`},
	{"verification of another integration's content", `SELECT COUNT(*) FROM verifications v JOIN pact_versions pv ON pv.id = v.pact_version_id
		JOIN versions pver ON pver.id = v.provider_version_id
		WHERE v.consumer_id <> pv.consumer_id OR v.provider_id <> pv.provider_id OR pver.pacticipant_id <> v.provider_id`},
	{"publication without its integration", `SELECT COUNT(*) FROM (SELECT DISTINCT consumer_id, provider_id FROM pact_publications) x
		LEFT JOIN integrations i ON i.consumer_id = x.consumer_id AND i.provider_id = x.provider_id WHERE i.id IS NULL`},
	{"pacticipant not deployed exactly once per environment", `SELECT COUNT(*) FROM pacticipants p CROSS JOIN environments e
		WHERE (SELECT COUNT(*) FROM deployed_versions d WHERE d.pacticipant_id = p.id AND d.environment_id = e.id AND d.undeployed_at IS NULL) <> 1`},
	{"pacticipant without a head on its main branch", `SELECT COUNT(*) FROM pacticipants p
		WHERE NOT EXISTS (SELECT 1 FROM branches b WHERE b.pacticipant_id = p.id AND b.name = p.main_branch AND b.head_version_id IS NOT NULL)`},
	{"version not on exactly one branch", `SELECT COUNT(*) FROM versions v WHERE (SELECT COUNT(*) FROM branch_versions bv WHERE bv.version_id = v.id) <> 1`},
}

func TestSeedBuildsAConsistentBroker(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, storetest.Options{}, func(t *testing.T, st *store.Store) {
		m, err := storebench.Seed(ctx, st, smallConfig)
		if err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"pacticipants": smallConfig.Pacticipants, "integrations": smallConfig.Integrations,
			"versions": smallConfig.Versions, "verifications": smallConfig.Verifications, "environments": smallConfig.Environments} {
			if m.Rows[table] != want {
				t.Errorf("%s: %d rows, want %d", table, m.Rows[table], want)
			}
		}
		db, err := st.DB()
		if err != nil {
			t.Fatal(err)
		}
		for table, want := range m.Rows {
			var got int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&got); err != nil || got != want {
				t.Errorf("%s holds %d rows (%v), the manifest says %d", table, got, err, want)
			}
		}
		for _, c := range headChecks {
			var bad int
			if err := db.QueryRowContext(ctx, c.query).Scan(&bad); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if bad != 0 {
				t.Errorf("%s: %d rows", c.name, bad)
			}
		}
		checkStoreReadsIt(t, st, m)
		if _, err := storebench.Seed(ctx, st, smallConfig); err == nil {
			t.Error("seeding a database that is not empty succeeded")
		}
	})
}

// checkStoreReadsIt asks the store what a client would: the seeded broker must look to it
// like one it built itself, and take new writes.
func checkStoreReadsIt(t *testing.T, st *store.Store, m *storebench.Manifest) {
	ctx := context.Background()
	var consumer storebench.PacticipantInfo
	for _, p := range m.Pacticipants {
		if len(p.Providers) > 0 {
			consumer = p
			break
		}
	}
	latest, err := st.LatestVersion(ctx, consumer.Name, broker.VersionSelector{Branch: consumer.MainBranch})
	if err != nil || latest.Number != consumer.RecentVersions[0] {
		t.Errorf("latest %s version of %s: %q, %v; want %q", consumer.MainBranch, consumer.Name, latest.Number, err, consumer.RecentVersions[0])
	}
	for _, env := range m.Environments {
		res, err := broker.Matrix(ctx, st, broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: consumer.Name, Version: consumer.RecentVersions[0]}},
			Environment: env, LatestBy: broker.LatestByCVPV})
		if err != nil {
			t.Fatalf("can-i-deploy %s to %s: %v", consumer.Name, env, err)
		}
		if len(res.Rows) == 0 {
			t.Errorf("can-i-deploy %s to %s: no rows", consumer.Name, env)
		}
	}
	// Publishing the content on main again reuses it: the seeded SHAs are the store's.
	db, _ := st.DB()
	var before, after int
	_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pact_versions").Scan(&before)
	req := broker.PublishRequest{Pacticipant: consumer.Name, Version: "bench-check-1", Branch: consumer.MainBranch}
	for _, c := range consumer.Providers {
		req.Contracts = append(req.Contracts, broker.ContractToPublish{Consumer: consumer.Name, Provider: c.Provider,
			Content: storebench.PactContent(consumer.Name, c.Provider, c.Serial)})
	}
	if _, err := st.Publish(ctx, req); err != nil {
		t.Fatalf("publish on the seeded broker: %v", err)
	}
	_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pact_versions").Scan(&after)
	if after != before {
		t.Errorf("republishing the main content created %d pact contents", after-before)
	}
	latest, err = st.LatestVersion(ctx, consumer.Name, broker.VersionSelector{Branch: consumer.MainBranch})
	if err != nil || latest.Number != "bench-check-1" {
		t.Errorf("after publishing, latest %s version of %s: %q, %v", consumer.MainBranch, consumer.Name, latest.Number, err)
	}
}

func TestWorkloadIsReproducible(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var manifests []*storebench.Manifest
	for range 2 {
		st := storetest.Open(t, storetest.Options{})[0].Store
		cfg := smallConfig
		cfg.End = end
		m, err := storebench.Seed(ctx, st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.SeedSeconds, m.SimulateSeconds, m.WriteSeconds, m.SeededAt = 0, 0, 0, time.Time{}
		manifests = append(manifests, m)
	}
	if !reflect.DeepEqual(manifests[0], manifests[1]) {
		t.Error("the same seed built two different brokers")
	}
	w, err := storebench.NewWorkload(manifests[0])
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, req := range []storebench.Request{w.CanIDeploy(r), w.CanIDeployMatrix(r), w.IntegrationMatrix(r), w.ForVerification(r), w.Publish(r, "1")} {
		if req.Method == "" || req.Path == "" || req.Path[0] != '/' {
			t.Errorf("bad request %+v", req)
		}
	}
}
