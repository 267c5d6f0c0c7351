package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Local deploys a service as processes on this machine: a few replicas of its binary on
// loopback ports, behind a reverse proxy whose address never changes. A new version replaces
// the replicas one at a time — start a new one, wait until GET /healthz answers 200, send
// it traffic, stop sending traffic to an old one, let its requests finish, stop it — so
// clients of the proxy see no failed request: a rolling update with no cluster, for demos and
// tests.
//
// Close stops every process and proxy it started.
type Local struct {
	// Resolve says how to run a request's version (required). The image built for it can be
	// unpacked with image.Unpack; a demo can map versions to binaries and flags.
	Resolve func(ctx context.Context, req Request) (Release, error)
	// Replicas is how many processes serve each service and environment; default 2.
	Replicas int
	// Listen is the proxy's address for a service and environment; default 127.0.0.1:0
	// (a free port: see URL).
	Listen func(service, environment string) string
	// HealthPath is what a replica must answer 200 to; default /healthz.
	HealthPath string
	// StartTimeout bounds the wait for a new replica to become healthy; default 10s.
	StartTimeout time.Duration
	// StopTimeout bounds an old replica's shutdown after SIGTERM, then it is killed; default 5s.
	StopTimeout time.Duration
	Logger      *slog.Logger

	mu     sync.Mutex
	apps   map[string]*localApp
	closed bool
}

// Release is how to run one version of a service.
type Release struct {
	Binary string
	// Args and Env (KEY=VALUE) may say {addr} and {port}: the replica's 127.0.0.1:PORT and
	// PORT. Each replica also gets PORT, and TREATY_SERVICE, TREATY_ENVIRONMENT and
	// TREATY_VERSION.
	Args []string
	Env  []string
	Dir  string
}

var _ Deployer = (*Local)(nil)

func (l *Local) replicas() int {
	if l.Replicas <= 0 {
		return 2
	}
	return l.Replicas
}

func (l *Local) healthPath() string {
	if l.HealthPath == "" {
		return "/healthz"
	}
	return l.HealthPath
}

func (l *Local) log() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// localApp is one service in one environment: its proxy, its replicas and its history.
type localApp struct {
	service, env string
	url          string
	srv          *http.Server
	lock         chan struct{} // one deployment at a time
	pool         pool
	updating     atomic.Bool

	// current and history change only while holding lock.
	current *running
	history []*running // earlier versions, the latest last
}

// running is a version as it was deployed.
type running struct {
	version, image string
	release        Release
}

// URL is the proxy's address for a service in an environment, once something was deployed.
func (l *Local) URL(service, environment string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.apps[service+"/"+environment]
	if !ok {
		return "", false
	}
	return a.url, true
}

// app returns the service's app, starting its proxy the first time.
func (l *Local) app(service, env string) (*localApp, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("the local deployer is closed")
	}
	key := service + "/" + env
	if a, ok := l.apps[key]; ok {
		return a, nil
	}
	addr := "127.0.0.1:0"
	if l.Listen != nil {
		addr = l.Listen(service, env)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy for %s in %s: %w", service, env, err)
	}
	a := &localApp{service: service, env: env, url: "http://" + ln.Addr().String(), lock: make(chan struct{}, 1)}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(l.log().Handler(), slog.LevelWarn)}
	go func() { _ = a.srv.Serve(ln) }()
	if l.apps == nil {
		l.apps = map[string]*localApp{}
	}
	l.apps[key] = a
	l.log().Info("local proxy listening", "service", service, "environment", env, "url", a.url)
	return a, nil
}

func (a *localApp) acquire(ctx context.Context) (func(), error) {
	select {
	case a.lock <- struct{}{}:
		return func() { <-a.lock }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another deployment of %s in %s: %w", a.service, a.env, ctx.Err())
	}
}

// ServeHTTP sends a request to the next replica, round robin.
func (a *localApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := a.pool.acquire()
	if rep == nil {
		http.Error(w, fmt.Sprintf("no replica of %s is running in %s", a.service, a.env), http.StatusServiceUnavailable)
		return
	}
	defer rep.inflight.Done()
	rep.proxy.ServeHTTP(w, r)
}

// pool is the replicas that get traffic. A replica's in-flight count is raised under the
// pool's lock, so once a replica is out of the pool, waiting for its count to drop to zero
// waits for every request it will ever get.
type pool struct {
	mu       sync.Mutex
	replicas []*replica
	next     int
}

func (p *pool) acquire() *replica {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.replicas) == 0 {
		return nil
	}
	r := p.replicas[p.next%len(p.replicas)]
	p.next++
	r.inflight.Add(1)
	return r
}

