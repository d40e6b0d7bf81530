package corpus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/redact"
)

// Defaults of FetchOptions.
const (
	DefaultFetchTimeout  = 10 * time.Second
	DefaultFetchMaxBytes = 5 << 20 // 5 MiB
	DefaultMaxRedirects  = 5
	// UserAgent is sent with every request.
	UserAgent = "attache/1.0 (+news bot)"
)

// Errors of Fetch and Download, wrapped with the URL and the details.
var (
	// ErrBlockedAddress: the URL, a redirect or a DNS answer leads to an
	// address that is not on the public internet (loopback, private,
	// link-local including cloud metadata services, CGNAT, multicast,
	// unspecified, reserved) and FetchOptions.AllowPrivate is off.
	ErrBlockedAddress = errors.New("address not allowed")
	// ErrBadURL: empty, unparsable, not http or https, without a host, or
	// with user credentials.
	ErrBadURL = errors.New("invalid URL")
	// ErrTooManyRedirects: more than FetchOptions.MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrNotHTML: Fetch got something other than an HTML page.
	ErrNotHTML = errors.New("not an HTML page")
	// ErrHTTPStatus: the server answered with a status other than 2xx.
	ErrHTTPStatus = errors.New("unexpected HTTP status")
	// ErrFetchTimeout: the whole exchange took longer than
	// FetchOptions.Timeout (or the context's deadline).
	ErrFetchTimeout = errors.New("timed out")
)

// FetchOptions configures a Fetcher. Zero values mean the defaults.
type FetchOptions struct {
	// AllowPrivate lets requests reach loopback, private and link-local
	// addresses. Off in production: a moderator-supplied URL must not
	// reach the host's own services or a cloud metadata endpoint.
	AllowPrivate bool
	// Timeout bounds one Fetch or Download, redirects and body included.
	Timeout time.Duration
	// MaxBytes is the largest response body Fetch accepts (and Download
	// when called with maxBytes <= 0).
	MaxBytes int64
	// MaxRedirects is how many redirects are followed; 0 means
	// DefaultMaxRedirects, a negative value means none.
	MaxRedirects int
	// MaxBodyBytes is the article body limit Fetch validates against;
	// <= 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int
	// Transport replaces the guarded transport (for tests or an egress
	// proxy that applies its own policy). The address check after DNS
	// resolution lives in the guarded transport's dialer, so a replacement
	// only keeps the checks made on URLs: scheme, literal IP addresses,
	// redirects, size and content type.
	Transport http.RoundTripper
}

// Fetcher downloads web pages and files for ingestion without letting a URL
// reach addresses that are not on the public internet. The address is
// checked on the IP actually dialed, after DNS resolution, for the first
// request and every redirect, so neither a hostname that resolves to
// 127.0.0.1 nor DNS rebinding nor a redirect to 169.254.169.254 gets
// through. Environment proxies are not used: with a proxy the dialed
// address would be the proxy's. A Fetcher is safe for concurrent use.
type Fetcher struct {
	opts   FetchOptions
	client *http.Client
	// dialPolicy decides whether an address may be connected to; tests
	// replace it to treat one loopback server as public.
	dialPolicy func(netip.AddrPort) error
}

// NewFetcher returns a Fetcher with opts (zero fields take the defaults).
func NewFetcher(opts FetchOptions) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultFetchTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultFetchMaxBytes
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	f := &Fetcher{opts: opts}
	f.dialPolicy = f.defaultPolicy
	rt := opts.Transport
	if rt == nil {
		dialer := &net.Dialer{
			Timeout:        opts.Timeout,
			KeepAlive:      -1,
			ControlContext: f.control,
		}
		rt = &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    opts.Timeout,
			ResponseHeaderTimeout:  opts.Timeout,
			MaxResponseHeaderBytes: 64 << 10,
			ForceAttemptHTTP2:      true,
			// Every fetch goes to a host chosen by a moderator, rarely the
			// same twice: idle connections would only keep sockets and
			// goroutines alive after the work is done.
			DisableKeepAlives: true,
		}
	}
	f.client = &http.Client{
		Transport:     rt,
		Timeout:       opts.Timeout,
		CheckRedirect: f.checkRedirect,
	}
	return f
}

