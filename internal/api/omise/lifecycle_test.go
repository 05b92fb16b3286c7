package omise_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	omisego "github.com/omise/omise-go"
	"github.com/omise/omise-go/operations"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// authorize makes a charge of 10000 THB with the official client, captured
// or only authorized.
func authorize(t *testing.T, c *omisego.Client, number string, capture bool) *omisego.Charge {
	t.Helper()
	tok := &omisego.Token{}
	if err := c.Do(tok, &operations.CreateToken{Name: "A", Number: number, ExpirationMonth: 1, ExpirationYear: nextYear()}); err != nil {
		t.Fatal(err)
	}
	ch := &omisego.Charge{}
	if err := c.Do(ch, &operations.CreateCharge{Amount: 10000, Currency: "thb", Card: tok.ID, DontCapture: !capture}); err != nil {
		t.Fatal(err)
	}
	return ch
}

// wantOmiseError checks that err is an Omise error object with the code
// and status, parsed by the client.
func wantOmiseError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var oe *omisego.Error
	if !errors.As(err, &oe) || oe.Code != code || oe.StatusCode != status || oe.Message == "" {
		t.Errorf("%s: %v, want an Omise error %d %s", what, err, status, code)
	}
}

// TestOmiseGoChargeLifecycle drives capture, reverse, expire, charge
// update and refunds (create, list, retrieve, GET /refunds) with the
// official Go client, unchanged, against the real server. Expire and GET
// /refunds, which omise-go has no operation for, are sent with the
// client's own request machinery (its Description, which is an operation).
func TestOmiseGoChargeLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)

		// Authorize, then capture part of it.
		ch := authorize(t, c, "4242424242424242", false)
		if ch.Status != omisego.ChargePending || !ch.Authorized || ch.Paid || ch.AuthorizedAmount != 10000 ||
			ch.CapturedAmount != 0 || ch.ExpiresAt.IsZero() {
			t.Fatalf("authorized charge = %+v", ch)
		}
		captured := &omisego.Charge{}
		if err := c.Do(captured, &operations.CaptureCharge{ChargeID: ch.ID, CaptureAmount: 8000}); err != nil {
			t.Fatalf("CaptureCharge: %v", err)
		}
		if captured.ID != ch.ID || captured.Status != omisego.ChargeSuccessful || !captured.Paid || captured.CapturedAmount != 8000 ||
			captured.AuthorizedAmount != 10000 || captured.Transaction == "" {
			t.Fatalf("captured charge = %+v", captured)
		}
		err := c.Do(&omisego.Charge{}, &operations.CaptureCharge{ChargeID: ch.ID})
		wantOmiseError(t, "capture a captured charge", err, http.StatusBadRequest, "failed_capture")
		err = c.Do(&omisego.Charge{}, &operations.ReverseCharge{ChargeID: ch.ID})
		wantOmiseError(t, "reverse a captured charge", err, http.StatusBadRequest, "failed_void")

		// Refunds: two parts, a third too large.
		r1 := &omisego.Refund{}
		if err := c.Do(r1, &operations.CreateRefund{ChargeID: ch.ID, Amount: 3000, Metadata: map[string]any{"reason": "broken cup"}}); err != nil {
			t.Fatalf("CreateRefund: %v", err)
		}
		if !strings.HasPrefix(r1.ID, "rfnd_test_") || r1.Amount != 3000 || r1.Charge != ch.ID || r1.Status != "closed" ||
			r1.Currency != "THB" || r1.Transaction == "" || r1.Metadata["reason"] != "broken cup" || r1.CreatedAt.IsZero() {
			t.Fatalf("refund = %+v", r1)
		}
		r2 := &omisego.Refund{}
		if err := c.Do(r2, &operations.CreateRefund{ChargeID: ch.ID, Amount: 5000}); err != nil {
			t.Fatalf("second CreateRefund: %v", err)
		}
		err = c.Do(&omisego.Refund{}, &operations.CreateRefund{ChargeID: ch.ID, Amount: 1})
		wantOmiseError(t, "refund beyond the captured amount", err, http.StatusBadRequest, "invalid_amount")

		list := &omisego.RefundList{}
		if err := c.Do(list, &operations.ListRefunds{ChargeID: ch.ID}); err != nil {
			t.Fatalf("ListRefunds: %v", err)
		}
		if list.Total != 2 || len(list.Data) != 2 || list.Data[0].ID != r1.ID || list.Data[1].ID != r2.ID {
			t.Fatalf("ListRefunds = total %d, %d refunds", list.Total, len(list.Data))
		}
		got := &omisego.Refund{}
		if err := c.Do(got, &operations.RetrieveRefund{ChargeID: ch.ID, RefundID: r2.ID}); err != nil || got.ID != r2.ID || got.Amount != 5000 {
			t.Fatalf("RetrieveRefund: %v %+v", err, got)
		}
		err = c.Do(&omisego.Refund{}, &operations.RetrieveRefund{ChargeID: ch.ID, RefundID: "rfnd_test_5x0000000000000000000"})
		wantOmiseError(t, "retrieve an unknown refund", err, http.StatusNotFound, "not_found")

		all := &omisego.RefundList{}
		desc := (&operations.ListRefunds{ChargeID: ch.ID}).Describe()
		desc.Path = "/refunds"
		if err := c.Do(all, desc); err != nil || all.Total != 2 || len(all.Data) != 2 {
			t.Fatalf("GET /refunds: %v, total %d", err, all.Total)
		}

		after := &omisego.Charge{}
		if err := c.Do(after, &operations.RetrieveCharge{ChargeID: ch.ID}); err != nil {
			t.Fatal(err)
		}
		if after.RefundedAmount != 8000 || after.Refunds == nil || after.Refunds.Total != 2 || len(after.Refunds.Data) != 2 {
			t.Errorf("charge after refunds: refunded %d, refunds %+v", after.RefundedAmount, after.Refunds)
		}

		// Update a charge's description and metadata.
		upd := &omisego.Charge{}
		if err := c.Do(upd, &operations.UpdateCharge{ChargeID: ch.ID, Description: "Order 2002",
			Metadata: map[string]any{"order_id": "2002"}}); err != nil {
			t.Fatalf("UpdateCharge: %v", err)
		}
		if upd.Description == nil || *upd.Description != "Order 2002" || upd.Metadata["order_id"] != "2002" {
			t.Errorf("updated charge: description %v metadata %v", upd.Description, upd.Metadata)
		}
		err = c.Do(&omisego.Charge{}, &operations.UpdateCharge{ChargeID: ch.ID, Description: "bad\x00text"})
		wantOmiseError(t, "update with bad text", err, http.StatusBadRequest, "bad_request")

		// Reverse an authorization.
		auth := authorize(t, c, "4242424242424242", false)
		rev := &omisego.Charge{}
		if err := c.Do(rev, &operations.ReverseCharge{ChargeID: auth.ID}); err != nil {
			t.Fatalf("ReverseCharge: %v", err)
		}
		if !rev.Reversed || rev.Status != "reversed" || rev.Paid {
			t.Errorf("reversed charge = %+v", rev)
		}
		err = c.Do(&omisego.Charge{}, &operations.CaptureCharge{ChargeID: auth.ID})
		wantOmiseError(t, "capture a reversed charge", err, http.StatusBadRequest, "failed_capture")

		// Expire an authorization (no omise-go operation: its machinery).
		auth2 := authorize(t, c, "4242424242424242", false)
		exp := &omisego.Charge{}
		expire := (&operations.ReverseCharge{ChargeID: auth2.ID}).Describe()
		expire.Path = "/charges/" + auth2.ID + "/expire"
		if err := c.Do(exp, expire); err != nil {
			t.Fatalf("expire: %v", err)
		}
		if exp.Status != "expired" || exp.Paid {
			t.Errorf("expired charge = %+v", exp)
		}
		err = c.Do(&omisego.Charge{}, &operations.CaptureCharge{ChargeID: auth2.ID})
		wantOmiseError(t, "capture an expired charge", err, http.StatusBadRequest, "expired_charge")

		// A refund the simulator refuses.
		bad := authorize(t, c, "4111111111100015", true)
		err = c.Do(&omisego.Refund{}, &operations.CreateRefund{ChargeID: bad.ID, Amount: 1000})
		wantOmiseError(t, "refund of the refund-failing card", err, http.StatusBadRequest, "failed_refund")
	})
}