// swap puts in where out was (appends in when out is nil; removes out when in is nil).
func (p *pool) swap(out, in *replica) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range p.replicas {
		if r == out {
			if in == nil {
				p.replicas = append(p.replicas[:i:i], p.replicas[i+1:]...)
			} else {
				p.replicas[i] = in
			}
			return
		}
	}
	if in != nil {
		p.replicas = append(p.replicas, in)
	}
}

func (p *pool) snapshot() []*replica {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*replica(nil), p.replicas...)
}

// replica is one process of one version.
type replica struct {
	version  string
	addr     string
	cmd      *exec.Cmd
	proxy    *httputil.ReverseProxy
	output   *tailBuffer
	exited   chan struct{}
	exitErr  error
	stopping atomic.Bool
	inflight sync.WaitGroup
}

func (r *replica) pid() int { return r.cmd.Process.Pid }

// Plan says what Apply will replace.
func (l *Local) Plan(ctx context.Context, req Request) (Plan, error) {
	if req.Service == "" || req.Environment == "" || req.Version == "" {
		return Plan{}, fmt.Errorf("plan %q in %q: service, environment and version are required", req.Service, req.Environment)
	}
	plan := Plan{Request: req}
	l.mu.Lock()
	a := l.apps[req.Service+"/"+req.Environment]
	l.mu.Unlock()
	n := l.replicas()
	if a == nil || a.current == nil {
		plan.Changes = []string{fmt.Sprintf("start %d replicas of %s %s behind a local proxy", n, req.Service, req.Version)}
		return plan, nil
	}
	release, err := a.acquire(ctx)
	if err != nil {
		return Plan{}, err
	}
	defer release()
	plan.Previous, plan.PreviousImage = a.current.version, a.current.image
	if a.current.version == req.Version && a.current.image == req.Image {
		plan.NoOp = true
		return plan, nil
	}
	plan.Changes = []string{fmt.Sprintf("replace %d replicas of %s %s with %s, one at a time, behind %s",
		n, req.Service, a.current.version, req.Version, a.url)}
	return plan, nil
}

// Apply rolls the replicas over to the planned version.
func (l *Local) Apply(ctx context.Context, plan Plan) (Deployment, error) {
	req := plan.Request
	wrap := func(err error) error {
		return fmt.Errorf("deploy %s %s to %s (local): %w", req.Service, req.Version, req.Environment, err)
	}
	if l.Resolve == nil {
		return Deployment{}, wrap(errors.New("no Resolve: the local deployer does not know how to run a version"))
	}
	a, err := l.app(req.Service, req.Environment)
	if err != nil {
		return Deployment{}, wrap(err)
	}
	unlock, err := a.acquire(ctx)
	if err != nil {
		return Deployment{}, wrap(err)
	}
	defer unlock()

	cur := a.current
	if cur != nil && cur.version == req.Version && cur.image == req.Image {
		return l.deployment(a, req, plan.Previous, plan.PreviousImage), nil
	}
	if curImage, curVersion := currentOf(cur); curImage != plan.PreviousImage || curVersion != plan.Previous {
		return Deployment{}, wrap(&ConflictError{File: "local " + req.Service + "/" + req.Environment, Field: "running version",
			Expected: versionImage(plan.Previous, plan.PreviousImage), Found: versionImage(curVersion, curImage), Wanted: versionImage(req.Version, req.Image)})
	}
	rel, err := l.Resolve(ctx, req)
	if err != nil {
		return Deployment{}, wrap(fmt.Errorf("resolve: %w", err))
	}
	next := &running{version: req.Version, image: req.Image, release: rel}
	if err := l.roll(ctx, a, cur, next); err != nil {
		return Deployment{}, wrap(err)
	}
	if cur != nil {
		a.history = append(a.history, cur)
	}
	a.current = next
	return l.deployment(a, req, plan.Previous, plan.PreviousImage), nil
}