// Fetch downloads the HTML page at rawURL and extracts its article with
// readability: URL is the page's own canonical link (or og:url) when that is
// on the same site, else the final URL after redirects, in its canonical
// form (CanonicalURL: no fragment, no tracking parameters); Title the page's
// title without a site name appended to it ("… | Outlet"), Source its
// declared site name, else that appended name, else its host (without
// "www."), Published
// the date in its metadata when there is one, Language its declared
// language, Body its main text as plain text (scripts, styles and markup
// never reach it). The article is normalised and validated; its
// Scope and ID are left empty, for the caller to set the scope (a guild's)
// before storing it. Only text/html and application/xhtml+xml responses of
// at most FetchOptions.MaxBytes are accepted.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Article, error) {
	u, err := parseFetchURL(rawURL)
	if err != nil {
		return Article{}, err
	}
	data, ctype, final, err := f.get(ctx, u, f.opts.MaxBytes, true)
	if err != nil {
		return Article{}, err
	}
	a, err := htmlArticle(data, ctype, final, false)
	if err != nil {
		return Article{}, fmt.Errorf("fetch %s: %w", redact.URL(final), err)
	}
	a.Normalize()
	a.Scope = "" // Normalize's default; the caller decides
	if err := Validate(a, f.opts.MaxBodyBytes); err != nil {
		return Article{}, fmt.Errorf("fetch %s: %w", redact.URL(final), err)
	}
	return a, nil
}

// Download returns the body and Content-Type of rawURL, whatever the type,
// under the same address checks, redirect limit and timeout as Fetch. A body
// over maxBytes (FetchOptions.MaxBytes when maxBytes <= 0) is an error
// wrapping ErrTooLarge, never a truncated result.
func (f *Fetcher) Download(ctx context.Context, rawURL string, maxBytes int64) ([]byte, string, error) {
	u, err := parseFetchURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	if maxBytes <= 0 {
		maxBytes = f.opts.MaxBytes
	}
	data, ctype, _, err := f.get(ctx, u, maxBytes, false)
	return data, ctype, err
}

// Response is what Get received: the status and the validators a later
// conditional request sends back, and the body of a 2xx answer.
type Response struct {
	// URL is the final URL, after redirects.
	URL string
	// Status is the HTTP status code; Get returns every status, not only
	// 2xx, so that the caller can tell 304, 429 and 5xx apart.
	Status int
	// ContentType is the Content-Type header, else the type sniffed from
	// the body ("" when there is no body).
	ContentType string
	// ETag and LastModified are the response's validators, for
	// If-None-Match and If-Modified-Since on the next request.
	ETag, LastModified string
	// RetryAfter is the delay a 429 or 503 asks for (Retry-After in
	// seconds or as an HTTP date); 0 when there is none.
	RetryAfter time.Duration
	// Body is the whole body of a 2xx answer (never truncated: a larger
	// one is an error), nil for any other status.
	Body []byte
}

// Get sends a GET for rawURL with header's fields added (conditional GET:
// If-None-Match, If-Modified-Since), under the same address checks,
// redirect limit and timeout as Fetch, and returns the response whatever its
// status. Only a 2xx body is read, and one over maxBytes
// (FetchOptions.MaxBytes when maxBytes <= 0) is an error wrapping
// ErrTooLarge. Errors are those of the exchange itself: a refused address, a
// bad URL, too many redirects, a timeout, a connection failure.
func (f *Fetcher) Get(ctx context.Context, rawURL string, header http.Header, maxBytes int64) (Response, error) {
	u, err := parseFetchURL(rawURL)
	if err != nil {
		return Response{}, err
	}
	if maxBytes <= 0 {
		maxBytes = f.opts.MaxBytes
	}
	return f.do(ctx, u, header, maxBytes, nil)
}

