package service_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// TestServiceRefusesHostileText calls every service operation that takes
// text with a NUL, a control character or bytes that are not UTF-8 in each
// of its text fields, on each store: a KindInvalid error naming the field,
// and nothing written: no link, session or charge, no link changed, and
// the token meant for the charges still charges afterwards. This is the
// one place the rule lives; the dialects' tests check their shapes.
func TestServiceRefusesHostileText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		l := e.link(t, e.secret, service.LinkParams{Amount: 5000, Description: "D", Multiple: true})
		tok, err := e.svc.CreateToken(ctx, e.public, goodCard("4242424242424242"))
		if err != nil {
			t.Fatal(err)
		}
		str := func(s string) *string { return &s }
		for _, h := range []struct{ name, text string }{
			{"NUL", "a\x00b"}, {"escape", "a\x1bb"}, {"DEL", "a\x7fb"}, {"C1", "a\u009bb"}, {"CR", "a\rb"},
			{"invalid UTF-8", "a\xffb"}, {"encoded surrogate", "a\xed\xa0\x80b"},
		} {
			x := h.text
			calls := []struct {
				param string
				call  func() error
			}{
				{"title", func() error {
					_, err := e.svc.CreateLink(ctx, e.secret, service.LinkParams{Title: x, Amount: 5000, Currency: "THB"})
					return err
				}},
				{"description", func() error {
					_, err := e.svc.CreateLink(ctx, e.secret, service.LinkParams{Title: "T", Description: x, Amount: 5000, Currency: "THB"})
					return err
				}},
				{"success_url", func() error {
					_, err := e.svc.CreateLink(ctx, e.secret, service.LinkParams{Title: "T", Amount: 5000, Currency: "THB", SuccessURL: "https://shop.example.com/" + x})
					return err
				}},
				{"title", func() error {
					_, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Title: str(x)})
					return err
				}},
				{"description", func() error {
					_, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{Description: str(x)})
					return err
				}},
				{"cancel_url", func() error {
					_, err := e.svc.UpdateLink(ctx, e.secret, l.ID, "x", service.LinkUpdate{CancelURL: str("https://shop.example.com/" + x)})
					return err
				}},
				{"metadata", func() error {
					_, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{Amount: 5000, Currency: "THB", Metadata: map[string]string{"k": x}})
					return err
				}},
				{"metadata", func() error {
					_, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID, Metadata: map[string]string{x: "v"}})
					return err
				}},
				{"name", func() error {
					c := goodCard("4242424242424242")
					c.Name = x
					_, err := e.svc.CreateToken(ctx, e.public, c)
					return err
				}},
				{"description", func() error {
					_, err := e.svc.CreateCharge(ctx, e.secret, service.ChargeParams{Amount: 5000, Currency: "THB", TokenID: tok.ID, TokenRef: "t", Description: x, Capture: true})
					return err
				}},
				{"metadata", func() error {
					_, err := e.svc.CreateCharge(ctx, e.secret, service.ChargeParams{Amount: 5000, Currency: "THB", TokenID: tok.ID, TokenRef: "t", Metadata: map[string]string{"k": x}, Capture: true})
					return err
				}},
				{"metadata", func() error {
					_, err := e.svc.CreateCharge(ctx, e.secret, service.ChargeParams{Amount: 5000, Currency: "THB", TokenID: tok.ID, TokenRef: "t", Metadata: map[string]string{x: "v"}, Capture: true})
					return err
				}},
				{"name", func() error {
					c := goodCard("4242424242424242")
					c.Name = x
					_, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: c, Email: "a@example.com"})
					return err
				}},
				{"email", func() error {
					_, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a" + x + "@example.com"})
					return err
				}},
			}
			for i, c := range calls {
				err := c.call()
				pe := paylinks.AsError(err)
				if paylinks.KindOf(err) != paylinks.KindInvalid || pe == nil || pe.Param != c.param || !strings.Contains(pe.Message, msgName(c.param)) {
					t.Errorf("%s, call %d (%s): %v, want an invalid-request error naming %s", h.name, i, c.param, err, c.param)
				}
			}
		}
		if _, total, err := e.svc.ListLinks(ctx, e.secret, paylinks.LinkFilter{Limit: 10}); err != nil || total != 1 {
			t.Errorf("links after the refusals: %d (%v), want 1", total, err)
		}
		if got, err := e.svc.GetLink(ctx, e.secret, l.ID, "x"); err != nil || got.Title != l.Title || got.Description != "D" ||
			got.CancelURL != "" || !got.UpdatedAt.Equal(l.UpdatedAt) {
			t.Errorf("the link after refused updates: %+v, %v", got, err)
		}
		if _, total, err := e.svc.ListCharges(ctx, e.secret, paylinks.ChargeFilter{Limit: 10}); err != nil || total != 0 {
			t.Errorf("charges after the refusals: %d (%v), want none", total, err)
		}
		if p, err := e.svc.SessionPage(ctx, e.secret, service.CursorPage{Limit: 10}); err != nil || len(p.Items) != 0 {
			t.Errorf("sessions after the refusals: %v", err)
		}
		c, err := e.svc.CreateCharge(ctx, e.secret, service.ChargeParams{Amount: 5000, Currency: "THB", TokenID: tok.ID, TokenRef: "t",
			Description: "Line 1\n\tกาแฟ ☕", Metadata: map[string]string{"สั่ง": "😀"}, Capture: true})
		if err != nil || !c.Paid() || c.Description != "Line 1\n\tกาแฟ ☕" || c.Metadata["สั่ง"] != "😀" {
			t.Fatalf("the token after the refusals: %+v, %v", c, err)
		}
	})
}

