package storebench

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/treaty-dev/treaty/broker"
)

// The simulation keeps every row in memory, indexed from 0 (the row's id is index+1), then
// Seed writes table after table in foreign-key order. A year of history is replayed one
// version at a time, so ids grow with time as they do in a real broker.

// Probabilities of the simulated organisation.
const (
	mainCommitShare     = 0.72 // of versions built from the main branch
	newFeatureBranch    = 0.25 // a feature commit starts a new branch rather than continuing one
	maxFeatureBranches  = 4    // active at once per pacticipant
	mainContentChange   = 0.05 // a main build changes a pact's content
	firstFeatureChange  = 0.40 // the first build of a feature branch changes a pact's content
	laterFeatureChange  = 0.10
	deployToFirstEnv    = 0.50 // a main build is deployed to the first environment
	releaseShare        = 0.08 // a main build of a released (mobile) app is released
	supportedReleases   = 3    // released versions still supported per app
	legacyTaggingShare  = 0.25 // of pacticipants that also tag versions (branch and environment tags)
	masterBranchShare   = 0.15 // of pacticipants whose main branch is "master"
	semverNumberShare   = 0.30 // of pacticipants numbering versions 1.2.3+sha rather than by git SHA
	mainHistoryKept     = 8    // older main contents a provider may still verify
	verifiedSuccessRate = 0.97
	pendingSuccessRate  = 0.80
	historySuccessRate  = 0.93
)

// promotion[e] is the chance that a main build promotes environment e-1's version to e.
var promotion = []float64{0, 0.20, 0.10, 0.06}

var domains = []string{"orders", "payments", "users", "accounts", "inventory", "catalog", "pricing", "search",
	"shipping", "billing", "invoices", "notifications", "auth", "profiles", "carts", "checkout", "reviews",
	"recommendations", "loyalty", "promotions", "returns", "warehouse", "fulfillment", "ledger", "fraud",
	"identity", "sessions", "media", "content", "analytics", "reporting", "subscriptions", "tax", "currency",
	"geo", "addresses", "messaging", "emails", "sms", "audit", "documents", "contracts", "claims", "policies",
	"quotes", "customers", "partners", "suppliers", "products", "assets", "bookings", "schedules", "tickets",
	"events", "feeds", "ratings", "wishlists", "giftcards", "vouchers", "refunds"}

// Layers: front ends only consume, core services only provide; edges go to higher layers.
var (
	layerShare = []float64{0.15, 0.30, 0.75, 1}
	layerKinds = [][]string{{"web", "ios-app", "android-app", "portal"}, {"bff", "gateway"}, {"service", "api", "worker"}, {"core", "store", "platform"}}
	branchWork = []string{"add", "fix", "refactor", "remove", "support", "rename", "paginate", "cache", "validate"}
	branchKind = []string{"feature/", "feature/", "fix/", "chore/", "feat/"}
)

type participant struct {
	name, mainBranch string
	layer            int
	weight           float64
	semver           bool
	legacyTags       bool
	releases         bool
	providers        []int // integrations this pacticipant consumes
	consumers        []int // integrations this pacticipant provides
	created          time.Time
	versions         int
	mainBranchIdx    int32
	mainHead         int32
	mainPV           []int32   // per providers[j]: the content on main
	mainHistory      [][]int32 // per providers[j]: earlier main contents, newest last
	features         []*feature
	merged           *feature      // merged since the last main build
	deployed         []int32       // per environment: the current deployment, or -1
	supported        []int32       // releases still supported, oldest first
	recentMain       []int32       // newest main versions, newest last
	pvSerial         map[int32]int // content → its serial, for the publish workload
}

type feature struct {
	branch int32
	left   int     // builds until it is merged
	pv     []int32 // per providers[j]; nil until the branch's first build
}

type integrationRec struct {
	consumer, provider int
	slot               int // index in the consumer's providers
	created, updated   time.Time
	published          bool
	serial             int // last content serial
}

type envRec struct {
	uuid, name, display string
	production          bool
	created             time.Time
}