// do performs one request and reads at most limit bytes of a 2xx body.
// check, when set, may refuse a 2xx response from its headers, before its
// body is downloaded.
func (f *Fetcher) do(ctx context.Context, u *url.URL, header http.Header, limit int64, check func(*http.Response, string) error) (Response, error) {
	if err := f.checkTarget(u); err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w", redact.URL(u), err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w: %v", redact.URL(u), ErrBadURL, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return Response{}, f.describe(ctx, u, err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL
	where := redact.URL(final)
	out := Response{
		URL:          final.String(),
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         clip.Bytes(oneLine(resp.Header.Get("ETag")), 512),
		LastModified: clip.Bytes(oneLine(resp.Header.Get("Last-Modified")), 128),
		RetryAfter:   retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, nil
	}
	if check != nil {
		if err := check(resp, where); err != nil {
			return Response{}, err
		}
	}
	if resp.ContentLength > limit {
		return Response{}, fmt.Errorf("fetch %s: %w: the response is %d bytes, over the limit of %s", where, ErrTooLarge, resp.ContentLength, byteSize(limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return Response{}, f.describe(ctx, final, err)
	}
	if int64(len(data)) > limit {
		return Response{}, fmt.Errorf("fetch %s: %w: the response is over the limit of %s", where, ErrTooLarge, byteSize(limit))
	}
	if out.ContentType == "" && len(data) > 0 {
		out.ContentType = http.DetectContentType(data)
	}
	out.Body = data
	return out, nil
}

// maxRetryAfter caps a Retry-After: a server asking for a week is treated
// as asking for a day, so that a feed is never silenced for good by one
// answer.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses a Retry-After value (seconds, or an HTTP date relative
// to now); 0 when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// get performs the request and reads at most limit bytes of the body.
func (f *Fetcher) get(ctx context.Context, u *url.URL, limit int64, htmlOnly bool) (data []byte, ctype string, final *url.URL, err error) {
	var header http.Header
	var check func(*http.Response, string) error
	if htmlOnly {
		header = http.Header{"Accept": {"text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"}}
		check = func(resp *http.Response, where string) error {
			if ct := resp.Header.Get("Content-Type"); ct != "" && !isHTMLType(ct) {
				return fmt.Errorf("fetch %s: %w: the content type is %q (only HTML pages can be added by URL)", where, ErrNotHTML, clip.Mark(ct, 80))
			}
			return nil
		}
	}
	resp, err := f.do(ctx, u, header, limit, check)
	if err != nil {
		return nil, "", nil, err
	}
	final, _ = url.Parse(resp.URL)
	where := redact.URL(final)
	if resp.Status < 200 || resp.Status > 299 {
		return nil, "", nil, fmt.Errorf("fetch %s: %w: %s", where, ErrHTTPStatus, clip.Mark(oneLine(strconv.Itoa(resp.Status)+" "+http.StatusText(resp.Status)), 80))
	}
	ctype = resp.ContentType
	if ctype == "" {
		ctype = http.DetectContentType(resp.Body)
	}
	if htmlOnly && !isHTMLType(ctype) {
		return nil, "", nil, fmt.Errorf("fetch %s: %w: the server sent no content type and the body looks like %q", where, ErrNotHTML, ctype)
	}
	return resp.Body, ctype, final, nil
}

// describe turns a client error into one clear line that keeps the
// sentinel errors visible to errors.Is, and says where a redirect led.
func (f *Fetcher) describe(ctx context.Context, u *url.URL, err error) error {
	where := redact.URL(u)
	var ue *url.Error
	if errors.As(err, &ue) {
		if pu, perr := url.Parse(ue.URL); perr == nil && redact.URL(pu) != where {
			where += ": redirected to " + redact.URL(pu)
		}
	}
	var be *blockedError
	var de *net.DNSError
	switch {
	case errors.As(err, &be):
		return fmt.Errorf("fetch %s: %w", where, be)
	case errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrBadURL):
		return fmt.Errorf("fetch %s: %w", where, unwrapURLError(err))
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Errorf("fetch %s: %w after %s", where, ErrFetchTimeout, f.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("fetch %s: %w", where, context.Canceled)
	case errors.As(err, &de):
		// The resolver's own message names the DNS server: not the user's
		// business.
		if de.IsNotFound {
			return fmt.Errorf("fetch %s: no such host %q", where, de.Name)
		}
		return fmt.Errorf("fetch %s: cannot resolve %q", where, de.Name)
	}
	return fmt.Errorf("fetch %s: %w", where, unwrapURLError(err))
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isHTMLType reports whether a Content-Type is an HTML page.
func isHTMLType(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// parseFetchURL accepts absolute http and https URLs with a host and no
// user credentials.
func parseFetchURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: empty URL", ErrBadURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: the text is not a URL", ErrBadURL)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkURL holds the rules every URL, first or redirected to, must meet.
func checkURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return fmt.Errorf("%w: %q is not an absolute URL (want http:// or https://)", ErrBadURL, redact.URL(u))
	default:
		return fmt.Errorf("%w: scheme %q not allowed (only http and https)", ErrBadURL, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: no host in %q", ErrBadURL, redact.URL(u))
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with user credentials are not accepted", ErrBadURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: bad port %q", ErrBadURL, p)
		}
	}
	if _, err := netip.ParseAddr(host); err != nil && numericHost(host) {
		// "2130706433", "0x7f.1", "127.1": forms of an IP address that
		// some resolvers accept; refusing them keeps the check on literals
		// exact and avoids a DNS query for a name that is not one.
		return fmt.Errorf("%w: host %q is neither a name nor a standard IP address", ErrBadURL, host)
	}
	return nil
}

// numericHost reports hosts made only of digits, dots and hex notation.
func numericHost(h string) bool {
	h = strings.ToLower(h)
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	for _, l := range labels {
		if l == "" {
			return false
		}
		s := strings.TrimPrefix(l, "0x")
		if strings.Trim(s, "0123456789abcdef") != "" {
			return false
		}
		if strings.Trim(l, "0123456789") != "" && !strings.HasPrefix(l, "0x") {
			return false // a label like "cafe" is a name
		}
	}
	return true
}

// checkTarget applies checkURL and, when the host is an IP literal, the
// address policy: such a URL is refused before any connection is tried.
func (f *Fetcher) checkTarget(u *url.URL) error {
	if err := checkURL(u); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return nil // a name: checked at dial time, after resolution
	}
	port := 80
	if strings.EqualFold(u.Scheme, "https") {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return f.dialPolicy(netip.AddrPortFrom(ip.WithZone(""), uint16(port)))
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if f.opts.MaxRedirects < 0 || len(via) > f.opts.MaxRedirects {
		n := max(f.opts.MaxRedirects, 0)
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, n)
	}
	return f.checkTarget(req.URL)
}