// Rollback rolls the replicas back to the version the deployment replaced; a deployment
// that replaced nothing is taken out: its replicas stop and the proxy answers 503.
func (l *Local) Rollback(ctx context.Context, d Deployment, reason string) (Deployment, error) {
	req := d.Request
	wrap := func(err error) error {
		return fmt.Errorf("roll back %s %s in %s (local): %w", req.Service, req.Version, req.Environment, err)
	}
	a, err := l.app(req.Service, req.Environment)
	if err != nil {
		return Deployment{}, wrap(err)
	}
	unlock, err := a.acquire(ctx)
	if err != nil {
		return Deployment{}, wrap(err)
	}
	defer unlock()
	cur := a.current
	back := req
	back.Version, back.Image, back.Why = d.Previous, d.PreviousImage, reason
	if curImage, curVersion := currentOf(cur); curImage != req.Image || curVersion != req.Version {
		if curImage == back.Image && curVersion == back.Version {
			return l.deployment(a, back, req.Version, req.Image), nil // already rolled back
		}
		return Deployment{}, wrap(&ConflictError{File: "local " + req.Service + "/" + req.Environment, Field: "running version",
			Expected: versionImage(req.Version, req.Image), Found: versionImage(curVersion, curImage), Wanted: versionImage(back.Version, back.Image)})
	}
	l.log().Info("rolling back", "service", req.Service, "environment", req.Environment, "from", req.Version, "to", d.Previous, "reason", reason)

	var prev *running
	if d.Previous != "" || d.PreviousImage != "" {
		for i := len(a.history) - 1; i >= 0; i-- {
			if h := a.history[i]; h.version == d.Previous && h.image == d.PreviousImage {
				prev = h
				break
			}
		}
		if prev == nil {
			rel, err := l.Resolve(ctx, back)
			if err != nil {
				return Deployment{}, wrap(fmt.Errorf("resolve %s: %w", d.Previous, err))
			}
			prev = &running{version: d.Previous, image: d.PreviousImage, release: rel}
		}
	}
	if err := l.roll(ctx, a, cur, prev); err != nil {
		return Deployment{}, wrap(err)
	}
	if cur != nil {
		a.history = append(a.history, cur)
	}
	a.current = prev
	return l.deployment(a, back, req.Version, req.Image), nil
}

// Status is the health of the replicas: every replica of the deployment's version answers
// its health check (Healthy), some do not or the proxy serves another version (Degraded),
// or an update is under way (Progressing).
func (l *Local) Status(ctx context.Context, d Deployment) (Status, error) {
	req := d.Request
	l.mu.Lock()
	a := l.apps[req.Service+"/"+req.Environment]
	l.mu.Unlock()
	if a == nil {
		return Status{Health: Unknown, Message: fmt.Sprintf("%s was never deployed to %s here", req.Service, req.Environment)}, nil
	}
	if a.updating.Load() {
		return Status{Health: Progressing, Message: "a rolling update is under way behind " + a.url}, nil
	}
	reps := a.pool.snapshot()
	var healthy int
	var problems []string
	for _, r := range reps {
		if r.version != req.Version {
			problems = append(problems, fmt.Sprintf("replica %d runs %s", r.pid(), r.version))
			continue
		}
		if err := l.probe(ctx, r); err != nil {
			problems = append(problems, fmt.Sprintf("replica %d: %v", r.pid(), err))
			continue
		}
		healthy++
	}
	want := l.replicas()
	if req.Version == "" && len(reps) == 0 {
		return Status{Health: Healthy, Message: fmt.Sprintf("%s is not running in %s, as intended", req.Service, req.Environment)}, nil
	}
	msg := fmt.Sprintf("%d/%d replicas of %s %s healthy behind %s", healthy, want, req.Service, req.Version, a.url)
	if len(problems) > 0 {
		msg += "; " + strings.Join(problems, "; ")
	}
	if healthy == want && len(reps) == want {
		return Status{Health: Healthy, Message: msg}, nil
	}
	return Status{Health: Degraded, Message: msg}, nil
}

// Close stops every replica and proxy.
func (l *Local) Close() error {
	l.mu.Lock()
	apps := l.apps
	l.apps, l.closed = nil, true
	l.mu.Unlock()
	var errs []error
	for _, a := range apps {
		a.lock <- struct{}{}
		for _, r := range a.pool.snapshot() {
			a.pool.swap(r, nil)
			l.stop(r)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.srv.Shutdown(ctx))
		cancel()
	}
	return errors.Join(errs...)
}

func (l *Local) deployment(a *localApp, req Request, previous, previousImage string) Deployment {
	var pids []string
	for _, r := range a.pool.snapshot() {
		pids = append(pids, strconv.Itoa(r.pid()))
	}
	return Deployment{Request: req, Previous: previous, PreviousImage: previousImage,
		Ref: fmt.Sprintf("%s pids %s", a.url, strings.Join(pids, ",")), AppliedAt: time.Now()}
}

func currentOf(r *running) (image, version string) {
	if r == nil {
		return "", ""
	}
	return r.image, r.version
}

func versionImage(version, image string) string {
	switch {
	case version == "" && image == "":
		return ""
	case image == "":
		return version
	}
	return version + " (" + image + ")"
}