type versionRec struct {
	p        int32
	number   string
	at       time.Time
	branch   int32
	firstPub int32 // publications firstPub … firstPub+len(providers)-1, or -1
}

type branchRec struct {
	p       int32
	name    string
	at      time.Time
	head    int32
	updated time.Time
}

type tagRec struct {
	version, p int32
	name       string
	at         time.Time
}

type deployRec struct {
	uuid             string
	version, p, env  int32
	at, undeployedAt time.Time // zero undeployedAt: currently deployed
}

type releaseRec struct {
	uuid            string
	version, p, env int32
	at, endedAt     time.Time
}

type pactVersionRec struct {
	consumer, provider int32
	sha, content       string
	at                 time.Time
}

type publicationRec struct {
	consumer, provider, version, pv int32
	at                              time.Time
}

type verificationRec struct {
	pv, version int32
	at          int64 // unix microseconds
	success     bool
	pending     bool
}

type sim struct {
	cfg  Config
	rng  *rand.Rand
	t0   time.Time
	step time.Duration

	parts         []*participant
	integrations  []integrationRec
	envs          []envRec
	versions      []versionRec
	branches      []branchRec
	tags          []tagRec
	tagSeen       map[tagKey]bool
	deployments   []deployRec
	releases      []releaseRec
	pactVersions  []pactVersionRec
	pvBySHA       map[string]int32
	publications  []publicationRec
	verifications []verificationRec
	latestVerif   map[uint64]int32 // pv<<32 | provider version → verification

	budget     int   // verifications still to create
	weightLeft int64 // consumers over the provider builds still to come
	branchSeq  int
}

func simulate(cfg Config) (*sim, error) {
	s := &sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.RandSeed, 0x7ea7)), t0: cfg.End.Add(-cfg.Span),
		tagSeen: map[tagKey]bool{}, pvBySHA: map[string]int32{}, latestVerif: map[uint64]int32{}, budget: cfg.Verifications}
	s.step = cfg.Span / time.Duration(cfg.Versions)
	s.makePacticipants()
	s.makeIntegrations()
	s.makeEnvironments()
	order := s.eventOrder()
	for _, p := range order {
		s.weightLeft += int64(len(s.parts[p].consumers))
	}
	s.versions = make([]versionRec, 0, cfg.Versions)
	s.verifications = make([]verificationRec, 0, cfg.Verifications)
	for i, p := range order {
		s.build(int(p), s.t0.Add(time.Duration(i)*s.step), i < len(s.parts))
		if (i+1)%(max(len(order)/10, 1)) == 0 {
			cfg.Progress("simulated %d/%d versions, %d verifications", i+1, len(order), len(s.verifications))
		}
	}
	return s, nil
}

func (s *sim) makePacticipants() {
	n := s.cfg.Pacticipants
	seen := map[string]bool{}
	releasing := 0
	inLayer := map[int]int{}
	for i := range n {
		layer := sort.SearchFloat64s(layerShare, float64(i)/float64(n)+1e-9)
		layer = min(layer, len(layerShare)-1)
		kinds := layerKinds[layer]
		kind := kinds[inLayer[layer]%len(kinds)]
		inLayer[layer]++
		name := domains[i%len(domains)] + "-" + kind
		for k := 2; seen[name]; k++ {
			name = fmt.Sprintf("%s-%s-%d", domains[i%len(domains)], kind, k)
		}
		seen[name] = true
		p := &participant{name: name, mainBranch: "main", layer: layer, mainBranchIdx: -1, mainHead: -1,
			weight: 0.3 + s.rng.ExpFloat64(), pvSerial: map[int32]int{}}
		if s.rng.Float64() < masterBranchShare {
			p.mainBranch = "master"
		}
		p.semver = s.rng.Float64() < semverNumberShare
		p.legacyTags = s.rng.Float64() < legacyTaggingShare
		if strings.HasSuffix(name, "-app") && releasing < max(1, n/30) {
			p.releases = true
			releasing++
		}
		s.parts = append(s.parts, p)
	}
}

