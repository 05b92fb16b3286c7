package checkout_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// unrecordingStore fails every payment's record while on: the processor
// has charged and the charge cannot be written.
type unrecordingStore struct {
	store.Store
	on atomic.Bool
}

func (s *unrecordingStore) PaySession(ctx context.Context, w store.SessionChargeWrite) error {
	if s.on.Load() {
		return errors.New("the database is down")
	}
	return s.Store.PaySession(ctx, w)
}

// TestPaymentTakenNotRecordedPage: when the processor took the payment and
// it could not be recorded yet, the payer is not told that nothing was
// charged: the page says the payment is being recorded and not to pay again.
func TestPaymentTakenNotRecordedPage(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			st := &unrecordingStore{Store: servertest.OpenStore(t, backend)}
			env := servertest.New(t, backend, servertest.Options{Store: st})
			pr, err := env.Service.Authenticate(context.Background(), env.SecretTest)
			if err != nil {
				t.Fatal(err)
			}
			l, err := env.Service.CreateLink(context.Background(), pr, service.LinkParams{Title: "Hot latte", Amount: 25000, Currency: "THB"})
			if err != nil {
				t.Fatal(err)
			}
			c := browser(t)
			u := env.URL + "/l/" + l.Slug
			form := payForm(csrfOf(t, get(t, c, u)), "4242424242424242")
			st.on.Store(true)
			p := post(t, c, u, form)
			if p.status != http.StatusInternalServerError || strings.Contains(p.body, "Nothing was charged") ||
				!strings.Contains(p.body, "do not pay again") {
				t.Errorf("payment taken, not recorded: status %d, page %q; want 500 saying it is being recorded", p.status, p.body)
			}
		})
	}
}
