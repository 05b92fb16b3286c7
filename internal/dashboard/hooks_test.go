package dashboard_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// decodeQRBase64 decodes a base64 PNG's QR code.
func decodeQRBase64(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the QR code download is not a PNG: %v", err)
	}
	return decodeQRImage(t, img)
}

func decodeQRImage(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return res.GetText()
}

// hookReceiver is a merchant's webhook endpoint: it verifies each delivery
// with the Standard Webhooks library and records the types of the verified
// ones.
type hookReceiver struct {
	srv    *httptest.Server
	secret atomic.Pointer[string]
	mu     sync.Mutex
	types  []string
	bad    int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sec := h.secret.Load()
		if sec == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		wh, err := standardwebhooks.NewWebhook(*sec)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		var ev struct{ Type string }
		if err == nil {
			err = json.Unmarshal(body, &ev)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil {
			h.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.types = append(h.types, ev.Type)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait waits until a verified delivery of the event type arrived.
func (h *hookReceiver) wait(t *testing.T, typ string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		got, bad, types := slices.Contains(h.types, typ), h.bad, slices.Clone(h.types)
		h.mu.Unlock()
		if bad > 0 {
			t.Fatalf("%d deliveries failed the Standard Webhooks verification", bad)
		}
		if got {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verified %s delivery; got %v", typ, types)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertDelivered checks, as the events API reads them, that an event of
// type key exists with a successful delivery attempt.
func assertDelivered(t *testing.T, env *servertest.Env, key string) {
	t.Helper()
	ctx := context.Background()
	pr := ownerPrincipal(env)
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := env.Service.EventPage(ctx, pr, service.CursorPage{Limit: 50}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []paylinks.ID
		for _, e := range page.Items {
			if e.Key == key {
				ids = append(ids, e.ID)
			}
		}
		atts, err := env.Service.WebhookAttempts(ctx, pr, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, as := range atts {
			for _, a := range as {
				if a.Success {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event with a successful delivery (%d such events)", key, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