// makeIntegrations links every pacticipant at least once where it can, then adds links from
// lower to higher layers, popular providers (auth, users) drawing more consumers.
func (s *sim) makeIntegrations() {
	n := len(s.parts)
	want := s.cfg.Integrations
	popularity := make([]float64, n)
	for i := range popularity {
		popularity[i] = 0.2 + s.rng.ExpFloat64()*s.rng.ExpFloat64()
	}
	exists := map[[2]int]bool{}
	add := func(c, p int) bool {
		if c == p || exists[[2]int{c, p}] || len(s.integrations) >= want {
			return false
		}
		exists[[2]int{c, p}] = true
		s.integrations = append(s.integrations, integrationRec{consumer: c, provider: p})
		return true
	}
	pick := func(ok func(i int) bool) int {
		total := 0.0
		for i := range n {
			if ok(i) {
				total += popularity[i]
			}
		}
		if total == 0 {
			return -1
		}
		x := s.rng.Float64() * total
		for i := range n {
			if ok(i) {
				if x -= popularity[i]; x <= 0 {
					return i
				}
			}
		}
		return -1
	}
	for _, i := range s.rng.Perm(n) {
		layer := s.parts[i].layer
		if layer == len(layerShare)-1 {
			if c := pick(func(j int) bool { return s.parts[j].layer < layer }); c >= 0 {
				add(c, i)
			}
		} else if p := pick(func(j int) bool { return s.parts[j].layer > layer }); p >= 0 {
			add(i, p)
		}
	}
	for attempts := 0; len(s.integrations) < want && attempts < 200*want; attempts++ {
		c := s.rng.IntN(n)
		layer := s.parts[c].layer
		if layer == len(layerShare)-1 || (layer == 2 && s.rng.Float64() < 0.4) {
			continue // core services consume nothing; domain services consume less than front ends
		}
		if p := pick(func(j int) bool { return s.parts[j].layer > layer }); p >= 0 {
			add(c, p)
		}
	}
	for c := 0; len(s.integrations) < want && c < n; c++ { // few pacticipants, many links: any pair
		for p := 0; p < n; p++ {
			add(c, p)
		}
	}
	for i := range s.integrations {
		in := &s.integrations[i]
		c, p := s.parts[in.consumer], s.parts[in.provider]
		in.slot = len(c.providers)
		c.providers = append(c.providers, i)
		p.consumers = append(p.consumers, i)
	}
	for _, p := range s.parts {
		p.mainPV = slices.Repeat([]int32{-1}, len(p.providers))
		p.mainHistory = make([][]int32, len(p.providers))
	}
}

func (s *sim) makeEnvironments() {
	names := []string{"development", "test", "staging", "production"}
	n := s.cfg.Environments
	var list []string
	if n <= len(names) {
		list = names[len(names)-n:]
	} else {
		for i := range n - len(names) {
			list = append(list, fmt.Sprintf("qa-%d", i+1))
		}
		list = append(list, names...)
	}
	for _, name := range list {
		s.envs = append(s.envs, envRec{uuid: s.uuid(), name: name, display: strings.ToUpper(name[:1]) + name[1:],
			production: name == "production", created: s.t0.Add(-24 * time.Hour)})
	}
	for _, p := range s.parts {
		p.deployed = slices.Repeat([]int32{-1}, n)
	}
}

// eventOrder is the pacticipant of each build: first every pacticipant's initial build,
// consumers before their providers, then builds drawn by each pacticipant's activity.
func (s *sim) eventOrder() []int32 {
	n := len(s.parts)
	order := make([]int32, 0, s.cfg.Versions)
	first := make([]int32, n)
	for i := range first {
		first[i] = int32(i)
	}
	sort.SliceStable(first, func(a, b int) bool { return s.parts[first[a]].layer < s.parts[first[b]].layer })
	order = append(order, first...)
	cum := make([]float64, n)
	total := 0.0
	for i, p := range s.parts {
		total += p.weight
		cum[i] = total
	}
	for len(order) < s.cfg.Versions {
		i := sort.SearchFloat64s(cum, s.rng.Float64()*total)
		order = append(order, int32(min(i, n-1)))
	}
	return order
}

