package ui_test

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// The browser tests drive Debian's Chromium, headless, through the pages of a real server
// (the router on a loopback port, the demo's data in a real store) and check what a person
// sees. They save a screenshot of each page: to a temporary directory, or with
// -update-screenshots to docs/screenshots/, which the README shows.

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser tests' screenshots to docs/screenshots/ for the README")

const chromiumPath = "/usr/bin/chromium"

func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("%s is missing: CI must run the browser tests (make setup installs Debian's chromium)", chromiumPath)
		}
		t.Skipf("skipping the browser tests: %s is not installed (apt-get install chromium, or make setup as root)", chromiumPath)
	}
	shots := t.TempDir()
	if *updateScreenshots {
		shots = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	browser := startChromium(t)
	for i, b := range storetest.Open(t, storetest.Options{}) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			if err := demo.Load(ctx, b.Store); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api.New(b.Store, nil, api.Config{}))
			t.Cleanup(srv.Close)
			tab, cancel := chromedp.NewContext(browser)
			t.Cleanup(cancel)
			tab, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
			t.Cleanup(cancelTimeout)
			s := &session{t: t, store: b.Store, tab: tab, base: srv.URL, shots: shots, save: i == 0}
			s.walk()
			// Last, so that the screenshots before it show the demo as it is.
			publishChangedPact(t, b.Store)
			s.contractDiff()
			s.releases()
			s.bidirectional()
		})
	}
}

// startChromium starts one headless Chromium for every test, with a fresh profile and
// nothing that reaches the network.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return browser
}

// session is one tab on one server.
type session struct {
	t     *testing.T
	store *store.Store
	tab   context.Context
	base  string
	shots string
	save  bool // write screenshots (for one database only: they look the same)
}

func (s *session) do(steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.tab, steps...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) open(path string, ready string) {
	s.t.Helper()
	s.do(chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
}

func (s *session) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(v), " ")
}

func (s *session) eval(js string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.tab, chromedp.Evaluate[string](js))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// sees fails unless the element's visible text holds every want.
func (s *session) sees(sel string, want ...string) {
	s.t.Helper()
	got := s.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			s.t.Errorf("%s says %q; want %q in it", sel, got, w)
		}
	}
}

func (s *session) location() string {
	s.t.Helper()
	loc, err := chromedp.Run(s.tab, chromedp.Location())
	if err != nil {
		s.t.Fatal(err)
	}
	return loc
}