// TestOmiseGoManualCaptureLink: a single-use link created with
// capture=false; its payment is an authorization that uses the link; the
// charge's return_uri is the link's payment_uri + "/complete"; the
// merchant captures it and refunds it all, and the link stays used.
func TestOmiseGoManualCaptureLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		r := client{t: t, base: env.URL, key: env.SecretTest}.form("POST", "/links", url.Values{"amount": {"25000"},
			"currency": {"thb"}, "title": {"Room deposit"}, "description": {"Held until check-out"}, "capture": {"false"}})
		if r.status != http.StatusOK {
			t.Fatalf("create link: %d %s", r.status, r.raw)
		}
		paymentURI := r.str("payment_uri")
		slug := paymentURI[strings.LastIndex(paymentURI, "/")+1:]
		card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: nextYear()}
		paid, l, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: slug, Card: card, Email: "p@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if !l.Used {
			t.Errorf("single-use link not used by its authorized payment")
		}
		ch := &omisego.Charge{}
		list := &omisego.ChargeList{}
		if err := c.Do(list, &operations.RetrieveLink{LinkID: r.str("id") + "/charges"}); err != nil || len(list.Data) != 1 {
			t.Fatalf("link charges: %v", err)
		}
		id := list.Data[0].ID
		if list.Data[0].ReturnURI != paymentURI+"/complete" {
			t.Errorf("return_uri in /links/{id}/charges = %q", list.Data[0].ReturnURI)
		}
		if err := c.Do(ch, &operations.RetrieveCharge{ChargeID: id}); err != nil {
			t.Fatal(err)
		}
		if ch.Status != omisego.ChargePending || ch.Capture || !ch.Authorized || ch.AuthorizedAmount != 25000 ||
			ch.ReturnURI != paymentURI+"/complete" || ch.ExpiresAt.IsZero() || paid.ID.String() == "" {
			t.Fatalf("authorized link charge = %+v (return_uri %q)", ch, ch.ReturnURI)
		}
		if err := c.Do(ch, &operations.CaptureCharge{ChargeID: id}); err != nil || ch.Status != omisego.ChargeSuccessful || ch.CapturedAmount != 25000 {
			t.Fatalf("capture: %v %+v", err, ch)
		}
		if err := c.Do(&omisego.Refund{}, &operations.CreateRefund{ChargeID: id, Amount: 25000}); err != nil {
			t.Fatalf("refund: %v", err)
		}
		info, err := env.Service.Checkout(context.Background(), slug)
		if err != nil || info.Link.Payable() != "used" {
			t.Errorf("link after a full refund: %v, payable %q; want still used", err, info.Link.Payable())
		}
		if _, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: slug, Card: card, Email: "p@example.com"}); err == nil {
			t.Error("a refunded single-use link took a second payment")
		}
	})
}

