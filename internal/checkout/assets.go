package checkout

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// The pages' stylesheet and script are files of assets/, embedded in the
// binary and served at paths named by their content,
// /assets/checkout.<hash>.css: a browser keeps them for a year and never
// asks again, and a new build's files have new names. The pages' CSP then
// allows 'self' for styles and scripts, with no inline code and no nonce.

//go:embed assets/*
var assetFS embed.FS

// assetPrefix is the URL path every asset is served under.
const assetPrefix = "/assets/"

// assetHashLen is how many hex digits of the SHA-256 of its content name
// an asset: 64 bits, more than enough to tell builds apart.
const assetHashLen = 16

// asset is one embedded file as it is served.
type asset struct {
	file        string // name in assets/, "checkout.css"
	path        string // URL path, "/assets/checkout.0123456789abcdef.css"
	contentType string
	etag        string
	body        []byte
}

// assets are the embedded files by the last element of their URL path.
type assets map[string]*asset

// loadAssets reads and names every embedded asset.
func loadAssets() assets {
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	as := assets{}
	for _, e := range entries {
		body, err := fs.ReadFile(assetFS, "assets/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:assetHashLen]
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext) + "." + hash + ext
		as[name] = &asset{file: e.Name(), path: assetPrefix + name, contentType: assetTypes[ext],
			etag: `"` + hash + `"`, body: body}
	}
	return as
}

// assetTypes are the Content-Types of the assets by extension; an asset
// of another kind fails the tests (its Content-Type would be empty).
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// define adds to t, for each asset, a template "asset <file>" that writes
// its URL path, so that the pages name the current build's files:
// {{template "asset checkout.css"}}.
func (as assets) define(t *template.Template) {
	for _, a := range as {
		template.Must(t.New("asset " + a.file).Parse(a.path))
	}
}

// Asset serves GET /assets/{name}: an embedded stylesheet or script at its
// content-hashed path, cacheable for a year, 304 when the browser has it
// (If-None-Match), 404 for any other name (an old build's hash too).
func (h *Handler) Asset(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	a, ok := h.assets[r.PathValue("name")]
	if !ok {
		hd.Set("Cache-Control", "no-store")
		http.Error(w, "asset not found", http.StatusNotFound)
		return
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("ETag", a.etag)
	// ServeContent answers If-None-Match with 304, HEAD without a body,
	// and Range requests.
	http.ServeContent(w, r, a.file, time.Time{}, bytes.NewReader(a.body))
}
