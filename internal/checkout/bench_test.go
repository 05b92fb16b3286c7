package checkout_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/service"
)

// BenchmarkPage renders a link's checkout page over real HTTP on SQLite.
func BenchmarkPage(b *testing.B) {
	e := newEnv(b, "sqlite", roomy, service.Options{})
	l := e.link(b, e.test, service.LinkParams{Amount: 25000, Description: "Oat milk, large"})
	c := browser(b)
	u := e.url + "/l/" + l.Slug
	b.ReportAllocs()
	for b.Loop() {
		if p := get(b, c, u, "Accept-Language", "th-TH,th;q=0.9"); p.status != http.StatusOK {
			b.Fatalf("status %d", p.status)
		}
	}
}

// BenchmarkPay makes full successful payments of a multi-use link over real
// HTTP on SQLite: CSRF check, validation, the simulator, the charge and its
// event written durably, and the 303 to the receipt.
func BenchmarkPay(b *testing.B) {
	e := newEnv(b, "sqlite", roomy, service.Options{})
	l := e.link(b, e.test, service.LinkParams{Amount: 25000, Multiple: true})
	c := browser(b)
	u := e.url + "/l/" + l.Slug
	form := payForm(csrfOf(b, get(b, c, u)), "4242424242424242")
	b.ReportAllocs()
	for b.Loop() {
		if p := post(b, c, u, form); p.status != http.StatusSeeOther {
			b.Fatalf("status %d", p.status)
		}
	}
}

// BenchmarkPageHandler serves GET /l/{slug} through the server's handler,
// middleware included, without a network: the server's own cost of a page
// view by a returning payer (who has the CSRF cookie). "cached" views one
// link again and again (served by the page cache); "uncached" has no page
// cache, as views spread over far more links than it holds are served.
func BenchmarkPageHandler(b *testing.B) {
	for _, bc := range []struct {
		name  string
		bytes int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvWith(b, "sqlite", checkout.Options{Limits: roomy, PageCacheBytes: bc.bytes}, service.Options{})
			l := e.link(b, e.test, service.LinkParams{Amount: 25000, Description: "Oat milk, large"})
			w := &bufferWriter{}
			first := serve(b, e.handler, w, httptest.NewRequest("GET", "/l/"+l.Slug, nil))
			cookie := first.Header().Get("Set-Cookie")
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				r := httptest.NewRequest("GET", "/l/"+l.Slug, nil)
				r.Header.Set("Accept-Language", "th-TH,th;q=0.9")
				r.Header.Set("Cookie", cookie)
				if serve(b, e.handler, w, r).status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			b.ReportMetric(float64(w.body.Len()), "page-bytes")
		})
	}
}

// BenchmarkPayHandler is the bench's pay scenario through the server's
// handler, without a network: a new payer (no cookie) GETs the page, then
// POSTs the 4242… card and is answered 303 to the receipt, on a SQLite
// file. Each payment is durable before the 303. The payments go round a
// few hundred links, as payers of a real site spread over its links.
// "uncached" has no page
// cache, as payments spread over far more links than it holds.
func BenchmarkPayHandler(b *testing.B) {
	for _, bc := range []struct {
		name  string
		bytes int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvWith(b, "sqlite", checkout.Options{Limits: roomy, PageCacheBytes: bc.bytes}, service.Options{})
			slugs := make([]string, 256)
			var wg sync.WaitGroup
			for i := range slugs {
				wg.Go(func() { slugs[i] = e.link(b, e.test, service.LinkParams{Amount: 25000, Multiple: true}).Slug })
			}
			wg.Wait()
			w := &bufferWriter{}
			form := payForm("", "4242424242424242")
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				slug := slugs[i%len(slugs)]
				i++
				r := httptest.NewRequest("GET", "/l/"+slug, nil)
				if serve(b, e.handler, w, r).status != http.StatusOK {
					b.Fatalf("GET: status %d", w.status)
				}
				cookie, _, _ := strings.Cut(w.Header().Get("Set-Cookie"), ";")
				_, rest, _ := bytes.Cut(w.body.Bytes(), []byte(`name="csrf" value="`))
				token, _, _ := bytes.Cut(rest, []byte(`"`))
				form.Set("csrf", string(token))
				r = httptest.NewRequest("POST", "/l/"+slug, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Cookie", cookie)
				if serve(b, e.handler, w, r).status != http.StatusSeeOther {
					b.Fatalf("POST: status %d", w.status)
				}
			}
		})
	}
}

// bufferWriter is a ResponseWriter reused across requests, so that a
// benchmark measures the handler rather than a recorder.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }

func (w *bufferWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// serve runs one request through h into w, reset first.
func serve(tb testing.TB, h http.Handler, w *bufferWriter, r *http.Request) *bufferWriter {
	tb.Helper()
	if w.header == nil {
		w.header = http.Header{}
	}
	for k := range w.header { // not clear(): the browser test has its own
		delete(w.header, k)
	}
	w.status = 0
	w.body.Reset()
	h.ServeHTTP(w, r)
	return w
}

// reportCPU reports the process's CPU time (user and system, every
// goroutine) per operation as cpu-ns/op when the returned func runs: on a
// path that waits for fsync, wall time per op says little about cost.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