// build is one CI build of pacticipant pi at time t: a version on a branch, its pacts, the
// verifications it runs as a provider, and the deployments and releases that follow.
func (s *sim) build(pi int, t time.Time, initial bool) {
	p := s.parts[pi]
	var fb *feature
	if !initial && s.rng.Float64() >= mainCommitShare {
		fb = s.featureBranch(pi, t)
	}
	var branch int32
	if fb != nil {
		branch = fb.branch
	} else {
		if p.mainBranchIdx < 0 {
			p.mainBranchIdx = s.newBranch(pi, p.mainBranch, t)
			p.created = t
		}
		branch = p.mainBranchIdx
	}
	v := s.newVersion(pi, branch, t)
	if p.legacyTags {
		s.tag(v, s.branches[branch].name, t)
	}
	if len(p.providers) > 0 {
		s.publish(pi, v, fb, t)
	}
	if len(p.consumers) > 0 {
		s.verifyAsProvider(pi, v, fb != nil, t)
	}
	if fb == nil {
		p.mainHead = v
		p.recentMain = append(p.recentMain, v)
		if len(p.recentMain) > 40 {
			p.recentMain = slices.Clone(p.recentMain[20:])
		}
		s.deploy(pi, v, t, initial)
		s.release(pi, v, t)
		return
	}
	if fb.left--; fb.left == 0 {
		p.features = slices.DeleteFunc(p.features, func(f *feature) bool { return f == fb })
		p.merged = fb
	}
}

func (s *sim) featureBranch(pi int, t time.Time) *feature {
	p := s.parts[pi]
	if len(p.features) > 0 && (len(p.features) >= maxFeatureBranches || s.rng.Float64() >= newFeatureBranch) {
		return p.features[s.rng.IntN(len(p.features))]
	}
	s.branchSeq++
	key := strings.ToUpper(p.name[:min(4, len(p.name))])
	name := fmt.Sprintf("%s%s-%d-%s-%s", branchKind[s.rng.IntN(len(branchKind))], key, 1000+s.branchSeq,
		branchWork[s.rng.IntN(len(branchWork))], domains[s.rng.IntN(len(domains))])
	f := &feature{branch: s.newBranch(pi, name, t), left: 1 + s.rng.IntN(8)}
	p.features = append(p.features, f)
	return f
}

func (s *sim) newBranch(pi int, name string, t time.Time) int32 {
	s.branches = append(s.branches, branchRec{p: int32(pi), name: name, at: t, head: -1})
	return int32(len(s.branches) - 1)
}

func (s *sim) newVersion(pi int, branch int32, t time.Time) int32 {
	p := s.parts[pi]
	p.versions++
	sum := sha1.Sum(fmt.Appendf(nil, "%s/%d", p.name, p.versions))
	number := hex.EncodeToString(sum[:])
	if p.semver {
		number = fmt.Sprintf("1.%d.%d+%s", p.versions/100, p.versions%100, number[:7])
	}
	s.versions = append(s.versions, versionRec{p: int32(pi), number: number, at: t, branch: branch, firstPub: -1})
	v := int32(len(s.versions) - 1)
	b := &s.branches[branch]
	b.head, b.updated = v, t
	return v
}

type tagKey struct {
	version int32
	name    string
}

func (s *sim) tag(v int32, name string, t time.Time) {
	key := tagKey{v, name}
	if s.tagSeen[key] {
		return
	}
	s.tagSeen[key] = true
	s.tags = append(s.tags, tagRec{version: v, p: s.versions[v].p, name: name, at: t})
}

