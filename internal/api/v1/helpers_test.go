package v1_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	v1 "github.com/paylinks/paylinks/internal/api/v1"
	"github.com/paylinks/paylinks/internal/servertest"
)

// client talks to a test server's v1 API as one key. Every response it
// gets is validated against the OpenAPI document (see openapi).
type client struct {
	t    *testing.T
	base string
	key  string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with a raw body ("" for none) and extra headers as
// name, value pairs.
func (c client) do(method, path, body string, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, raw)
	}
	checkResponse(c.t, req, resp, raw)
	return r
}

func (c client) json(method, path string, v any, headers ...string) reply {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, string(b), headers...)
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// wantError checks a v1 error: status, type, code and param ("" for null).
func (r reply) wantError(t *testing.T, status int, typ, code, param string) {
	t.Helper()
	e, _ := r.body["error"].(map[string]any)
	gotParam, _ := e["param"].(string)
	if r.status != status || e["type"] != typ || e["code"] != code || gotParam != param {
		t.Errorf("got %d %s, want %d %s %s (param %q)", r.status, r.raw, status, typ, code, param)
	}
	if id, _ := e["requestId"].(string); id == "" || id != r.header.Get("Request-Id") {
		t.Errorf("requestId %q does not match the Request-Id header %q", id, r.header.Get("Request-Id"))
	}
}

var (
	linkIDRe    = regexp.MustCompile(`^pl_[0-9A-HJKMNP-TV-Z]{26}$`)
	sessionIDRe = regexp.MustCompile(`^cs_[0-9A-HJKMNP-TV-Z]{26}$`)
	timeRe      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func forEachBackend(t *testing.T, f func(t *testing.T, env *servertest.Env)) {
	t.Helper()
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			f(t, servertest.New(t, b))
		})
	}
}

// openapi is the loaded OpenAPI document, with every operation by method
// and path template.
var openapi = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(v1.OpenAPIDocument)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// checkResponse validates a response of the v1 API against the OpenAPI
// document: its path and method must be documented, and its status, headers
// and body must match. Paths outside /api/v1 are not checked.
func checkResponse(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	path, ok := strings.CutPrefix(req.URL.Path, "/api/v1")
	if !ok {
		return
	}
	doc, err := openapi()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	route, params := findRoute(doc, req.Method, path)
	if route == nil {
		if resp.StatusCode == http.StatusNotFound {
			return // an undocumented path: the v1 404 error, checked by the caller
		}
		t.Errorf("%s %s: not documented in openapi.json", req.Method, req.URL.Path)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode,
		Header: resp.Header,
		Body:   io.NopCloser(bytes.NewReader(body)),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: response %d does not match openapi.json: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

// findRoute matches a path (below /api/v1) to a documented operation.
func findRoute(doc *openapi3.T, method, path string) (*routers.Route, map[string]string) {
	for tmpl, item := range doc.Paths.Map() {
		params, ok := matchPath(tmpl, path)
		if !ok {
			continue
		}
		op := item.GetOperation(method)
		if op == nil {
			return nil, nil
		}
		return &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: op}, params
	}
	return nil, nil
}

func matchPath(tmpl, path string) (map[string]string, bool) {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	params := map[string]string{}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") {
			v, err := url.PathUnescape(ps[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[strings.Trim(ts[i], "{}")] = v
		} else if ts[i] != ps[i] {
			return nil, false
		}
	}
	return params, true
}

func TestOpenAPIDocument(t *testing.T) {
	doc, err := openapi()
	if err != nil {
		t.Fatalf("openapi.json does not load or validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	env := servertest.New(t, "sqlite")
	c := client{t: t, base: env.URL}
	r := c.do("GET", "/api/v1/openapi.json", "")
	if r.status != http.StatusOK || r.body["openapi"] != "3.1.0" {
		t.Errorf("GET /api/v1/openapi.json: got %d %.100s", r.status, r.raw)
	}
}
