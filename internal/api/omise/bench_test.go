package omise_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
)

// benchEnv returns a handler-level environment on the backend: requests go
// straight into the server's handler, without TCP, so the numbers show our
// own cost and the database's.
func benchEnv(b *testing.B, backend string) (*servertest.Env, http.Handler) {
	var h http.Handler
	env := servertest.New(b, backend, servertest.Options{Handler: func(inner http.Handler) http.Handler { h = inner; return inner }})
	return env, h
}

func serve(b *testing.B, h http.Handler, key, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(key, "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return rec
}

var createBody = url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {"Bench"}, "description": {"A link"}}.Encode()

// eachBackend runs bench once per store backend: sqlite always, postgres
// when PAYLINKS_TEST_POSTGRES is set.
func eachBackend(b *testing.B, bench func(b *testing.B, backend string)) {
	for _, backend := range servertest.Backends() {
		b.Run(backend, func(b *testing.B) { bench(b, backend) })
	}
}

func BenchmarkCreateLink(b *testing.B) {
	eachBackend(b, func(b *testing.B, backend string) {
		env, h := benchEnv(b, backend)
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				serve(b, h, env.SecretTest, "POST", "/links", createBody)
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b, h, env.SecretTest, "POST", "/links", createBody)
				}
			})
		})
	})
}

func seedLinks(b *testing.B, env *servertest.Env, h http.Handler, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		rec := serve(b, h, env.SecretTest, "POST", "/links", createBody)
		var l struct{ ID string }
		json.Unmarshal(rec.Body.Bytes(), &l)
		ids[i] = l.ID
	}
	return ids
}

func BenchmarkRetrieveLink(b *testing.B) {
	eachBackend(b, func(b *testing.B, backend string) {
		env, h := benchEnv(b, backend)
		ids := seedLinks(b, env, h, 1000)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				serve(b, h, env.SecretTest, "GET", "/links/"+ids[i%len(ids)], "")
				i++
			}
		})
	})
}

func BenchmarkListLinks(b *testing.B) {
	eachBackend(b, func(b *testing.B, backend string) {
		env, h := benchEnv(b, backend)
		seedLinks(b, env, h, 2000)
		for _, offset := range []int{0, 1900} {
			b.Run(fmt.Sprintf("offset=%d", offset), func(b *testing.B) {
				target := fmt.Sprintf("/links?limit=20&offset=%d", offset)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve(b, h, env.SecretTest, "GET", target, "")
					}
				})
			})
		}
	})
}