// publish records the version's pact with each of its providers: usually the content already
// on its branch, sometimes a new one.
func (s *sim) publish(pi int, v int32, fb *feature, t time.Time) {
	p := s.parts[pi]
	s.versions[v].firstPub = int32(len(s.publications))
	merged := p.merged
	if fb == nil {
		p.merged = nil
	}
	for j, ii := range p.providers {
		var pv int32
		fresh := false
		if fb == nil {
			switch {
			case p.mainPV[j] < 0 || s.rng.Float64() < mainContentChange:
				pv, fresh = s.newContent(ii, t), true
			case merged != nil && merged.pv != nil && merged.pv[j] != p.mainPV[j]:
				pv = merged.pv[j]
			default:
				pv = p.mainPV[j]
			}
			if pv != p.mainPV[j] {
				if p.mainPV[j] >= 0 {
					h := append(p.mainHistory[j], p.mainPV[j])
					if len(h) > mainHistoryKept {
						h = slices.Clone(h[1:])
					}
					p.mainHistory[j] = h
				}
				p.mainPV[j] = pv
			}
		} else {
			change := laterFeatureChange
			if fb.pv == nil {
				fb.pv = slices.Clone(p.mainPV)
				change = firstFeatureChange
			}
			if s.rng.Float64() < change || fb.pv[j] < 0 {
				fb.pv[j], fresh = s.newContent(ii, t), true
			}
			pv = fb.pv[j]
		}
		in := &s.integrations[ii]
		if !in.published {
			in.published, in.created = true, t
		}
		in.updated = t
		s.publications = append(s.publications, publicationRec{consumer: int32(pi), provider: int32(in.provider), version: v, pv: pv, at: t})
		if fresh {
			s.contractRequiringVerification(ii, pv, fb != nil, t)
		}
	}
}

// newContent is a pact content never published before for the integration.
func (s *sim) newContent(ii int, t time.Time) int32 {
	in := &s.integrations[ii]
	in.serial++
	c, p := s.parts[in.consumer].name, s.parts[in.provider].name
	doc, err := broker.ParsePact(PactContent(c, p, in.serial))
	if err != nil {
		panic(err) // PactContent always writes a valid pact
	}
	sha := doc.SHA()
	key := fmt.Sprintf("%d/%d/%s", in.consumer, in.provider, sha)
	if pv, ok := s.pvBySHA[key]; ok {
		return pv
	}
	s.pactVersions = append(s.pactVersions, pactVersionRec{consumer: int32(in.consumer), provider: int32(in.provider),
		sha: sha, content: string(doc.WithInteractionIDs()), at: t})
	pv := int32(len(s.pactVersions) - 1)
	s.pvBySHA[key] = pv
	s.parts[in.consumer].pvSerial[pv] = in.serial
	return pv
}

// contractRequiringVerification is the webhook a changed pact fires: the provider's main
// head and each deployed version verify the new content.
func (s *sim) contractRequiringVerification(ii int, pv int32, pending bool, t time.Time) {
	p := s.parts[s.integrations[ii].provider]
	var targets []int32
	if p.mainHead >= 0 {
		targets = append(targets, p.mainHead)
	}
	for _, d := range p.deployed {
		if d >= 0 && !slices.Contains(targets, s.deployments[d].version) {
			targets = append(targets, s.deployments[d].version)
		}
	}
	rate := verifiedSuccessRate
	if pending {
		rate = pendingSuccessRate
	}
	for k, v := range targets {
		// Keep at least one result for every provider build still to come.
		if int64(s.budget) <= s.weightLeft {
			return
		}
		s.verify(pv, v, s.rng.Float64() < rate, pending, t.Add(time.Duration(k+1)*s.step/20))
	}
}

type candidate struct {
	pv      int32
	pending bool
	rate    float64
}

