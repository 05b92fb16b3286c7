package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
)

// TestEveryPathAnswersInItsDialect walks unknown paths and wrong methods
// under each prefix: none gets Go's text/plain 404 or 405. Omise paths get
// an Omise Error object (not_found 404; 405 with Allow for a wrong
// method; a not-served Omise resource named as such), /api/v1/ the v1
// error, /v1/ the PriceBlocs error (naming the allowed methods), and the
// pages an HTML page.
func TestEveryPathAnswersInItsDialect(t *testing.T) {
	env := servertest.New(t, "sqlite")
	tests := []struct {
		method, path string
		status       int
		shape        string // omise, v1, priceblocs or html
		allow        string // the Allow header of a 405
		msg          string // part of the message
	}{
		{"GET", "/nothing", 404, "omise", "", "GET /nothing is not an endpoint"},
		{"GET", "/customers", 404, "omise", "", "does not serve Omise's /customers"},
		{"POST", "/recipients", 404, "omise", "", "does not serve Omise's /recipients"},
		{"GET", "/transfers/trsf_test_1", 404, "omise", "", "does not serve"},
		{"GET", "/links/a/b/c", 404, "omise", "", "not an endpoint"},
		{"GET", "/charges/chrg_test_1/capture", 405, "omise", "POST", "GET is not allowed"},
		{"DELETE", "/charges/chrg_test_1", 405, "omise", "GET, HEAD, PATCH", ""},
		{"PUT", "/links", 405, "omise", "GET, HEAD, POST", ""},
		{"DELETE", "/refunds", 405, "omise", "GET, HEAD", ""},
		{"POST", "/charges/chrg_test_1/refunds/rfnd_test_1", 405, "omise", "GET, HEAD", ""},
		{"PATCH", "/events", 405, "omise", "GET, HEAD", ""},
		{"POST", "/healthz", 405, "omise", "GET, HEAD", ""},
		{"GET", "/", 404, "omise", "", "not an endpoint"},
		{"GET", "/api/v1/nothing", 404, "v1", "", "not an endpoint"},
		{"GET", "/api/nothing", 404, "v1", "", "not an endpoint"},
		{"PUT", "/api/v1/payment_links", 404, "v1", "GET, HEAD, POST", "not an endpoint"},
		{"POST", "/api/v1/payment_links/pl_x/y", 404, "v1", "", ""},
		{"GET", "/v1/nothing", 404, "priceblocs", "", "not an endpoint"},
		{"PATCH", "/v1/payment-links/00000000-0000-0000-0000-000000000000", 404, "priceblocs", "GET, HEAD, PUT, DELETE", "not an endpoint"},
		{"DELETE", "/v1/products", 404, "priceblocs", "GET, HEAD, POST", "not an endpoint"},
		{"GET", "/l/", 404, "html", "", ""},
		{"GET", "/l/abc/def/ghi", 404, "html", "", ""},
		{"PUT", "/l/abc", 405, "html", "GET, HEAD, POST", ""},
		{"DELETE", "/c/cs_1/complete", 405, "html", "GET, HEAD", ""},
		{"GET", "/c/", 404, "html", "", ""},
		{"GET", "/assets/", 404, "html", "", ""},
		{"POST", "/assets/app.css", 405, "html", "GET, HEAD", ""},
		// /dashboard is served now (issue #17): its unknown paths and
		// wrong methods are still pages.
		{"GET", "/dashboard/nothing", 404, "html", "", ""},
		{"PUT", "/dashboard/signin", 405, "html", "GET, HEAD, POST", ""},
		{"GET", "/dashboard/signout", 405, "html", "POST", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, env.URL+tt.path, nil)
			req.SetBasicAuth(env.SecretTest, "")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			ct := resp.Header.Get("Content-Type")
			switch tt.shape {
			case "omise":
				var e struct{ Object, Code, Message, Location string }
				if err := json.Unmarshal(body, &e); err != nil || !strings.HasPrefix(ct, "application/json") || e.Object != "error" ||
					e.Location == "" || !strings.Contains(e.Message, tt.msg) {
					t.Errorf("not an Omise error object (%s): %s", ct, body)
				}
				want := "not_found"
				if tt.status == 405 {
					want = "method_not_allowed"
				}
				if e.Code != want {
					t.Errorf("code %q, want %q", e.Code, want)
				}
			case "v1":
				var e struct {
					Error struct{ Type, Code, Message, RequestID string }
				}
				if err := json.Unmarshal(body, &e); err != nil || !strings.HasPrefix(ct, "application/json") ||
					e.Error.Type != "not_found" || e.Error.Code != "route_not_found" || e.Error.RequestID == "" ||
					!strings.Contains(e.Error.Message, tt.msg) {
					t.Errorf("not a v1 error (%s): %s", ct, body)
				}
			case "priceblocs":
				var e struct {
					Error struct{ Type, Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || !strings.HasPrefix(ct, "application/json") ||
					e.Error.Code != "route_not_found" || e.Error.Type == "" || !strings.Contains(e.Error.Message, tt.msg) {
					t.Errorf("not a PriceBlocs error (%s): %s", ct, body)
				}
			case "html":
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "<html") {
					t.Errorf("not an HTML page (%s): %.200s", ct, body)
				}
			}
		})
	}
}
