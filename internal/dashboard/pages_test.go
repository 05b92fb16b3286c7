package dashboard_test

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

var (
	linkHrefRE = regexp.MustCompile(`href="/dashboard/links/([0-9a-z]+)"`)
	olderRE    = regexp.MustCompile(`href="(/dashboard/(?:links|payments)\?[^"]+)">Older`)
)

// ownerPrincipal is the service principal of the account's secret key in
// test mode, for fixtures made without the dashboard.
func ownerPrincipal(env *servertest.Env) paylinks.Principal {
	return paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}
}

// TestLinksPages: search by title, filter by state, keyset pages that join
// into the whole list, edit, deactivate and activate, delete with a
// confirmation step; a viewer is refused each write by the server.
func TestLinksPages(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, clock := newEnv(t, backend)
			ctx := context.Background()
			b := newUser(t, env, "acme", "owner@example.com", "")
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			pr := ownerPrincipal(env)
			var made []string
			for i := range 30 {
				clock.Add(time.Second)
				l, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: fmt.Sprintf("Item %02d", i), Amount: 5000, Currency: "THB", Multiple: true})
				if err != nil {
					t.Fatal(err)
				}
				made = append(made, paylinks.FormatBase36(l.ID))
			}
			clock.Add(time.Second)
			pottery, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Pottery Class", Amount: 125000, Currency: "THB"})
			if err != nil {
				t.Fatal(err)
			}
			pid := paylinks.FormatBase36(pottery.ID)
			// Another account's link never shows.
			if _, err := env.Service.CreateLink(ctx, paylinks.Principal{AccountID: env.Other.ID, Kind: paylinks.KeySecret},
				service.LinkParams{Title: "Pottery elsewhere", Amount: 10000, Currency: "THB"}); err != nil {
				t.Fatal(err)
			}

			// Keyset pages: 25, then 6, joined in order, each once.
			var seen []string
			next := "/dashboard/links"
			for range 5 {
				p := b.get(next)
				if p.status != http.StatusOK {
					t.Fatalf("GET %s: %d", next, p.status)
				}
				for _, m := range linkHrefRE.FindAllStringSubmatch(p.body, -1) {
					if m[1] != "new" {
						seen = append(seen, m[1])
					}
				}
				m := olderRE.FindStringSubmatch(p.body)
				if m == nil {
					break
				}
				next = strings.ReplaceAll(m[1], "&amp;", "&")
			}
			want := append([]string{pid}, made...)
			slices.Reverse(want[1:])
			if !slices.Equal(seen, want) {
				t.Errorf("links pages joined:\n got %v\nwant %v", seen, want)
			}
			if p := b.get("/dashboard/links?after=zzzz"); p.status != http.StatusBadRequest {
				t.Errorf("a cursor of no link: %d, want 400", p.status)
			}

			// Search by title, any case.
			p := b.get("/dashboard/links?q=pottery")
			if ids := linkHrefRE.FindAllStringSubmatch(p.body, -1); p.status != http.StatusOK || len(ids) != 2 || ids[1][1] != pid || strings.Contains(p.body, "elsewhere") {
				t.Errorf("search pottery: %d, links %v", p.status, ids)
			}
			if p := b.get("/dashboard/links?status=nonsense"); p.status != http.StatusBadRequest {
				t.Errorf("status nonsense: %d, want 400", p.status)
			}

			// Edit: a bad amount comes back beside its field, nothing written.
			edit := "/dashboard/links/" + pid + "/edit"
			p = b.submit(edit, edit, url.Values{"title": {"Pottery, advanced"}, "description": {"Wheel"}, "amount": {"12.345"}, "success_url": {""}})
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="amount-err"`) {
				t.Errorf("edit with amount 12.345: %d\n%s", p.status, p.body)
			}
			if l, _ := env.Service.GetLink(ctx, pr, pottery.ID, pid); l.Title != "Pottery Class" {
				t.Errorf("a refused edit changed the title to %q", l.Title)
			}
			wantRedirect(t, b.submit(edit, edit, url.Values{"title": {"Pottery, advanced"}, "description": {"Wheel"}, "amount": {"1500.00"}, "success_url": {"https://example.com/thanks"}}),
				http.StatusSeeOther, "/dashboard/links/"+pid+"?done=saved")
			l, err := env.Service.GetLink(ctx, pr, pottery.ID, pid)
			if err != nil || l.Title != "Pottery, advanced" || l.Description != "Wheel" || l.Amount != 150000 || l.SuccessURL != "https://example.com/thanks" {
				t.Errorf("after the edit: %+v, %v", l, err)
			}

			// A viewer: the server refuses, whatever the page shows.
			tok := viewer.csrf("/dashboard/links")
			for _, path := range []string{edit, "/dashboard/links/" + pid + "/active", "/dashboard/links/" + pid + "/delete"} {
				if p := viewer.post(path, url.Values{"csrf": {tok}, "title": {"Hacked"}, "active": {"0"}}); p.status != http.StatusForbidden {
					t.Errorf("viewer POST %s: %d, want 403", path, p.status)
				}
			}
			if l, _ := env.Service.GetLink(ctx, pr, pottery.ID, pid); l.Title != "Pottery, advanced" || !l.Active || l.Deleted() {
				t.Errorf("the viewer's posts changed the link: %+v", l)
			}

			// Deactivate: the inactive filter has it, the active one not.
			wantRedirect(t, b.submit("/dashboard/links/"+pid, "/dashboard/links/"+pid+"/active", url.Values{"active": {"0"}}),
				http.StatusSeeOther, "/dashboard/links/"+pid+"?done=deactivated")
			if p := b.get("/dashboard/links?status=inactive"); !strings.Contains(p.body, "Pottery, advanced") || len(linkHrefRE.FindAllString(p.body, -1)) != 2 {
				t.Errorf("inactive links:\n%s", p.body)
			}
			if p := b.get("/dashboard/links?status=active&q=pottery"); strings.Contains(p.body, "Pottery, advanced") {
				t.Error("a deactivated link is listed as active")
			}
			wantRedirect(t, b.submit("/dashboard/links/"+pid, "/dashboard/links/"+pid+"/active", url.Values{"active": {"1"}}),
				http.StatusSeeOther, "/dashboard/links/"+pid+"?done=activated")

			// Delete: a confirmation page, then the link is archived.
			if p := b.get("/dashboard/links/" + pid + "/delete"); p.status != http.StatusOK || !strings.Contains(p.body, "Delete the link") {
				t.Errorf("delete confirmation: %d", p.status)
			}
			wantRedirect(t, b.submit("/dashboard/links/"+pid+"/delete", "/dashboard/links/"+pid+"/delete", url.Values{}),
				http.StatusSeeOther, "/dashboard/links?status=archived")
			if p := b.get("/dashboard/links?status=archived"); !strings.Contains(p.body, "Pottery, advanced") {
				t.Errorf("archived links lack the deleted link:\n%s", p.body)
			}
			if p := b.get("/dashboard/links?q=pottery"); strings.Contains(p.body, "Pottery, advanced") {
				t.Error("a deleted link is in the list of links")
			}
			if p := b.get("/dashboard/links/" + pid); p.status != http.StatusOK || !strings.Contains(p.body, "archived") || strings.Contains(p.body, "/edit") {
				t.Errorf("an archived link's page: %d (want it shown read-only)", p.status)
			}
		})
	}
}

// payCard pays a link with a test card.
func payCard(t *testing.T, env *servertest.Env, slug, email string) *paylinks.Charge {
	t.Helper()
	card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: testStart.Year() + 2}
	c, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: slug, Card: card, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPaymentsPages: live rows, the timeline, capture and void with a
// confirmation step (refused to a viewer), home's sums, the sessions page.
func TestPaymentsPages(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, clock := newEnv(t, backend)
			ctx := context.Background()
			b := newUser(t, env, "acme", "owner@example.com", "")
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			pr := ownerPrincipal(env)
			payCard := func(t *testing.T, env *servertest.Env, slug, email string) *paylinks.Charge {
				clock.Add(time.Second)
				return payCard(t, env, slug, email)
			}

			// Live rows: nothing, then the newest, then what came after it.
			if p := b.get("/dashboard/payments/new"); p.status != http.StatusNoContent {
				t.Errorf("new payments of an empty list: %d, want 204", p.status)
			}
			sold, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Tea set", Amount: 50000, Currency: "THB", Multiple: true})
			if err != nil {
				t.Fatal(err)
			}
			c1 := payCard(t, env, sold.Slug, "first@example.com")
			p := b.get("/dashboard/payments/new")
			if p.status != http.StatusOK || p.header.Get("X-Newest") != paylinks.FormatBase36(c1.ID) || !strings.Contains(p.body, "first@example.com") {
				t.Fatalf("new payments: %d %q\n%s", p.status, p.header.Get("X-Newest"), p.body)
			}
			after := "/dashboard/payments/new?after=" + paylinks.FormatBase36(c1.ID)
			if p := b.get(after); p.status != http.StatusNoContent {
				t.Errorf("nothing after the newest: %d", p.status)
			}
			c2 := payCard(t, env, sold.Slug, "second@example.com")
			c3 := payCard(t, env, sold.Slug, "third@example.com")
			p = b.get(after)
			if p.status != http.StatusOK || p.header.Get("X-Newest") != paylinks.FormatBase36(c3.ID) ||
				strings.Index(p.body, "second@example.com") > strings.Index(p.body, "third@example.com") || strings.Contains(p.body, "first@") {
				t.Errorf("the payments after the first: %d %q\n%s", p.status, p.header.Get("X-Newest"), p.body)
			}
			if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("rows' content type %q", ct)
			}
			// The page with the script: allowed by its nonce only.
			p = b.get("/dashboard/payments")
			csp := p.header.Get("Content-Security-Policy")
			nonce := regexp.MustCompile(`<script nonce="([^"]+)"`).FindStringSubmatch(p.body)
			if nonce == nil || !strings.Contains(csp, "script-src 'nonce-"+html.UnescapeString(nonce[1])+"'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("payments page: CSP %q, script nonce %v", csp, nonce)
			}
			if !strings.Contains(p.body, `data-newest="`+paylinks.FormatBase36(c3.ID)+`"`) {
				t.Error("the payments page does not start its live updates at its newest payment")
			}
			_ = c2

			// Refund half: its event is in the payment's timeline.
			cid := paylinks.FormatBase36(c1.ID)
			wantRedirect(t, b.submit("/dashboard/payments/"+cid, "/dashboard/payments/"+cid+"/refund", url.Values{"amount": {"250.00"}}),
				http.StatusSeeOther, "/dashboard/payments/"+cid+"?refunded=1")
			p = b.get("/dashboard/payments/" + cid)
			for _, want := range []string{"Timeline", "charge.create", "refund.create"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("payment page lacks %q", want)
				}
			}

			// An authorization: capture part of it, after a confirmation.
			manual, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Deposit", Amount: 100000, Currency: "THB", Multiple: true, ManualCapture: true})
			if err != nil {
				t.Fatal(err)
			}
			auth := payCard(t, env, manual.Slug, "auth@example.com")
			aid := paylinks.FormatBase36(auth.ID)
			if p := b.get("/dashboard/payments/" + aid); !strings.Contains(p.body, "authorized") || !strings.Contains(p.body, "/capture") {
				t.Errorf("authorization page lacks its capture:\n%s", p.body)
			}
			if p := viewer.get("/dashboard/payments/" + aid); strings.Contains(p.body, "/capture") {
				t.Error("a viewer is offered the capture")
			}
			vt := viewer.csrf("/dashboard/payments")
			for _, op := range []string{"capture", "void"} {
				if p := viewer.post("/dashboard/payments/"+aid+"/"+op, url.Values{"csrf": {vt}, "amount": {"10.00"}}); p.status != http.StatusForbidden {
					t.Errorf("viewer %s: %d, want 403", op, p.status)
				}
			}
			confirm := "/dashboard/payments/" + aid + "/capture"
			if p := b.get(confirm); p.status != http.StatusOK || !strings.Contains(p.body, `value="1000.00"`) {
				t.Errorf("capture confirmation: %d", p.status)
			}
			if p := b.submit(confirm, confirm, url.Values{"amount": {"2000.00"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="amount-err"`) {
				t.Errorf("capture above the authorization: %d\n%s", p.status, p.body)
			}
			wantRedirect(t, b.submit(confirm, confirm, url.Values{"amount": {"600.00"}}), http.StatusSeeOther, "/dashboard/payments/"+aid+"?done=capture")
			if c, err := env.Service.GetCharge(ctx, pr, auth.ID, aid); err != nil || c.Status != paylinks.ChargeSuccessful || c.CapturedAmount != 60000 {
				t.Errorf("captured: %+v, %v", c, err)
			}
			if p := b.get("/dashboard/payments/" + aid); !strings.Contains(p.body, "charge.capture") || strings.Contains(p.body, "/void") {
				t.Errorf("captured payment's page: want charge.capture in the timeline and no void")
			}
			// Void another.
			auth2 := payCard(t, env, manual.Slug, "auth2@example.com")
			a2 := paylinks.FormatBase36(auth2.ID)
			wantRedirect(t, b.submit("/dashboard/payments/"+a2+"/void", "/dashboard/payments/"+a2+"/void", url.Values{}), http.StatusSeeOther, "/dashboard/payments/"+a2+"?done=void")
			if c, _ := env.Service.GetCharge(ctx, pr, auth2.ID, a2); c.Status != paylinks.ChargeReversed {
				t.Errorf("voided: status %s, want reversed", c.Status)
			}
			if p := b.submit("/dashboard/payments/"+a2, "/dashboard/payments/"+a2+"/void", url.Values{}); p.status != http.StatusConflict {
				t.Errorf("void twice: %d, want 409", p.status)
			}

			// Home: today's sums (3 × 500.00 + 600.00 captured), the chart,
			// the link that sold the most.
			p = b.get("/dashboard")
			for _, want := range []string{"2100.00 THB", "4 payments", `<title id="chart-title">Volume per day in THB</title>`, "<desc", "Tea set", "third@example.com"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("home lacks %q", want)
				}
			}
			if n := strings.Count(p.body, "<rect "); n != service.SummaryDays {
				t.Errorf("chart: %d bars, want %d", n, service.SummaryDays)
			}
			// Another account's payments are not in its sums.
			other, err := env.Service.CreateLink(ctx, paylinks.Principal{AccountID: env.Other.ID, Kind: paylinks.KeySecret},
				service.LinkParams{Title: "Elsewhere", Amount: 777700, Currency: "THB"})
			if err != nil {
				t.Fatal(err)
			}
			payCard(t, env, other.Slug, "x@example.com")
			if p := b.get("/dashboard"); !strings.Contains(p.body, "2100.00 THB") || strings.Contains(p.body, "Elsewhere") {
				t.Error("home shows another account's payment")
			}

			// Sessions.
			s, err := env.Service.CreateSession(ctx, pr, service.SessionParams{LinkID: &sold.ID})
			if err != nil {
				t.Fatal(err)
			}
			if p := b.get("/dashboard/sessions"); p.status != http.StatusOK || !strings.Contains(p.body, paylinks.FormatSessionID(s.ID)) || !strings.Contains(p.body, "open") {
				t.Errorf("sessions page: %d\n%s", p.status, p.body)
			}
			// The link's page lists its sessions (the payments' and this one).
			if p := b.get("/dashboard/links/" + paylinks.FormatBase36(sold.ID)); !strings.Contains(p.body, paylinks.FormatSessionID(s.ID)) {
				t.Errorf("the link's page lacks its session %s", paylinks.FormatSessionID(s.ID))
			}
			if p := b.get("/dashboard/links/" + paylinks.FormatBase36(manual.ID)); strings.Contains(p.body, paylinks.FormatSessionID(s.ID)) {
				t.Error("another link's page lists the session")
			}
		})
	}
}

// TestExportPayments: the CSV of a date range holds every charge of it,
// oldest first, escaped, with cells that a spreadsheet would run as a
// formula quoted; it is streamed (chunked, no length known up front).
func TestExportPayments(t *testing.T) {
	env, _ := newEnv(t, "sqlite")
	ctx := context.Background()
	b := newUser(t, env, "acme", "owner@example.com", "")
	const n = 1234 // more than two of the export's pages
	var wg sync.WaitGroup
	errs := make(chan error, n)
	ids := make([]paylinks.ID, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				id, _ := paylinks.NewID(testStart, rand.Reader)
				ids[i] = id
				c := &paylinks.Charge{ID: id, AccountID: env.Account.ID, Amount: int64(100 + i), Currency: "THB", Status: paylinks.ChargeSuccessful,
					Capture: true, AuthorizedAmount: int64(100 + i), CapturedAmount: int64(100 + i), Email: fmt.Sprintf("p%d@example.com", i),
					Card: paylinks.Card{Brand: "Visa", LastDigits: "4242"}, CreatedAt: testStart.Add(-48 * 3600e9).Add(time.Duration(i) * time.Second)}
				switch i {
				case 0:
					c.Description = `=HYPERLINK("http://evil.example","x")`
				case 1:
					c.Description = "comma, \"quote\"\nand a line"
				case 2:
					c.Email = "@SUM(1+1)"
				}
				if err := env.Store.CreateCharge(ctx, store.ChargeWrite{Charge: c}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	day := testStart.Add(-48 * 3600e9).Format(time.DateOnly)
	resp, err := b.c.Get(env.URL + "/dashboard/payments/export?from=" + day + "&to=" + day)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 {
		t.Errorf("export: length %d, transfer encoding %v; want it streamed (chunked)", resp.ContentLength, resp.TransferEncoding)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || rows[0][0] != "id" {
		t.Fatalf("export: %d rows, want a header and %d", len(rows), n)
	}
	var dayIDs []paylinks.ID
	for i, r := range rows[1:] {
		if r[0] != paylinks.FormatBase36(ids[i]) || r[4] != "THB" || r[3] != paylinks.FormatDecimal(int64(100+i), "THB") {
			t.Fatalf("row %d: %v, want charge %d", i+1, r, i)
		}
		dayIDs = append(dayIDs, ids[i])
	}
	if got := rows[1][10]; got != `'=HYPERLINK("http://evil.example","x")` {
		t.Errorf("formula cell: %q", got)
	}
	if got := rows[2][10]; got != "comma, \"quote\"\nand a line" {
		t.Errorf("escaped cell read back as %q", got)
	}
	if got := rows[3][9]; got != "'@SUM(1+1)" {
		t.Errorf("@ cell: %q", got)
	}
	// The next day is empty: a header alone. A range backwards is refused.
	next := testStart.Add(-24 * 3600e9).Format(time.DateOnly)
	if p := b.get("/dashboard/payments/export?from=" + next + "&to=" + next); p.status != http.StatusOK || strings.Count(p.body, "\n") != 1 {
		t.Errorf("empty export: %d\n%s", p.status, p.body)
	}
	if p := b.get("/dashboard/payments/export?from=" + next + "&to=" + day); p.status != http.StatusBadRequest {
		t.Errorf("backwards range: %d, want 400", p.status)
	}
	if p := b.get("/dashboard/payments/export?from=yesterday&to=" + day); p.status != http.StatusBadRequest {
		t.Errorf("a range that is not dates: %d, want 400", p.status)
	}
}