// verifyAsProvider runs a provider build's verifications: its share of the budget, spent on
// what its consumers have on main, in each environment and on feature branches (pending), then
// on older main contents, then on re-runs.
func (s *sim) verifyAsProvider(pi int, v int32, onFeature bool, t time.Time) {
	p := s.parts[pi]
	w := int64(len(p.consumers))
	quota := int((int64(s.budget)*w + s.weightLeft - 1) / s.weightLeft)
	quota = min(quota, s.budget)
	s.weightLeft -= w
	var levels [4][]candidate
	for _, ii := range p.consumers {
		in := s.integrations[ii]
		c := s.parts[in.consumer]
		if pv := c.mainPV[in.slot]; pv >= 0 {
			levels[0] = append(levels[0], candidate{pv, false, verifiedSuccessRate})
		}
		for e := len(c.deployed) - 1; e >= 0; e-- {
			if d := c.deployed[e]; d >= 0 {
				if first := s.versions[s.deployments[d].version].firstPub; first >= 0 {
					levels[1] = append(levels[1], candidate{s.publications[int(first)+in.slot].pv, false, verifiedSuccessRate})
				}
			}
		}
		for _, f := range c.features {
			if f.pv != nil && f.pv[in.slot] >= 0 {
				levels[2] = append(levels[2], candidate{f.pv[in.slot], true, pendingSuccessRate})
			}
		}
		h := c.mainHistory[in.slot]
		for k := len(h) - 1; k >= 0; k-- {
			levels[3] = append(levels[3], candidate{h[k], false, historySuccessRate})
		}
	}
	var list []candidate
	for _, level := range levels {
		for _, c := range level {
			if !slices.ContainsFunc(list, func(x candidate) bool { return x.pv == c.pv }) {
				list = append(list, c)
			}
		}
	}
	if len(list) == 0 {
		return // nothing published yet: the budget goes to later builds
	}
	scale := 1.0
	if onFeature {
		scale = 0.95
	}
	step := s.step / time.Duration(2*(quota+1))
	for k := range quota {
		c := list[k%len(list)]
		s.verify(c.pv, v, s.rng.Float64() < c.rate*scale, c.pending, t.Add(time.Duration(k+1)*step))
	}
}

func (s *sim) verify(pv, v int32, success, pending bool, at time.Time) {
	s.verifications = append(s.verifications, verificationRec{pv: pv, version: v, at: at.UnixMicro(), success: success, pending: pending})
	s.latestVerif[uint64(pv)<<32|uint64(v)] = int32(len(s.verifications) - 1)
	s.budget--
}

// deploy puts a main build into the first environment now and then, and promotes what runs
// in each environment to the next one less and less often. Initial builds go everywhere, so
// every environment runs a version of every pacticipant.
func (s *sim) deploy(pi int, v int32, t time.Time, initial bool) {
	p := s.parts[pi]
	for e := range s.envs {
		switch {
		case initial:
			s.deployTo(pi, v, e, t)
		case e == 0:
			if s.rng.Float64() < deployToFirstEnv {
				s.deployTo(pi, v, e, t)
			}
		default:
			chance := 0.05
			if e < len(promotion) {
				chance = promotion[e]
			}
			if s.rng.Float64() < chance {
				from := s.deployments[p.deployed[e-1]].version
				if from != s.deployments[p.deployed[e]].version {
					s.deployTo(pi, from, e, t)
				}
			}
		}
	}
}

func (s *sim) deployTo(pi int, v int32, e int, t time.Time) {
	p := s.parts[pi]
	t = t.Add(s.step / 2)
	if d := p.deployed[e]; d >= 0 {
		s.deployments[d].undeployedAt = t
	}
	s.deployments = append(s.deployments, deployRec{uuid: s.uuid(), version: v, p: int32(pi), env: int32(e), at: t})
	p.deployed[e] = int32(len(s.deployments) - 1)
	if p.legacyTags {
		s.tag(v, s.envs[e].name, t)
	}
}

// release records a mobile app's release to the last environment; only the newest few stay
// supported.
func (s *sim) release(pi int, v int32, t time.Time) {
	p := s.parts[pi]
	if !p.releases || len(s.envs) == 0 || s.rng.Float64() >= releaseShare {
		return
	}
	t = t.Add(s.step / 2)
	s.releases = append(s.releases, releaseRec{uuid: s.uuid(), version: v, p: int32(pi), env: int32(len(s.envs) - 1), at: t})
	p.supported = append(p.supported, int32(len(s.releases)-1))
	if len(p.supported) > supportedReleases {
		s.releases[p.supported[0]].endedAt = t
		p.supported = p.supported[1:]
	}
}

func (s *sim) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}