// TestOmiseGoSearch searches links and charges with the official client's
// Search operation: filters, query, paging; bad filters are refused in
// Omise's error shape.
func TestOmiseGoSearch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		var links []*omisego.Link
		for i, title := range []string{"Blue mug", "Red mug", "Green teapot"} {
			l := &omisego.Link{}
			if err := c.Do(l, &operations.CreateLink{Amount: int64(10000 * (i + 1)), Currency: "thb", Title: title,
				Description: "Ceramics", Multiple: i == 2}); err != nil {
				t.Fatal(err)
			}
			links = append(links, l)
		}
		slug := links[0].PaymentURI[strings.LastIndex(links[0].PaymentURI, "/")+1:]
		card := service.CardInput{Number: "5555555555554444", SecurityCode: "123", Name: "N", ExpirationMonth: 1, ExpirationYear: nextYear()}
		if _, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: slug, Card: card, Email: "p@example.com"}); err != nil {
			t.Fatal(err)
		}

		res := &omisego.LinkSearchResult{}
		if err := c.Do(res, &operations.Search{Scope: omisego.LinkScope, Filters: map[string]string{"used": "true"}}); err != nil {
			t.Fatalf("Search used links: %v", err)
		}
		if res.Total != 1 || len(res.Data) != 1 || res.Data[0].ID != links[0].ID || res.Page != 1 || res.TotalPages != 1 || res.Scope != omisego.LinkScope {
			t.Errorf("used links: %+v", res)
		}
		if err := c.Do(res, &operations.Search{Scope: omisego.LinkScope, Query: "mug", Filters: map[string]string{"amount": "200"}}); err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || res.Data[0].ID != links[1].ID {
			t.Errorf("mug of 200 THB: total %d", res.Total)
		}
		if err := c.Do(res, &operations.Search{Scope: omisego.LinkScope, Filters: map[string]string{"multiple": "no"}, PerPage: 1, Page: 2,
			Order: omisego.ReverseChronological}); err != nil {
			t.Fatal(err)
		}
		if res.Total != 2 || res.TotalPages != 2 || len(res.Data) != 1 || res.Data[0].ID != links[0].ID {
			t.Errorf("single-use links, page 2 of 1 per page, newest first: total %d pages %d data %d", res.Total, res.TotalPages, len(res.Data))
		}

		charges := &omisego.ChargeSearchResult{}
		if err := c.Do(charges, &operations.Search{Scope: omisego.ChargeScope, Query: "4444"}); err != nil {
			t.Fatalf("Search charges: %v", err)
		}
		if charges.Total != 1 || len(charges.Data) != 1 || charges.Data[0].Card.LastDigits != "4444" {
			t.Errorf("charges by last digits: total %d", charges.Total)
		}
		id := charges.Data[0].ID
		for _, f := range []map[string]string{{"status": "successful"}, {"captured": "true", "card_last_digits": "4444"}, {"refunded": "false"}} {
			if err := c.Do(charges, &operations.Search{Scope: omisego.ChargeScope, Filters: f}); err != nil || charges.Total != 1 {
				t.Errorf("charges %v: %v total %d", f, err, charges.Total)
			}
		}
		if err := c.Do(charges, &operations.Search{Scope: omisego.ChargeScope, Query: id}); err != nil || charges.Total != 1 {
			t.Errorf("charge by id: %v total %d", err, charges.Total)
		}
		if err := c.Do(charges, &operations.Search{Scope: omisego.ChargeScope, Filters: map[string]string{"status": "failed"}}); err != nil || charges.Total != 0 {
			t.Errorf("failed charges: %v total %d", err, charges.Total)
		}

		err := c.Do(res, &operations.Search{Scope: omisego.LinkScope, Filters: map[string]string{"colour": "blue"}})
		wantOmiseError(t, "unknown filter", err, http.StatusBadRequest, "invalid_filters")
		err = c.Do(res, &operations.Search{Scope: omisego.LinkScope, Filters: map[string]string{"amount": "lots"}})
		wantOmiseError(t, "bad amount", err, http.StatusBadRequest, "invalid_filters")
		err = c.Do(res, &operations.Search{Scope: omisego.CustomerScope})
		wantOmiseError(t, "customer scope", err, http.StatusBadRequest, "invalid_scope")
	})
}