// msgName is how the error message of a field names it.
func msgName(param string) string {
	switch param {
	case "success_url", "cancel_url":
		return strings.TrimSuffix(param, "_url") + " URL"
	case "name":
		return "name on the card"
	case "email":
		return "email"
	}
	return param
}

// TestTextLengthsInCharacters: the limits count characters, not bytes: a
// title of 255 Thai characters (765 bytes) and metadata values of 500
// emoji (2,000 bytes) are accepted; one character more is refused.
func TestTextLengthsInCharacters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		title := strings.Repeat("ก", service.MaxTitleLen)
		l, err := e.svc.CreateLink(ctx, e.secret, service.LinkParams{Title: title, Amount: 5000, Currency: "THB"})
		if err != nil || l.Title != title {
			t.Fatalf("255 Thai characters: %v", err)
		}
		if _, err := e.svc.CreateLink(ctx, e.secret, service.LinkParams{Title: title + "ก", Amount: 5000, Currency: "THB"}); paylinks.KindOf(err) != paylinks.KindInvalid {
			t.Errorf("256 characters: %v, want refused", err)
		}
		key, val := strings.Repeat("ก", service.MaxMetadataKeyLen), strings.Repeat("😀", service.MaxMetadataValueLen)
		s, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{Amount: 5000, Currency: "THB", Metadata: map[string]string{key: val}})
		if err != nil || s.Metadata[key] != val {
			t.Fatalf("metadata of full length in characters: %v", err)
		}
		for _, m := range []map[string]string{{key + "ก": "v"}, {"k": val + "😀"}} {
			if _, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{Amount: 5000, Currency: "THB", Metadata: m}); paylinks.KindOf(err) != paylinks.KindInvalid {
				t.Errorf("metadata one character too long: %v, want refused", err)
			}
		}
	})
}

// TestUpdateLegacyText: a link stored before the text rules, with a
// control character in its title and description, can still be
// deactivated and repriced; new text given in an update is checked.
func TestUpdateLegacyText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		pr := e.secret
		newID := func() paylinks.ID {
			id, err := paylinks.NewID(now, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		l := &paylinks.Link{ID: newID(), AccountID: pr.AccountID, Livemode: pr.Livemode, Slug: "legacy-link",
			Title: "Old\x1btitle", Description: "Old\x07bell", Amount: 5000, Currency: "THB", Multiple: true, Active: true,
			CreatedAt: now, UpdatedAt: now}
		ev := &paylinks.Event{ID: newID(), AccountID: pr.AccountID, Livemode: pr.Livemode, Key: "link.create",
			ObjectType: "link", ObjectID: l.ID, Data: []byte(`{}`), CreatedAt: now}
		if err := e.st.CreateLink(ctx, l, ev, nil); err != nil {
			t.Fatal(err)
		}
		off, price := false, int64(6000)
		got, err := e.svc.UpdateLink(ctx, pr, l.ID, "x", service.LinkUpdate{Active: &off, Amount: &price})
		if err != nil || got.Active || got.Amount != 6000 || got.Title != l.Title {
			t.Fatalf("deactivating a legacy link: %+v, %v", got, err)
		}
		bad := "still\x00bad"
		if _, err := e.svc.UpdateLink(ctx, pr, l.ID, "x", service.LinkUpdate{Description: &bad}); paylinks.AsError(err) == nil ||
			paylinks.AsError(err).Param != "description" {
			t.Errorf("a NUL in a new description: %v, want refused naming description", err)
		}
		fixed := "New title"
		if got, err := e.svc.UpdateLink(ctx, pr, l.ID, "x", service.LinkUpdate{Title: &fixed}); err != nil || got.Title != fixed {
			t.Errorf("fixing the title: %+v, %v", got, err)
		}
	})
}
