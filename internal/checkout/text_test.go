package checkout_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// TestPayFormHostileText submits the hosted pay forms (a single-use link's
// page and a checkout session's page) with a NUL, control characters or
// bytes that are not UTF-8 in the name on the card or the email, on each
// store: the form comes back (422) with the error by that field, nothing
// is charged or recorded, and the same page then takes a good payment. On
// PostgreSQL a NUL in the name used to be charged by the processor and
// then fail the charge's write ("successful charge not recorded").
func TestPayFormHostileText(t *testing.T) { forBackends(t, testPayFormHostileText) }

func testPayFormHostileText(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	ctx := context.Background()
	l := e.link(t, e.test, service.LinkParams{Amount: 25000})
	multi := e.link(t, e.test, service.LinkParams{Amount: 25000, Multiple: true})
	sess, err := e.svc.CreateSession(ctx, e.test, service.SessionParams{LinkID: &multi.ID})
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name, path string
		link       *paylinks.Link
	}{
		{"link", "/l/" + l.Slug, l},
		{"session", "/c/" + paylinks.FormatSessionID(sess.ID), multi},
	}
	hostile := []struct{ name, value string }{
		{"NUL", "\x00"}, {"escape", "\x1b[31m"}, {"DEL", "\x7f"}, {"C1", "\u0085"},
		{"newline", "\n"}, {"invalid UTF-8", "\xff"}, {"truncated UTF-8", "\xe0\xb8"},
	}
	for _, pg := range pages {
		c := browser(t)
		csrf := csrfOf(t, get(t, c, e.url+pg.path))
		for _, field := range []string{"name", "email"} {
			for _, h := range hostile {
				f := payForm(csrf, "4242424242424242")
				if field == "email" {
					f.Set(field, "jane"+h.value+"@example.com")
				} else {
					f.Set(field, "Jane"+h.value+"Doe")
				}
				p := post(t, c, e.url+pg.path, f)
				if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="`+field+`-err"`) {
					t.Errorf("%s page, %s %s: status %d, want 422 with the error by %s", pg.name, field, h.name, p.status, field)
					continue
				}
				csrf = csrfOf(t, p)
			}
		}
		if _, total, err := e.svc.ListCharges(ctx, e.test, paylinks.ChargeFilter{LinkID: &pg.link.ID, Limit: 10}); err != nil || total != 0 {
			t.Errorf("%s page: %d charges after refused forms (%v), want none", pg.name, total, err)
		}
		p := post(t, c, e.url+pg.path, payForm(csrf, "4242424242424242"))
		if p.status != http.StatusSeeOther {
			t.Errorf("%s page: a good payment after the refusals: status %d, want 303", pg.name, p.status)
		}
	}
	if got, _ := e.svc.GetLink(ctx, e.test, l.ID, "x"); !got.Used {
		t.Error("the single-use link was not used by the good payment")
	}
}

// TestPayFormKeepsText pays with a Thai name on the card: it is kept
// exactly on the charge.
func TestPayFormKeepsText(t *testing.T) { forBackends(t, testPayFormKeepsText) }

func testPayFormKeepsText(t *testing.T, backend string) {
	e := newEnv(t, backend, roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 25000})
	c := browser(t)
	f := payForm(csrfOf(t, get(t, c, e.url+"/l/"+l.Slug)), "4242424242424242")
	f.Set("name", "สมชาย ใจดี 😀")
	if p := post(t, c, e.url+"/l/"+l.Slug, f); p.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", p.status)
	}
	cs, _, err := e.svc.ListCharges(context.Background(), e.test, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
	if err != nil || len(cs) != 1 || cs[0].Card.Name != "สมชาย ใจดี 😀" {
		t.Fatalf("charges = %+v, %v", cs, err)
	}
}
