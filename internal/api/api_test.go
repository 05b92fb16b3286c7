package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// A body past net/http's chunking threshold goes out with its length, not
// chunked, and is the JSON of the value, HTML-escaped as json.Marshal does.
func TestWriteJSONLength(t *testing.T) {
	v := map[string]any{"data": strings.Repeat("<a&b>", 4000), "n": 1}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, r, http.StatusCreated, v)
	}))
	defer srv.Close()
	for range 3 { // the pooled buffer is reused cleanly
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if len(resp.TransferEncoding) != 0 {
			t.Errorf("transfer encoding %v, want none", resp.TransferEncoding)
		}
		if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("Content-Length %q, body %d bytes", got, len(body))
		}
		want, _ := json.Marshal(v)
		if string(body) != string(want)+"\n" {
			t.Errorf("body differs from json.Marshal's:\n%.80s\n%.80s", body, want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	}
}