// TestLifecycleEventsAndIdempotency: a refund POSTed twice with one
// Idempotency-Key makes one refund (the second answer is the first,
// replayed), and the lifecycle's events read back through omise-go as
// their typed objects (charge.capture a Charge, refund.create a Refund).
func TestLifecycleEventsAndIdempotency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := omiseClient(t, env)
		ch := authorize(t, c, "4242424242424242", false)
		send := func(method, path, contentType, body, key string) (int, string, http.Header) {
			t.Helper()
			req, _ := http.NewRequest(method, env.URL+path, strings.NewReader(body))
			req.SetBasicAuth(env.SecretTest, "")
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			req.Header.Set("Idempotency-Key", key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		st1, raw1, _ := send("POST", "/charges/"+ch.ID+"/capture", "", "", "cap-1")
		st2, raw2, hdr := send("POST", "/charges/"+ch.ID+"/capture", "", "", "cap-1")
		if st1 != 200 || st2 != 200 || raw2 != raw1 || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("capture twice with one key: %d %s / %d %s", st1, raw1, st2, raw2)
		}
		form := "application/x-www-form-urlencoded"
		st1, raw1, _ = send("POST", "/charges/"+ch.ID+"/refunds", form, "amount=2500", "refund-1")
		st2, raw2, _ = send("POST", "/charges/"+ch.ID+"/refunds", form, "amount=2500", "refund-1")
		if st1 != 200 || st2 != 200 || raw2 != raw1 {
			t.Fatalf("refund twice with one key: %d %s / %d %s", st1, raw1, st2, raw2)
		}
		if st, body, _ := send("PATCH", "/charges/"+ch.ID, "application/json", `{"description": "Order 9"}`, "patch-1"); st != 200 || !strings.Contains(body, `"description":"Order 9"`) {
			t.Fatalf("PATCH: %d %s", st, body)
		}
		list := &omisego.RefundList{}
		if err := c.Do(list, &operations.ListRefunds{ChargeID: ch.ID}); err != nil || list.Total != 1 {
			t.Fatalf("refunds after a repeated key: %v, total %d; want 1", err, list.Total)
		}

		events := &omisego.EventList{}
		if err := c.Do(events, &operations.ListEvents{List: operations.List{Limit: 100}}); err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		keys := map[string]int{}
		for _, ev := range events.Data {
			keys[ev.Key]++
			switch ev.Key {
			case "charge.capture", "charge.update":
				if got, ok := ev.Data.(*omisego.Charge); !ok || got.ID != ch.ID {
					t.Errorf("%s data = %#v, want the charge", ev.Key, ev.Data)
				}
			case "refund.create":
				if got, ok := ev.Data.(*omisego.Refund); !ok || got.ID != list.Data[0].ID || got.Amount != 2500 {
					t.Errorf("refund.create data = %#v, want the refund", ev.Data)
				}
			}
		}
		for _, k := range []string{"charge.capture", "refund.create", "charge.update"} {
			if keys[k] != 1 {
				t.Errorf("%d %s events, want 1", keys[k], k)
			}
		}
	})
}