// control runs for every connection the guarded transport dials, with the
// resolved address, before connect(2).
func (f *Fetcher) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &blockedError{addr: address, why: "cannot be checked"}
	}
	return f.dialPolicy(ap)
}

func (f *Fetcher) defaultPolicy(ap netip.AddrPort) error {
	if f.opts.AllowPrivate {
		return nil
	}
	if why := blockedReason(ap.Addr()); why != "" {
		return &blockedError{addr: ap.Addr().String(), why: why}
	}
	return nil
}

// blockedError is a refused destination; it matches ErrBlockedAddress.
type blockedError struct {
	addr, why string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("%v: %s is %s", ErrBlockedAddress, e.addr, e.why)
}

func (e *blockedError) Is(target error) bool { return target == ErrBlockedAddress }

// Address ranges that are not the public internet, beyond what netip's
// predicates cover.
var blockedPrefixes = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// blockedReason says why ip is not a public internet address, or "" when
// it is one. IPv4-mapped IPv6 addresses are judged as the IPv4 address they
// carry, and so are NAT64 and 6to4 addresses.
func blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (this includes cloud metadata services)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, b := range blockedPrefixes {
		if b.prefix.Contains(ip) {
			return b.why
		}
	}
	if ip.Is6() {
		a := ip.As16()
		var v4 [4]byte
		switch {
		case nat64.Contains(ip):
			copy(v4[:], a[12:16])
		case sixToFour.Contains(ip):
			copy(v4[:], a[2:6])
		default:
			return ""
		}
		if why := blockedReason(netip.AddrFrom4(v4)); why != "" {
			return why + " (embedded in an IPv6 address)"
		}
	}
	return ""
}
