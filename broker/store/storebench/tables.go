package storebench

import (
	"fmt"
	"sort"
	"time"
)

// table is one table's rows, produced on demand so a million rows need no second copy.
type table struct {
	name     string
	cols     []string
	rows     int
	identity bool // has an id column whose sequence must follow (PostgreSQL)
	row      func(i int, dst []any)
}

var implementations = []string{`{"implementation":"Pact-JVM","version":"4.6.14"}`, `{"implementation":"Pact-JS","version":"13.1.4"}`,
	`{"implementation":"Pact-Rust","version":"1.1.4"}`, `{"implementation":"pact-go","version":"2.4.1"}`}

// tables lists the rows in foreign-key order. Ids are indexes plus one.
func (s *sim) tables() []table {
	id := func(i int32) int64 { return int64(i) + 1 }
	opt := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	var integrations []integrationRec
	for _, in := range s.integrations {
		if in.published {
			integrations = append(integrations, in)
		}
	}
	sort.SliceStable(integrations, func(a, b int) bool { return integrations[a].created.Before(integrations[b].created) })
	latest := make([]uint64, 0, len(s.latestVerif))
	for k := range s.latestVerif {
		latest = append(latest, k)
	}
	sort.Slice(latest, func(a, b int) bool { return latest[a] < latest[b] })
	testResults := make([]string, 2*16)
	for n := range 16 {
		testResults[2*n] = fmt.Sprintf(`{"summary":{"testCount":%d,"failureCount":0}}`, n+2)
		testResults[2*n+1] = fmt.Sprintf(`{"summary":{"testCount":%d,"failureCount":1}}`, n+2)
	}
	return []table{
		{name: "pacticipants", identity: true, rows: len(s.parts),
			cols: []string{"id", "name", "display_name", "main_branch", "repository_url", "repository_name", "repository_namespace", "created_at", "updated_at"},
			row: func(i int, d []any) {
				p := s.parts[i]
				team := fmt.Sprintf("team-%s", domains[i%len(domains)])
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8] = int64(i+1), p.name, "", p.mainBranch,
					"https://git.example.com/"+team+"/"+p.name, p.name, team, p.created, p.created
			}},
		{name: "environments", identity: true, rows: len(s.envs),
			cols: []string{"id", "uuid", "name", "display_name", "production", "contacts", "created_at", "updated_at"},
			row: func(i int, d []any) {
				e := s.envs[i]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = int64(i+1), e.uuid, e.name, e.display, e.production, "[]", e.created, e.created
			}},
		{name: "versions", identity: true, rows: len(s.versions),
			cols: []string{"id", "pacticipant_id", "number", "build_url", "created_at", "updated_at"},
			row: func(i int, d []any) {
				v := &s.versions[i]
				d[0], d[1], d[2], d[3], d[4], d[5] = int64(i+1), id(v.p), v.number,
					fmt.Sprintf("https://ci.example.com/%s/builds/%d", s.parts[v.p].name, i+1), v.at, v.at
			}},
		{name: "branches", identity: true, rows: len(s.branches),
			cols: []string{"id", "pacticipant_id", "name", "head_version_id", "created_at", "updated_at"},
			row: func(i int, d []any) {
				b := &s.branches[i]
				d[0], d[1], d[2], d[3], d[4], d[5] = int64(i+1), id(b.p), b.name, id(b.head), b.at, b.updated
			}},
		{name: "branch_versions", identity: true, rows: len(s.versions),
			cols: []string{"id", "branch_id", "version_id", "pacticipant_id", "created_at"},
			row: func(i int, d []any) {
				v := &s.versions[i]
				d[0], d[1], d[2], d[3], d[4] = int64(i+1), id(v.branch), int64(i+1), id(v.p), v.at
			}},
		{name: "tags", identity: true, rows: len(s.tags),
			cols: []string{"id", "version_id", "pacticipant_id", "name", "created_at"},
			row: func(i int, d []any) {
				t := &s.tags[i]
				d[0], d[1], d[2], d[3], d[4] = int64(i+1), id(t.version), id(t.p), t.name, t.at
			}},
		{name: "deployed_versions", identity: true, rows: len(s.deployments),
			cols: []string{"id", "uuid", "version_id", "pacticipant_id", "environment_id", "target", "created_at", "undeployed_at"},
			row: func(i int, d []any) {
				x := &s.deployments[i]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = int64(i+1), x.uuid, id(x.version), id(x.p), id(x.env), nil, x.at, opt(x.undeployedAt)
			}},
		{name: "released_versions", identity: true, rows: len(s.releases),
			cols: []string{"id", "uuid", "version_id", "pacticipant_id", "environment_id", "created_at", "support_ended_at"},
			row: func(i int, d []any) {
				x := &s.releases[i]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6] = int64(i+1), x.uuid, id(x.version), id(x.p), id(x.env), x.at, opt(x.endedAt)
			}},
		{name: "integrations", identity: true, rows: len(integrations),
			cols: []string{"id", "consumer_id", "provider_id", "created_at", "contract_data_updated_at"},
			row: func(i int, d []any) {
				in := &integrations[i]
				d[0], d[1], d[2], d[3], d[4] = int64(i+1), int64(in.consumer+1), int64(in.provider+1), in.created, in.updated
			}},
		{name: "pact_versions", identity: true, rows: len(s.pactVersions),
			cols: []string{"id", "consumer_id", "provider_id", "sha", "content", "created_at"},
			row: func(i int, d []any) {
				pv := &s.pactVersions[i]
				d[0], d[1], d[2], d[3], d[4], d[5] = int64(i+1), id(pv.consumer), id(pv.provider), pv.sha, pv.content, pv.at
			}},
		{name: "pact_publications", identity: true, rows: len(s.publications),
			cols: []string{"id", "consumer_id", "provider_id", "consumer_version_id", "pact_version_id", "revision", "created_at"},
			row: func(i int, d []any) {
				p := &s.publications[i]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6] = int64(i+1), id(p.consumer), id(p.provider), id(p.version), id(p.pv), int64(1), p.at
			}},
		// Every (consumer version, provider) is published once, so each publication is the
		// latest revision.
		{name: "latest_pact_publications", rows: len(s.publications),
			cols: []string{"consumer_version_id", "provider_id", "consumer_id", "publication_id", "pact_version_id"},
			row: func(i int, d []any) {
				p := &s.publications[i]
				d[0], d[1], d[2], d[3], d[4] = id(p.version), id(p.provider), id(p.consumer), int64(i+1), id(p.pv)
			}},
		{name: "verifications", identity: true, rows: len(s.verifications),
			cols: []string{"id", "pact_version_id", "consumer_id", "provider_id", "provider_version_id", "success", "build_url",
				"test_results", "verified_by", "wip", "pact_pending", "execution_date", "created_at"},
			row: func(i int, d []any) {
				v := &s.verifications[i]
				pv := &s.pactVersions[v.pv]
				at := time.UnixMicro(v.at).UTC()
				results := testResults[2*(int(v.pv)%16)]
				if !v.success {
					results = testResults[2*(int(v.pv)%16)+1]
				}
				d[0], d[1], d[2], d[3], d[4], d[5] = int64(i+1), id(v.pv), id(pv.consumer), id(pv.provider), id(v.version), v.success
				d[6] = fmt.Sprintf("https://ci.example.com/%s/builds/%d", s.parts[pv.provider].name, int64(v.version)+1)
				d[7], d[8], d[9], d[10], d[11], d[12] = results, implementations[int(pv.provider)%len(implementations)], false, v.pending, at, at
			}},
		{name: "latest_verifications", rows: len(latest),
			cols: []string{"pact_version_id", "provider_version_id", "verification_id", "provider_id", "success"},
			row: func(i int, d []any) {
				k := latest[i]
				pv, ver := int32(k>>32), int32(k&0xffffffff)
				vf := s.latestVerif[k]
				d[0], d[1], d[2], d[3], d[4] = id(pv), id(ver), id(vf), id(s.pactVersions[pv].provider), s.verifications[vf].success
			}},
	}
}