// roll replaces the replicas of from with replicas of to (nil: none), one at a time. When a
// new replica does not become healthy, the ones already replaced are put back, so the
// service ends as it began, and the error says why.
func (l *Local) roll(ctx context.Context, a *localApp, from, to *running) error {
	a.updating.Store(true)
	defer a.updating.Store(false)
	old := a.pool.snapshot()
	if to == nil {
		for _, r := range old {
			a.pool.swap(r, nil)
			l.stop(r)
		}
		return nil
	}
	n := l.replicas()
	var started []*replica
	for i := range n {
		rep, err := l.start(ctx, a, to)
		if err != nil {
			if from != nil && len(started) > 0 {
				if rerr := l.restore(ctx, a, from, started); rerr != nil {
					return fmt.Errorf("%w; putting %s back failed too: %v", err, from.version, rerr)
				}
			}
			return err
		}
		var out *replica
		if i < len(old) {
			out = old[i]
		}
		a.pool.swap(out, rep)
		started = append(started, rep)
		if out != nil {
			l.stop(out)
		}
	}
	for _, r := range old[min(n, len(old)):] { // more replicas than wanted: stop the rest
		a.pool.swap(r, nil)
		l.stop(r)
	}
	return nil
}

// restore replaces replicas with replicas of version v again.
func (l *Local) restore(ctx context.Context, a *localApp, v *running, replace []*replica) error {
	for _, r := range replace {
		rep, err := l.start(context.WithoutCancel(ctx), a, v)
		if err != nil {
			return err
		}
		a.pool.swap(r, rep)
		l.stop(r)
	}
	return nil
}

// start runs a replica and waits until it is healthy. A process that exits at once (its
// port was taken between choosing and binding it, say) is tried again, twice.
func (l *Local) start(ctx context.Context, a *localApp, v *running) (*replica, error) {
	var err error
	for range 3 {
		var r *replica
		if r, err = l.startOnce(ctx, a, v); err == nil {
			return r, nil
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
	return nil, err
}

func (l *Local) startOnce(ctx context.Context, a *localApp, v *running) (*replica, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	expand := strings.NewReplacer("{addr}", addr, "{port}", strconv.Itoa(port)).Replace
	var args []string
	for _, s := range v.release.Args {
		args = append(args, expand(s))
	}
	cmd := exec.Command(v.release.Binary, args...)
	cmd.Dir = v.release.Dir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port),
		"TREATY_SERVICE="+a.service, "TREATY_ENVIRONMENT="+a.env, "TREATY_VERSION="+v.version)
	for _, e := range v.release.Env {
		cmd.Env = append(cmd.Env, expand(e))
	}
	out := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s %s: %w", a.service, v.version, err)
	}
	target := &url.URL{Scheme: "http", Host: addr}
	r := &replica{version: v.version, addr: addr, cmd: cmd, output: out, exited: make(chan struct{})}
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			l.log().Warn("local proxy: replica failed", "service", a.service, "pid", r.pid(), "err", err)
			http.Error(w, fmt.Sprintf("%s replica %d: %v", a.service, r.pid(), err), http.StatusBadGateway)
		},
	}
	go func() {
		r.exitErr = cmd.Wait()
		close(r.exited)
		if !r.stopping.Load() { // it died on its own: no more traffic for it
			a.pool.swap(r, nil)
			l.log().Warn("local replica exited", "service", a.service, "environment", a.env, "version", r.version,
				"pid", r.pid(), "err", r.exitErr, "output", out.String())
		}
	}()

	deadline := time.Now().Add(durationOr(l.StartTimeout, 10*time.Second))
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		err := l.probe(ctx, r)
		if err == nil {
			l.log().Info("local replica healthy", "service", a.service, "environment", a.env, "version", v.version, "pid", r.pid(), "addr", addr)
			return r, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("%s %s (pid %d) exited before it was healthy (%v): %s",
				a.service, v.version, r.pid(), r.exitErr, lastLines(out.String(), 5))
		case <-ctx.Done():
			l.stop(r)
			return nil, fmt.Errorf("%s %s (pid %d): %w", a.service, v.version, r.pid(), ctx.Err())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			l.stop(r)
			return nil, fmt.Errorf("%s %s (pid %d) did not become healthy within %v: GET %s: %v; output: %s",
				a.service, v.version, r.pid(), durationOr(l.StartTimeout, 10*time.Second), l.healthPath(), err, lastLines(out.String(), 5))
		}
	}
}

var probeClient = &http.Client{Timeout: time.Second}

// probe asks a replica for its health.
func (l *Local) probe(ctx context.Context, r *replica) error {
	select {
	case <-r.exited:
		return fmt.Errorf("exited (%v)", r.exitErr)
	default:
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+l.healthPath(), nil)
	if err != nil {
		return err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", l.healthPath(), resp.Status)
	}
	return nil
}

// stop waits for a replica's requests in flight (it is out of the pool), then asks it to
// stop, and kills it when it does not.
func (l *Local) stop(r *replica) {
	r.stopping.Store(true)
	r.inflight.Wait()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(durationOr(l.StopTimeout, 5*time.Second)):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.TrimSpace([]byte(strings.Join(lines, " | "))))
}