// click follows a link or presses a button, and waits for the next page: the old one is
// marked, so that its elements are not mistaken for the new one's.
func (s *session) click(sel, ready string) {
	s.t.Helper()
	s.eval(`window.treatyOldPage = "yes"`)
	s.do(chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		mark, err := chromedp.Run(s.tab, chromedp.Evaluate[string](`String(window.treatyOldPage) + document.readyState`))
		if err == nil && (mark == "undefinedcomplete" || mark == "undefinedinteractive") {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("clicking %s led to no new page (%q, %v)", sel, mark, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.do(chromedp.WaitVisible(chromedp.CSS(ready)))
}

func (s *session) screenshot(name string) {
	s.t.Helper()
	if !s.save {
		return
	}
	png, err := chromedp.Run(s.tab, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(name, png)
}

func (s *session) screenshotOf(sel, name string) {
	s.t.Helper()
	if !s.save {
		return
	}
	png, err := chromedp.Run(s.tab, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(name, png)
}

func (s *session) write(name string, png []byte) {
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		s.t.Fatalf("%s is not a PNG", name)
	}
	if err := os.WriteFile(filepath.Join(s.shots, name), png, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// walk goes through the pages as a person would: from the overview to the matrix of the
// failing integration, to the failed verification, to the interaction in the pact; then
// asks can-i-deploy, and looks at environments, the network and an unknown address.
func (s *session) walk() {
	t := s.t
	// The browser asks for / and gets the overview, not the HAL index.
	s.open("/", "table.integrations")
	if title := s.eval("document.title"); title != "Overview · Treaty" {
		t.Errorf("title %q", title)
	}
	row := `tr[data-consumer="order-service"][data-provider="payment-service"]`
	s.sees(row+" td.verification", "Failed", "p3bad00")
	s.sees(row+` td[data-label="Consumer"]`, "order-service", "staging b71e0d4", "production a3f9c21")
	s.sees(row+` td[data-label="Provider"]`, "payment-service", "staging p2d00d5", "production p1c0ffe")
	s.sees(`tr[data-consumer="order-service"][data-provider="user-service"] td.verification`, "Verified", "u9a8b7c")
	s.screenshot("overview.png")
	s.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if w := s.eval("String(document.documentElement.scrollWidth)"); w != "390" {
		t.Errorf("on a phone the overview is %spx wide, wider than the screen", w)
	}
	s.screenshot("overview-phone.png")
	s.do(chromedp.EmulateViewport(1280, 900))
	// The first Tab reaches the skip link.
	s.do(chromedp.KeyEvent("\t"))
	if focused := s.eval("document.activeElement.textContent"); focused != "Skip to content" {
		t.Errorf("the first Tab focuses %q", focused)
	}

	// The overview's filters live in the URL.
	s.do(chromedp.SetValue(chromedp.CSS("#status"), "failed"))
	s.click(`form.filters button[type="submit"]`, "p.count")
	if loc := s.location(); !strings.Contains(loc, "status=failed") {
		t.Errorf("filtering went to %s", loc)
	}
	s.sees("table.integrations tbody", "payment-service")
	if n := s.eval(`String(document.querySelectorAll("table.integrations tbody tr").length)`); n != "1" {
		t.Errorf("%s integrations failed, want 1", n)
	}

	// Follow the integration to its matrix: each cell is a consumer version's pact verified
	// by a provider version.
	s.click(row+` td[data-label="Links"] a`, "table.grid")
	cell := func(cv, pv string) string {
		return `table.grid td[data-consumer-version="` + cv + `"][data-provider-version="` + pv + `"]`
	}
	for _, cv := range []string{"a3f9c21", "b71e0d4"} {
		s.sees(cell(cv, "p3bad00"), "Failed")
		s.sees(cell(cv, "p2d00d5"), "Verified")
		s.sees(cell(cv, "p1c0ffe"), "Verified")
	}
	s.sees("table.grid thead", "p1c0ffe production", "p2d00d5 staging")
	s.screenshot("matrix.png")

	// The failed cell leads to the verification and its mismatch.
	s.click(cell("a3f9c21", "p3bad00")+" a", "table.mismatches")
	s.sees("h1", "Verification", "Failed")
	s.sees("table.mismatches td.mismatch-text", "Actual map is missing the following keys: transaction_id")
	s.sees(`table.mismatches td[data-label="Path"]`, "$.transaction_id")
	s.sees("article.test h3", "a charge for an order")
	s.screenshot("verification.png")

	// And the interaction leads to the pact, rendered for people.
	s.click("article.test h3 a", "article.interaction:target")
	if loc := s.location(); !strings.Contains(loc, "/ui/contracts/order-service/payment-service/versions/") || !strings.Contains(loc, "#i-") {
		t.Errorf("the interaction link went to %s", loc)
	}
	s.sees("article.interaction:target h3", "a charge for an order")
	s.sees("article.interaction:target", "Given card tok_visa is valid", "POST /charge", "Status 200", "$.transaction_id", "type")
	s.screenshot("contract.png")

	// Ask can-i-deploy with the form.
	s.open("/ui/can-i-deploy", "#cid-pacticipant")
	s.do(chromedp.SendKeys(chromedp.CSS("#cid-pacticipant"), "payment-service"),
		chromedp.SendKeys(chromedp.CSS("#cid-version"), "p3bad00"),
		chromedp.SetValue(chromedp.CSS("#cid-environment"), "production"))
	s.click(`form.panel button[type="submit"]`, ".verdict")
	s.sees(".verdict h2", "No: payment-service p3bad00 cannot be deployed to production")
	s.sees(".verdict .notices", "The verification for the pact between the version of order-service currently in production (a3f9c21) and version p3bad00 of payment-service failed")
	s.sees("table.rows tbody", "order-service", "a3f9c21", "p3bad00", "Failed")
	if loc := s.location(); !strings.Contains(loc, "pacticipant=payment-service&version=p3bad00&environment=production") {
		t.Errorf("the answer's address %s does not hold the question", loc)
	}
	s.screenshot("can-i-deploy.png")
	s.do(chromedp.Clear(chromedp.CSS("#cid-version")), chromedp.SendKeys(chromedp.CSS("#cid-version"), "p2d00d5"))
	s.click(`form.panel button[type="submit"]`, ".verdict-yes")
	s.sees(".verdict h2", "Yes: payment-service p2d00d5 can be deployed to production")

	// What runs where.
	s.open("/ui/environments", "table.deployments")
	for _, c := range []struct{ pacticipant, env, version string }{
		{"payment-service", "production", "p1c0ffe"}, {"payment-service", "staging", "p2d00d5"},
		{"order-service", "production", "a3f9c21"}, {"order-service", "staging", "b71e0d4"},
		{"user-service", "production", "u9a8b7c"}, {"user-service", "staging", "u9a8b7c"},
	} {
		s.sees(`tr[data-pacticipant="`+c.pacticipant+`"] td[data-environment="`+c.env+`"]`, c.version)
	}
	s.sees("ol.timeline", "payment-service p1c0ffe deployed to production")
	s.screenshot("environments.png")
	s.click(`a[href="/ui/environments/production"]`, "table.current")
	s.sees(`table.current tr[data-pacticipant="payment-service"]`, "p1c0ffe", "deployed")

	// The network: a red arrow for the failing integration; a service leads to its matrix.
	s.open("/ui/network", "svg")
	if class := s.eval(`document.querySelector('a.edge[data-consumer="order-service"][data-provider="payment-service"]').getAttribute("class")`); class != "edge failed" {
		t.Errorf("order-service → payment-service is drawn as %q", class)
	}
	if class := s.eval(`document.querySelector('a.edge[data-consumer="order-service"][data-provider="user-service"]').getAttribute("class")`); class != "edge success" {
		t.Errorf("order-service → user-service is drawn as %q", class)
	}
	s.screenshot("network.png")
	s.click(`a.node[data-name="user-service"] rect`, "h1")
	s.sees("h1", "Matrix of user-service")

	// An unknown name is a readable 404, not a stack trace.
	resp, err := chromedp.Run(s.tab, chromedp.NavigateResponse(s.base+"/ui/contracts/nobody/payment-service"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNotFound {
		t.Errorf("an unknown consumer's pact: status %d", resp.Status)
	}
	s.sees("h1", "Not found")
	s.sees("main", `Pacticipant "nobody" not found.`)
}

// contractDiff reads what changed in the pact published last.
func (s *session) contractDiff() {
	s.open("/ui/contracts/order-service/payment-service", "ul.diff")
	s.sees("ul.diff", "ADDED a refund for an order", "CHANGED a charge for an order", "$.response.body.payment_id", "$.response.body.transaction_id")
	s.sees(`article.interaction h3`, "a charge for an order")
	s.screenshotOf(`section[aria-labelledby="diff-title"]`, "contract-diff.png")
}

// releases records gate decisions through the API and reads them.
func (s *session) releases() {
	t := s.t
	s.open("/ui/releases", "h1")
	s.sees("main", "No gate decisions recorded yet")
	for _, body := range []string{
		`{"pacticipant":"payment-service","version":"p3bad00","environment":"production"}`,
		`{"pacticipant":"payment-service","version":"p2d00d5","environment":"staging"}`,
	} {
		resp, err := http.Post(s.base+"/gates/check", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST /gates/check %s: status %d", body, resp.StatusCode)
		}
	}
	run := recordRun(t, s.store)
	s.open("/ui/releases", "ol.decisions")
	s.sees("ol.decisions", "payment-service p3bad00", "to production", "payment-service p2d00d5", "to staging")
	s.sees(`table.runs tr[data-run="`+strconv.FormatInt(run.ID, 10)+`"]`, "payment-service p3bad00", "rolled-back", "production")
	// A denial shows every gate at once; the contract gate has can-i-deploy's answer.
	s.sees(`li.decision[data-result="deny"] table.gates`, "contract", "deny")
	s.screenshot("releases.png")
	s.click(`table.runs tr[data-run="`+strconv.FormatInt(run.ID, 10)+`"] a`, "ol.decisions")
	s.sees("main", "Pipeline run", "production · deploy", "error rate 12% over 5%")
}

// bidirectional follows a bi-directional cell of the matrix, a provider that publishes an
// OpenAPI document instead of verifying pacts, to the comparison and what it found.
func (s *session) bidirectional() {
	t := s.t
	publishBidirectional(t, s.store)
	s.open("/ui/matrix"+q("q[][pacticipant]", "warehouse-app", "q[][pacticipant]", "inventory-service"), "table.grid")
	cell := `table.grid td[data-consumer-version="w1"][data-provider-version="i1f00d"][data-kind="bidirectional"]`
	s.sees(cell, "Incompatible (OpenAPI)")
	s.click(cell+" a", "table.findings-table")
	if loc := s.location(); !strings.Contains(loc, "/ui/provider-contracts/inventory-service/i1f00d/comparisons/") {
		t.Errorf("the bi-directional cell led to %s", loc)
	}
	s.sees("h1", "Comparison", "Incompatible (OpenAPI)")
	s.sees(`article.findings[data-interaction="0"] td.finding-message`,
		`Response body is incompatible with the response body schema in the spec file: expected integer at $.quantity, got string "3"`)
	s.screenshot("comparison.png")
}
