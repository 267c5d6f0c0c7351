package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Policy is where the broker may send webhooks. By default only POST, only https and only
// to public addresses: a webhook must not turn the broker into a way to reach the network
// it runs in. The allow-lists widen that.
type Policy struct {
	// Methods lists the HTTP methods webhooks may use; empty means POST.
	Methods []string
	// Schemes lists the URL schemes webhooks may use; empty means https.
	Schemes []string
	// Hosts lists the hosts webhooks may reach even though they are loopback, private or
	// link-local: names ("ci.internal"), wildcards ("*.corp.example"), addresses
	// ("127.0.0.1") and networks ("10.1.0.0/16"). Public hosts need no entry.
	Hosts []string
	// Resolver resolves host names when a webhook is saved; nil means net.DefaultResolver.
	Resolver Resolver
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultMethods and DefaultSchemes are the allow-lists when none is configured.
var (
	DefaultMethods = []string{"POST"}
	DefaultSchemes = []string{"https"}
)

func (p Policy) methods() []string {
	if len(p.Methods) == 0 {
		return DefaultMethods
	}
	return p.Methods
}

func (p Policy) schemes() []string {
	if len(p.Schemes) == 0 {
		return DefaultSchemes
	}
	return p.Schemes
}

// Validate checks a new or changed webhook against the allow-lists, as a 400 keyed by
// field. A host name is resolved and refused when it points at a non-public address; a name
// that does not resolve (yet) is accepted, as the check is repeated on every connection.
func (p Policy) Validate(ctx context.Context, w broker.Webhook) error {
	v := &broker.ValidationError{}
	if err := p.checkMethod(w.Request.Method); err != nil {
		v.Add("request.method", "%s", err)
	}
	u, err := url.Parse(templateParam.ReplaceAllString(w.Request.URL, "placeholder"))
	if err != nil || u.Host == "" {
		return v.Err() // the domain's own checks report a malformed URL
	}
	if err := p.checkURL(u); err != nil {
		v.Add("request.url", "%s", err)
	} else if err := p.checkResolved(ctx, u.Hostname()); err != nil {
		v.Add("request.url", "%s", err)
	}
	return v.Err()
}

var templateParam = regexp.MustCompile(`\$\{pactbroker\.[^}]+\}`)

// RefusedError is a request the policy does not allow: sending it again will not help.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

func (p Policy) checkMethod(method string) error {
	for _, m := range p.methods() {
		if strings.EqualFold(m, method) {
			return nil
		}
	}
	if len(p.methods()) == 1 {
		return refused("must be %s (see the broker's --webhook-http-method-allowlist)", p.methods()[0])
	}
	return refused("must be one of %s (see the broker's --webhook-http-method-allowlist)", strings.Join(p.methods(), ", "))
}

// checkURL checks the scheme, and the host when it is an address or obviously local.
func (p Policy) checkURL(u *url.URL) error {
	if !slices.ContainsFunc(p.schemes(), func(s string) bool { return strings.EqualFold(s, u.Scheme) }) {
		return refused("scheme must be %s (see the broker's --webhook-scheme-allowlist)", strings.Join(p.schemes(), ", "))
	}
	host := u.Hostname()
	if p.hostAllowed(host) {
		return nil
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if !Public(addr) {
			return refused("host %s is not a public address: add it to the broker's --webhook-host-allowlist to allow it", host)
		}
		return nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return refused("host %s is a loopback name: add it to the broker's --webhook-host-allowlist to allow it", host)
	}
	return nil
}

func (p Policy) checkResolved(ctx context.Context, host string) error {
	if p.hostAllowed(host) {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // checked by checkURL
	}
	var resolver Resolver = net.DefaultResolver
	if p.Resolver != nil {
		resolver = p.Resolver
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !Public(a) && !p.addrAllowed(a) {
			return refused("host %s resolves to %s, which is not a public address: add the host to the broker's --webhook-host-allowlist to allow it", host, a.Unmap())
		}
	}
	return nil
}

// hostAllowed reports whether the allow-list names host: the name, a wildcard matching it,
// or (for an address) the address or a network holding it.
func (p Policy) hostAllowed(host string) bool {
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.addrAllowed(addr)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, entry := range p.Hosts {
		entry = strings.ToLower(strings.TrimSpace(entry))
		switch {
		case entry == host:
			return true
		case strings.HasPrefix(entry, "*.") && strings.HasSuffix(host, entry[1:]):
			return true
		}
	}
	return false
}

func (p Policy) addrAllowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, entry := range p.Hosts {
		entry = strings.TrimSpace(entry)
		if a, err := netip.ParseAddr(strings.Trim(entry, "[]")); err == nil && a.Unmap() == addr {
			return true
		}
		if prefix, err := netip.ParsePrefix(entry); err == nil && prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// nonPublic lists the ranges no webhook reaches unless allow-listed, beyond what netip
// classifies: shared address space, benchmarking, reserved, and the IPv6 ranges that embed
// an IPv4 address (NAT64, 6to4), which could otherwise smuggle a private one.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// Public reports whether an address is on the public internet: not loopback, private,
// link-local (which holds cloud metadata endpoints), multicast, unspecified or reserved.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// checkRequest checks a rendered request just before it is sent: the allow-lists may have
// changed since the webhook was saved, and parameters are filled in now.
func (p Policy) checkRequest(method, rawURL string) error {
	if err := p.checkMethod(method); err != nil {
		return refused("method %s %s", method, err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return refused("the URL %q does not parse: %v", rawURL, err)
	}
	if err := p.checkURL(u); err != nil {
		return err
	}
	return nil
}

// control runs on every connection the sender makes, with the address actually dialled:
// a name that resolved to a public address when the webhook was saved and to a private one
// now (DNS rebinding) is refused here. trusted is true when the allow-list names the host
// being connected to, which may then resolve anywhere.
func (p Policy) control(trusted bool) func(network, address string) error {
	return func(_, address string) error {
		if trusted {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return refused("cannot check the address %s: %v", address, err)
		}
		if !Public(ap.Addr()) && !p.addrAllowed(ap.Addr()) {
			return refused("connecting to %s is not allowed: it is not a public address (see the broker's --webhook-host-allowlist)", ap.Addr().Unmap())
		}
		return nil
	}
}

// IsRefused reports whether err is a refusal by the policy.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}
